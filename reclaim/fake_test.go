package reclaim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/samspoke/samspoke/sam"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// errUnavailable stands for a vendor 503 that the spoke's own retries did
// not get past.
var errUnavailable = errors.New("aha: 503 Service Unavailable (after 3 tries)")

// fakeVendor is an in-memory sam.Reclaimer with scripted behaviour per user.
type fakeVendor struct {
	mu    sync.Mutex
	users map[string]*sam.User
	// lookupErrs and reclaimErrs are consumed one per call; a nil entry
	// means the call succeeds.
	lookupErrs  map[string][]error
	reclaimErrs map[string][]error
	// applyThenFail makes Reclaim free the seat and still return the
	// scripted error (the first try succeeded, the retry got a 404).
	applyThenFail map[string]bool
	// onLookup changes the user just before a lookup answers (someone
	// acting between plan and apply).
	onLookup map[string]func(u *sam.User)
	// beforeReclaim runs at the start of every Reclaim call.
	beforeReclaim func(id string)
	// afterApply runs once Reclaim has changed the account, before it
	// answers; when ctx has ended by then, Reclaim returns ctx.Err() (the
	// request was served, the answer lost).
	afterApply func(id string)
	// lookupCtx sees the context of every LookupUser call.
	lookupCtx func(id string, ctx context.Context)
	// reclaimed counts, per user, the calls that changed the account.
	reclaimed map[string]int
	calls     []string
}

func newFake(users ...sam.User) *fakeVendor {
	f := &fakeVendor{
		users:         map[string]*sam.User{},
		lookupErrs:    map[string][]error{},
		reclaimErrs:   map[string][]error{},
		applyThenFail: map[string]bool{},
		onLookup:      map[string]func(*sam.User){},
		reclaimed:     map[string]int{},
	}
	for _, u := range users {
		f.users[u.ExternalID] = &u
	}
	return f
}

func pop(m map[string][]error, id string) error {
	errs := m[id]
	if len(errs) == 0 {
		return nil
	}
	m[id] = errs[1:]
	return errs[0]
}

func (f *fakeVendor) LookupUser(ctx context.Context, id string) (sam.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "lookup "+id)
	if f.lookupCtx != nil {
		f.lookupCtx(id, ctx)
	}
	if err := ctx.Err(); err != nil {
		return sam.User{}, err
	}
	if err := pop(f.lookupErrs, id); err != nil {
		return sam.User{}, err
	}
	u, ok := f.users[id]
	if !ok {
		return sam.User{}, fmt.Errorf("aha: user %s: %w", id, sam.ErrUserNotFound)
	}
	if h := f.onLookup[id]; h != nil {
		h(u)
		delete(f.onLookup, id)
	}
	c := *u
	c.Identifiers = append([]sam.Identifier(nil), u.Identifiers...)
	return c, nil
}

func (f *fakeVendor) Reclaim(ctx context.Context, id string, mode sam.ReclaimMode) error {
	if f.beforeReclaim != nil {
		f.beforeReclaim(id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "reclaim "+id)
	if err := ctx.Err(); err != nil {
		return err
	}
	err := pop(f.reclaimErrs, id)
	if err != nil && !f.applyThenFail[id] {
		return err
	}
	u, ok := f.users[id]
	if !ok {
		return fmt.Errorf("aha: user %s: %w", id, sam.ErrUserNotFound)
	}
	if !f.free(u, mode) {
		f.reclaimed[id]++
	}
	switch mode {
	case sam.ReclaimDowngrade:
		u.Identifiers = nil
	default:
		u.Enabled = false
	}
	if f.afterApply != nil {
		f.afterApply(id)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
	}
	return err
}

func (f *fakeVendor) free(u *sam.User, mode sam.ReclaimMode) bool {
	if mode == sam.ReclaimDowngrade {
		return !u.Consumes()
	}
	return !u.Enabled
}

// reclaimCount returns the users reclaimed, sorted, with their counts.
func (f *fakeVendor) reclaimCount() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.reclaimed {
		out[k] = v
	}
	return out
}

// candidates returns the candidates a fresh download of the fake would
// produce: every enabled user with a paid seat and an activity before the
// cutoff, one per identifier (a stand-in for the reconcile engine).
func (f *fakeVendor) candidates(profile string, cutoff time.Time) []sam.Candidate {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []sam.Candidate
	for _, id := range ids {
		u := f.users[id]
		if !u.Consumes() || u.Administrator {
			continue
		}
		if u.Activity.State == sam.ActivitySeen && !sam.InactiveSince(u.Activity.At, cutoff) {
			continue
		}
		for _, ident := range u.Identifiers {
			out = append(out, cand(profile, u, ident))
		}
	}
	return out
}

var models = map[sam.Identifier]string{"roadmaps_seat": "Aha! Roadmaps", "develop_seat": "Aha! Develop"}

func cand(profile string, u *sam.User, ident sam.Identifier) sam.Candidate {
	return sam.Candidate{
		Profile:        profile,
		ExternalUserID: u.ExternalID,
		Email:          u.Email,
		Model:          models[ident],
		Identifier:     ident,
		Reason:         "inactive",
		LastActivity:   u.Activity,
		State:          sam.Ready,
	}
}

// user is an enabled, long-inactive user with a Roadmaps seat.
func user(id string) sam.User {
	return sam.User{
		ExternalID:  id,
		Email:       "user" + id + "@example.com",
		Enabled:     true,
		Identifiers: []sam.Identifier{"roadmaps_seat"},
		Created:     t0.AddDate(-2, 0, 0),
		Activity:    sam.Seen(t0.AddDate(0, 0, -200)),
	}
}
