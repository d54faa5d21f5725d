package main

// End-to-end tests of -reclaim (issue 5) against the fake Aha! account: the
// cap, protection, re-checks just before each action, retries, failures, a
// run stopped half-way and resumed from its journal, and downgrade mode.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
)

// trimPlan leaves only the first keep candidates of the account (at a
// 60-day threshold, in id order) inactive: every other candidate is made
// active an hour before now. It returns the kept candidates' ids, in the
// order a plan lists them.
func trimPlan(t *testing.T, acct *ahatest.Account, now time.Time, keep int) []string {
	t.Helper()
	ids := slices.Collect(maps.Keys(expectedCandidates(acct, now, 60)))
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	if len(ids) < keep {
		t.Fatalf("the account has %d candidates, want at least %d", len(ids), keep)
	}
	recent := now.Add(-time.Hour)
	for _, id := range ids[keep:] {
		acct.UpdateUser(id, func(u *ahatest.User) { u.AccessedAt = &recent })
	}
	kept := ids[:keep]
	if got := len(expectedCandidates(acct, now, 60)); got != keep {
		t.Fatalf("after trimming, %d candidates, want %d", got, keep)
	}
	return kept
}

// candidateStates maps each candidate's user to its state; a user's
// candidates (one per model) must agree.
func candidateStates(t *testing.T, rep *jsonReport) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range rep.Candidates {
		if prev, ok := out[c.ExternalUserID]; ok && prev != c.State {
			t.Errorf("user %s: candidates in states %s and %s", c.ExternalUserID, prev, c.State)
		}
		out[c.ExternalUserID] = c.State
	}
	return out
}

// journalEntry is one line of the journal as a test reads it.
type journalEntry struct {
	Time    time.Time `json:"time"`
	RunID   string    `json:"run_id"`
	Profile string    `json:"profile"`
	UserID  string    `json:"user_id"`
	Email   string    `json:"email"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Error   string    `json:"error"`
}

func readJournal(t *testing.T, path string) []journalEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []journalEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// outcomesByUser returns each user's journaled outcomes, in order.
func outcomesByUser(entries []journalEntry) map[string][]string {
	out := map[string][]string{}
	for _, e := range entries {
		out[e.UserID] = append(out[e.UserID], e.Outcome)
	}
	return out
}

func actionOutcomes(r *jsonReport) map[string]string {
	out := map[string]string{}
	for _, a := range r.Actions {
		out[a.ExternalUserID] = a.Outcome
	}
	return out
}

func enabled(acct *ahatest.Account, id string) bool {
	u := acct.User(id)
	return u != nil && u.Enabled
}

// checkPositionsAfter checks that rights used after the run dropped from
// before by exactly the freed users holding each model, and that they
// agree with the fake account as it now stands.
func checkPositionsAfter(t *testing.T, rep *jsonReport, acct *ahatest.Account) {
	t.Helper()
	if rep.Reclaim == nil {
		t.Fatal("no reclaim block")
	}
	freed := map[string]int64{}
	for _, a := range rep.Actions {
		if a.Outcome == "applied" || a.Outcome == "already_applied" {
			for _, m := range a.Models {
				freed[m]++
			}
		}
	}
	now := usedByModel(acct)
	for _, after := range rep.Positions {
		var before *jsonPosition
		for i := range rep.PositionsBefore {
			if rep.PositionsBefore[i].Model == after.Model {
				before = &rep.PositionsBefore[i]
			}
		}
		if before == nil {
			t.Errorf("%s: no position before the reclaim", after.Model)
			continue
		}
		if after.RightsUsed != before.RightsUsed-freed[after.Model] {
			t.Errorf("%s: rights used %d → %d, want a drop of exactly %d freed seats", after.Model, before.RightsUsed, after.RightsUsed, freed[after.Model])
		}
		if after.RightsUsed != now[after.Model] {
			t.Errorf("%s: rights used after %d, the fake account now counts %d", after.Model, after.RightsUsed, now[after.Model])
		}
	}
}

// TestReclaimCapAndSecondRun applies a plan at exactly its cap, checks the
// fake account, the positions and the journal, then runs again: nothing is
// planned; and a seat given back after it was freed is never reclaimed twice.
func TestReclaimCapAndSecondRun(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 3)
	want := expectedCandidates(acct, testNow, 60)
	usedBefore := usedByModel(acct)
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	var mu sync.Mutex
	var order []string // "GET /api/v1/users", in the order the fake got them
	f.faults.When(ahatest.AnyRoute, func(r *http.Request, _ int) bool {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, r.Method+" "+r.URL.Path)
		return false
	}, ahatest.Fault{})

	r := f.run(nil, "-reclaim", "-max-reclaim", "3", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	// Read the whole snapshot, then act: no PUT before the last page of
	// users and of audits, and each PUT right after a re-read of its user.
	mu.Lock()
	lastRead, firstPut := -1, len(order)
	pages := map[string]int{}
	for i, req := range order {
		if req == "GET /api/v1/users" || req == "GET /api/v1/audits" {
			lastRead = i
			pages[req]++
		}
		if strings.HasPrefix(req, "PUT ") && i < firstPut {
			firstPut = i
		}
		if id, ok := strings.CutPrefix(req, "PUT /api/v1/users/"); ok && (i == 0 || order[i-1] != "GET /api/v1/users/"+id) {
			t.Errorf("request %d, %s, does not follow a re-read of user %s: %v", i, req, id, order[max(0, i-2):i])
		}
	}
	if pages["GET /api/v1/users"] == 0 || pages["GET /api/v1/audits"] == 0 || firstPut == len(order) || lastRead > firstPut {
		t.Errorf("last page read at request %d, first PUT at %d: the snapshot must be complete before any change\n%v", lastRead, firstPut, order)
	}
	mu.Unlock()
	// Each action names its user as Aha! has it, and every field is in the
	// JSON, an empty error included.
	var raw struct {
		Actions []map[string]any `json:"actions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, a := range raw.Actions {
		for _, k := range []string{"external_user_id", "email", "action", "outcome", "error"} {
			if _, ok := a[k]; !ok {
				t.Errorf("action %v has no %q", a, k)
			}
		}
	}
	for _, a := range rep.Actions {
		if u := acct.User(a.ExternalUserID); u == nil || a.Email != u.Email || a.Email == "" {
			t.Errorf("action %s: email %q, want the user's", a.ExternalUserID, a.Email)
		}
	}
	if rep.DryRun || rep.ReclaimMode != "disable" || rep.Reclaim == nil || rep.Reclaim.Mode != "disable" {
		t.Fatalf("dry_run %v, reclaim_mode %q, reclaim %+v", rep.DryRun, rep.ReclaimMode, rep.Reclaim)
	}
	if rep.Reclaim.Planned != 3 || rep.Reclaim.MaxActions != 3 || rep.Reclaim.CapExceeded || rep.Reclaim.Counts["applied"] != 3 {
		t.Errorf("reclaim block %+v, want 3 planned and applied under a cap of 3", rep.Reclaim)
	}
	wantOutcomes := map[string]string{}
	for _, id := range kept {
		wantOutcomes[id] = "applied"
		if enabled(acct, id) {
			t.Errorf("user %s is still enabled in the fake account", id)
		}
	}
	if diff := cmp.Diff(wantOutcomes, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for _, a := range rep.Actions {
		if a.Action != "disable" || a.Error != "" || !slices.Equal(a.Models, want[a.ExternalUserID]) {
			t.Errorf("action %+v, want disable without error for models %v", a, want[a.ExternalUserID])
		}
	}
	if diff := cmp.Diff(kept, rep.Reclaim.Freed); diff != "" {
		t.Errorf("freed (-want +got):\n%s", diff)
	}
	checkPositionsAfter(t, rep, acct)
	for _, p := range rep.PositionsBefore {
		if p.RightsUsed != usedBefore[p.Model] {
			t.Errorf("%s: rights used before %d, want %d", p.Model, p.RightsUsed, usedBefore[p.Model])
		}
	}
	// Administrators, active for a year or not, are never touched.
	for _, u := range acct.Clone().Users {
		if isAdmin(u) && !u.Enabled {
			t.Errorf("administrator %s was disabled", u.ID)
		}
	}
	entries := readJournal(t, journal)
	if data, _ := os.ReadFile(journal); strings.Contains(string(data), f.token) {
		t.Error("the journal holds the token")
	}
	wantJournal := map[string][]string{}
	for _, id := range kept {
		wantJournal[id] = []string{"planned", "attempt", "applied"}
	}
	if diff := cmp.Diff(wantJournal, outcomesByUser(entries)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	for _, e := range entries {
		if e.Profile == "" || e.Action != "disable" || e.Email == "" || e.RunID == "" || e.Time.IsZero() {
			t.Errorf("journal line %+v lacks a field", e)
		}
	}

	// A second run right after plans nothing and changes nothing.
	r = f.run(nil, "-reclaim", "-max-reclaim", "3", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("second run: exit %d:\n%s", r.code, r.stderr)
	}
	rep2 := decodeReport(t, r.stdout)
	if rep2.Reclaim == nil || rep2.Reclaim.Planned != 0 || len(rep2.Actions) != 0 || len(rep2.Candidates) != 0 {
		t.Errorf("second run: reclaim %+v, %d actions, %d candidates; want nothing planned", rep2.Reclaim, len(rep2.Actions), len(rep2.Candidates))
	}
	if n := len(readJournal(t, journal)); n != len(entries) {
		t.Errorf("second run: the journal grew from %d to %d lines", len(entries), n)
	}

	// Someone gives a seat back: the plan names the user again, the journal
	// says it was freed once already, and it is not reclaimed twice.
	back := kept[0]
	acct.UpdateUser(back, func(u *ahatest.User) {
		u.Enabled, u.PaidSeat = true, true
		for _, m := range want[back] {
			yes := true
			if m == modelRoadmaps {
				u.RoadmapsSeat = &yes
			} else {
				u.DevelopSeat = &yes
			}
		}
	})
	r = f.run(nil, "-reclaim", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("third run: exit %d:\n%s", r.code, r.stderr)
	}
	rep3 := decodeReport(t, r.stdout)
	if diff := cmp.Diff(map[string]string{back: "canceled"}, actionOutcomes(rep3)); diff != "" {
		t.Errorf("seat given back: outcomes (-want +got):\n%s", diff)
	}
	if !enabled(acct, back) {
		t.Error("the seat given back was reclaimed a second time")
	}
	wantPuts := map[string]int{}
	for _, id := range kept {
		wantPuts[id] = 1
	}
	if diff := cmp.Diff(wantPuts, f.wire.puts()); diff != "" {
		t.Errorf("PUTs per user over three runs (-want +got):\n%s", diff)
	}
}

// TestReclaimOverCap: a plan of 11, one above the default cap of 10, applies
// nothing; -max-reclaim 0 lifts the cap and applies it all, leaving the
// administrators inactive for a year alone.
func TestReclaimOverCap(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	trimPlan(t, acct, testNow, 11)
	want := expectedCandidates(acct, testNow, 60)
	before := acct.Clone()
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	r := f.run(nil, "-reclaim", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("over the cap: exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	if rep.Reclaim == nil || !rep.Reclaim.CapExceeded || rep.Reclaim.Planned != len(want) || rep.Reclaim.MaxActions != 10 ||
		rep.Reclaim.Counts["skipped_cap"] != len(want) || rep.Reclaim.Counts["applied"] != 0 {
		t.Errorf("over the cap: reclaim %+v", rep.Reclaim)
	}
	for _, a := range rep.Actions {
		if a.Outcome != "skipped_cap" {
			t.Errorf("over the cap: %s %s, want skipped_cap", a.ExternalUserID, a.Outcome)
		}
	}
	for id, st := range candidateStates(t, rep) {
		if st != "ready" {
			t.Errorf("over the cap: candidate %s is %s, want ready", id, st)
		}
	}
	if n := f.srv.Stats().ByRoute["PUT /users/{id}"]; n != 0 {
		t.Errorf("over the cap: %d PUTs, want 0", n)
	}
	if diff := cmp.Diff(before.Users, acct.Clone().Users); diff != "" {
		t.Errorf("over the cap: the fake account changed:\n%s", diff)
	}
	if diff := cmp.Diff(rep.PositionsBefore, rep.Positions); diff != "" {
		t.Errorf("over the cap: positions changed (-before +after):\n%s", diff)
	}
	for id, outs := range outcomesByUser(readJournal(t, journal)) {
		if !slices.Equal(outs, []string{"planned", "skipped_cap"}) {
			t.Errorf("over the cap: journal for %s: %v", id, outs)
		}
	}
	// The text report says why.
	r = f.run(nil, "-reclaim", "-journal", journal)
	if !strings.Contains(r.stdout, "none was applied") || !strings.Contains(r.stdout, "-max-reclaim 0") {
		t.Errorf("over the cap: the text report does not say so:\n%s", r.stdout)
	}

	// -max-reclaim 0 lifts the cap.
	r = f.run(nil, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("no cap: exit %d:\n%s", r.code, r.stderr)
	}
	rep = decodeReport(t, r.stdout)
	if rep.Reclaim.CapExceeded || rep.Reclaim.MaxActions != 0 || rep.Reclaim.Counts["applied"] != len(want) {
		t.Errorf("no cap: reclaim %+v, want %d applied", rep.Reclaim, len(want))
	}
	for id := range want {
		if enabled(acct, id) {
			t.Errorf("no cap: user %s still enabled", id)
		}
	}
	checkPositionsAfter(t, rep, acct)
	// The administrators inactive for over a year stay enabled and protected.
	year := 0
	prot := rep.protectedReasons()
	for _, u := range acct.Clone().Users {
		if isAdmin(u) && u.AccessedAt != nil && u.AccessedAt.Before(testNow.Add(-365*day)) {
			year++
			if !u.Enabled || prot[u.ID] != "administrator" {
				t.Errorf("admin %s inactive a year: enabled %v, protected %q", u.ID, u.Enabled, prot[u.ID])
			}
		}
	}
	if year == 0 {
		t.Error("the demo account has no administrator inactive for a year")
	}
	if got, wantN := f.srv.Stats().ByRoute["PUT /users/{id}"], int64(len(want)); got != wantN {
		t.Errorf("no cap: %d PUTs, want %d", got, wantN)
	}
}

// TestReclaimProtect: -protect (emails matched trimmed and
// case-insensitively, and ids) and -protect-file exclude users.
func TestReclaimProtect(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 5)
	byEmail, byID, byFileEmail, byFileID := acct.User(kept[0]), kept[1], acct.User(kept[2]), kept[3]
	f := newFake(t, acct, testNow)
	file := writeFile(t, "protect.txt", fmt.Sprintf("# never reclaim\n\n  %s  # the CFO\n%s\n", strings.ToUpper(byFileEmail.Email), byFileID))
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	r := f.run(nil, "-reclaim", "-journal", journal, "-format", "json",
		"-protect", fmt.Sprintf("  %s , %s", strings.ToUpper(byEmail.Email), byID), "-protect-file", file)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	prot := rep.protectedReasons()
	for _, id := range kept[:4] {
		if prot[id] != "excluded" {
			t.Errorf("user %s: protected %q, want excluded", id, prot[id])
		}
		if !enabled(acct, id) {
			t.Errorf("protected user %s was disabled", id)
		}
	}
	if diff := cmp.Diff(map[string]string{kept[4]: "applied"}, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if enabled(acct, kept[4]) {
		t.Errorf("unprotected user %s is still enabled", kept[4])
	}
}

// TestReclaimLastAdmin: with every other administrator disabled, the last
// enabled one — inactive for over a year — is protected as such and stays.
func TestReclaimLastAdmin(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	trimPlan(t, acct, testNow, 0)
	c := acct.Clone()
	var last string
	for _, u := range c.Users {
		if isAdmin(u) && u.ID != c.SelfID && u.AccessedAt != nil && u.AccessedAt.Before(testNow.Add(-365*day)) {
			last = u.ID
			break
		}
	}
	// The connection acts as an active non-administrator (reading needs
	// no administrator in the fake); every other administrator is disabled.
	var reader string
	for _, u := range c.Users {
		if !isAdmin(u) && u.Enabled && len(seatModels(u)) > 0 && u.AccessedAt != nil && u.AccessedAt.After(testNow.Add(-7*day)) {
			reader = u.ID
			break
		}
	}
	if last == "" || reader == "" {
		t.Fatalf("the demo account lacks an admin inactive a year (%q) or an active user (%q)", last, reader)
	}
	for _, u := range c.Users {
		if isAdmin(u) && u.ID != last {
			acct.UpdateUser(u.ID, func(u *ahatest.User) { u.Enabled = false })
		}
	}
	f := newFake(t, acct, testNow)
	tok := secret(t)
	f.srv.AddToken(tok, reader)
	f.token = tok
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	r := f.run(nil, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	prot := rep.protectedReasons()
	if prot[last] != "last_enabled_administrator" || prot[reader] != "connection_user" {
		t.Errorf("protected: last admin %q, connection user %q", prot[last], prot[reader])
	}
	if rep.Reclaim == nil || rep.Reclaim.Planned != 0 || !enabled(acct, last) {
		t.Errorf("reclaim %+v; last admin enabled %v", rep.Reclaim, enabled(acct, last))
	}
}

// TestReclaimRechecks: just before each action the user is re-read. A user
// who logs in after the plan, who no longer holds a paid seat, or who became
// an administrator is canceled; one disabled by someone else is
// already_applied; a 503 on the PUT is retried and applied.
func TestReclaimRechecks(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 6)
	loggedIn, disabledElsewhere, flaky, plain, demoted, promoted := kept[0], kept[1], kept[2], kept[3], kept[4], kept[5]
	f := newFake(t, acct, testNow)
	userPath := func(id string) func(r *http.Request, _ int) bool {
		return func(r *http.Request, _ int) bool { return strings.HasSuffix(r.URL.Path, "/users/"+id) }
	}
	login := testNow.Add(-time.Minute)
	f.faults.When("GET /users/{id}", userPath(loggedIn), ahatest.BeforeServe(func(a *ahatest.Account) {
		a.UpdateUser(loggedIn, func(u *ahatest.User) { u.AccessedAt = &login })
	}))
	f.faults.When("GET /users/{id}", userPath(disabledElsewhere), ahatest.BeforeServe(func(a *ahatest.Account) {
		a.UpdateUser(disabledElsewhere, func(u *ahatest.User) { u.Enabled = false })
	}))
	// Meanwhile an administrator makes one user a viewer everywhere (no
	// paid seat left) and another an administrator.
	f.faults.When("GET /users/{id}", userPath(demoted), ahatest.BeforeServe(func(a *ahatest.Account) {
		a.UpdateUser(demoted, func(u *ahatest.User) {
			for i := range u.ProductRoles {
				u.ProductRoles[i].Role = ahatest.RoleViewer
			}
			no := false
			u.PaidSeat, u.RoadmapsSeat, u.DevelopSeat = false, &no, &no
		})
	}))
	f.faults.When("GET /users/{id}", userPath(promoted), ahatest.BeforeServe(func(a *ahatest.Account) {
		a.UpdateUser(promoted, func(u *ahatest.User) { u.Administrator, u.AdminRoles.Account = true, true })
	}))
	var flakyPuts atomic.Int32
	f.faults.When("PUT /users/{id}", func(r *http.Request, _ int) bool {
		return userPath(flaky)(r, 0) && flakyPuts.Add(1) == 1
	}, ahatest.ErrorStatus(http.StatusServiceUnavailable))
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	r := f.run(nil, "-reclaim", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	wantOut := map[string]string{loggedIn: "canceled", disabledElsewhere: "already_applied", flaky: "applied", plain: "applied",
		demoted: "canceled", promoted: "canceled"}
	if diff := cmp.Diff(wantOut, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	// Each candidate ends in the hub's state for its user's outcome.
	wantState := map[string]string{loggedIn: "closed_canceled", disabledElsewhere: "closed_complete", flaky: "closed_complete",
		plain: "closed_complete", demoted: "closed_canceled", promoted: "closed_canceled"}
	if diff := cmp.Diff(wantState, candidateStates(t, rep)); diff != "" {
		t.Errorf("candidate states (-want +got):\n%s", diff)
	}
	if rep.Reclaim == nil || rep.Reclaim.Unresolved == nil || len(rep.Reclaim.Unresolved) != 0 {
		t.Errorf("reclaim.unresolved: want [] in a complete run, got %+v", rep.Reclaim)
	}
	if diff := cmp.Diff(map[string]int{flaky: 2, plain: 1}, f.wire.puts()); diff != "" {
		t.Errorf("PUTs per user (-want +got):\n%s", diff)
	}
	if !enabled(acct, loggedIn) || enabled(acct, disabledElsewhere) || enabled(acct, flaky) || enabled(acct, plain) ||
		!enabled(acct, demoted) || !enabled(acct, promoted) {
		t.Error("the fake account's enabled flags do not match the outcomes")
	}
	wantJournal := map[string][]string{
		loggedIn:          {"planned", "canceled"},
		disabledElsewhere: {"planned", "already_applied"},
		flaky:             {"planned", "attempt", "applied"},
		plain:             {"planned", "attempt", "applied"},
		demoted:           {"planned", "canceled"},
		promoted:          {"planned", "canceled"},
	}
	if diff := cmp.Diff(wantJournal, outcomesByUser(readJournal(t, journal))); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	// The seat of the user disabled elsewhere is free too: positions drop
	// by the three freed seats, the canceled user still holds one.
	freed := map[string]int64{}
	for _, id := range []string{disabledElsewhere, flaky, plain} {
		for _, a := range rep.Actions {
			if a.ExternalUserID == id {
				for _, m := range a.Models {
					freed[m]++
				}
			}
		}
	}
	for _, p := range rep.Positions {
		for _, b := range rep.PositionsBefore {
			if b.Model == p.Model && p.RightsUsed != b.RightsUsed-freed[p.Model] {
				t.Errorf("%s: used %d → %d, want a drop of %d", p.Model, b.RightsUsed, p.RightsUsed, freed[p.Model])
			}
		}
	}
}

// TestReclaimFailure: a PUT that fails for one user makes the run exit 1,
// with the others applied and every action journaled.
func TestReclaimFailure(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 3)
	bad := kept[1]
	f := newFake(t, acct, testNow)
	f.faults.When("PUT /users/{id}", func(r *http.Request, _ int) bool { return strings.HasSuffix(r.URL.Path, "/users/"+bad) },
		ahatest.ErrorStatus(http.StatusUnprocessableEntity))
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	out := filepath.Join(t.TempDir(), "report.json")

	r := f.run(nil, "-reclaim", "-journal", journal, "-format", "json", "-o", out)
	if r.code != 1 {
		t.Errorf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "1 reclaim actions failed") || !strings.Contains(r.stderr, journal) {
		t.Errorf("stderr does not say what failed and where the journal is:\n%s", r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written on a failed action: %v", err)
	}
	rep := decodeReport(t, string(data))
	want := map[string]string{kept[0]: "applied", bad: "failed", kept[2]: "applied"}
	if diff := cmp.Diff(want, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	wantState := map[string]string{kept[0]: "closed_complete", bad: "attention_required", kept[2]: "closed_complete"}
	if diff := cmp.Diff(wantState, candidateStates(t, rep)); diff != "" {
		t.Errorf("candidate states (-want +got):\n%s", diff)
	}
	for _, a := range rep.Actions {
		if (a.Outcome == "failed") != (a.Error != "") {
			t.Errorf("action %s %s: error %q", a.ExternalUserID, a.Outcome, a.Error)
		}
	}
	if !enabled(acct, bad) || enabled(acct, kept[0]) || enabled(acct, kept[2]) {
		t.Error("the fake account does not match the outcomes")
	}
	checkPositionsAfter(t, rep, acct)
	entries := readJournal(t, journal)
	wantJournal := map[string][]string{
		kept[0]: {"planned", "attempt", "applied"},
		bad:     {"planned", "attempt", "failed"},
		kept[2]: {"planned", "attempt", "applied"},
	}
	if diff := cmp.Diff(wantJournal, outcomesByUser(entries)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	for _, e := range entries {
		if (e.Outcome == "failed") != (e.Error != "") {
			t.Errorf("journal line %+v: error and outcome disagree", e)
		}
	}
}

// TestReclaimResume: a run stopped after half its actions (Aha! applies
// the third PUT, and the run's context is canceled before the answer
// comes), then a second run with the same journal: every user is PUT
// exactly once over both runs.
func TestReclaimResume(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 6)
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The answer is held back until the client gives up, so the run
	// always sees its stop before the answer (letting the answer race the
	// cancel made the outcome applied or already_applied by timing).
	f.faults.On("PUT /users/{id}", 3, ahatest.Fault{
		Before: func(a *ahatest.Account) {
			a.UpdateUser(kept[2], func(u *ahatest.User) { u.Enabled = false })
			cancel()
		},
		Delay: time.Minute,
	})
	r := f.run(ctx, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if r.code != 1 {
		t.Errorf("stopped run: exit %d, want 1:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "run again") {
		t.Errorf("stopped run: stderr does not say to run again:\n%s", r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	if rep.Reclaim == nil || !rep.Reclaim.Interrupted {
		t.Errorf("stopped run: reclaim %+v, want interrupted", rep.Reclaim)
	}
	// The third PUT reached Aha! but its answer was lost to the stop: a
	// re-read resolves it as already applied, not failed.
	want := map[string]string{kept[0]: "applied", kept[1]: "applied", kept[2]: "already_applied"}
	if diff := cmp.Diff(want, actionOutcomes(rep)); diff != "" {
		t.Errorf("stopped run: outcomes (-want +got):\n%s", diff)
	}
	wantJournal := map[string][]string{
		kept[0]: {"planned", "attempt", "applied"},
		kept[1]: {"planned", "attempt", "applied"},
		kept[2]: {"planned", "attempt", "already_applied"},
		kept[3]: {"planned"},
		kept[4]: {"planned"},
		kept[5]: {"planned"},
	}
	if diff := cmp.Diff(wantJournal, outcomesByUser(readJournal(t, journal))); diff != "" {
		t.Errorf("stopped run: journal (-want +got):\n%s", diff)
	}
	checkPositionsAfter(t, rep, acct)
	for i, id := range kept {
		if enabled(acct, id) != (i >= 3) {
			t.Errorf("after the stop, user %d (%s) enabled %v", i, id, enabled(acct, id))
		}
	}

	// The process was killed while writing a line: the journal ends torn.
	jf, err := os.OpenFile(journal, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jf.WriteString(`{"time":"2026-06-01T12:00:01Z","run_id":"x","profile":"lo`); err != nil {
		t.Fatal(err)
	}
	jf.Close()

	r = f.run(nil, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d:\n%s", r.code, r.stderr)
	}
	rep = decodeReport(t, r.stdout)
	torn := false
	for _, w := range rep.Warnings {
		torn = torn || strings.Contains(w.Message, "incomplete")
	}
	if !torn {
		t.Errorf("resumed run: no warning about the torn journal line: %+v", rep.Warnings)
	}
	if rep.Reclaim.Planned != 3 || rep.Reclaim.Counts["applied"] != 3 {
		t.Errorf("resumed run: reclaim %+v, want the 3 left planned and applied", rep.Reclaim)
	}
	wantPuts := map[string]int{}
	for _, id := range kept {
		wantPuts[id] = 1
		if enabled(acct, id) {
			t.Errorf("user %s still enabled after the resumed run", id)
		}
	}
	if diff := cmp.Diff(wantPuts, f.wire.puts()); diff != "" {
		t.Errorf("PUTs per user over both runs (-want +got):\n%s", diff)
	}
	if n := f.srv.Stats().ByRoute["PUT /users/{id}"]; n != int64(len(kept)) {
		t.Errorf("the fake saw %d PUTs, want %d", n, len(kept))
	}
	applied := map[string]int{}
	for _, e := range readJournal(t, journal) {
		if e.Outcome == "applied" {
			applied[e.UserID]++
		}
	}
	for id, n := range applied {
		if n > 1 {
			t.Errorf("the journal records user %s applied %d times", id, n)
		}
	}

	// And a run right after plans nothing.
	r = f.run(nil, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if rep := decodeReport(t, r.stdout); r.code != 0 || rep.Reclaim.Planned != 0 {
		t.Errorf("third run: exit %d, reclaim %+v", r.code, rep.Reclaim)
	}
}

// TestReclaimDowngrade: -reclaim-mode downgrade sets every workspace role
// of the candidates to viewer (free on the demo's plan); the users stay
// enabled and the report says which mode ran.
func TestReclaimDowngrade(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 2)
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	r := f.run(nil, "-reclaim", "-reclaim-mode", "downgrade", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	if rep.ReclaimMode != "downgrade" || rep.Reclaim == nil || rep.Reclaim.Mode != "downgrade" {
		t.Errorf("reclaim_mode %q, reclaim %+v; want downgrade", rep.ReclaimMode, rep.Reclaim)
	}
	want := map[string]string{}
	for _, id := range kept {
		want[id] = "applied"
		u := acct.User(id)
		if !u.Enabled || u.PaidSeat {
			t.Errorf("user %s: enabled %v paid %v; want enabled without a paid seat", id, u.Enabled, u.PaidSeat)
		}
		for _, role := range u.ProductRoles {
			if role.Role != ahatest.RoleViewer {
				t.Errorf("user %s: role %d in %s, want viewer", id, role.Role, role.ProductID)
			}
		}
	}
	if diff := cmp.Diff(want, actionOutcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for _, a := range rep.Actions {
		if a.Action != "downgrade" {
			t.Errorf("action %s: %q, want downgrade", a.ExternalUserID, a.Action)
		}
	}
	if n := f.srv.Stats().ByRoute["PUT /users/{id}"]; n != 0 {
		t.Errorf("downgrade sent %d PUT /users, want 0", n)
	}
	checkPositionsAfter(t, rep, acct)
	for _, e := range readJournal(t, journal) {
		if e.Action != "downgrade" {
			t.Errorf("journal line %+v: action %q", e, e.Action)
		}
	}
	r = f.run(nil, "-reclaim", "-reclaim-mode", "downgrade", "-journal", journal)
	if !strings.Contains(r.stdout, "downgrade") {
		t.Errorf("the text report does not say which mode ran:\n%s", r.stdout)
	}
}

// TestReclaimDowngradePaidViewers: on a plan where viewers are paid,
// lowering roles to viewer frees no seat; the run must not report the seats
// freed.
func TestReclaimDowngradePaidViewers(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	kept := trimPlan(t, acct, testNow, 2)
	acct.Update(func(a *ahatest.Account) { a.FreeViewers = false })
	usedBefore := usedByModel(acct)
	f := newFake(t, acct, testNow)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	r := f.run(nil, "-reclaim", "-reclaim-mode", "downgrade", "-journal", journal, "-format", "json")
	rep := decodeReport(t, r.stdout)
	for _, id := range kept {
		if u := acct.User(id); !u.PaidSeat {
			t.Fatalf("user %s lost its paid seat although viewers are paid", id)
		}
	}
	if diff := cmp.Diff(usedBefore, usedByModel(acct)); diff != "" {
		t.Fatalf("the fake account's seats changed (-before +after):\n%s", diff)
	}
	for _, a := range rep.Actions {
		if a.Outcome != "failed" || !strings.Contains(a.Error, "viewers are paid") {
			t.Errorf("user %s: %s (%q), want failed saying viewers are paid", a.ExternalUserID, a.Outcome, a.Error)
		}
	}
	checkPositionsAfter(t, rep, acct)
	if r.code != 1 || !strings.Contains(r.stderr, "failed") {
		t.Errorf("exit %d, want 1 naming the failed actions:\n%s", r.code, r.stderr)
	}
}
