package ahatest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestDemoAccountDeterministic(t *testing.T) {
	enc := func(a *Account) []byte {
		b, err := json.Marshal(struct {
			Users  []*User
			Audits []*Audit
			Ents   json.RawMessage
		}{a.Users, a.Audits, a.EntitlementsJSON()})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	x, y := enc(DemoAccount(testNow)), enc(DemoAccount(testNow))
	if !bytes.Equal(x, y) {
		t.Fatal("same now, different accounts")
	}
	if bytes.Equal(x, enc(DemoAccount(testNow.Add(time.Hour)))) {
		t.Fatal("times do not follow now")
	}
}

func TestDemoAccountMix(t *testing.T) {
	a := DemoAccount(testNow)
	cut := testNow.Add(-60 * day)
	var candidates, protected, disabled, neverNew, twoWorkspaces, both, usedR, usedD int
	roles := map[int]int{}
	for _, u := range a.Users {
		for _, r := range u.ProductRoles {
			roles[r.Role]++
		}
		if len(u.ProductRoles) > 1 {
			twoWorkspaces++
		}
		if !u.Enabled {
			disabled++
			if u.PaidSeat {
				t.Errorf("disabled user %s holds a seat", u.ID)
			}
			continue
		}
		if *u.RoadmapsSeat && *u.DevelopSeat {
			both++
		}
		if *u.RoadmapsSeat {
			usedR++
		}
		if *u.DevelopSeat {
			usedD++
		}
		if u.AccessedAt == nil && u.CreatedAt.After(testNow.Add(-10*day)) {
			neverNew++
		}
		last := u.CreatedAt
		if u.AccessedAt != nil {
			last = *u.AccessedAt
		}
		if u.PaidSeat && last.Before(cut) {
			if u.Administrator {
				protected++
			} else {
				candidates++
			}
		}
	}
	if len(a.Users) < 220 || candidates < 10 || candidates > 40 || protected < 2 || disabled == 0 ||
		neverNew == 0 || twoWorkspaces == 0 || both == 0 {
		t.Errorf("users %d candidates %d protected %d disabled %d new %d two-ws %d both %d",
			len(a.Users), candidates, protected, disabled, neverNew, twoWorkspaces, both)
	}
	for _, r := range []int{RoleOwner, RoleContributor, RoleDeveloper, RoleReviewer, RoleViewer} {
		if roles[r] == 0 {
			t.Errorf("no user with role %d", r)
		}
	}
	if self := a.User(a.SelfID); self == nil || !self.Administrator || !self.Enabled {
		t.Errorf("SelfID %q is not an enabled administrator", a.SelfID)
	}
	var ents []struct {
		Model  string
		Rights int
		End    string
	}
	if err := json.Unmarshal(a.EntitlementsJSON(), &ents); err != nil {
		t.Fatal(err)
	}
	today := testNow.Format(time.DateOnly)
	owned := map[string]int{}
	for _, e := range ents {
		if e.End == "" || e.End >= today {
			owned[e.Model] += e.Rights
		}
	}
	if owned[ModelRoadmaps] >= usedR || owned[ModelDevelop] <= usedD || len(ents) != 3 {
		t.Errorf("entitlements: owned %v, used roadmaps %d develop %d", owned, usedR, usedD)
	}
	for i := 1; i < len(a.Audits); i++ {
		if cmpID(a.Audits[i-1].ID, a.Audits[i].ID) >= 0 || a.Audits[i].CreatedAt.Before(a.Audits[i-1].CreatedAt) {
			t.Fatalf("audits %d and %d out of order", i-1, i)
		}
	}
}

func TestNewAccountLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large account")
	}
	a := NewAccount(AccountConfig{Users: 50000, Audits: 20000, Seed: 1, Now: testNow})
	if len(a.Users) != 50000 || len(a.Audits) != 20000 {
		t.Fatalf("%d users, %d audits", len(a.Users), len(a.Audits))
	}
	emails := make(map[string]bool, len(a.Users))
	for _, u := range a.Users {
		if emails[u.Email] {
			t.Fatalf("duplicate email %s", u.Email)
		}
		emails[u.Email] = true
	}
	cut := testNow.AddDate(0, -12, 0)
	for _, au := range a.Audits {
		if au.CreatedAt.Before(cut) || au.CreatedAt.After(testNow) {
			t.Fatalf("audit %s at %v outside the 12-month window", au.ID, au.CreatedAt)
		}
	}
	b := NewAccount(AccountConfig{Users: 10, Seed: 1, Now: testNow, NoSeatFlags: true})
	if b.Users[5].RoadmapsSeat != nil {
		t.Error("NoSeatFlags ignored")
	}
}
