package sam_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

var allStates = []sam.CandidateState{sam.Ready, sam.AwaitingUser, sam.AwaitingApproval, sam.AwaitingRevocation,
	sam.AttentionRequired, sam.ClosedComplete, sam.ClosedSkipped, sam.ClosedCanceled}

// TestCandidateTransitions pins every move of the hub's candidate states:
// the allowed ones, written out by hand, and every other pair refused
// with a *TransitionError that says why.
func TestCandidateTransitions(t *testing.T) {
	allowed := map[sam.CandidateState][]sam.CandidateState{
		sam.Ready:              {sam.AwaitingUser, sam.AwaitingApproval, sam.AwaitingRevocation, sam.ClosedSkipped, sam.ClosedCanceled},
		sam.AwaitingUser:       {sam.AwaitingApproval, sam.AwaitingRevocation, sam.ClosedSkipped, sam.ClosedCanceled},
		sam.AwaitingApproval:   {sam.AwaitingRevocation, sam.ClosedSkipped, sam.ClosedCanceled},
		sam.AwaitingRevocation: {sam.ClosedComplete, sam.AttentionRequired, sam.ClosedSkipped, sam.ClosedCanceled},
		// A failed reclaim is retried after a fix, or settled by hand.
		sam.AttentionRequired: {sam.AwaitingRevocation, sam.ClosedComplete, sam.ClosedSkipped, sam.ClosedCanceled},
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, from := range allStates {
		for _, to := range allStates {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if got := sam.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			c := sam.Candidate{ExternalUserID: "1", State: from}
			next, err := c.Transition(to, at)
			if want {
				if err != nil || next.State != to || !next.Updated.Equal(at) || next.Updated.Location() != time.UTC {
					t.Errorf("%s → %s: %+v, %v; want the new state stamped in UTC", from, to, next, err)
				}
				continue
			}
			var te *sam.TransitionError
			if !errors.As(err, &te) || te.From != from || te.To != to {
				t.Errorf("%s → %s: err = %v, want a *TransitionError", from, to, err)
				continue
			}
			if next.State != from || !next.Updated.IsZero() {
				t.Errorf("%s → %s refused but the candidate changed: %+v", from, to, next)
			}
			why := "cannot move from " + string(from) + " to " + string(to)
			if from.Closed() {
				why = string(from) + ", which is final"
			}
			if !strings.Contains(err.Error(), why) {
				t.Errorf("%s → %s: error %q does not say %q", from, to, err, why)
			}
		}
		if closed := from == sam.ClosedComplete || from == sam.ClosedSkipped || from == sam.ClosedCanceled; from.Closed() != closed {
			t.Errorf("%s.Closed() = %v", from, from.Closed())
		}
	}
}

// TestRuleAdvance pins the rule's own moves: straight to revocation
// without a notify step; with one, to the user first and on once the
// deadline (Updated + 7 days, to the instant) is reached.
func TestRuleAdvance(t *testing.T) {
	notified := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	deadline := time.Date(2026, 3, 8, 9, 30, 0, 0, time.UTC)
	plain := sam.ReclamationRule{ThresholdDays: 60}
	notify := sam.ReclamationRule{ThresholdDays: 60, Notify: &sam.NotifyStep{DeadlineDays: 7}}
	waiting := sam.Candidate{ExternalUserID: "1", State: sam.AwaitingUser, Updated: notified}

	if d, ok := notify.NotifyDeadline(waiting); !ok || !d.Equal(deadline) {
		t.Errorf("deadline = %v, %v; want %v", d, ok, deadline)
	}
	if _, ok := plain.NotifyDeadline(waiting); ok {
		t.Error("a rule without a notify step has a deadline")
	}
	if _, ok := notify.NotifyDeadline(sam.Candidate{State: sam.Ready, Updated: notified}); ok {
		t.Error("a ready candidate has a notify deadline")
	}

	tests := []struct {
		name  string
		rule  sam.ReclamationRule
		c     sam.Candidate
		now   time.Time
		want  sam.CandidateState
		moved bool
	}{
		{"ready, no notify step", plain, sam.Candidate{State: sam.Ready}, notified, sam.AwaitingRevocation, true},
		{"ready, notify step", notify, sam.Candidate{State: sam.Ready}, notified, sam.AwaitingUser, true},
		{"a nanosecond before the deadline", notify, waiting, deadline.Add(-time.Nanosecond), sam.AwaitingUser, false},
		{"at the deadline", notify, waiting, deadline, sam.AwaitingRevocation, true},
		{"awaiting approval waits for a person", notify, sam.Candidate{State: sam.AwaitingApproval, Updated: notified}, deadline, sam.AwaitingApproval, false},
		{"awaiting revocation waits for the reclaim", plain, sam.Candidate{State: sam.AwaitingRevocation}, deadline, sam.AwaitingRevocation, false},
		{"closed stays closed", notify, sam.Candidate{State: sam.ClosedSkipped, Updated: notified}, deadline, sam.ClosedSkipped, false},
	}
	for _, tt := range tests {
		got, moved := tt.rule.Advance(tt.c, tt.now)
		if got.State != tt.want || moved != tt.moved {
			t.Errorf("%s: %s, moved %v; want %s, moved %v", tt.name, got.State, moved, tt.want, tt.moved)
		}
		if moved && !got.Updated.Equal(tt.now) {
			t.Errorf("%s: stamped %v, want %v", tt.name, got.Updated, tt.now)
		}
		if !moved && !got.Updated.Equal(tt.c.Updated) {
			t.Errorf("%s: not moved but restamped", tt.name)
		}
	}
}

func TestRuleValidateAndExclusions(t *testing.T) {
	bad := []struct {
		rule  sam.ReclamationRule
		field string
	}{
		{sam.ReclamationRule{}, "threshold_days"},
		{sam.ReclamationRule{ThresholdDays: -5}, "threshold_days"},
		{sam.ReclamationRule{ThresholdDays: 60, Notify: &sam.NotifyStep{}}, "notify.deadline_days"},
	}
	for _, tt := range bad {
		var fe *sam.FieldError
		if err := tt.rule.Validate(); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%+v: err = %v, want a *FieldError on %s", tt.rule, err, tt.field)
		}
	}
	r := sam.ReclamationRule{ThresholdDays: 60, Notify: &sam.NotifyStep{DeadlineDays: 7},
		ExcludeUsers: []string{"  CEO@Example.com ", "12345678901234567890", " "}, ExcludeIdentifiers: []sam.Identifier{"develop_seat"}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if c := r.Cutoff(now); !c.Equal(time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("cutoff = %v, want 60 days before", c)
	}
	for _, tt := range []struct {
		u    sam.User
		want bool
	}{
		{sam.User{ExternalID: "1", Email: "ceo@example.COM"}, true},
		{sam.User{ExternalID: "12345678901234567890"}, true},
		{sam.User{ExternalID: "12345678901234567891"}, false}, // every digit counts
		{sam.User{ExternalID: "2", Email: "cfo@example.com"}, false},
		{sam.User{ExternalID: "3"}, false}, // the blank entry matches nobody
	} {
		if got := r.Excludes(tt.u); got != tt.want {
			t.Errorf("Excludes(%+v) = %v, want %v", tt.u, got, tt.want)
		}
	}
	if !r.ExcludesIdentifier("develop_seat") || r.ExcludesIdentifier("roadmaps_seat") {
		t.Error("identifier exclusions")
	}
}

// TestSubscriptionsReportUnknownIdentifiers: identifiers no model maps
// are kept as subscriptions without a model and listed, once each.
func TestSubscriptionsReportUnknownIdentifiers(t *testing.T) {
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	users := []sam.User{
		{ExternalID: "10", Email: "b@example.com", Enabled: true, Identifiers: []sam.Identifier{"whiteboard_seat", "roadmaps_seat"}, Activity: sam.Seen(at)},
		{ExternalID: "9", Name: "Ann", Enabled: false, Identifiers: []sam.Identifier{"whiteboard_seat"}, Activity: sam.Never()},
		{ExternalID: "11", Enabled: true, Identifiers: []sam.Identifier{"ideas_seat"}},
	}
	subs, unmatched := sam.Subscriptions("acme", users, ahaCatalog(t))
	want := []sam.Subscription{
		{Profile: "acme", ExternalUserID: "9", UserPrincipalName: "Ann (9)", Identifier: "whiteboard_seat", LastActivity: sam.Never()},
		{Profile: "acme", ExternalUserID: "10", UserPrincipalName: "b@example.com", Identifier: "roadmaps_seat", Model: "Aha! Roadmaps", Active: true, LastActivity: sam.Seen(at)},
		{Profile: "acme", ExternalUserID: "10", UserPrincipalName: "b@example.com", Identifier: "whiteboard_seat", Active: true, LastActivity: sam.Seen(at)},
		{Profile: "acme", ExternalUserID: "11", UserPrincipalName: "11", Identifier: "ideas_seat", Active: true},
	}
	if d := cmp.Diff(want, subs); d != "" {
		t.Errorf("subscriptions (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]sam.Identifier{"ideas_seat", "whiteboard_seat"}, unmatched); d != "" {
		t.Errorf("unmatched (-want +got):\n%s", d)
	}
}

// TestEntitlementCountsOn pins the boundary instants: the start day from
// its first instant, the end day to its last (UTC), whatever the zone of
// the instant asked about.
func TestEntitlementCountsOn(t *testing.T) {
	e := sam.Entitlement{Model: "Aha! Roadmaps", Rights: 5, Start: sam.Date{Year: 2026, Month: 1, Day: 1}, End: sam.Date{Year: 2026, Month: 12, Day: 31}}
	open := e
	open.End = sam.Date{}
	tokyo := time.FixedZone("JST", 9*3600)
	for _, tt := range []struct {
		name string
		e    sam.Entitlement
		at   time.Time
		want bool
	}{
		{"the instant before the start day", e, time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"the start day's first instant", e, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"the end day's last instant", e, time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{"the day after the end", e, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"already the next day in Tokyo, still the end day in UTC", e, time.Date(2027, 1, 1, 8, 59, 59, 0, tokyo), true},
		{"09:00 in Tokyo is the day after the end in UTC", e, time.Date(2027, 1, 1, 9, 0, 0, 0, tokyo), false},
		{"open-ended, years later", open, time.Date(2040, 6, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := tt.e.CountsOn(tt.at); got != tt.want {
			t.Errorf("%s (%v): counts %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}
