//go:build unix && !aix && !solaris

package reclaim

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

// TestJournalLock: flock(2) locks belong to an open file description, so
// two OpenJournal calls in one process contend like two processes would.
func TestJournalLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j1, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j1.Append(Entry{Time: t0, RunID: "r1", Profile: "p", UserID: "1", Action: sam.ReclaimDisable, Outcome: Planned}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)

	j2, err := OpenJournal(path)
	if err == nil {
		j2.Close()
		t.Fatal("second OpenJournal on a locked journal succeeded")
	}
	if !errors.Is(err, ErrJournalLocked) {
		t.Fatalf("err = %v, want ErrJournalLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "another run is using the journal") {
		t.Errorf("error %q does not name the file and say another run is using it", msg)
	}
	if got := readFile(t, path); got != before {
		t.Errorf("refused open changed the file to %q, want %q", got, before)
	}

	// The holder goes on writing; Close releases the lock.
	if err := j1.Append(Entry{Time: t0, RunID: "r1", Profile: "p", UserID: "1", Action: sam.ReclaimDisable, Outcome: Attempt}); err != nil {
		t.Fatal(err)
	}
	if err := j1.Close(); err != nil {
		t.Fatal(err)
	}
	j3, err := OpenJournal(path)
	if err != nil {
		t.Fatalf("OpenJournal after Close: %v", err)
	}
	defer j3.Close()
	if diff := cmp.Diff([]Outcome{Planned, Attempt}, outcomesOf(j3)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// TestJournalLockReleasedOnRefusal: a file refused as not a journal is not
// left locked.
func TestJournalLockReleasedOnRefusal(t *testing.T) {
	path := writeFile(t, `{"not":"a journal"}`+"\n")
	for range 2 {
		var nj *NotJournalError
		if _, err := OpenJournal(path); !errors.As(err, &nj) {
			t.Fatalf("err = %v, want a *NotJournalError (not a lock left behind)", err)
		}
	}
}

// TestApplyTwoRunsOneJournal is the trial's case: two runs on one journal
// at once. The second cannot open the journal, so it applies nothing.
func TestApplyTwoRunsOneJournal(t *testing.T) {
	f := newFake(users("1", "2", "3")...)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	plan := planFor(t, f, sam.ReclaimDisable)
	j1, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j1.Close()
	var second error
	f.beforeReclaim = func(id string) {
		if id == "1" {
			_, second = OpenJournal(path) // the other run starts now
		}
	}
	rep, err := Apply(context.Background(), f, plan, Options{Journal: j1, Now: fixedClock, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(second, ErrJournalLocked) {
		t.Errorf("second run's OpenJournal: %v, want ErrJournalLocked", second)
	}
	if rep.Counts.Applied != 3 {
		t.Errorf("applied %d, want 3", rep.Counts.Applied)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1}, f.reclaimCount()); diff != "" {
		t.Errorf("reclaims (-want +got):\n%s", diff)
	}
}
