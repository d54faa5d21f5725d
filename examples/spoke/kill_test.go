package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
)

// childArgsVar carries the spoke's arguments (as JSON) to the test binary
// re-run as the spoke in a process of its own by TestReclaimKilledProcess.
const childArgsVar = "SAMSPOKE_TEST_SPOKE_ARGS"

// TestSpokeChildProcess is not a test: it is the spoke's main, run in a
// child process by TestReclaimKilledProcess so that the parent can kill it
// with SIGKILL. It does nothing in a normal test run.
func TestSpokeChildProcess(t *testing.T) {
	js := os.Getenv(childArgsVar)
	if js == "" {
		t.Skip("only run as the child of TestReclaimKilledProcess")
	}
	var args []string
	if err := json.Unmarshal([]byte(js), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(context.Background(), args, env{getenv: os.Getenv, stderr: os.Stderr, clock: time.Now}, os.Stdout))
}

// spokeProcess starts the spoke in a child process with args and AHA_TOKEN.
func spokeProcess(t *testing.T, token string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	js, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	// #nosec G204 -- the test binary itself, from os.Args[0]
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSpokeChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childArgsVar+"="+string(js), "AHA_TOKEN="+token)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// TestReclaimKilledProcess kills the spoke's process with SIGKILL in the
// middle of a reclaim, while Aha! is applying a disable whose answer the
// process never reads, and resumes with the same journal in a new process.
// The journal survives the kill with no torn line; the resumed run re-reads
// the user whose outcome was lost (already applied), sends no second PUT to
// anybody, and frees the rest; a third run plans nothing.
func TestReclaimKilledProcess(t *testing.T) {
	t.Parallel()
	// -reclaim wants -now within minutes of the clock, and the child's
	// clock is the real one: the account is made relative to it.
	now := time.Now().UTC().Truncate(time.Second)
	acct := ahatest.DemoAccount(now)
	kept := trimPlan(t, acct, now, 6)
	f := newFake(t, acct, now)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	args := []string{"-aha-url", f.srv.URL, "-now", now.Format(time.RFC3339),
		"-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json", "-quiet"}

	var mu sync.Mutex
	puts := map[string]int{} // PUTs per user id, as the fake received them
	f.faults.When("PUT /users/{id}", func(r *http.Request, _ int) bool {
		mu.Lock()
		defer mu.Unlock()
		puts[strings.TrimPrefix(r.URL.Path, "/api/v1/users/")]++
		return false
	}, ahatest.Fault{})
	// The third PUT: the process is killed while the fake holds the
	// request; the fake then applies it, answering nobody.
	arrived, killed := make(chan struct{}), make(chan struct{})
	f.faults.On("PUT /users/{id}", 3, ahatest.BeforeServe(func(*ahatest.Account) {
		close(arrived)
		<-killed
	}))

	cmd, stdout, stderr := spokeProcess(t, f.token, args...)
	select {
	case <-arrived:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		close(killed)
		t.Fatalf("the spoke never sent its third PUT; stderr:\n%s", stderr)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	close(killed)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Success() {
		t.Fatalf("killed spoke: %v, want killed by a signal", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("a killed run wrote a report:\n%s", stdout)
	}
	// The journal is whole: each line decodes (readJournal fails on a torn
	// one), the two first actions are done, the third was attempted.
	got := outcomesByUser(readJournal(t, journal))
	want := map[string][]string{
		kept[0]: {"planned", "attempt", "applied"},
		kept[1]: {"planned", "attempt", "applied"},
		kept[2]: {"planned", "attempt"},
		kept[3]: {"planned"},
		kept[4]: {"planned"},
		kept[5]: {"planned"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal after the kill (-want +got):\n%s", diff)
	}
	// Wait for the fake to finish the held PUT, so the resumed run finds
	// the third user disabled, as Aha! would have left it.
	deadline := time.Now().Add(30 * time.Second)
	for enabled(acct, kept[2]) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if enabled(acct, kept[2]) {
		t.Fatal("the fake never applied the PUT held during the kill")
	}

	cmd, stdout, stderr = spokeProcess(t, f.token, args...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("resumed run: %v:\n%s", err, stderr)
	}
	rep := decodeReport(t, stdout.String())
	// The third user, disabled by the held PUT, is no candidate any more:
	// the resumed run settles its attempt by re-reading it, no action.
	wantOutcomes := map[string]string{kept[3]: "applied", kept[4]: "applied", kept[5]: "applied"}
	if diff := cmp.Diff(wantOutcomes, actionOutcomes(rep)); diff != "" {
		t.Errorf("resumed run: outcomes (-want +got):\n%s", diff)
	}
	var settled []string
	for _, a := range rep.Reclaim.Resolved {
		settled = append(settled, a.ExternalUserID+" "+a.Outcome)
	}
	if diff := cmp.Diff([]string{kept[2] + " already_applied"}, settled); diff != "" {
		t.Errorf("resumed run: attempts settled (-want +got):\n%s", diff)
	}
	want[kept[2]] = append(want[kept[2]], "already_applied")
	for _, id := range kept[3:] {
		want[id] = append(want[id], "planned", "attempt", "applied")
	}
	if diff := cmp.Diff(want, outcomesByUser(readJournal(t, journal))); diff != "" {
		t.Errorf("journal after the resumed run (-want +got):\n%s", diff)
	}
	wantPuts := map[string]int{}
	for _, id := range kept {
		wantPuts[id] = 1
		if enabled(acct, id) {
			t.Errorf("user %s still enabled after the resumed run", id)
		}
	}
	mu.Lock()
	if diff := cmp.Diff(wantPuts, puts); diff != "" {
		t.Errorf("PUTs per user over both processes (-want +got):\n%s", diff)
	}
	mu.Unlock()
	checkPositionsAfter(t, rep, acct)

	cmd, stdout, stderr = spokeProcess(t, f.token, args...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("third run: %v:\n%s", err, stderr)
	}
	if rep := decodeReport(t, stdout.String()); rep.Reclaim == nil || rep.Reclaim.Planned != 0 {
		t.Errorf("third run: reclaim %+v, want nothing planned", rep.Reclaim)
	}
	for _, out := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(out, f.token) {
			t.Error("the token appears in the spoke's output")
		}
	}
}
