package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/reclaim"
	"github.com/samspoke/samspoke/sam"
)

// TestCandidateAfter pins the state each action outcome moves a candidate
// to, through the hub's allowed transitions.
func TestCandidateAfter(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rep := &reclaim.Report{
		Actions: []reclaim.ActionResult{
			{ExternalUserID: "1", Outcome: reclaim.Applied},
			{ExternalUserID: "2", Outcome: reclaim.AlreadyApplied},
			{ExternalUserID: "3", Outcome: reclaim.Canceled},
			{ExternalUserID: "4", Outcome: reclaim.Failed},
			{ExternalUserID: "5", Outcome: reclaim.SkippedCap},
		},
		Unresolved: []string{"6"},
	}
	want := map[string]sam.CandidateState{
		"1": sam.ClosedComplete, "2": sam.ClosedComplete, "3": sam.ClosedCanceled, "4": sam.AttentionRequired,
		"5": sam.Ready, "6": sam.AwaitingRevocation, "7": sam.Ready,
	}
	got := map[string]sam.CandidateState{}
	for id := range want {
		c := candidateAfter(sam.Candidate{ExternalUserID: id, State: sam.Ready}, rep, at)
		got[id] = c.State
		if c.State != sam.Ready && !c.Updated.Equal(at) {
			t.Errorf("user %s: updated %v, want %v", id, c.Updated, at)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if c := candidateAfter(sam.Candidate{ExternalUserID: "1", State: sam.Ready}, nil, at); c.State != sam.Ready {
		t.Errorf("dry run: %s, want ready", c.State)
	}
}

// TestTextReportReclaim checks the text report of a reclaim: candidates
// counted as seats of users, their state column, and the unresolved users.
func TestTextReportReclaim(t *testing.T) {
	t.Parallel()
	r := &Report{
		RunHeader: RunHeader{AsOf: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), Profile: "acme", Account: "https://acme.aha.io", ThresholdDays: 60,
			ReclaimMode: "disable"},
		Candidates: []candidate{
			{ExternalUserID: "11", Email: "a@x.com", Model: "Aha! Roadmaps", Reason: "r", State: "closed_complete"},
			{ExternalUserID: "11", Email: "a@x.com", Model: "Aha! Develop", Reason: "r", State: "closed_complete"},
			{ExternalUserID: "12", Email: "b@x.com", Model: "Aha! Roadmaps", Reason: "r", State: "awaiting_revocation"},
		},
		Reclaim: &reclaimBlock{Mode: "disable", Planned: 2, MaxActions: 10, Interrupted: true,
			Counts: reclaim.Counts{Applied: 1}, Freed: []string{"11"}, Unresolved: []string{"12"}},
	}
	var b strings.Builder
	if err := writeText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{
		"Reclamation candidates: 3 seats of 2 users",
		"State", "closed_complete", "awaiting_revocation",
		"unresolved 1", "Unresolved (", ": 12\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text report lacks %q:\n%s", s, out)
		}
	}
	// A dry run has no state column.
	r.DryRun, r.Reclaim = true, nil
	b.Reset()
	if err := writeText(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "State") {
		t.Errorf("dry run shows a state column:\n%s", b.String())
	}
}
