package reconcile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"

	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// randomInput builds a small messy input from seed: duplicate ids, mixed
// id shapes, admins, disabled users, all activity states, unknown
// identifiers, several profiles and overlapping, expired, unlimited and
// multi-currency entitlements.
func randomInput(t testing.TB, seed uint64) reconcile.Input {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idPool := []string{"1", "2", "9", "10", "007", "6776757625463869041", "99999999999999999999", "abc", "x1"}
	identPool := []sam.Identifier{roadmaps, develop, "whiteboard_seat"}
	in := reconcile.Input{Now: now, Rule: sam.ReclamationRule{ThresholdDays: 1 + rng.IntN(120)}, Catalog: catalog(t)}
	for p := range 1 + rng.IntN(3) {
		prof := reconcile.Profile{Name: fmt.Sprintf("p%d", p), Self: idPool[rng.IntN(len(idPool))]}
		if rng.IntN(3) == 0 {
			prof.ActivityCoverage = now.AddDate(0, 0, -rng.IntN(200))
		}
		for range rng.IntN(12) {
			u := sam.User{
				ExternalID: idPool[rng.IntN(len(idPool))], Email: fmt.Sprintf("u%d@example.com", rng.IntN(6)),
				Enabled: rng.IntN(5) != 0, Administrator: rng.IntN(4) == 0, ActivityComplete: rng.IntN(2) == 0,
				Created: now.Add(-time.Duration(rng.IntN(400*24)) * time.Hour),
			}
			for range rng.IntN(3) {
				u.Identifiers = append(u.Identifiers, identPool[rng.IntN(len(identPool))])
			}
			switch rng.IntN(4) {
			case 0:
				u.Activity = sam.Never()
			case 1:
				u.Activity = sam.Unknown()
			default:
				u.Activity = sam.Seen(now.Add(-time.Duration(rng.IntN(200*24*3600)) * time.Second))
			}
			prof.Users = append(prof.Users, u)
		}
		in.Profiles = append(in.Profiles, prof)
	}
	for range rng.IntN(7) {
		e := sam.Entitlement{Model: []string{"Aha! Roadmaps", "Aha! Develop"}[rng.IntN(2)], Rights: int64(rng.IntN(8)),
			Start: sam.DateOf(now.AddDate(0, 0, -rng.IntN(400)))}
		if rng.IntN(2) == 0 {
			e.End = sam.DateOf(now.AddDate(0, 0, rng.IntN(400)-200))
			if e.End.Before(e.Start) {
				e.End = e.Start
			}
		}
		if rng.IntN(6) == 0 {
			e.Rights, e.Unlimited = 0, true
		}
		if rng.IntN(3) != 0 {
			e.UnitCost = money(fmt.Sprintf("%d.%02d", rng.IntN(200), rng.IntN(100)))
			e.Currency = []string{"USD", "EUR"}[rng.IntN(2)]
			e.Period = []sam.Period{sam.Monthly, sam.Quarterly, sam.Annual}[rng.IntN(3)]
		}
		if rng.IntN(2) == 0 {
			e.Profile = fmt.Sprintf("p%d", rng.IntN(3)) // p1 or p2 may not exist
		}
		in.Entitlements = append(in.Entitlements, e)
	}
	return in
}

func shuffled(in reconcile.Input, seed uint64) reconcile.Input {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := in
	out.Profiles = append([]reconcile.Profile(nil), in.Profiles...)
	for i := range out.Profiles {
		users := append([]sam.User(nil), out.Profiles[i].Users...)
		for j := range users {
			ids := append([]sam.Identifier(nil), users[j].Identifiers...)
			rng.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
			users[j].Identifiers = ids
		}
		rng.Shuffle(len(users), func(a, b int) { users[a], users[b] = users[b], users[a] })
		out.Profiles[i].Users = users
	}
	rng.Shuffle(len(out.Profiles), func(a, b int) { out.Profiles[a], out.Profiles[b] = out.Profiles[b], out.Profiles[a] })
	out.Entitlements = append([]sam.Entitlement(nil), in.Entitlements...)
	rng.Shuffle(len(out.Entitlements), func(a, b int) {
		out.Entitlements[a], out.Entitlements[b] = out.Entitlements[b], out.Entitlements[a]
	})
	return out
}

func encode(t *testing.T, in reconcile.Input) []byte {
	t.Helper()
	r, err := reconcile.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPropertyDeterministicAndOrderFree(t *testing.T) {
	f := func(seed, perm uint64) bool {
		in := randomInput(t, seed)
		a, b := encode(t, in), encode(t, in)
		c := encode(t, shuffled(in, perm))
		if !bytes.Equal(a, b) {
			t.Logf("seed %d: two evaluations differ", seed)
			return false
		}
		if !bytes.Equal(a, c) {
			t.Logf("seed %d perm %d: permuted input changed the result:\n%s\n%s", seed, perm, a, c)
			return false
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}

func TestPropertyCounts(t *testing.T) {
	f := func(seed uint64) bool {
		in := randomInput(t, seed)
		r, err := reconcile.Evaluate(in)
		if err != nil {
			t.Fatal(err)
		}
		distinct := map[string]map[string]bool{} // profile → enabled ids
		users := 0                               // Σ distinct users of each profile
		for _, p := range in.Profiles {
			distinct[p.Name] = map[string]bool{}
			for _, u := range p.Users {
				if u.Enabled && len(u.Identifiers) > 0 {
					distinct[p.Name][u.ExternalID] = true
				}
			}
			users += len(distinct[p.Name])
		}
		cands := map[string]bool{}
		for _, c := range r.Candidates {
			cands[c.Profile+"/"+c.ExternalUserID] = true
		}
		for _, p := range r.Protected {
			if cands[p.Profile+"/"+p.ExternalUserID] {
				t.Logf("seed %d: %s is both protected and a candidate", seed, p.ExternalUserID)
				return false
			}
		}
		for _, p := range r.Positions {
			if p.Profile != "" && p.RightsUsed > int64(len(distinct[p.Profile])) {
				t.Logf("seed %d: %s/%s used %d > %d distinct users", seed, p.Profile, p.Model, p.RightsUsed, len(distinct[p.Profile]))
				return false
			}
			if p.Profile == "" && p.RightsUsed > int64(users) {
				t.Logf("seed %d: total %s used %d > %d distinct users of the profiles", seed, p.Model, p.RightsUsed, users)
				return false
			}
			if p.RightsOwned-(p.RightsUsed-p.RightsCovered) != p.Available {
				t.Logf("seed %d: owned %d − (used %d − covered %d) ≠ available %d", seed, p.RightsOwned, p.RightsUsed, p.RightsCovered, p.Available)
				return false
			}
			if p.RightsCovered < 0 || p.RightsCovered > p.RightsUsed || (p.Unlimited && p.RightsCovered != p.RightsUsed) {
				t.Logf("seed %d: %s/%s covered %d of used %d (unlimited %v)", seed, p.Profile, p.Model, p.RightsCovered, p.RightsUsed, p.Unlimited)
				return false
			}
			if p.Stale > p.RightsUsed || p.RightsNeeded < 0 {
				t.Logf("seed %d: stale %d, used %d, needed %d", seed, p.Stale, p.RightsUsed, p.RightsNeeded)
				return false
			}
			s := p.Spread
			if s.Days0To30+s.Days30To60+s.Days60To90+s.Days90Plus+s.Never+s.Unknown != p.RightsUsed {
				t.Logf("seed %d: spread %+v does not add up to %d", seed, s, p.RightsUsed)
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}

// TestPropertyNoDoubleCount checks that the profiles' rows never claim a
// right twice: with several profiles, the rights the total owns are the
// profiles' own plus the company-wide pool, which every profile's row
// shows alike as SharedRights; a company-wide unlimited entitlement makes
// every row unlimited; and with one profile nothing is shared.
func TestPropertyNoDoubleCount(t *testing.T) {
	f := func(seed uint64) bool {
		in := randomInput(t, seed)
		r, err := reconcile.Evaluate(in)
		if err != nil {
			t.Fatal(err)
		}
		type sum struct {
			owned, shared, n int64
			sharedVaries     bool
			unlimited        int
			total            *sam.Position
		}
		byModel := map[string]*sum{}
		for i, p := range r.Positions {
			s := byModel[p.Model]
			if s == nil {
				s = &sum{shared: -1}
				byModel[p.Model] = s
			}
			if p.Profile == "" {
				s.total = &r.Positions[i]
				continue
			}
			s.n++
			s.owned += p.RightsOwned
			if s.shared >= 0 && s.shared != p.SharedRights {
				s.sharedVaries = true
			}
			s.shared = p.SharedRights
			if p.Unlimited {
				s.unlimited++
			}
		}
		for model, s := range byModel {
			switch {
			case s.n != int64(len(in.Profiles)):
				t.Logf("seed %d: %s has %d profile rows, want %d", seed, model, s.n, len(in.Profiles))
				return false
			case len(in.Profiles) == 1:
				if s.total != nil || s.shared != 0 {
					t.Logf("seed %d: one profile: %s has a total or shared rights %d", seed, model, s.shared)
					return false
				}
			case s.total == nil || s.sharedVaries:
				t.Logf("seed %d: %s: no total, or the profiles' shared rights differ", seed, model)
				return false
			case s.total.Unlimited:
				if s.unlimited != len(in.Profiles) {
					t.Logf("seed %d: %s total unlimited but only %d profile rows are", seed, model, s.unlimited)
					return false
				}
			case s.total.RightsOwned != s.owned+s.shared:
				t.Logf("seed %d: %s total owns %d ≠ Σ profiles %d + shared %d", seed, model, s.total.RightsOwned, s.owned, s.shared)
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}
