package reclaim

import (
	"fmt"
	"slices"

	"github.com/samspoke/samspoke/sam"
)

// Action is one user to reclaim: every candidate subscription of the user is
// freed by this one action (disabling a user with two paid seats frees both).
type Action struct {
	Profile        string `json:"profile"`
	ExternalUserID string `json:"external_user_id"`
	Email          string `json:"email,omitempty"`
	// Models lists the software models whose seats the action frees,
	// sorted and without duplicates (empty names are left out).
	Models []string `json:"models"`
	// Identifiers lists the subscriptions the action frees, sorted.
	Identifiers []sam.Identifier `json:"identifiers"`
	// PlannedActivity is the user's last activity as the plan saw it.
	// Activity seen after it when the user is re-read cancels the action.
	PlannedActivity sam.Activity    `json:"planned_activity"`
	Mode            sam.ReclaimMode `json:"mode"`
}

// Plan is what a reclaim run intends to do, in a deterministic order (by
// external user id, numeric ids by value).
type Plan struct {
	Profile string          `json:"profile"`
	Mode    sam.ReclaimMode `json:"mode"`
	Actions []Action        `json:"actions"`
	// NotActionable lists the candidates left out of the plan because
	// their state does not allow a reclaim now (closed, or waiting for the
	// user or for an approval).
	NotActionable []sam.Candidate `json:"not_actionable,omitempty"`
}

// actionable reports whether a candidate in state s may be reclaimed now.
// The empty state is taken as ready.
func actionable(s sam.CandidateState) bool {
	switch s {
	case "", sam.Ready, sam.AwaitingRevocation, sam.AttentionRequired:
		return true
	}
	return false
}

// ValidMode reports whether m can name a reclaim mode: [sam.ReclaimDisable],
// [sam.ReclaimDowngrade], or a vendor's own mode (such as
// "remove_license"), 1 to 64 lower-case ASCII letters, digits, '_' and
// '-', starting with a letter. Whether a vendor supports the mode is its
// spoke's to say: its Reclaim returns an error wrapping
// [sam.ErrUnsupportedMode] for a mode it does not know.
func ValidMode(m sam.ReclaimMode) bool {
	if len(m) == 0 || len(m) > 64 || m[0] < 'a' || m[0] > 'z' {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// modeRule says what ValidMode accepts, for errors.
const modeRule = `want "disable", "downgrade" or a vendor's own mode such as "remove_license": lower-case letters, digits, '_' and '-'`

// NewPlan groups candidates into one action per user of profile, in mode.
//
// Candidates with an empty Profile are taken as belonging to profile. It is
// an error for a candidate to name another profile (its seat is reached
// through another connection), to have no external user id, or for the mode
// not to be a mode name ([ValidMode]). Candidates in a state that does not allow a reclaim now are
// listed in [Plan.NotActionable], not dropped. Protection (administrators,
// exclusions, unknown activity) is decided before, by the engine that
// produces the candidates; [Apply] re-checks what it can at apply time.
func NewPlan(profile string, mode sam.ReclaimMode, cands []sam.Candidate) (Plan, error) {
	if !ValidMode(mode) {
		return Plan{}, fmt.Errorf("reclaim: %q is not a reclaim mode name (%s)", mode, modeRule)
	}
	p := Plan{Profile: profile, Mode: mode}
	byUser := map[string]int{}
	for i, c := range cands {
		if c.Profile != "" && c.Profile != profile {
			return Plan{}, fmt.Errorf("reclaim: candidate %d (user %s) belongs to profile %q, not %q", i, c.ExternalUserID, c.Profile, profile)
		}
		if c.ExternalUserID == "" {
			return Plan{}, fmt.Errorf("reclaim: candidate %d (%s) has no external user id", i, c.Email)
		}
		if !actionable(c.State) {
			p.NotActionable = append(p.NotActionable, c)
			continue
		}
		j, ok := byUser[c.ExternalUserID]
		if !ok {
			j = len(p.Actions)
			byUser[c.ExternalUserID] = j
			p.Actions = append(p.Actions, Action{
				Profile:         profile,
				ExternalUserID:  c.ExternalUserID,
				PlannedActivity: c.LastActivity,
				Mode:            mode,
			})
		}
		a := &p.Actions[j]
		if a.Email == "" {
			a.Email = c.Email
		}
		// The latest activity any candidate saw is the baseline: only
		// activity after it means the user came back.
		a.PlannedActivity = a.PlannedActivity.Merge(c.LastActivity)
		if c.Model != "" && !slices.Contains(a.Models, c.Model) {
			a.Models = append(a.Models, c.Model)
		}
		if c.Identifier != "" && !slices.Contains(a.Identifiers, c.Identifier) {
			a.Identifiers = append(a.Identifiers, c.Identifier)
		}
	}
	for i := range p.Actions {
		slices.Sort(p.Actions[i].Models)
		slices.Sort(p.Actions[i].Identifiers)
	}
	slices.SortFunc(p.Actions, func(a, b Action) int {
		switch {
		case sam.LessID(a.ExternalUserID, b.ExternalUserID):
			return -1
		case sam.LessID(b.ExternalUserID, a.ExternalUserID):
			return 1
		}
		return 0
	})
	return p, nil
}
