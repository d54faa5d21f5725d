package sam

import (
	"fmt"
	"strings"
	"time"
)

// DefaultThresholdDays is the hub's default inactivity threshold for direct
// integrations.
const DefaultThresholdDays = 60

// ReclamationRule turns inactivity into reclamation candidates.
type ReclamationRule struct {
	Name string `json:"name,omitempty"`
	// Profile optionally ties the rule to one integration profile; rules
	// outlive the profile (deleting a profile keeps its rules).
	Profile string `json:"profile,omitempty"`
	// ThresholdDays is how many days without activity make a user
	// inactive. Must be at least 1.
	ThresholdDays int `json:"threshold_days"`
	// Notify, when set, asks the user first and waits DeadlineDays for an
	// answer before the seat is reclaimed.
	Notify *NotifyStep `json:"notify,omitempty"`
	// ExcludeUsers lists user ids or emails never to reclaim (emails match
	// case-insensitively, trimmed).
	ExcludeUsers []string `json:"exclude_users,omitempty"`
	// ExcludeIdentifiers lists subscription identifiers never to reclaim.
	ExcludeIdentifiers []Identifier `json:"exclude_identifiers,omitempty"`
}

// NotifyStep is the optional notify-the-user step of a rule.
type NotifyStep struct {
	// DeadlineDays is how many days the user has to answer the notice
	// before the reclaim goes on (see [ReclamationRule.NotifyDeadline]).
	DeadlineDays int `json:"deadline_days"`
}

// Validate checks the rule.
func (r ReclamationRule) Validate() error {
	if r.ThresholdDays < 1 {
		return &FieldError{Field: "threshold_days", Msg: fmt.Sprintf("is %d; it must be at least 1", r.ThresholdDays)}
	}
	if r.Notify != nil && r.Notify.DeadlineDays < 1 {
		return &FieldError{Field: "notify.deadline_days", Msg: fmt.Sprintf("is %d; it must be at least 1", r.Notify.DeadlineDays)}
	}
	return nil
}

// NotifyDeadline returns when a candidate waiting for its user's answer
// may go on without one: c.Updated (when the user was notified, the move
// to [AwaitingUser]) plus the notify step's DeadlineDays. ok is false when
// the rule has no notify step or c is not awaiting its user.
func (r ReclamationRule) NotifyDeadline(c Candidate) (deadline time.Time, ok bool) {
	if r.Notify == nil || c.State != AwaitingUser {
		return time.Time{}, false
	}
	return c.Updated.UTC().AddDate(0, 0, r.Notify.DeadlineDays), true
}

// Advance moves c one step along the rule's path where no person has to
// act, stamped at now: a [Ready] candidate moves to [AwaitingUser] when the
// rule notifies the user first (the caller sends the notice), else to
// [AwaitingRevocation]; an [AwaitingUser] candidate moves to
// [AwaitingRevocation] once its notify deadline ([ReclamationRule.NotifyDeadline]) is
// reached with no answer. Otherwise (any other state, or the deadline not
// reached yet) c is returned unchanged and moved is false. An answer from
// the user (keep the seat: [ClosedSkipped]) or an approval step is the
// caller's move, through [Candidate.Transition]. c itself is not changed.
func (r ReclamationRule) Advance(c Candidate, now time.Time) (next Candidate, moved bool) {
	to := CandidateState("")
	switch c.State {
	case Ready:
		to = AwaitingRevocation
		if r.Notify != nil {
			to = AwaitingUser
		}
	case AwaitingUser:
		if d, ok := r.NotifyDeadline(c); ok && !now.Before(d) {
			to = AwaitingRevocation
		}
	}
	if to == "" {
		return c, false
	}
	next, err := c.Transition(to, now)
	return next, err == nil
}

// Threshold returns the threshold as a duration.
func (r ReclamationRule) Threshold() time.Duration {
	return time.Duration(r.ThresholdDays) * 24 * time.Hour
}

// Cutoff returns now − threshold: activity strictly before it is inactive.
func (r ReclamationRule) Cutoff(now time.Time) time.Time { return now.UTC().Add(-r.Threshold()) }

// Excludes reports whether the rule excludes the user (by id or email).
func (r ReclamationRule) Excludes(u User) bool {
	email := NormalizeEmail(u.Email)
	for _, x := range r.ExcludeUsers {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		if x == u.ExternalID || (email != "" && NormalizeEmail(x) == email) {
			return true
		}
	}
	return false
}

// ExcludesIdentifier reports whether the rule excludes an identifier.
func (r ReclamationRule) ExcludesIdentifier(id Identifier) bool {
	for _, x := range r.ExcludeIdentifiers {
		if x == id {
			return true
		}
	}
	return false
}

// NormalizeEmail trims and lower-cases an email for comparison.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// InactiveSince is the one predicate for inactivity: last is strictly before
// cutoff. Exactly at the cutoff is still active.
func InactiveSince(last, cutoff time.Time) bool { return last.Before(cutoff) }
