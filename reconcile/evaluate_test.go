package reconcile_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

var (
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cutoff = now.Add(-60 * 24 * time.Hour) // 2025-12-31T12:00:00Z
	rule   = sam.ReclamationRule{ThresholdDays: 60}
)

const (
	roadmaps = sam.Identifier("roadmaps_seat")
	develop  = sam.Identifier("develop_seat")
)

func catalog(t testing.TB) *sam.Catalog {
	t.Helper()
	cat, err := sam.NewCatalog(
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Roadmaps", Identifiers: []sam.Identifier{roadmaps}},
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Develop", Identifiers: []sam.Identifier{develop}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// user is an enabled user with a roadmaps seat, created long ago.
func user(id string, act sam.Activity, mods ...func(*sam.User)) sam.User {
	u := sam.User{ExternalID: id, Email: "u" + id + "@example.com", Enabled: true, Identifiers: []sam.Identifier{roadmaps},
		Created: now.AddDate(-2, 0, 0), Activity: act}
	for _, m := range mods {
		m(&u)
	}
	return u
}

func admin(u *sam.User)    { u.Administrator = true }
func disabled(u *sam.User) { u.Enabled = false }
func complete(u *sam.User) { u.ActivityComplete = true }
func created(t time.Time) func(*sam.User) {
	return func(u *sam.User) { u.Created = t }
}
func idents(ids ...sam.Identifier) func(*sam.User) {
	return func(u *sam.User) { u.Identifiers = ids }
}

func eval(t *testing.T, in reconcile.Input) reconcile.Result {
	t.Helper()
	if in.Now.IsZero() {
		in.Now = now
	}
	if in.Rule.ThresholdDays == 0 {
		in.Rule = rule
	}
	if in.Catalog == nil {
		in.Catalog = catalog(t)
	}
	r, err := reconcile.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func one(users ...sam.User) []reconcile.Profile {
	return []reconcile.Profile{{Name: "acme", Users: users}}
}

type verdict struct {
	ID, Reason string
	Days       int
}

func verdicts(r reconcile.Result) (cands []verdict, prot map[string]sam.ProtectReason) {
	prot = map[string]sam.ProtectReason{}
	for _, c := range r.Candidates {
		cands = append(cands, verdict{c.ExternalUserID, c.Reason, c.InactiveDays})
	}
	for _, p := range r.Protected {
		if _, dup := prot[p.ExternalUserID]; dup {
			panic("protected twice: " + p.ExternalUserID)
		}
		prot[p.ExternalUserID] = p.Reason
	}
	return cands, prot
}

func TestRuleBoundaries(t *testing.T) {
	r := eval(t, reconcile.Input{Profiles: one(
		user("1", sam.Seen(cutoff)),                               // exactly at cutoff: active
		user("2", sam.Seen(cutoff.Add(-time.Second))),             // one second before: inactive
		user("3", sam.Never(), created(cutoff.Add(-time.Second))), // never active, old enough
		user("4", sam.Never(), created(cutoff)),                   // never active, exactly threshold old
		user("5", sam.Unknown()),                                  // unknown
		user("6", sam.Never(), created(time.Time{})),              // never, creation unknown
		user("7", sam.Seen(now.AddDate(-1, 0, 0)), disabled),      // disabled: consumes nothing
		user("8", sam.Seen(now.Add(-143*24*time.Hour-time.Hour))), // 143 days
		user("9", sam.Never(), created(now.AddDate(0, 0, -200))),  // 200 days
		user("10", sam.Seen(now.Add(time.Hour))),                  // clock skew: active
		user("11", sam.Seen(now.AddDate(-1, 0, 0)), idents()),     // no paid seat
	)})
	cands, prot := verdicts(r)
	wantCands := []verdict{
		// 60 whole days, but strictly before the cutoff: more than 60.
		{"2", "no activity for more than 60 days; last active 2025-12-31 (threshold 60 days)", 60},
		{"3", "never active; account created more than 60 days ago, on 2025-12-31 (threshold 60 days)", 60},
		{"8", "no activity for 143 days; last active 2025-10-09 (threshold 60 days)", 143},
		{"9", "never active; account created 200 days ago, on 2025-08-13 (threshold 60 days)", 200},
	}
	if d := cmp.Diff(wantCands, cands); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
	wantProt := map[string]sam.ProtectReason{"4": sam.ProtectNewAccount, "5": sam.ProtectActivityUnknown, "6": sam.ProtectActivityUnknown}
	if d := cmp.Diff(wantProt, prot); d != "" {
		t.Errorf("protected (-want +got):\n%s", d)
	}
	pos := r.Positions[1] // Aha! Roadmaps sorts after Aha! Develop
	if pos.Model != "Aha! Roadmaps" || pos.RightsUsed != 9 || pos.Stale != 4 {
		t.Errorf("roadmaps position: used %d stale %d, want 9 and 4 (disabled user 7 and seatless 11 consume nothing)", pos.RightsUsed, pos.Stale)
	}
	wantSpread := sam.Spread{Days0To30: 1, Days60To90: 2, Days90Plus: 1, Never: 4, Unknown: 1} // users 1 and 2 are 60 days out
	if d := cmp.Diff(wantSpread, pos.Spread); d != "" {
		t.Errorf("spread (-want +got):\n%s", d)
	}
	// Subscriptions carry inactive days (nil when unknown).
	days := map[string]*int{}
	for _, s := range r.Subscriptions {
		days[s.ExternalUserID] = s.InactiveDays
	}
	if days["5"] != nil || days["2"] == nil || *days["2"] != 60 || *days["1"] != 60 {
		t.Errorf("inactive days: 5=%v 2=%v 1=%v", days["5"], days["2"], days["1"])
	}
}

func TestProtectionPrecedence(t *testing.T) {
	old := sam.Seen(now.AddDate(-1, 0, 0))
	tests := []struct {
		name  string
		prof  reconcile.Profile
		rule  sam.ReclamationRule
		extra []string
		want  map[string]sam.ProtectReason
		cands []string
	}{
		{
			name: "self beats last admin",
			prof: reconcile.Profile{Name: "acme", Self: "1", Users: []sam.User{user("1", old, admin), user("2", old)}},
			want: map[string]sam.ProtectReason{"1": sam.ProtectSelf}, cands: []string{"2"},
		},
		{
			name: "the only enabled admin is the last admin",
			prof: reconcile.Profile{Name: "acme", Users: []sam.User{user("1", old, admin), user("2", old, admin, disabled), user("3", old)}},
			want: map[string]sam.ProtectReason{"1": sam.ProtectLastAdmin}, cands: []string{"3"},
		},
		{
			name: "two admins are administrators; admin beats unknown activity",
			prof: reconcile.Profile{Name: "acme", Users: []sam.User{user("1", old, admin), user("2", sam.Unknown(), admin)}},
			want: map[string]sam.ProtectReason{"1": sam.ProtectAdministrator, "2": sam.ProtectAdministrator},
		},
		{
			name:  "exclusions by id, email (any case) and identifier",
			prof:  reconcile.Profile{Name: "acme", Users: []sam.User{user("1", old), user("2", old), user("3", old, idents(roadmaps, develop)), user("4", sam.Unknown()), user("5", old)}},
			rule:  sam.ReclamationRule{ThresholdDays: 60, ExcludeUsers: []string{" U2@Example.com "}, ExcludeIdentifiers: []sam.Identifier{develop}},
			extra: []string{"1", "u4@example.com"},
			want:  map[string]sam.ProtectReason{"1": sam.ProtectExcluded, "2": sam.ProtectExcluded, "3": sam.ProtectExcluded, "4": sam.ProtectExcluded},
			cands: []string{"5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval(t, reconcile.Input{Profiles: []reconcile.Profile{tt.prof}, Rule: tt.rule, Exclude: tt.extra})
			cands, prot := verdicts(r)
			var ids []string
			for _, c := range cands {
				ids = append(ids, c.ID)
			}
			if d := cmp.Diff(tt.want, prot); d != "" {
				t.Errorf("protected (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.cands, ids); d != "" {
				t.Errorf("candidates (-want +got):\n%s", d)
			}
		})
	}
}

func TestShortActivityHistory(t *testing.T) {
	old := sam.Seen(now.AddDate(-1, 0, 0))
	users := []sam.User{
		user("1", old),                              // audit-derived, history too short
		user("2", old, complete),                    // lifetime signal: decidable
		user("3", sam.Never(), complete),            // never, lifetime signal
		user("4", sam.Never()),                      // never, not complete
		user("5", sam.Seen(now.AddDate(0, 0, -10))), // seen inside coverage: active
	}
	short := eval(t, reconcile.Input{Profiles: []reconcile.Profile{{Name: "acme", Users: users, ActivityCoverage: cutoff.Add(time.Second)}}})
	cands, prot := verdicts(short)
	if d := cmp.Diff(map[string]sam.ProtectReason{"1": sam.ProtectShortHistory, "4": sam.ProtectShortHistory}, prot); d != "" {
		t.Errorf("protected (-want +got):\n%s", d)
	}
	if len(cands) != 2 || cands[0].ID != "2" || cands[1].ID != "3" {
		t.Errorf("candidates = %v, want users 2 and 3", cands)
	}
	// History starting exactly at the cutoff covers the threshold.
	enough := eval(t, reconcile.Input{Profiles: []reconcile.Profile{{Name: "acme", Users: users, ActivityCoverage: cutoff}}})
	if c, p := verdicts(enough); len(c) != 4 || len(p) != 0 {
		t.Errorf("coverage at cutoff: %d candidates, %v protected; want 4 and none", len(c), p)
	}
}

func date(s string) sam.Date {
	d, err := sam.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func money(s string) *sam.Decimal { d := sam.MustDecimal(s); return &d }

func TestPositions(t *testing.T) {
	seen := sam.Seen(now.AddDate(0, 0, -1))
	stale := sam.Seen(now.AddDate(0, 0, -100))
	users := func(n, nStale int, id sam.Identifier) []sam.User {
		var out []sam.User
		for i := range n {
			a := seen
			if i < nStale {
				a = stale
			}
			out = append(out, user(string(id[:1])+string(rune('a'+i)), a, idents(id)))
		}
		return out
	}
	posOpts := cmpopts.IgnoreFields(sam.Position{}, "Spread", "Assigned", "PercentUnused")
	tests := []struct {
		name     string
		users    []sam.User
		ents     []sam.Entitlement
		want     sam.Position // Aha! Roadmaps
		warnings []reconcile.WarningCode
	}{
		{
			name:  "end date inclusive: ends today still counts",
			users: users(3, 1, roadmaps),
			ents: []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 5, UnitCost: money("10.00"), Currency: "USD", Period: sam.Monthly,
				Start: date("2025-03-01"), End: date("2026-03-01")}},
			want: sam.Position{Model: "Aha! Roadmaps", RightsOwned: 5, RightsUsed: 3, Available: 2, Status: sam.OverLicensed, Currency: "USD",
				PricePerRight: money("120"), TrueUpCost: money("0"), OverLicensedCost: money("240"), PotentialSavings: money("120"), Stale: 1},
		},
		{
			name:     "ended yesterday: expired only, owns nothing",
			users:    users(3, 0, roadmaps),
			ents:     []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 5, UnitCost: money("10"), Currency: "USD", Period: sam.Monthly, Start: date("2025-03-01"), End: date("2026-02-28")}},
			want:     sam.Position{Model: "Aha! Roadmaps", RightsUsed: 3, Available: -3, RightsNeeded: 3, Status: sam.NotCompliant},
			warnings: []reconcile.WarningCode{reconcile.WarnExpiredOnly},
		},
		{
			name:     "starts tomorrow: not counting yet",
			users:    users(1, 0, roadmaps),
			ents:     []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 5, Start: date("2026-03-02")}},
			want:     sam.Position{Model: "Aha! Roadmaps", RightsUsed: 1, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant},
			warnings: []reconcile.WarningCode{reconcile.WarnNotCounting},
		},
		{
			name:  "unlimited beside fixed rights",
			users: users(4, 2, roadmaps),
			ents: []sam.Entitlement{
				{Model: "Aha! Roadmaps", Rights: 2, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")},
				{Model: "Aha! Roadmaps", Unlimited: true, Start: date("2026-01-01")},
			},
			// No price per right, so over-licensed and savings unknown; the
			// unlimited licence states no currency, so the true-up (a known
			// 0) cannot be shown in one and stays unknown like all money.
			want:     sam.Position{Model: "Aha! Roadmaps", Unlimited: true, RightsUsed: 4, RightsCovered: 4, Status: sam.Compliant, Stale: 2},
			warnings: []reconcile.WarningCode{reconcile.WarnOverlapping},
		},
		{
			name:  "unlimited licence stating a currency: the true-up is a known 0 in it",
			users: users(4, 2, roadmaps),
			ents: []sam.Entitlement{
				{Model: "Aha! Roadmaps", Rights: 2, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")},
				{Model: "Aha! Roadmaps", Unlimited: true, Currency: "EUR", Start: date("2026-01-01")},
			},
			want:     sam.Position{Model: "Aha! Roadmaps", Unlimited: true, RightsUsed: 4, RightsCovered: 4, Status: sam.Compliant, Currency: "EUR", TrueUpCost: money("0"), Stale: 2},
			warnings: []reconcile.WarningCode{reconcile.WarnOverlapping},
		},
		{
			name:  "overlapping renewal adds up, rights-weighted annual price",
			users: users(20, 3, roadmaps),
			ents: []sam.Entitlement{
				{ID: "old", Model: "Aha! Roadmaps", Rights: 10, UnitCost: money("10.00"), Currency: "USD", Period: sam.Monthly, Start: date("2025-03-15"), End: date("2026-03-14")},
				{ID: "new", Model: "Aha! Roadmaps", Rights: 5, UnitCost: money("150"), Currency: "USD", Period: sam.Annual, Start: date("2026-02-15")},
			},
			// (10×120 + 5×150) / 15 = 130 a right a year; 5 short.
			want: sam.Position{Model: "Aha! Roadmaps", RightsOwned: 15, RightsUsed: 20, Available: -5, RightsNeeded: 5, Status: sam.NotCompliant, Currency: "USD",
				PricePerRight: money("130"), TrueUpCost: money("650"), OverLicensedCost: money("0"), PotentialSavings: money("390"), Stale: 3},
			warnings: []reconcile.WarningCode{reconcile.WarnOverlapping},
		},
		{
			name:  "no price: money unknown, never zero",
			users: users(2, 1, roadmaps),
			ents:  []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 2, Start: date("2026-01-01")}},
			want:  sam.Position{Model: "Aha! Roadmaps", RightsOwned: 2, RightsUsed: 2, Status: sam.Compliant, Stale: 1},
		},
		{
			name:  "mixed currencies kept apart",
			users: users(2, 0, roadmaps),
			ents: []sam.Entitlement{
				{Model: "Aha! Roadmaps", Rights: 1, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")},
				{Model: "Aha! Roadmaps", Rights: 1, UnitCost: money("90"), Currency: "EUR", Period: sam.Annual, Start: date("2026-01-01")},
			},
			want:     sam.Position{Model: "Aha! Roadmaps", RightsOwned: 2, RightsUsed: 2, Status: sam.Compliant},
			warnings: []reconcile.WarningCode{reconcile.WarnMixedCurrencies, reconcile.WarnOverlapping},
		},
		{
			name:     "users but no entitlement",
			users:    users(2, 0, roadmaps),
			want:     sam.Position{Model: "Aha! Roadmaps", RightsUsed: 2, Available: -2, RightsNeeded: 2, Status: sam.NotCompliant},
			warnings: []reconcile.WarningCode{reconcile.WarnNoEntitlement},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval(t, reconcile.Input{Profiles: one(tt.users...), Entitlements: tt.ents})
			var got sam.Position
			for _, p := range r.Positions {
				if p.Model == "Aha! Roadmaps" {
					got = p
				}
			}
			tt.want.Profile = "acme"
			if d := cmp.Diff(tt.want, got, posOpts); d != "" {
				t.Errorf("position (-want +got):\n%s", d)
			}
			var codes []reconcile.WarningCode
			for _, w := range r.Warnings {
				codes = append(codes, w.Code)
			}
			if d := cmp.Diff(tt.warnings, codes); d != "" {
				t.Errorf("warnings (-want +got):\n%s\n%v", d, r.Warnings)
			}
		})
	}
}

func TestRoundingOnceAtOutput(t *testing.T) {
	// 100.00 for a 90-day term is 100 × 365 / 90 = 405.5‾ a year.
	ents := []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 1, UnitCost: money("100.00"), Currency: "USD", Period: sam.Term,
		Start: date("2026-01-01"), End: date("2026-03-31")}}
	var us []sam.User
	for _, id := range []string{"1", "2", "3", "4"} {
		us = append(us, user(id, sam.Seen(now)))
	}
	r := eval(t, reconcile.Input{Profiles: one(us...), Entitlements: ents}).Rounded()
	p := r.Positions[1]
	if p.PricePerRight.StringFixed(2) != "405.56" || p.TrueUpCost.String() != "1216.67" {
		t.Errorf("price %s, true-up %s; want 405.56 and 1216.67 (3 × 405.5‾ rounded once, not 3 × 405.56 = 1216.68)", p.PricePerRight, p.TrueUpCost)
	}
	yen := reconcile.RoundPosition(sam.Position{Currency: "JPY", TrueUpCost: money("1234.5"), PercentUnused: money("33.3333")})
	if yen.TrueUpCost.String() != "1235" || yen.PercentUnused.String() != "33.33" {
		t.Errorf("JPY rounding: %s, %s", yen.TrueUpCost, yen.PercentUnused)
	}
}

func TestOnePersonCountedOnce(t *testing.T) {
	old := sam.Seen(now.AddDate(-1, 0, 0))
	recent := sam.Seen(now.AddDate(0, 0, -2))
	in := reconcile.Input{
		Entitlements: []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 3, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")}},
		Profiles: []reconcile.Profile{
			{Name: "us", Users: []sam.User{
				// The same person in two workspaces: two records, one id.
				user("1", old, func(u *sam.User) { u.Email = "Ann@Example.com" }),
				user("1", recent, idents(roadmaps, develop), func(u *sam.User) { u.Email = "Ann@Example.com" }),
				user("2", old),
			}},
			// The same person again in a second account (other id, same email).
			{Name: "eu", Users: []sam.User{user("900", old, func(u *sam.User) { u.Email = "ann@example.com" })}},
		},
	}
	r := eval(t, in)
	type row struct {
		Profile, Model string
		Used, Stale    int64
		Owned, Shared  int64
	}
	var got []row
	for _, p := range r.Positions {
		got = append(got, row{p.Profile, p.Model, p.RightsUsed, p.Stale, p.RightsOwned, p.SharedRights})
	}
	want := []row{
		{"eu", "Aha! Develop", 0, 0, 0, 0}, {"us", "Aha! Develop", 1, 0, 0, 0}, {"", "Aha! Develop", 1, 0, 0, 0},
		// Ann is active (merged activity) in us, stale in eu: the total
		// counts her once, and not as stale. The company-wide 3 rights
		// are shared: only the total owns them.
		{"eu", "Aha! Roadmaps", 1, 1, 0, 3}, {"us", "Aha! Roadmaps", 2, 1, 0, 3}, {"", "Aha! Roadmaps", 2, 1, 3, 0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("positions (-want +got):\n%s", d)
	}
	// Subscriptions of the merged person: one per identifier.
	n := 0
	for _, s := range r.Subscriptions {
		if s.Profile == "us" && s.ExternalUserID == "1" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("user 1 has %d subscriptions, want 2 (roadmaps, develop)", n)
	}
}

func TestRecomputeAfterReclaim(t *testing.T) {
	in := reconcile.Input{Now: now, Rule: rule, Catalog: catalog(t), Profiles: one(
		user("1", sam.Seen(now.AddDate(-1, 0, 0)), idents(roadmaps, develop)),
		user("1", sam.Seen(now.AddDate(-1, 0, 0))), // duplicate record
		user("2", sam.Never()),
		user("3", sam.Seen(now)),
	)}
	before, err := reconcile.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	freed := map[string]int64{}
	for _, c := range before.Candidates {
		if len(ids) == 0 || ids[len(ids)-1] != c.ExternalUserID {
			ids = append(ids, c.ExternalUserID)
		}
		freed[c.Model]++
	}
	after, err := reconcile.Evaluate(in.WithDisabled("acme", ids...))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range after.Positions {
		if want := before.Positions[i].RightsUsed - freed[p.Model]; p.RightsUsed != want {
			t.Errorf("%s: used %d after reclaim, want %d", p.Model, p.RightsUsed, want)
		}
	}
	if len(after.Candidates) != 0 {
		t.Errorf("after reclaim: %d candidates, want 0", len(after.Candidates))
	}
	if !in.Profiles[0].Users[0].Enabled {
		t.Error("WithDisabled changed its input")
	}
}

func TestWarnings(t *testing.T) {
	r := eval(t, reconcile.Input{
		Entitlements: []sam.Entitlement{
			{Model: "Aha! Ideas", Rights: 1, Start: date("2026-01-01")},
			{Model: "Aha! Roadmaps", Rights: -1, Start: date("2026-01-01")},
			{Model: "Aha! Roadmaps", Profile: "other", Rights: 1, Start: date("2026-01-01")},
		},
		Profiles: one(
			user("1", sam.Seen(now), idents("whiteboard_seat", roadmaps)),
			user("", sam.Seen(now)),
			user("3", sam.Seen(now), func(u *sam.User) { u.Email = ""; u.Name = "Bo" }),
		),
	})
	var codes []reconcile.WarningCode
	for _, w := range r.Warnings {
		codes = append(codes, w.Code)
	}
	want := []reconcile.WarningCode{reconcile.WarnInvalidEntitlement, reconcile.WarnNoEntitlement, reconcile.WarnNoUser,
		reconcile.WarnUnknownIdentifier, reconcile.WarnUnknownModel, reconcile.WarnUnknownProfile, reconcile.WarnNoEmail}
	if d := cmp.Diff(want, codes, cmpopts.SortSlices(func(a, b reconcile.WarningCode) bool { return a < b })); d != "" {
		t.Errorf("warning codes (-want +got):\n%s\n%v", d, r.Warnings)
	}
	for _, s := range r.Subscriptions {
		if s.Identifier == "whiteboard_seat" && s.Model != "" {
			t.Errorf("unknown identifier mapped to %q", s.Model)
		}
		if s.ExternalUserID == "3" && s.UserPrincipalName != "Bo (3)" {
			t.Errorf("principal name %q", s.UserPrincipalName)
		}
	}
	// The record without an id still consumes a right: 3 users hold roadmaps.
	if p := r.Positions[len(r.Positions)-1]; p.Model != "Aha! Roadmaps" || p.RightsUsed != 3 {
		t.Errorf("roadmaps used = %d (%s), want 3", p.RightsUsed, p.Model)
	}
}

func TestEvaluateInputErrors(t *testing.T) {
	for name, in := range map[string]reconcile.Input{
		"no time":        {Rule: rule},
		"bad rule":       {Now: now},
		"unnamed":        {Now: now, Rule: rule, Profiles: []reconcile.Profile{{}}},
		"duplicate name": {Now: now, Rule: rule, Profiles: []reconcile.Profile{{Name: "a"}, {Name: "a"}}},
	} {
		var ie *reconcile.InputError
		if _, err := reconcile.Evaluate(in); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want *InputError", name, err)
		}
	}
}

func TestJSONShape(t *testing.T) {
	r := eval(t, reconcile.Input{Profiles: one(user("6776757625463869041", sam.Unknown()))})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Subscriptions []map[string]any `json:"subscriptions"`
		Positions     []map[string]any `json:"positions"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	s := m.Subscriptions[0]
	if s["external_user_id"] != "6776757625463869041" || s["inactive_days"] != nil || s["model"] != "Aha! Roadmaps" {
		t.Errorf("subscription JSON = %v", s)
	}
	if p := m.Positions[0]; p["true_up_cost"] != nil || p["price_per_right"] != nil {
		t.Errorf("unknown money must be null: %v", p)
	}
}
