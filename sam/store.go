package sam

import (
	"encoding/json"
	"sort"
)

// SubscriptionStore keeps subscriptions keyed by (profile, external user id,
// identifier). The zero value is an empty store ready to use. It is not safe
// for concurrent use.
type SubscriptionStore struct {
	subs  []Subscription
	index map[Key]int
}

// Upsert inserts s or updates the subscription with the same key. On update
// every field takes the new value except LastActivity, which is merged with
// [Activity.Merge] so that it only ever moves forward.
func (st *SubscriptionStore) Upsert(s Subscription) {
	if st.index == nil {
		st.index = map[Key]int{}
	}
	if i, ok := st.index[s.Key()]; ok {
		s.LastActivity = st.subs[i].LastActivity.Merge(s.LastActivity)
		st.subs[i] = s
		return
	}
	st.index[s.Key()] = len(st.subs)
	st.subs = append(st.subs, s)
}

// Sync applies a complete download of one profile: every subscription in
// subs is upserted, and the profile's stored subscriptions missing from subs
// are kept but marked inactive (the user lost the seat). Callers must pass
// a complete download, never a partial one.
func (st *SubscriptionStore) Sync(profile string, subs []Subscription) {
	present := make(map[Key]bool, len(subs))
	for _, s := range subs {
		s.Profile = profile
		st.Upsert(s)
		present[s.Key()] = true
	}
	for i := range st.subs {
		if st.subs[i].Profile == profile && !present[st.subs[i].Key()] {
			st.subs[i].Active = false
		}
	}
}

// Get returns the subscription with key k.
func (st *SubscriptionStore) Get(k Key) (Subscription, bool) {
	i, ok := st.index[k]
	if !ok {
		return Subscription{}, false
	}
	return st.subs[i], true
}

// Len returns the number of subscriptions held.
func (st *SubscriptionStore) Len() int { return len(st.subs) }

// All returns a copy of every subscription, sorted by profile, external
// user id ([LessID]) and identifier.
func (st *SubscriptionStore) All() []Subscription {
	out := append([]Subscription(nil), st.subs...)
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Key(), out[j].Key()) })
	return out
}

// DeleteProfile removes every subscription of profile.
func (st *SubscriptionStore) DeleteProfile(profile string) {
	kept := st.subs[:0]
	for _, s := range st.subs {
		if s.Profile != profile {
			kept = append(kept, s)
		}
	}
	clear(st.subs[len(kept):])
	st.subs = kept
	st.index = make(map[Key]int, len(kept))
	for i, s := range kept {
		st.index[s.Key()] = i
	}
}

func lessKey(a, b Key) bool {
	if a.Profile != b.Profile {
		return a.Profile < b.Profile
	}
	if c := CompareID(a.ExternalUserID, b.ExternalUserID); c != 0 {
		return c < 0
	}
	return a.Identifier < b.Identifier
}

// MarshalJSON writes the store as a JSON array of subscriptions in the
// order of [SubscriptionStore.All].
func (st *SubscriptionStore) MarshalJSON() ([]byte, error) {
	all := st.All()
	if all == nil {
		all = []Subscription{}
	}
	return json.Marshal(all)
}

// UnmarshalJSON reads an array written by MarshalJSON, upserting each
// subscription in turn.
func (st *SubscriptionStore) UnmarshalJSON(b []byte) error {
	var subs []Subscription
	if err := json.Unmarshal(b, &subs); err != nil {
		return err
	}
	*st = SubscriptionStore{}
	for _, s := range subs {
		st.Upsert(s)
	}
	return nil
}
