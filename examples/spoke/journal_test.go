package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/reclaim"
)

// TestJournalRefusedBeforeAnyRequest: a journal that cannot be used (held
// by another run, not a journal, a malformed journal, in a missing
// directory) stops -reclaim with exit 2 naming the file, before the first
// request and without touching the file.
func TestJournalRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		content string // the file's content; "" leaves no file
		lock    bool
		missing bool // the journal's directory does not exist
		want    string
	}{
		{name: "locked", content: "", lock: true, want: "another run is using the journal"},
		{name: "not a journal", content: "hello\nworld\n", want: "does not look like a samspoke journal"},
		{name: "malformed", content: `{"time":"2026-05-01T00:00:00Z","run_id":"r","profile":"p","user_id":"1","action":"disable","outcome":"applied"}` + "\n{oops}\n", want: ":2:"},
		{name: "missing directory", missing: true, want: "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, ahatest.DemoAccount(testNow), testNow)
			dir := t.TempDir()
			path := filepath.Join(dir, "journal.jsonl")
			if tc.missing {
				path = filepath.Join(dir, "nowhere", "journal.jsonl")
			} else if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.lock {
				jr, err := reclaim.OpenJournal(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { jr.Close() })
			}
			r := f.run(nil, "-reclaim", "-journal", path)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a refused journal produced a report:\n%.300s", r.stdout)
			}
			for _, w := range []string{"-journal " + path, tc.want} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			if st := f.srv.Stats(); st.Requests != 0 {
				t.Errorf("the fake saw %d requests (%v); a refused journal must stop the run before any", st.Requests, st.ByRoute)
			}
			if tc.content != "" {
				if data, err := os.ReadFile(path); err != nil || string(data) != tc.content {
					t.Errorf("the refused file changed: %q, %v", data, err)
				}
			}
		})
	}
}

// TestConfigJournalRefusedBeforeAnyRequest: with -config, every profile's
// journal is opened before the first account is read: a locked journal of
// the second profile costs neither account a request.
func TestConfigJournalRefusedBeforeAnyRequest(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	cfgDir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config directory:", err)
	}
	if err := os.MkdirAll(filepath.Join(cfgDir, "samspoke"), 0o700); err != nil {
		t.Fatal(err)
	}
	held := filepath.Join(cfgDir, "samspoke", "journal-beta.jsonl")
	jr, err := reclaim.OpenJournal(held)
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Close()

	a, b := newCfgAccount(t, 41, 10), newCfgAccount(t, 42, 10)
	cfgPath := writeTestFile(t, t.TempDir(), "accounts.json", `[
  {"name": "alpha", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN"},
  {"name": "beta", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN"}]`)
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}
	code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-now", cfgNow.Format(time.RFC3339), "-reclaim"}, a.token, b.token)
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, errs)
	}
	if out != "" {
		t.Errorf("a refused journal produced a report:\n%.300s", out)
	}
	for _, w := range []string{`profile "beta"`, held, "another run is using the journal"} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr does not say %q:\n%s", w, errs)
		}
	}
	for name, s := range map[string]*ahatest.Server{"alpha": a.srv, "beta": b.srv} {
		if st := s.Stats(); st.Requests != 0 {
			t.Errorf("account %s saw %d requests; a refused journal must stop the run before any", name, st.Requests)
		}
	}
}

// TestReclaimAgainAfterThreshold: a seat given back after a run freed it
// is canceled while that run is recent (TestReclaimCapAndSecondRun), and
// reclaimed again, as a new action the journal records, once the journal's
// done entry is older than the threshold and the user is inactive again.
func TestReclaimAgainAfterThreshold(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 1)
	back := kept[0]
	before := expectedCandidates(acct, testNow, 60)
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	if r := f.run(nil, "-reclaim", "-journal", journal, "-inactive-days", "60", "-format", "json"); r.code != 0 {
		t.Fatalf("first run: exit %d:\n%s", r.code, r.stderr)
	}
	if enabled(acct, back) {
		t.Fatalf("user %s was not disabled", back)
	}
	// The first run happened 61 days ago; the seat was given back since,
	// and its user stayed away.
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	old := testNow.AddDate(0, 0, -61).Format(time.RFC3339)
	aged := strings.ReplaceAll(string(data), `"time":"`+testNow.Format(time.RFC3339)+`"`, `"time":"`+old+`"`)
	if aged == string(data) {
		t.Fatalf("no journal time to age:\n%s", data)
	}
	if err := os.WriteFile(journal, []byte(aged), 0o600); err != nil {
		t.Fatal(err)
	}
	seats := expectedCandidates(acct, testNow, 60)
	if len(seats) != 0 {
		t.Fatalf("candidates left after the first run: %v", seats)
	}
	giveBack(acct, back, before[back])

	r := f.run(nil, "-reclaim", "-journal", journal, "-inactive-days", "60", "-format", "json")
	if r.code != 0 {
		t.Fatalf("second run: exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	if diff := cmp.Diff(map[string]string{back: "applied"}, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if enabled(acct, back) {
		t.Error("the seat given back 61 days ago was not reclaimed again")
	}
	if n := f.wire.puts()[back]; n != 2 {
		t.Errorf("user %s was PUT %d times, want 2", back, n)
	}
	var second []string
	for _, e := range readJournal(t, journal) {
		if e.Time.Equal(testNow) {
			second = append(second, e.Outcome)
		}
	}
	if diff := cmp.Diff([]string{"planned", "attempt", "applied"}, second); diff != "" {
		t.Errorf("the second run's journal lines (-want +got):\n%s", diff)
	}
	if data, _ := os.ReadFile(journal); !strings.Contains(string(data), "reclaimed again") {
		t.Errorf("the journal does not say the seat was reclaimed again:\n%s", data)
	}
}

// giveBack enables a disabled user again with its paid seats of models.
func giveBack(acct *ahatest.Account, id string, models []string) {
	acct.UpdateUser(id, func(u *ahatest.User) {
		u.Enabled, u.PaidSeat = true, true
		for _, m := range models {
			yes := true
			if m == modelRoadmaps {
				u.RoadmapsSeat = &yes
			} else {
				u.DevelopSeat = &yes
			}
		}
	})
}
