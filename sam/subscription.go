package sam

import (
	"sort"
	"strings"
	"time"
)

// User is one account holder of the vendor, as downloaded: who they are,
// whether their account is enabled, which paid subscriptions they hold and
// what is known of their activity.
type User struct {
	// ExternalID is the vendor's id for the user, exact (all digits kept).
	ExternalID string `json:"external_user_id"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	Enabled    bool   `json:"enabled"`
	// Administrator is true for account administrators (for Aha!, users
	// who may administer the account).
	Administrator bool `json:"administrator"`
	// Identifiers lists the paid subscriptions the user holds. A disabled
	// user consumes nothing, whatever is listed here.
	Identifiers []Identifier `json:"identifiers"`
	// Created is when the account was created; zero when unknown.
	Created time.Time `json:"created_at,omitzero"`
	// Activity is the last activity known for the user.
	Activity Activity `json:"activity"`
	// ActivityComplete is true when Activity comes from a source that
	// covers the user's whole lifetime (for Aha!, the user's accessed_at),
	// so that "never" or an old sighting can be trusted even when the
	// secondary activity history (audits) is shorter than the rule's
	// threshold. False is the fail-closed default: such a user is then
	// only decidable when the activity history is long enough.
	ActivityComplete bool `json:"activity_complete,omitempty"`
}

// PrincipalName is the user principal name the hub shows: the email, or the
// name and id when there is no email.
func (u User) PrincipalName() string {
	if u.Email != "" {
		return u.Email
	}
	if u.Name != "" {
		return u.Name + " (" + u.ExternalID + ")"
	}
	return u.ExternalID
}

// Consumes reports whether the user holds a right of any model: enabled and
// holding at least one paid subscription.
func (u User) Consumes() bool { return u.Enabled && len(u.Identifiers) > 0 }

// HasIdentifier reports whether the user holds the subscription id.
func (u User) HasIdentifier(id Identifier) bool {
	for _, x := range u.Identifiers {
		if x == id {
			return true
		}
	}
	return false
}

// Subscription is one user's subscription to one identifier in one profile:
// the unit the hub counts rights by.
type Subscription struct {
	Profile           string     `json:"profile"`
	ExternalUserID    string     `json:"external_user_id"`
	UserPrincipalName string     `json:"user_principal_name"`
	Identifier        Identifier `json:"identifier"`
	// Model is the name of the software model the identifier maps to; empty
	// when no model matches (reported as a warning, never dropped).
	Model string `json:"model"`
	// Active is true when the subscription consumes a right: the user is
	// enabled and holds the paid subscription.
	Active          bool      `json:"active"`
	Administrator   bool      `json:"administrator"`
	LastActivity    Activity  `json:"last_activity"`
	ExternalCreated time.Time `json:"external_created,omitzero"`
}

// Key identifies a subscription: (profile, external user id, identifier).
type Key struct {
	Profile        string
	ExternalUserID string
	Identifier     Identifier
}

// Key returns the subscription's identity.
func (s Subscription) Key() Key {
	return Key{Profile: s.Profile, ExternalUserID: s.ExternalUserID, Identifier: s.Identifier}
}

// Subscriptions turns downloaded users into subscriptions for a profile: one
// per (user, identifier), mapped through the catalog. The result is sorted by
// user id then identifier. Identifiers without a model are returned too (with
// an empty Model) and listed in unmatched, so nothing is dropped silently.
func Subscriptions(profile string, users []User, cat *Catalog) (subs []Subscription, unmatched []Identifier) {
	seen := map[Identifier]bool{}
	for _, u := range users {
		for _, id := range u.Identifiers {
			s := Subscription{
				Profile:           profile,
				ExternalUserID:    u.ExternalID,
				UserPrincipalName: u.PrincipalName(),
				Identifier:        id,
				Active:            u.Enabled,
				Administrator:     u.Administrator,
				LastActivity:      u.Activity,
				ExternalCreated:   u.Created,
			}
			if cat != nil {
				if m, ok := cat.ForIdentifier(id); ok {
					s.Model = m.Name()
				}
			}
			if s.Model == "" && !seen[id] {
				seen[id] = true
				unmatched = append(unmatched, id)
			}
			subs = append(subs, s)
		}
	}
	sort.Slice(subs, func(i, j int) bool {
		a, b := subs[i], subs[j]
		if a.ExternalUserID != b.ExternalUserID {
			return lessID(a.ExternalUserID, b.ExternalUserID)
		}
		return a.Identifier < b.Identifier
	})
	sort.Slice(unmatched, func(i, j int) bool { return unmatched[i] < unmatched[j] })
	return subs, unmatched
}

// lessID orders external ids: digit strings first, by value (shorter digit
// strings first, so "9" sorts before "10"), then every other id lexically.
// Keeping the two classes apart makes the order total and transitive, so a
// sort gives the same result whatever order its input came in.
func lessID(a, b string) bool { return CompareID(a, b) < 0 }

// CompareID compares two external ids in the order [LessID] defines and
// returns -1, 0 or +1.
func CompareID(a, b string) int {
	da, db := a != "" && allDigits(a), b != "" && allDigits(b)
	switch {
	case da && !db:
		return -1
	case db && !da:
		return 1
	case da && db && len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// LessID reports whether external id a sorts before b: digit strings of any
// length first, numerically; every other id after them, lexically.
func LessID(a, b string) bool { return lessID(a, b) }
