package ahatest

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// demoSeed fixes DemoAccount's pseudo-random choices: the same now always
// gives the same account.
const demoSeed = 20260820

const day = 24 * time.Hour

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
	"Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail", "Theodore",
	"Emily", "Jack", "Ella", "Levi", "Elizabeth", "Alexander", "Camila", "Jackson", "Luna", "Mateo",
	"Sofia", "Daniel", "Avery", "Michael", "Mila", "Mason", "Aria", "Sebastian", "Scarlett", "Ethan",
	"Priya", "Arjun", "Mei", "Hiroshi", "Ana", "Joao", "Fatima", "Omar", "Ingrid", "Lars",
	"Chloe", "Aiden", "Zoe", "Samuel", "Nora", "David", "Lily", "Joseph", "Hannah", "Carter",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Patel", "Sharma", "Chen", "Tanaka", "Silva", "Costa", "Khan", "Haddad", "Larsen", "Berg",
}

var timezones = []string{
	"America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "Europe/London",
	"Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
	"America/Sao_Paulo",
}

var auditableTypes = []string{"Feature", "Feature", "Feature", "Idea", "Requirement", "Release", "Epic", "Comment", "Initiative", "Goal"}

// gen carries the state of one generation run.
type gen struct {
	rng    *rand.Rand
	now    time.Time
	nextID uint64
	emails map[string]int
}

func newGen(seed int64, now time.Time) *gen {
	return &gen{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5eed_a4a1)),
		now:    now.UTC().Truncate(time.Millisecond),
		nextID: 6776881149000000000, // 19 digits, far above 2^53
		emails: make(map[string]int),
	}
}

// id returns a new increasing 19-digit id.
func (g *gen) id() string {
	g.nextID += 1 + g.rng.Uint64N(104729)
	return strconv.FormatUint(g.nextID, 10)
}

// ago returns now minus d, truncated to the millisecond (the wire precision).
func (g *gen) ago(d time.Duration) time.Time {
	return g.now.Add(-d).Truncate(time.Millisecond)
}

// days returns a random duration between lo and hi days.
func (g *gen) days(lo, hi int) time.Duration {
	return time.Duration(lo)*day + time.Duration(g.rng.Int64N(int64(hi-lo)*int64(day)+1))
}

func (g *gen) person(unique bool, n int) (name, email string) {
	f := firstNames[g.rng.IntN(len(firstNames))]
	l := lastNames[g.rng.IntN(len(lastNames))]
	name = f + " " + l
	local := strings.ToLower(f + "." + l)
	domain := "example.com"
	if g.rng.IntN(5) == 0 {
		domain = "eu.example.com"
	}
	if unique {
		return name, local + "." + strconv.Itoa(n) + "@" + domain
	}
	key := local + "@" + domain
	g.emails[key]++
	if k := g.emails[key]; k > 1 {
		return name, local + strconv.Itoa(k) + "@" + domain
	}
	return name, key
}

// newUser returns an enabled user with seat flags allocated, not yet
// accessed, created createdAgo before now.
func (g *gen) newUser(unique bool, n int, createdAgo time.Duration) *User {
	name, email := g.person(unique, n)
	created := g.ago(createdAgo)
	idp := "password"
	if g.rng.IntN(3) == 0 {
		idp = "saml"
	}
	f1, f2 := false, false
	return &User{
		ID:               g.id(),
		Name:             name,
		Email:            email,
		Timezone:         timezones[g.rng.IntN(len(timezones))],
		CreatedAt:        created,
		UpdatedAt:        created,
		Enabled:          true,
		RoadmapsSeat:     &f1,
		DevelopSeat:      &f2,
		IdentityProvider: idp,
	}
}

// access sets the user's last access accessedAgo before now, and updated_at
// somewhere between creation and that access.
func (g *gen) access(u *User, accessedAgo time.Duration) {
	t := g.ago(accessedAgo)
	if t.Before(u.CreatedAt) {
		u.CreatedAt = t.Add(-g.days(1, 200)).Truncate(time.Millisecond)
	}
	u.AccessedAt = &t
	span := t.Sub(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt.Add(time.Duration(g.rng.Int64N(int64(span) + 1))).Truncate(time.Millisecond)
}

func demoProducts(g *gen) []Product {
	defs := []struct{ ref, name, kind string }{
		{"MOB", "Mobile App", KindRoadmaps},
		{"WEB", "Web Platform", KindRoadmaps},
		{"PAY", "Payments", KindRoadmaps},
		{"DATA", "Data Platform", KindRoadmaps},
		{"MKT", "Marketing", KindRoadmaps},
		{"PLAT", "Platform Team", KindDevelop},
		{"APPS", "Apps Team", KindDevelop},
	}
	ps := make([]Product, len(defs))
	for i, d := range defs {
		ps[i] = Product{
			ID:        strconv.Itoa(131414752 + i*97_003_111),
			Reference: d.ref,
			Name:      d.name,
			Kind:      d.kind,
			CreatedAt: g.ago(time.Duration(1500-i*90) * day),
		}
	}
	return ps
}

// DemoAccount returns the embedded demo account ("demo"), generated with a
// fixed seed so that the same now always gives the same account. All times
// are relative to now (in UTC, millisecond precision).
//
// It holds 230 users: 6 administrators (SelfID among them; two inactive for
// over a year and one that never logged in, all protected), owners,
// contributors and developers (paid seats), reviewers and viewers (free: the
// plan is Enterprise-like, FreeViewers), and 15 disabled users. Some users
// work in two workspaces (some with both a Roadmaps and a Develop seat), some
// never logged in (a few created only days ago). At a 60-day threshold 24
// enabled, non-administrator paid users are reclamation candidates: 18
// inactive for 61 to 420 days and 6 that never logged in since their creation
// over 60 days ago. About 3,000 audits spread over the last 13 months (those
// older than 12 months are only reachable as historical audits) are made by
// users no later than their last access. Entitlements: Aha! Roadmaps short of
// rights (used > owned), Aha! Develop with 10 rights to spare, and one expired
// Roadmaps purchase.
func DemoAccount(now time.Time) *Account {
	g := newGen(demoSeed, now)
	a := &Account{Name: "demo", DisplayName: "Demo Company", FreeViewers: true}
	a.Products = demoProducts(g)
	roadmaps := []Product{}
	develop := []Product{}
	for _, p := range a.Products {
		if p.Kind == KindDevelop {
			develop = append(develop, p)
		} else {
			roadmaps = append(roadmaps, p)
		}
	}
	role := func(r int, p Product) ProductRole {
		return ProductRole{Role: r, ProductID: p.ID, ProductName: p.Name}
	}
	pick := func(ps []Product) Product { return ps[g.rng.IntN(len(ps))] }
	other := func(ps []Product, not string) Product {
		for {
			if p := pick(ps); p.ID != not {
				return p
			}
		}
	}
	groupPM, groupEng := g.id(), g.id()

	// Administrators: protected whatever their activity.
	admins := []struct {
		accessed int // days ago; -1: never
		created  int
		roles    AdministratorRoles
	}{
		{0, 1400, AdministratorRoles{true, true, true}},     // SelfID: the connection's user
		{3, 1100, AdministratorRoles{true, true, false}},    // billing admin
		{400, 1300, AdministratorRoles{true, false, true}},  // inactive for over a year
		{520, 1450, AdministratorRoles{true, false, false}}, // inactive for over a year
		{-1, 300, AdministratorRoles{false, true, false}},   // never logged in
		{10, 900, AdministratorRoles{true, false, true}},
	}
	for i, ad := range admins {
		u := g.newUser(false, 0, time.Duration(ad.created)*day)
		u.Administrator = true
		u.AdminRoles = ad.roles
		if ad.accessed >= 0 {
			g.access(u, time.Duration(ad.accessed)*day+g.days(0, 0)+time.Duration(g.rng.IntN(3600))*time.Second)
		}
		u.ProductRoles = []ProductRole{role(RoleOwner, roadmaps[i%len(roadmaps)])}
		u.PaidSeatGroupID = groupPM
		if i == 0 {
			a.SelfID = u.ID
		}
		a.Users = append(a.Users, u)
	}

	// Paid, enabled, non-administrator users: owners, contributors, developers.
	var paid []*User
	for i := range 24 {
		u := g.newUser(false, 0, g.days(90, 1400))
		p := pick(roadmaps)
		u.ProductRoles = []ProductRole{role(RoleOwner, p)}
		if i%4 == 0 { // owner who also develops: both seats
			u.ProductRoles = append(u.ProductRoles, role(RoleDeveloper, pick(develop)))
		}
		u.PaidSeatGroupID = groupPM
		paid = append(paid, u)
	}
	for i := range 70 {
		u := g.newUser(false, 0, g.days(90, 1400))
		p := pick(roadmaps)
		u.ProductRoles = []ProductRole{role(RoleContributor, p)}
		if i%5 == 0 { // two Roadmaps workspaces: still one seat
			u.ProductRoles = append(u.ProductRoles, role(RoleContributor, other(roadmaps, p.ID)))
		}
		paid = append(paid, u)
	}
	for i := range 30 {
		u := g.newUser(false, 0, g.days(90, 1000))
		u.ProductRoles = []ProductRole{role(RoleDeveloper, pick(develop))}
		if i%6 == 0 { // developer who also contributes to a roadmap: both seats
			u.ProductRoles = append(u.ProductRoles, role(RoleContributor, pick(roadmaps)))
		}
		u.PaidSeatGroupID = groupEng
		paid = append(paid, u)
	}
	order := g.rng.Perm(len(paid))
	for k, idx := range order {
		u := paid[idx]
		switch {
		case k < 18: // inactive past the 60-day threshold: candidates
			g.access(u, g.days(61, 420))
		case k < 24: // never logged in, created long ago: candidates
			u.CreatedAt = g.ago(g.days(70, 700))
			u.UpdatedAt = u.CreatedAt
		case k < 28: // never logged in, created days ago: too new to judge
			u.CreatedAt = g.ago(g.days(1, 9))
			u.UpdatedAt = u.CreatedAt
		case k < 30: // just inside the threshold
			g.access(u, g.days(55, 59))
		default:
			g.access(u, g.days(0, 45))
		}
	}
	a.Users = append(a.Users, paid...)

	// Free users: reviewers and viewers.
	for i := range 85 {
		r := RoleReviewer
		if i >= 40 {
			r = RoleViewer
		}
		u := g.newUser(false, 0, g.days(30, 1400))
		p := pick(roadmaps)
		u.ProductRoles = []ProductRole{role(r, p)}
		if i%7 == 0 {
			u.ProductRoles = append(u.ProductRoles, role(RoleViewer, other(roadmaps, p.ID)))
		}
		if i%17 != 3 {
			g.access(u, g.days(0, 500))
		}
		a.Users = append(a.Users, u)
	}

	// Disabled users: they consume nothing.
	for i := range 15 {
		u := g.newUser(false, 0, g.days(400, 1500))
		r := []int{RoleOwner, RoleContributor, RoleDeveloper, RoleViewer}[i%4]
		p := pick(roadmaps)
		if r == RoleDeveloper {
			p = pick(develop)
		}
		u.ProductRoles = []ProductRole{role(r, p)}
		g.access(u, g.days(120, 600))
		u.Enabled = false
		u.UpdatedAt = u.AccessedAt.Add(g.days(1, 30)).Truncate(time.Millisecond)
		a.Users = append(a.Users, u)
	}

	// Listing order: by creation, as an account grows.
	slices.SortStableFunc(a.Users, func(x, y *User) int { return x.CreatedAt.Compare(y.CreatedAt) })
	for _, u := range a.Users {
		a.recomputeSeatsLocked(u)
	}
	a.PaidSeatGroups = []PaidSeatGroup{
		{ID: groupPM, Name: "Product Management", Capacity: 60, AdministratorIDs: []string{a.SelfID}, CreatedAt: g.ago(1300 * day)},
		{ID: groupEng, Name: "Engineering", Capacity: 40, AdministratorIDs: []string{a.SelfID}, CreatedAt: g.ago(900 * day)},
	}
	a.Audits = g.audits(a.Users, 3000, g.now.AddDate(0, -13, 0))

	var usedR, usedD int
	for _, u := range a.Users {
		if u.Enabled && u.RoadmapsSeat != nil && *u.RoadmapsSeat {
			usedR++
		}
		if u.Enabled && u.DevelopSeat != nil && *u.DevelopSeat {
			usedD++
		}
	}
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	start := g.now.Add(-200 * day)
	oldStart := g.now.Add(-565 * day)
	a.Entitlements = []Entitlement{
		{Model: ModelRoadmaps, Rights: 100, UnitCost: "660.00", Currency: "USD", Period: "annual",
			Start: date(oldStart), End: date(oldStart.AddDate(1, 0, -1))},
		{Model: ModelRoadmaps, Rights: usedR - 8, UnitCost: "708.00", Currency: "USD", Period: "annual",
			Start: date(start), End: date(start.AddDate(1, 0, -1))},
		{Model: ModelDevelop, Rights: usedD + 10, UnitCost: "59.00", Currency: "USD", Period: "monthly",
			Start: date(g.now.Add(-100 * day))},
	}
	a.reindexLocked()
	return a
}

// audits generates n audits between since and now, made by users no later
// than their last access and no earlier than their creation, sorted and with
// increasing ids.
func (g *gen) audits(users []*User, n int, since time.Time) []*Audit {
	var actors []*User
	for _, u := range users {
		if u.AccessedAt != nil && u.AccessedAt.After(since) {
			actors = append(actors, u)
		}
	}
	if len(actors) == 0 || n <= 0 {
		return nil
	}
	type draft struct {
		t time.Time
		u *User
	}
	ds := make([]draft, 0, n)
	for len(ds) < n {
		u := actors[g.rng.IntN(len(actors))]
		lo := since
		if u.CreatedAt.After(lo) {
			lo = u.CreatedAt
		}
		span := u.AccessedAt.Sub(lo)
		if span < 0 {
			continue
		}
		t := lo.Add(time.Duration(g.rng.Int64N(int64(span) + 1))).Truncate(time.Millisecond)
		ds = append(ds, draft{t, u})
	}
	slices.SortStableFunc(ds, func(x, y draft) int { return x.t.Compare(y.t) })
	out := make([]*Audit, len(ds))
	next := uint64(6776881150000000000)
	for i, d := range ds {
		next += 1 + g.rng.Uint64N(4096)
		typ := auditableTypes[g.rng.IntN(len(auditableTypes))]
		action := "update"
		switch r := g.rng.IntN(10); {
		case r < 2:
			action = "create"
		case r == 9:
			action = "destroy"
		}
		aid := 1_000_000_000 + g.rng.Int64N(8_999_999_999)
		out[i] = &Audit{
			ID:            strconv.FormatUint(next, 10),
			Action:        action,
			CreatedAt:     d.t,
			UserID:        d.u.ID,
			AuditableType: typ,
			AuditableID:   aid,
			Description:   d.u.Name + " " + action + "d " + strings.ToLower(typ) + " " + strconv.FormatInt(aid%10000, 10),
		}
	}
	return out
}

// AccountConfig configures NewAccount.
type AccountConfig struct {
	Users  int       // number of users (at least 1: the administrator SelfID)
	Audits int       // number of audits, spread over the 12 months before Now
	Seed   int64     // pseudo-random seed: same config, same account
	Now    time.Time // the reference time (UTC); zero means 2026-01-01T00:00:00Z

	// InactivePercent is the share (0–100) of paid, non-administrator users
	// whose last access is older than 90 days or absent. Default 10; a
	// negative value means none.
	InactivePercent int
	// NoSeatFlags generates an account without per-product seat flags
	// (roadmaps_seat and develop_seat omitted), as older Aha! accounts.
	NoSeatFlags bool
}

// NewAccount generates a large account ("bench") deterministically from cfg,
// for benchmarks and soak tests: 50,000 users generate in a fraction of a
// second. Role mix: 10% owners, 35% contributors, 15% developers, 20%
// reviewers, 15% viewers, 5% disabled; the first three users are
// administrators (the first is SelfID). Emails are unique. Audits lie within
// the last 12 months, so /audits serves all of them. Entitlements are left
// empty.
func NewAccount(cfg AccountConfig) *Account {
	now := cfg.Now
	if now.IsZero() {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	inactive := cmp.Or(cfg.InactivePercent, 10)
	g := newGen(cfg.Seed, now)
	a := &Account{Name: "bench", DisplayName: "Bench Company", FreeViewers: true}
	a.Products = demoProducts(g)
	var roadmaps, develop []Product
	for _, p := range a.Products {
		if p.Kind == KindDevelop {
			develop = append(develop, p)
		} else {
			roadmaps = append(roadmaps, p)
		}
	}
	n := max(cfg.Users, 1)
	a.Users = make([]*User, 0, n)
	for i := range n {
		u := g.newUser(true, i, g.days(400, 1500))
		if cfg.NoSeatFlags {
			u.RoadmapsSeat, u.DevelopSeat = nil, nil
		}
		p := roadmaps[g.rng.IntN(len(roadmaps))]
		r := RoleContributor
		switch m := i % 20; {
		case i < 3:
			u.Administrator = true
			u.AdminRoles = AdministratorRoles{true, i == 0, true}
			r = RoleOwner
		case m < 2:
			r = RoleOwner
		case m < 9:
			r = RoleContributor
		case m < 12:
			r, p = RoleDeveloper, develop[g.rng.IntN(len(develop))]
		case m < 16:
			r = RoleReviewer
		case m < 19:
			r = RoleViewer
		default:
			u.Enabled = false
		}
		u.ProductRoles = []ProductRole{{Role: r, ProductID: p.ID, ProductName: p.Name}}
		switch {
		case i == 0:
			g.access(u, time.Duration(g.rng.IntN(3600))*time.Second)
		case inactive > 0 && !u.Administrator && g.rng.IntN(100) < inactive:
			if g.rng.IntN(4) != 0 {
				g.access(u, g.days(91, 700))
			}
		default:
			g.access(u, g.days(0, 80))
		}
		a.recomputeSeatsLocked(u)
		a.Users = append(a.Users, u)
	}
	a.SelfID = a.Users[0].ID
	a.Audits = g.audits(a.Users, cfg.Audits, g.now.AddDate(0, -12, 0).Add(time.Hour))
	a.reindexLocked()
	return a
}

// wireEntitlement is one record of the spoke's -entitlements file.
type wireEntitlement struct {
	Model     string `json:"model"`
	Rights    *int   `json:"rights,omitempty"`
	Unlimited bool   `json:"unlimited,omitempty"`
	UnitCost  string `json:"unit_cost,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Period    string `json:"period,omitempty"`
	Start     string `json:"start"`
	End       string `json:"end,omitempty"`
}

// EntitlementsJSON returns the account's entitlements in the format of the
// spoke's -entitlements file: a JSON array of objects with model, rights (or
// "unlimited": true), unit_cost (decimal string), currency, period, start and
// an optional end.
func (a *Account) EntitlementsJSON() []byte {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]wireEntitlement, len(a.Entitlements))
	for i, e := range a.Entitlements {
		w := wireEntitlement{Model: e.Model, Unlimited: e.Unlimited, UnitCost: e.UnitCost,
			Currency: e.Currency, Period: e.Period, Start: e.Start, End: e.End}
		if !e.Unlimited {
			r := e.Rights
			w.Rights = &r
		}
		out[i] = w
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil { // cannot happen: plain strings and ints
		return []byte("[]")
	}
	return append(b, '\n')
}
