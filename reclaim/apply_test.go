package reclaim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

const profile = "Aha! prod"

var cutoff = t0.AddDate(0, 0, -sam.DefaultThresholdDays)

func openTemp(t *testing.T) *Journal {
	t.Helper()
	j, err := OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func planFor(t *testing.T, f *fakeVendor, mode sam.ReclaimMode) Plan {
	t.Helper()
	p, err := NewPlan(profile, mode, f.candidates(profile, cutoff))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// outcomes projects a report to "id outcome" lines.
func outcomes(r Report) []string {
	var out []string
	for _, a := range r.Actions {
		out = append(out, a.ExternalUserID+" "+string(a.Outcome))
	}
	return out
}

func users(ids ...string) []sam.User {
	var out []sam.User
	for _, id := range ids {
		out = append(out, user(id))
	}
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		users []sam.User
		mode  sam.ReclaimMode
		// script runs after the plan is made, before Apply.
		script  func(f *fakeVendor)
		opts    Options
		want    []string
		wantRec map[string]int
		wantCap bool
		failed  bool
	}{
		{
			name:    "within the cap",
			users:   users("1", "2", "3"),
			opts:    Options{MaxActions: 3},
			want:    []string{"1 applied", "2 applied", "3 applied"},
			wantRec: map[string]int{"1": 1, "2": 1, "3": 1},
		},
		{
			name:    "over the cap applies none",
			users:   users("1", "2", "3"),
			opts:    Options{MaxActions: 2},
			want:    []string{"1 skipped_cap", "2 skipped_cap", "3 skipped_cap"},
			wantRec: map[string]int{},
			wantCap: true,
		},
		{
			name:    "default cap is 10",
			users:   users("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"),
			want:    []string{"1 skipped_cap", "2 skipped_cap", "3 skipped_cap", "4 skipped_cap", "5 skipped_cap", "6 skipped_cap", "7 skipped_cap", "8 skipped_cap", "9 skipped_cap", "10 skipped_cap", "11 skipped_cap"},
			wantRec: map[string]int{},
			wantCap: true,
		},
		{
			name:    "cap lifted explicitly",
			users:   users("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"),
			opts:    Options{Unlimited: true},
			want:    []string{"1 applied", "2 applied", "3 applied", "4 applied", "5 applied", "6 applied", "7 applied", "8 applied", "9 applied", "10 applied", "11 applied"},
			wantRec: map[string]int{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 1, "11": 1},
		},
		{
			name:  "made administrator since the plan",
			users: users("1", "2"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Administrator = true }
			},
			want:    []string{"1 canceled", "2 applied"},
			wantRec: map[string]int{"2": 1},
		},
		{
			name:  "logs in between plan and apply",
			users: users("1", "2"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Activity = sam.Seen(t0.Add(-time.Minute)) }
			},
			want:    []string{"1 canceled", "2 applied"},
			wantRec: map[string]int{"2": 1},
		},
		{
			name:  "never-active user signs in",
			users: []sam.User{func() sam.User { u := user("1"); u.Activity = sam.Never(); return u }()},
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Activity = sam.Seen(t0) }
			},
			want:    []string{"1 canceled"},
			wantRec: map[string]int{},
		},
		{
			name:  "re-read knows less about activity",
			users: users("1"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Activity = sam.Unknown() }
			},
			want:    []string{"1 applied"},
			wantRec: map[string]int{"1": 1},
		},
		{
			name:  "disabled by someone else meanwhile",
			users: users("1", "2"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Enabled = false }
			},
			want:    []string{"1 already_applied", "2 applied"},
			wantRec: map[string]int{"2": 1},
		},
		{
			// Enabled without the planned seat before any attempt: in
			// disable mode the action is canceled, the user not disabled.
			name:  "no longer a paid seat",
			users: users("1", "2"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Identifiers = nil }
			},
			want:    []string{"1 canceled", "2 applied"},
			wantRec: map[string]int{"2": 1},
		},
		{
			name:    "user gone",
			users:   users("1", "2"),
			script:  func(f *fakeVendor) { delete(f.users, "1") },
			want:    []string{"1 canceled", "2 applied"},
			wantRec: map[string]int{"2": 1},
		},
		{
			name:  "re-read fails",
			users: users("1", "2"),
			script: func(f *fakeVendor) {
				f.lookupErrs["1"] = []error{errUnavailable}
			},
			want:    []string{"1 failed", "2 applied"},
			wantRec: map[string]int{"2": 1},
			failed:  true,
		},
		{
			name:  "reclaim fails, the others still applied",
			users: users("1", "2", "3"),
			script: func(f *fakeVendor) {
				f.reclaimErrs["2"] = []error{errUnavailable}
			},
			want:    []string{"1 applied", "2 failed", "3 applied"},
			wantRec: map[string]int{"1": 1, "3": 1},
			failed:  true,
		},
		{
			name:  "404 on a retried call resolved by re-reading",
			users: users("1"),
			script: func(f *fakeVendor) {
				f.reclaimErrs["1"] = []error{fmt.Errorf("aha: PUT user 1 (retry): %w", sam.ErrUserNotFound)}
				f.applyThenFail["1"] = true
			},
			want:    []string{"1 already_applied"},
			wantRec: map[string]int{"1": 1},
		},
		{
			name:  "vendor answers with another user",
			users: users("1"),
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.ExternalID = "99" }
			},
			want:    []string{"1 failed"},
			wantRec: map[string]int{},
			failed:  true,
		},
		{
			name:    "downgrade mode",
			users:   users("1"),
			mode:    sam.ReclaimDowngrade,
			want:    []string{"1 applied"},
			wantRec: map[string]int{"1": 1},
		},
		{
			name:  "downgrade of a user already holding no paid seat",
			users: users("1"),
			mode:  sam.ReclaimDowngrade,
			script: func(f *fakeVendor) {
				f.onLookup["1"] = func(u *sam.User) { u.Identifiers = nil }
			},
			want:    []string{"1 already_applied"},
			wantRec: map[string]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.users...)
			mode := tt.mode
			if mode == "" {
				mode = sam.ReclaimDisable
			}
			plan := planFor(t, f, mode)
			if tt.script != nil {
				tt.script(f)
			}
			opts := tt.opts
			opts.Journal = openTemp(t)
			opts.Now = fixedClock
			opts.RunID = "run-1"
			rep, err := Apply(context.Background(), f, plan, opts)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(tt.want, outcomes(rep)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRec, f.reclaimCount()); diff != "" {
				t.Errorf("reclaims at the vendor (-want +got):\n%s", diff)
			}
			if rep.CapExceeded != tt.wantCap {
				t.Errorf("CapExceeded = %v, want %v", rep.CapExceeded, tt.wantCap)
			}
			if rep.Failed() != tt.failed {
				t.Errorf("Failed() = %v, want %v", rep.Failed(), tt.failed)
			}
			var wantFreed []string
			for _, w := range tt.want {
				id, o, _ := strings.Cut(w, " ")
				if Outcome(o).Done() {
					wantFreed = append(wantFreed, id)
				}
			}
			if diff := cmp.Diff(wantFreed, rep.Freed, cmpEmptyEqual); diff != "" {
				t.Errorf("Freed (-want +got):\n%s", diff)
			}
			for _, a := range rep.Actions {
				switch a.Outcome {
				case Failed:
					if a.Error == "" {
						t.Errorf("user %s failed with no error text", a.ExternalUserID)
					}
				case Canceled, SkippedCap, AlreadyApplied:
					if a.Reason == "" || a.Error != "" {
						t.Errorf("user %s %s: reason %q, error %q; want a reason and no error", a.ExternalUserID, a.Outcome, a.Reason, a.Error)
					}
				}
			}
			checkJournalConsistent(t, opts.Journal.Path())
		})
	}
}

var cmpEmptyEqual = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

// checkJournalConsistent reads the journal file (as another process would:
// the run may still hold the journal open, and locked) and checks that
// every line is an entry and every attempt is followed by an outcome for
// the same user.
func checkJournalConsistent(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("journal does not end in a newline: %q", data)
	}
	var entries []Entry
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, err := ParseEntry([]byte(line))
		if err != nil {
			t.Fatalf("journal line %d: %v", i+1, err)
		}
		entries = append(entries, e)
	}
	pending := map[string]bool{}
	for _, e := range entries {
		switch e.Outcome {
		case Planned:
		case Attempt:
			pending[e.UserID] = true
		default:
			delete(pending, e.UserID)
		}
	}
	if len(pending) > 0 {
		t.Errorf("journal has attempts without outcome: %v", pending)
	}
}

func TestApplyJournalsAttemptBeforeTheCall(t *testing.T) {
	f := newFake(users("1", "2")...)
	j := openTemp(t)
	f.beforeReclaim = func(id string) {
		// Read the file itself, as a process started after a crash would.
		data, err := os.ReadFile(j.Path())
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		last, err := ParseEntry([]byte(lines[len(lines)-1]))
		if err != nil {
			t.Fatal(err)
		}
		if last.UserID != id || last.Outcome != Attempt {
			t.Errorf("before reclaiming %s the journal's last line is %s %s, want %s attempt", id, last.UserID, last.Outcome, id)
		}
	}
	if _, err := Apply(context.Background(), f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock, RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range j.Entries() {
		got = append(got, e.UserID+" "+string(e.Outcome))
	}
	want := []string{"1 planned", "2 planned", "1 attempt", "1 applied", "2 attempt", "2 applied"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	e := j.Entries()[3]
	wantEntry := Entry{Time: t0, RunID: "r", Profile: profile, UserID: "1", Email: "user1@example.com", Action: sam.ReclaimDisable, Outcome: Applied}
	if diff := cmp.Diff(wantEntry, e); diff != "" {
		t.Errorf("applied entry (-want +got):\n%s", diff)
	}
}

func TestApplyFailedIsRetriedNextRun(t *testing.T) {
	f := newFake(users("1", "2", "3")...)
	f.reclaimErrs["2"] = []error{errUnavailable}
	j := openTemp(t)
	plan := planFor(t, f, sam.ReclaimDisable)

	rep, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 applied", "2 failed", "3 applied"}, outcomes(rep)); diff != "" {
		t.Errorf("run 1 (-want +got):\n%s", diff)
	}
	if got := rep.Actions[1].Error; got != errUnavailable.Error() {
		t.Errorf("error = %q, want %q", got, errUnavailable.Error())
	}

	// Same (stale) plan again: only user 2 is called.
	rep, err = Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 already_applied", "2 applied", "3 already_applied"}, outcomes(rep)); diff != "" {
		t.Errorf("run 2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1}, f.reclaimCount()); diff != "" {
		t.Errorf("reclaims (-want +got):\n%s", diff)
	}
}

func TestApplyResumesAfterCrash(t *testing.T) {
	f := newFake(users("1", "2", "3", "4", "5", "6")...)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	plan := planFor(t, f, sam.ReclaimDisable)

	// Run 1 is stopped after its second reclaim.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	f.beforeReclaim = func(string) {
		if n++; n == 2 {
			cancel()
		}
	}
	rep, err := Apply(ctx, f, plan, Options{Journal: j, Now: fixedClock, RunID: "r1"})
	if !errors.Is(err, context.Canceled) || !rep.Interrupted {
		t.Fatalf("run 1: err = %v, interrupted = %v; want context.Canceled, true", err, rep.Interrupted)
	}
	// The call during which the context ended failed; its outcome is
	// journaled, and nothing after it was attempted.
	if diff := cmp.Diff([]string{"1 applied", "2 failed"}, outcomes(rep)); diff != "" {
		t.Errorf("run 1 (-want +got):\n%s", diff)
	}
	checkJournalConsistent(t, path)
	f.beforeReclaim = nil

	// Then the process is killed during the calls for users 3 and 4:
	// their attempts are on disk with no outcome. The vendor received the
	// call for 3 but not the one for 4.
	for _, id := range []string{"3", "4"} {
		if err := j.Append(Entry{Time: t0, RunID: "r1b", Profile: profile, UserID: id, Email: "x", Action: sam.ReclaimDisable, Outcome: Attempt}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Reclaim(context.Background(), "3", sam.ReclaimDisable); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// The resumed run repeats no done action.
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if st, _ := j.Status(profile, "4"); !st.Interrupted() {
		t.Errorf("status of 4 = %+v, want an interrupted attempt", st)
	}
	rep, err = Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1 already_applied", "2 applied", "3 already_applied", "4 applied", "5 applied", "6 applied"}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("resumed run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1}, f.reclaimCount()); diff != "" {
		t.Errorf("each user reclaimed once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4", "5", "6"}, rep.Freed); diff != "" {
		t.Errorf("Freed (-want +got):\n%s", diff)
	}
	checkJournalConsistent(t, path)
}

func TestApplySecondRunPlansNothing(t *testing.T) {
	f := newFake(users("1", "2", "3")...)
	j := openTemp(t)
	plan := planFor(t, f, sam.ReclaimDisable)
	if _, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock}); err != nil {
		t.Fatal(err)
	}

	// A fresh download no longer holds a candidate.
	if again := planFor(t, f, sam.ReclaimDisable); len(again.Actions) != 0 {
		t.Errorf("second plan has %d actions, want 0", len(again.Actions))
	}
	// Even a stale plan calls the vendor for nobody.
	calls := len(f.calls)
	rep, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.calls[calls:] {
		if strings.HasPrefix(c, "reclaim") {
			t.Errorf("second run called %s", c)
		}
	}
	if rep.Counts != (Counts{AlreadyApplied: 3}) {
		t.Errorf("counts = %+v, want 3 already applied", rep.Counts)
	}
}

func TestApplyNeverReclaimsTwice(t *testing.T) {
	f := newFake(users("1")...)
	j := openTemp(t)
	plan := planFor(t, f, sam.ReclaimDisable)
	if _, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	// An administrator enables the user again.
	f.users["1"].Enabled = true

	rep, err := Apply(context.Background(), f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock, RunID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 canceled"}, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !strings.Contains(rep.Actions[0].Reason, "never reclaimed twice") {
		t.Errorf("reason = %q", rep.Actions[0].Reason)
	}
	if got := f.reclaimCount()["1"]; got != 1 {
		t.Errorf("user reclaimed %d times, want 1", got)
	}
}

// TestApplyReclaimAgainAfter: a seat given back after a run freed it is
// canceled while the journal's done entry is younger than
// ReclaimAgainAfter, and reclaimed again, as a new action the journal
// records, once it is older and the user is inactive again; a later run
// (resumed or retried) does not repeat the new action.
func TestApplyReclaimAgainAfter(t *testing.T) {
	const threshold = 90 * 24 * time.Hour
	tests := []struct {
		name     string
		after    time.Duration  // since the first run
		again    time.Duration  // Options.ReclaimAgainAfter
		active   *time.Duration // the user's activity, relative to the second run, if it moved
		want     Outcome
		reason   string
		reclaims int
	}{
		{name: "recent done entry", after: 10 * 24 * time.Hour, again: threshold, want: Canceled, reason: "not reclaimed again within 90 days", reclaims: 1},
		{name: "done entry exactly at the limit", after: threshold, again: threshold, want: Applied, reason: "reclaimed again", reclaims: 2},
		{name: "old done entry, inactive again", after: 200 * 24 * time.Hour, again: threshold, want: Applied, reason: "more than 90 days ago", reclaims: 2},
		{name: "old done entry, no limit", after: 200 * 24 * time.Hour, want: Canceled, reason: "never reclaimed twice", reclaims: 1},
		{name: "old done entry, active since the plan", after: 200 * 24 * time.Hour, again: threshold, active: new(-time.Hour), want: Canceled, reason: "activity since the plan", reclaims: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(users("1")...)
			j := openTemp(t)
			if _, err := Apply(context.Background(), f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock, RunID: "r1", ReclaimAgainAfter: tc.again}); err != nil {
				t.Fatal(err)
			}
			// An administrator enables the user again; the user stays away.
			f.users["1"].Enabled = true
			later := t0.Add(tc.after)
			clock := func() time.Time { return later }
			plan, err := NewPlan(profile, sam.ReclaimDisable, f.candidates(profile, cutoff))
			if err != nil || len(plan.Actions) != 1 {
				t.Fatalf("plan %+v, %v; want the user planned again", plan, err)
			}
			if tc.active != nil {
				f.onLookup["1"] = func(u *sam.User) { u.Activity = sam.Seen(later.Add(*tc.active)) }
			}
			rep, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: clock, RunID: "r2", ReclaimAgainAfter: tc.again})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"1 " + string(tc.want)}, outcomes(rep)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if !strings.Contains(rep.Actions[0].Reason, tc.reason) {
				t.Errorf("reason = %q, want it to say %q", rep.Actions[0].Reason, tc.reason)
			}
			if got := f.reclaimCount()["1"]; got != tc.reclaims {
				t.Errorf("user reclaimed %d times, want %d", got, tc.reclaims)
			}
			var r2 []string
			for _, e := range j.Entries() {
				if e.RunID == "r2" {
					r2 = append(r2, string(e.Outcome))
				}
			}
			wantJournal := []string{"planned", string(tc.want)}
			if tc.want == Applied {
				wantJournal = []string{"planned", "attempt", "applied"}
			}
			if diff := cmp.Diff(wantJournal, r2); diff != "" {
				t.Errorf("second run's journal (-want +got):\n%s", diff)
			}
			if tc.want != Applied {
				return
			}
			// The same plan retried (a resumed run) finds the new done entry:
			// the seat is not reclaimed a third time.
			rep, err = Apply(context.Background(), f, plan, Options{Journal: j, Now: clock, RunID: "r3", ReclaimAgainAfter: tc.again})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"1 already_applied"}, outcomes(rep)); diff != "" {
				t.Errorf("retried run: outcomes (-want +got):\n%s", diff)
			}
			if got := f.reclaimCount()["1"]; got != 2 {
				t.Errorf("after the retried run, user reclaimed %d times, want 2", got)
			}
		})
	}
}

func TestApplyContextDoneBeforeStart(t *testing.T) {
	f := newFake(users("1", "2")...)
	j := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Apply(ctx, f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !rep.Interrupted || len(rep.Actions) != 0 || len(f.calls) != 0 {
		t.Errorf("report %+v, vendor calls %v; want interrupted with nothing done", rep, f.calls)
	}
}

func TestApplyRefuses(t *testing.T) {
	f := newFake(users("1")...)
	plan := planFor(t, f, sam.ReclaimDisable)
	j := openTemp(t)
	foreign := plan
	foreign.Actions = []Action{plan.Actions[0]}
	foreign.Actions[0].Profile = "other"
	tests := []struct {
		name string
		r    sam.Reclaimer
		plan Plan
		opts Options
		is   error
	}{
		{"no journal", f, plan, Options{}, ErrNoJournal},
		{"negative cap", f, plan, Options{Journal: j, MaxActions: -1}, nil},
		{"negative reclaim-again-after", f, plan, Options{Journal: j, ReclaimAgainAfter: -time.Hour}, nil},
		{"no reclaimer", nil, plan, Options{Journal: j}, nil},
		{"action of another profile", f, foreign, Options{Journal: j}, nil},
		{"not a mode name", f, Plan{Profile: profile, Mode: "Delete user"}, Options{Journal: j}, nil},
		{"no mode", f, Plan{Profile: profile}, Options{Journal: j}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(context.Background(), tt.r, tt.plan, tt.opts)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("err = %v, want an error (%v)", err, tt.is)
			}
		})
	}
	if len(f.calls) != 0 || len(j.Entries()) != 0 {
		t.Errorf("refused runs touched the vendor (%v) or the journal (%d entries)", f.calls, len(j.Entries()))
	}
}

func TestApplyStopsWhenTheJournalFails(t *testing.T) {
	t.Run("before anything", func(t *testing.T) {
		f := newFake(users("1")...)
		j := openTemp(t)
		j.Close()
		if _, err := Apply(context.Background(), f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock}); err == nil {
			t.Fatal("Apply succeeded with a closed journal")
		}
		if len(f.calls) != 0 {
			t.Errorf("vendor called without a journal: %v", f.calls)
		}
	})
	t.Run("after a call", func(t *testing.T) {
		f := newFake(users("1", "2")...)
		j := openTemp(t)
		// The disk goes away during the first call: its outcome cannot be
		// recorded, so the run stops instead of acting unrecorded.
		f.beforeReclaim = func(string) { j.Close() }
		rep, err := Apply(context.Background(), f, planFor(t, f, sam.ReclaimDisable), Options{Journal: j, Now: fixedClock})
		if err == nil {
			t.Fatal("Apply succeeded though the outcome could not be journaled")
		}
		if diff := cmp.Diff([]string{"1 applied"}, outcomes(rep)); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int{"1": 1}, f.reclaimCount()); diff != "" {
			t.Errorf("reclaims (-want +got):\n%s", diff)
		}
	})
}

func TestApplyUserDeletedDuringCall(t *testing.T) {
	f := newFake(users("1")...)
	plan := planFor(t, f, sam.ReclaimDisable)
	f.beforeReclaim = func(id string) { delete(f.users, id) }
	rep, err := Apply(context.Background(), f, plan, Options{Journal: openTemp(t), Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 canceled"}, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

// TestApplyCanceledDuringCall is the trial's case: the run is interrupted
// (SIGINT) while the vendor call for user 2 is in flight. The vendor may
// have served it; the run must not report failed a seat that was freed.
func TestApplyCanceledDuringCall(t *testing.T) {
	tests := []struct {
		name string
		// served: the vendor applied the call before the context ended.
		served bool
		// reReadErr makes the re-read after the call fail.
		reReadErr error
		want      []string
		// journal is user 2's journal, in order.
		journal    []Outcome
		unresolved []string
	}{
		{
			name:    "served, re-read shows the seat free",
			served:  true,
			want:    []string{"1 applied", "2 already_applied"},
			journal: []Outcome{Planned, Attempt, AlreadyApplied},
		},
		{
			name:       "served, re-read fails",
			served:     true,
			reReadErr:  errUnavailable,
			want:       []string{"1 applied"},
			journal:    []Outcome{Planned, Attempt},
			unresolved: []string{"2"},
		},
		{
			name:    "not served, re-read shows the seat held",
			want:    []string{"1 applied", "2 failed"},
			journal: []Outcome{Planned, Attempt, Failed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(users("1", "2", "3")...)
			j := openTemp(t)
			plan := planFor(t, f, sam.ReclaimDisable)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.served {
				f.afterApply = func(id string) {
					if id == "2" {
						cancel()
					}
				}
			} else {
				f.beforeReclaim = func(id string) {
					if id == "2" {
						cancel()
					}
				}
			}
			f.lookupErrs["2"] = []error{nil, tt.reReadErr}
			var reRead []string
			f.lookupCtx = func(id string, c context.Context) {
				if id != "2" || ctx.Err() == nil {
					return
				}
				// The re-read after the call: a fresh, short-lived context.
				d, ok := c.Deadline()
				switch {
				case c.Err() != nil:
					reRead = append(reRead, "canceled context")
				case !ok || time.Until(d) > resolveTimeout:
					reRead = append(reRead, "unbounded context")
				default:
					reRead = append(reRead, "fresh bounded context")
				}
			}

			rep, err := Apply(ctx, f, plan, Options{Journal: j, Now: fixedClock, RunID: "r1"})
			if !errors.Is(err, context.Canceled) || !rep.Interrupted {
				t.Fatalf("err = %v, interrupted = %v; want context.Canceled, true", err, rep.Interrupted)
			}
			if diff := cmp.Diff(tt.want, outcomes(rep)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"fresh bounded context"}, reRead); diff != "" {
				t.Errorf("re-read after the call (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unresolved, rep.Unresolved); diff != "" {
				t.Errorf("Unresolved (-want +got):\n%s", diff)
			}
			var got []Outcome
			for _, e := range j.Entries() {
				if e.UserID == "2" {
					got = append(got, e.Outcome)
				}
			}
			if diff := cmp.Diff(tt.journal, got); diff != "" {
				t.Errorf("journal of user 2 (-want +got):\n%s", diff)
			}
			if tt.unresolved != nil {
				if !strings.Contains(err.Error(), "user 2") || !strings.Contains(err.Error(), "unknown") {
					t.Errorf("error %q does not say user 2's outcome is unknown", err)
				}
				if st, _ := j.Status(profile, "2"); !st.Interrupted() {
					t.Errorf("status of 2 = %+v, want an interrupted attempt", st)
				}
			} else {
				checkJournalConsistent(t, j.Path())
			}
			if tt.served && rep.Counts.Failed != 0 {
				t.Errorf("a seat the vendor freed is counted failed: %+v", rep.Counts)
			}

			// The next run re-reads user 2 and reclaims nobody twice.
			f.afterApply, f.beforeReclaim, f.lookupCtx = nil, nil, nil
			rep, err = Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r2"})
			if err != nil {
				t.Fatal(err)
			}
			want2 := map[bool]string{true: "2 already_applied", false: "2 applied"}[tt.served]
			if diff := cmp.Diff([]string{"1 already_applied", want2, "3 applied"}, outcomes(rep)); diff != "" {
				t.Errorf("next run (-want +got):\n%s", diff)
			}
			if tt.unresolved != nil && !strings.Contains(rep.Actions[1].Reason, "attempt by run r1") {
				t.Errorf("next run's reason for 2 = %q, want it to name the interrupted attempt", rep.Actions[1].Reason)
			}
			if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1}, f.reclaimCount()); diff != "" {
				t.Errorf("reclaims (-want +got):\n%s", diff)
			}
			checkJournalConsistent(t, j.Path())
		})
	}
}

// TestApplySettlesEarlierAttempts: attempts that an earlier run left with
// no outcome (killed during the call) for users the new plan does not act
// on are settled by re-reading them, never by calling the vendor again.
func TestApplySettlesEarlierAttempts(t *testing.T) {
	active := func(id string) sam.User {
		u := user(id)
		u.Activity = sam.Seen(t0.AddDate(0, 0, -1))
		return u
	}
	disabled := user("7")
	disabled.Enabled = false
	f := newFake(user("1"), user("2"), disabled, active("8"), active("10"))
	f.lookupErrs["10"] = []error{errUnavailable}
	plan := planFor(t, f, sam.ReclaimDisable)
	if len(plan.Actions) != 2 {
		t.Fatalf("plan has %d actions, want users 1 and 2", len(plan.Actions))
	}
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// The killed run: its calls for 1, 7 (served: the user is disabled),
	// 8 (not served), 9 (deleted since) and 10 were cut short.
	for _, id := range []string{"1", "7", "8", "9", "10"} {
		if err := j.Append(Entry{Time: t0.Add(-time.Hour), RunID: "r0", Profile: profile, UserID: id, Email: "x", Action: sam.ReclaimDisable, Outcome: Attempt}); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := Apply(context.Background(), f, plan, Options{Journal: j, Now: fixedClock, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 applied", "2 applied"}, outcomes(rep)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	var settled []string
	for _, r := range rep.Resolved {
		settled = append(settled, r.ExternalUserID+" "+string(r.Outcome))
		if !strings.Contains(r.Reason, "attempt by run r0") {
			t.Errorf("user %s: reason %q does not name the earlier run", r.ExternalUserID, r.Reason)
		}
	}
	if diff := cmp.Diff([]string{"7 already_applied", "8 canceled", "9 canceled"}, settled); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10"}, rep.Unresolved); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1}, f.reclaimCount()); diff != "" {
		t.Errorf("vendor calls (-want +got):\n%s", diff)
	}
	for id, want := range map[string]Outcome{"7": AlreadyApplied, "8": Canceled, "9": Canceled, "10": Attempt} {
		if st, _ := j.Status(profile, id); st.Last.Outcome != want {
			t.Errorf("journal: user %s ends %q, want %q", id, st.Last.Outcome, want)
		}
	}

	// The next run, the vendor reachable again, settles 10; the one after
	// finds nothing left to settle.
	for run, want := range [][]string{{"10 canceled"}, nil} {
		rep, err = Apply(context.Background(), f, Plan{Profile: profile, Mode: sam.ReclaimDisable}, Options{Journal: j, Now: fixedClock})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rep.Resolved {
			got = append(got, r.ExternalUserID+" "+string(r.Outcome))
		}
		if diff := cmp.Diff(want, got); diff != "" || len(rep.Unresolved) != 0 {
			t.Errorf("run %d: resolved (-want +got):\n%s\nunresolved %v", run+2, diff, rep.Unresolved)
		}
	}
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1}, f.reclaimCount()); diff != "" {
		t.Errorf("vendor calls after three runs (-want +got):\n%s", diff)
	}
	checkJournalConsistent(t, path)
}
