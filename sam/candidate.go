package sam

import (
	"fmt"
	"time"
)

// CandidateState is a reclamation candidate's state, as the hub names them.
type CandidateState string

// Candidate states.
const (
	Ready              CandidateState = "ready"
	AwaitingUser       CandidateState = "awaiting_user"
	AwaitingApproval   CandidateState = "awaiting_approval"
	AwaitingRevocation CandidateState = "awaiting_revocation"
	AttentionRequired  CandidateState = "attention_required"
	ClosedComplete     CandidateState = "closed_complete"
	ClosedSkipped      CandidateState = "closed_skipped"
	ClosedCanceled     CandidateState = "closed_canceled"
)

// Closed reports whether the state is final.
func (s CandidateState) Closed() bool {
	return s == ClosedComplete || s == ClosedSkipped || s == ClosedCanceled
}

// transitions lists the moves the hub allows. Every open state may be
// skipped (kept by a person, or the profile was deleted) or canceled
// (activity came back).
var transitions = map[CandidateState][]CandidateState{
	Ready:              {AwaitingUser, AwaitingApproval, AwaitingRevocation, ClosedSkipped, ClosedCanceled},
	AwaitingUser:       {AwaitingApproval, AwaitingRevocation, ClosedSkipped, ClosedCanceled},
	AwaitingApproval:   {AwaitingRevocation, ClosedSkipped, ClosedCanceled},
	AwaitingRevocation: {ClosedComplete, AttentionRequired, ClosedSkipped, ClosedCanceled},
	AttentionRequired:  {AwaitingRevocation, ClosedComplete, ClosedSkipped, ClosedCanceled},
}

// CanTransition reports whether a candidate may move from one state to another.
func CanTransition(from, to CandidateState) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// TransitionError reports an impossible candidate move.
type TransitionError struct {
	From, To CandidateState
}

// Error says which move was refused and why.
func (e *TransitionError) Error() string {
	if e.From.Closed() {
		return fmt.Sprintf("sam: candidate is %s, which is final; it cannot move to %s", e.From, e.To)
	}
	return fmt.Sprintf("sam: a candidate cannot move from %s to %s", e.From, e.To)
}

// Candidate is a subscription the rule says may be reclaimed.
type Candidate struct {
	Profile        string     `json:"profile"`
	ExternalUserID string     `json:"external_user_id"`
	Email          string     `json:"email"`
	Model          string     `json:"model"`
	Identifier     Identifier `json:"identifier"`
	// Reason says why the user is a candidate, for people.
	Reason       string   `json:"reason"`
	LastActivity Activity `json:"last_activity"`
	// InactiveDays is the whole days since last activity (or since the
	// account was created, for users never active).
	InactiveDays int            `json:"inactive_days"`
	State        CandidateState `json:"state"`
	// Updated is when the state last changed.
	Updated time.Time `json:"updated,omitzero"`
}

// Transition returns a copy of c in state to, stamped at, or an error when
// the move is impossible. c itself is not changed.
func (c Candidate) Transition(to CandidateState, at time.Time) (Candidate, error) {
	if !CanTransition(c.State, to) {
		return c, &TransitionError{From: c.State, To: to}
	}
	c.State = to
	c.Updated = at.UTC()
	return c, nil
}

// ProtectReason says why a user is kept out of the reclaim set.
type ProtectReason string

// Reasons a user is protected. They are fail-closed: when in doubt, protect.
const (
	ProtectAdministrator   ProtectReason = "administrator"
	ProtectSelf            ProtectReason = "connection_user"
	ProtectLastAdmin       ProtectReason = "last_enabled_administrator"
	ProtectExcluded        ProtectReason = "excluded"
	ProtectActivityUnknown ProtectReason = "activity_unknown"
	ProtectShortHistory    ProtectReason = "activity_history_shorter_than_threshold"
	ProtectNewAccount      ProtectReason = "account_younger_than_threshold"
)

// Protected is a user the rule would otherwise consider, kept out of the
// reclaim set, with the reason.
type Protected struct {
	Profile        string        `json:"profile,omitempty"`
	ExternalUserID string        `json:"external_user_id"`
	Email          string        `json:"email,omitempty"`
	Reason         ProtectReason `json:"reason"`
}
