package reconcile_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// TestFiguresPerProfileAndTotal pins every figure of a position, with
// nothing ignored, per profile and across profiles: rights owned, shared,
// used, available, needed, status, price per right, money, assigned,
// stale, % unused and the activity spread. The figures are computed by
// hand in the comments.
func TestFiguresPerProfileAndTotal(t *testing.T) {
	const rm = "Aha! Roadmaps"
	daysAgo := func(n int) sam.Activity { return sam.Seen(now.AddDate(0, 0, -n)) }
	bee := []sam.User{
		user("b1", daysAgo(10)),            // 0–30
		user("b2", daysAgo(45)),            // 30–60
		user("b3", daysAgo(75)),            // 60–90, stale
		user("b4", daysAgo(200)),           // 90+, stale here, active in cee
		user("b5", sam.Never()),            // never, created 2 years ago: stale
		user("b6", sam.Unknown()),          // unknown: protected, not stale
		user("b7", daysAgo(300), disabled), // consumes nothing
	}
	cee := []sam.User{
		user("c1", daysAgo(5), email(" UB4@Example.com ")), // the person b4, active
		user("c2", daysAgo(100)),                           // 90+, stale
		user("c3", daysAgo(31)),                            // 30–60
	}
	r := eval(t, reconcile.Input{
		Entitlements: []sam.Entitlement{
			// 12 a month = 144 a right a year, shared by both profiles.
			{ID: "CO", Model: rm, Rights: 10, UnitCost: money("12"), Currency: "USD", Period: sam.Monthly, Start: date("2026-01-01")},
			{ID: "CEE", Model: rm, Profile: "cee", Rights: 2, UnitCost: money("180"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")},
		},
		Profiles: []reconcile.Profile{{Name: "cee", Users: cee}, {Name: "bee", Users: bee}},
	})
	third := sam.DecimalFromInt(100).QuoInt(3) // 1 of 3, exactly
	want := []sam.Position{
		// bee: 6 people, 3 stale (b3, b4, b5) = 50 % unused. It owns no
		// right of its own: 0 − 6 = −6, and no price of its own.
		{Profile: "bee", Model: rm, SharedRights: 10, RightsUsed: 6, Available: -6, RightsNeeded: 6, Status: sam.NotCompliant,
			Assigned: 6, Stale: 3, PercentUnused: money("50"),
			Spread: sam.Spread{Days0To30: 1, Days30To60: 1, Days60To90: 1, Days90Plus: 1, Never: 1, Unknown: 1}},
		// cee: 2 own rights at 180 − 3 people = −1; 1 stale (c2) of 3.
		{Profile: "cee", Model: rm, RightsOwned: 2, SharedRights: 10, RightsUsed: 3, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
			Currency: "USD", PricePerRight: money("180"), TrueUpCost: money("180"), OverLicensedCost: money("0"), PotentialSavings: money("180"),
			Assigned: 3, Stale: 1, PercentUnused: &third,
			Spread: sam.Spread{Days0To30: 1, Days30To60: 1, Days90Plus: 1}},
		// Total: 8 people (b4 and c1 are one, active by c1); stale b3, b5,
		// c2 = 3 of 8 = 37.5 %. 12 rights − 8 = 4 spare, at
		// (10 × 144 + 2 × 180) / 12 = 150: 600 over-licensed, 450 savable.
		{Model: rm, RightsOwned: 12, RightsUsed: 8, Available: 4, Status: sam.OverLicensed,
			Currency: "USD", PricePerRight: money("150"), TrueUpCost: money("0"), OverLicensedCost: money("600"), PotentialSavings: money("450"),
			Assigned: 8, Stale: 3, PercentUnused: money("37.5"),
			Spread: sam.Spread{Days0To30: 2, Days30To60: 2, Days60To90: 1, Days90Plus: 1, Never: 1, Unknown: 1}},
	}
	var got []sam.Position
	for _, p := range r.Positions {
		if p.Model == rm {
			got = append(got, p)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("positions (-want +got):\n%s", d)
	}
	// Rounded once, for display: 33.33 %, and money to cents.
	for _, p := range r.Rounded().Positions {
		if p.Profile == "cee" && p.Model == rm && p.PercentUnused.String() != "33.33" {
			t.Errorf("cee %% unused rounded = %s, want 33.33", p.PercentUnused)
		}
	}
	var stale []string
	for _, c := range r.Candidates {
		stale = append(stale, c.Profile+"/"+c.ExternalUserID)
	}
	if d := cmp.Diff([]string{"bee/b3", "bee/b4", "bee/b5", "cee/c2"}, stale); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
}

// TestEntitlementBoundaryInstants evaluates at the first instant of an
// entitlement's start day and at the last and first instants around its
// end day (inclusive, UTC).
func TestEntitlementBoundaryInstants(t *testing.T) {
	ents := []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 4, Start: date("2026-03-01"), End: date("2026-12-31")}}
	users := []sam.User{user("1", sam.Seen(now)), user("2", sam.Seen(now))}
	for _, tt := range []struct {
		name  string
		at    time.Time
		owned int64
		warn  reconcile.WarningCode
	}{
		{"the instant before the start day", time.Date(2026, 2, 28, 23, 59, 59, 999999999, time.UTC), 0, reconcile.WarnNotCounting},
		{"the start day's first instant", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 4, ""},
		{"the end day's last instant", time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC), 4, ""},
		{"the day after the end", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 0, reconcile.WarnExpiredOnly},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := eval(t, reconcile.Input{Now: tt.at, Entitlements: ents, Profiles: one(users...)})
			p := r.Positions[1]
			if p.Model != "Aha! Roadmaps" || p.RightsOwned != tt.owned || p.Available != tt.owned-2 {
				t.Errorf("%s: owned %d, available %d; want %d and %d", p.Model, p.RightsOwned, p.Available, tt.owned, tt.owned-2)
			}
			var codes []reconcile.WarningCode
			for _, w := range r.Warnings {
				codes = append(codes, w.Code)
			}
			var want []reconcile.WarningCode
			if tt.warn != "" {
				want = append(want, tt.warn)
			}
			if d := cmp.Diff(want, codes); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
		})
	}
}
