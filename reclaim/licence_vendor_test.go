package reclaim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

// modeRemoveLicence is the toy vendor's own reclaim mode.
const modeRemoveLicence sam.ReclaimMode = "remove_license"

// licenceVendor is a toy second vendor: reclaiming unassigns the user's
// licences and leaves the user enabled. It knows only its own mode.
type licenceVendor struct {
	mu    sync.Mutex
	users map[string]*sam.User
	// loseAnswer makes Reclaim unassign and still fail (the answer lost).
	loseAnswer map[string]bool
	calls      []string
}

var _ sam.Spoke = (*licenceVendor)(nil)

func newLicenceVendor(users ...sam.User) *licenceVendor {
	v := &licenceVendor{users: map[string]*sam.User{}, loseAnswer: map[string]bool{}}
	for _, u := range users {
		v.users[u.ExternalID] = &u
	}
	return v
}

func (v *licenceVendor) Vendor() string { return "Licence SaaS" }

func (v *licenceVendor) Catalog() *sam.Catalog {
	c, _ := sam.NewCatalog(sam.SoftwareModel{Publisher: "Licence Corp", Product: "Licence Pro", Identifiers: []sam.Identifier{"pro"}})
	return c
}

func (v *licenceVendor) DownloadSubscriptions(context.Context) (*sam.Download, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	d := &sam.Download{}
	for _, u := range v.users {
		d.Users = append(d.Users, *u)
	}
	return d, nil
}

func (v *licenceVendor) PullActivity(_ context.Context, w sam.Window) (*sam.ActivityPull, error) {
	return &sam.ActivityPull{Covered: w, Latest: map[string]time.Time{}}, nil
}

func (v *licenceVendor) LookupUser(_ context.Context, id string) (sam.User, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = append(v.calls, "lookup "+id)
	u, ok := v.users[id]
	if !ok {
		return sam.User{}, fmt.Errorf("licence: user %s: %w", id, sam.ErrUserNotFound)
	}
	c := *u
	c.Identifiers = slices.Clone(u.Identifiers)
	return c, nil
}

func (v *licenceVendor) Reclaim(_ context.Context, id string, mode sam.ReclaimMode) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = append(v.calls, "reclaim "+id)
	if mode != modeRemoveLicence {
		return fmt.Errorf("licence: %w: %q (want %q)", sam.ErrUnsupportedMode, mode, modeRemoveLicence)
	}
	u, ok := v.users[id]
	if !ok {
		return fmt.Errorf("licence: user %s: %w", id, sam.ErrUserNotFound)
	}
	u.Identifiers = nil // the user stays enabled
	if v.loseAnswer[id] {
		return errors.New("licence: connection reset after the licence was unassigned")
	}
	return nil
}

// TestVendorOwnMode reclaims through a vendor whose reclaim removes the
// licence and keeps the user enabled, in its own mode: a lost answer is
// already_applied (the re-read shows no licence), a re-run finds every
// seat free (never "given back"), and the journal records the mode.
func TestVendorOwnMode(t *testing.T) {
	v := newLicenceVendor(user("1"), user("2"), user("3"))
	for _, u := range v.users {
		u.Identifiers = []sam.Identifier{"pro"}
	}
	v.loseAnswer["2"] = true
	var cands []sam.Candidate
	for _, id := range []string{"1", "2", "3"} {
		cands = append(cands, cand(profile, v.users[id], "pro"))
	}
	plan, err := NewPlan(profile, modeRemoveLicence, cands)
	if err != nil {
		t.Fatal(err)
	}
	j := openTemp(t)
	opts := Options{Journal: j, Now: fixedClock, ReclaimAgainAfter: 60 * 24 * time.Hour}
	rep, err := Apply(context.Background(), v, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"1 applied", "2 already_applied", "3 applied"}, outcomes(rep)); d != "" {
		t.Errorf("first run (-want +got):\n%s", d)
	}
	if r := rep.Actions[1].Reason; !strings.Contains(r, "re-reading shows the seat free") {
		t.Errorf("lost answer: reason %q, want the re-read to show the seat free", r)
	}
	if d := cmp.Diff([]string{"1", "2", "3"}, rep.Freed); d != "" {
		t.Errorf("freed (-want +got):\n%s", d)
	}
	for id, u := range v.users {
		if !u.Enabled || len(u.Identifiers) != 0 {
			t.Errorf("user %s: enabled %v, licences %v; want enabled with none", id, u.Enabled, u.Identifiers)
		}
	}

	// The same plan again (a run resumed before it reported): every seat
	// is free, none was given back, and the vendor is not called.
	v.calls = nil
	rep, err = Apply(context.Background(), v, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"1 already_applied", "2 already_applied", "3 already_applied"}, outcomes(rep)); d != "" {
		t.Errorf("second run (-want +got):\n%s", d)
	}
	for _, a := range rep.Actions {
		if !strings.Contains(a.Reason, "the journal records the seat freed") || a.Action != modeRemoveLicence {
			t.Errorf("second run, user %s: action %q, reason %q; want remove_license, and the journal's freed seat", a.ExternalUserID, a.Action, a.Reason)
		}
	}
	if slices.ContainsFunc(v.calls, func(c string) bool { return strings.HasPrefix(c, "reclaim ") }) {
		t.Errorf("second run called Reclaim: %v", v.calls)
	}

	// The journal records the vendor's mode, and reads back.
	path := j.Path()
	j.Close()
	j2, err := OpenJournal(path)
	if err != nil {
		t.Fatalf("re-opening the journal: %v", err)
	}
	defer j2.Close()
	for _, e := range j2.Entries() {
		if e.Action != modeRemoveLicence {
			t.Errorf("journal entry %+v: action %q, want %q", e, e.Action, modeRemoveLicence)
		}
	}
	if st, _ := j2.Status(profile, "2"); st.Done == nil || st.Done.Outcome != AlreadyApplied {
		t.Errorf("journal status of user 2: %+v, want done (already_applied)", st)
	}
}

// TestVendorUnsupportedMode: a plan in a mode the vendor does not know
// fails its first action and stops the run; nothing else is tried.
func TestVendorUnsupportedMode(t *testing.T) {
	v := newLicenceVendor(user("1"), user("2"))
	var cands []sam.Candidate
	for _, id := range []string{"1", "2"} {
		cands = append(cands, cand(profile, v.users[id], "roadmaps_seat"))
	}
	plan, err := NewPlan(profile, sam.ReclaimDisable, cands)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(context.Background(), v, plan, Options{Journal: openTemp(t), Now: fixedClock})
	if !errors.Is(err, sam.ErrUnsupportedMode) {
		t.Fatalf("err = %v, want it to wrap sam.ErrUnsupportedMode", err)
	}
	if d := cmp.Diff([]string{"1 failed"}, outcomes(rep)); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"lookup 1", "reclaim 1", "lookup 1"}, v.calls); d != "" {
		t.Errorf("vendor calls (-want +got):\n%s", d)
	}
}
