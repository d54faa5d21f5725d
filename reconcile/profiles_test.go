package reconcile_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// seats returns n enabled users of profile prefix holding ident, the
// first nStale of them stale (100 days), the rest active yesterday.
func seats(prefix string, n, nStale int, ident sam.Identifier, mods ...func(*sam.User)) []sam.User {
	var out []sam.User
	for i := range n {
		a := sam.Seen(now.AddDate(0, 0, -1))
		if i < nStale {
			a = sam.Seen(now.AddDate(0, 0, -100))
		}
		out = append(out, user(fmt.Sprintf("%s%d", prefix, i+1), a, append([]func(*sam.User){idents(ident)}, mods...)...))
	}
	return out
}

func email(e string) func(*sam.User) { return func(u *sam.User) { u.Email = e } }

// TestPositionsAcrossProfiles pins, with hand-computed figures, how
// profile-scoped and company-wide entitlements count in each profile's
// row and in the cross-profile total.
func TestPositionsAcrossProfiles(t *testing.T) {
	const dev, rm = "Aha! Develop", "Aha! Roadmaps"
	start := date("2026-01-01")
	tests := []struct {
		name     string
		ents     []sam.Entitlement
		bee, cee []sam.User
		model    string
		want     []sam.Position // bee, cee, total
		warnings []reconcile.WarningCode
	}{
		{
			// The practitioner's case: bee's unlimited licence does not
			// cover cee, so the total is short by cee's 3 people.
			name:  "a profile-scoped unlimited licence covers its profile only",
			ents:  []sam.Entitlement{{Model: dev, Profile: "bee", Unlimited: true, Start: start}},
			bee:   seats("b", 5, 1, develop),
			cee:   seats("c", 3, 1, develop),
			model: dev,
			want: []sam.Position{
				// No currency stated: the true-up is unknown like all money.
				{Profile: "bee", Model: dev, Unlimited: true, RightsUsed: 5, RightsCovered: 5, Status: sam.Compliant, Stale: 1},
				{Profile: "cee", Model: dev, RightsUsed: 3, Available: -3, RightsNeeded: 3, Status: sam.NotCompliant, Stale: 1},
				// owned 0 − (used 8 − covered 5) = −3.
				{Model: dev, RightsUsed: 8, RightsCovered: 5, Available: -3, RightsNeeded: 3, Status: sam.NotCompliant, Stale: 2},
			},
			warnings: []reconcile.WarningCode{reconcile.WarnNoEntitlement},
		},
		{
			// One person (same email) in bee and cee: the cee seat needs a
			// right, so the person is not covered. bee's own 5 finite
			// rights are not pooled: bee needs none of them.
			name: "a person also in an uncovered profile is not covered; a covered profile's finite rights stay out of the total",
			ents: []sam.Entitlement{
				{Model: dev, Profile: "bee", Unlimited: true, Currency: "USD", Start: start},
				{Model: dev, Profile: "bee", Rights: 5, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: start},
				{Model: dev, Profile: "cee", Rights: 3, UnitCost: money("10"), Currency: "USD", Period: sam.Monthly, Start: start},
			},
			bee:   append(seats("b", 3, 0, develop), user("b9", sam.Seen(now.AddDate(0, 0, -100)), idents(develop), email("ann@example.com"))),
			cee:   append(seats("c", 3, 2, develop), user("c9", sam.Seen(now.AddDate(0, 0, -100)), idents(develop), email("ann@example.com"))),
			model: dev,
			want: []sam.Position{
				{Profile: "bee", Model: dev, Unlimited: true, RightsUsed: 4, RightsCovered: 4, Status: sam.Compliant, Currency: "USD", TrueUpCost: money("0"), Stale: 1},
				// 3 owned − 4 used = −1; 120 a right a year.
				{Profile: "cee", Model: dev, RightsOwned: 3, RightsUsed: 4, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
					Currency: "USD", PricePerRight: money("120"), TrueUpCost: money("120"), OverLicensedCost: money("0"), PotentialSavings: money("360"), Stale: 3},
				// 7 people (ann once), 3 covered (bee only); 3 − (7 − 3) = −1.
				// Stale everywhere: ann and cee's 2; savable: those 3, none covered.
				{Model: dev, RightsOwned: 3, RightsUsed: 7, RightsCovered: 3, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
					Currency: "USD", PricePerRight: money("120"), TrueUpCost: money("120"), OverLicensedCost: money("0"), PotentialSavings: money("360"), Stale: 3},
			},
			warnings: []reconcile.WarningCode{reconcile.WarnOverlapping},
		},
		{
			name: "a company-wide unlimited licence covers every profile",
			ents: []sam.Entitlement{
				{Model: dev, Unlimited: true, Currency: "EUR", Start: start},
				{Model: dev, Profile: "cee", Rights: 2, Start: start},
			},
			bee:   seats("b", 2, 0, develop),
			cee:   seats("c", 3, 1, develop),
			model: dev,
			want: []sam.Position{
				// The true-up, a known 0, in the currency the licence states.
				{Profile: "bee", Model: dev, Unlimited: true, RightsUsed: 2, RightsCovered: 2, Status: sam.Compliant, Currency: "EUR", TrueUpCost: money("0")},
				{Profile: "cee", Model: dev, Unlimited: true, RightsUsed: 3, RightsCovered: 3, Status: sam.Compliant, Currency: "EUR", TrueUpCost: money("0"), Stale: 1},
				{Model: dev, Unlimited: true, RightsUsed: 5, RightsCovered: 5, Status: sam.Compliant, Currency: "EUR", TrueUpCost: money("0"), Stale: 1},
			},
			warnings: []reconcile.WarningCode{reconcile.WarnOverlapping},
		},
		{
			// CO-R: 10 company-wide rights at 120 a year; cee owns 2 more
			// at 180. Rows count their own rights and show the pool; the
			// total counts it once: 0 + 2 + 10 = 12.
			name: "a company-wide pool is counted once, in the total",
			ents: []sam.Entitlement{
				{ID: "CO-R", Model: rm, Rights: 10, UnitCost: money("10"), Currency: "USD", Period: sam.Monthly, Start: start},
				{ID: "CEE-R", Model: rm, Profile: "cee", Rights: 2, UnitCost: money("180"), Currency: "USD", Period: sam.Annual, Start: start},
			},
			bee:   seats("b", 4, 1, roadmaps),
			cee:   seats("c", 8, 2, roadmaps),
			model: rm,
			want: []sam.Position{
				// bee owns nothing of its own: no price of its own either.
				{Profile: "bee", Model: rm, SharedRights: 10, RightsUsed: 4, Available: -4, RightsNeeded: 4, Status: sam.NotCompliant, Stale: 1},
				{Profile: "cee", Model: rm, RightsOwned: 2, SharedRights: 10, RightsUsed: 8, Available: -6, RightsNeeded: 6, Status: sam.NotCompliant,
					Currency: "USD", PricePerRight: money("180"), TrueUpCost: money("1080"), OverLicensedCost: money("0"), PotentialSavings: money("360"), Stale: 2},
				// (10×120 + 2×180) / 12 = 130; 12 owned, 12 used.
				{Model: rm, RightsOwned: 12, RightsUsed: 12, Status: sam.Compliant,
					Currency: "USD", PricePerRight: money("130"), TrueUpCost: money("0"), OverLicensedCost: money("0"), PotentialSavings: money("390"), Stale: 3},
			},
			// No overlap: CO-R and CEE-R never add up in one row. Both
			// rows are short of their own rights and draw on the pool.
			warnings: []reconcile.WarningCode{reconcile.WarnSharedPool, reconcile.WarnSharedPool, reconcile.WarnSharedEntitlement},
		},
		{
			name: "prices mixed only across profiles are warned of once, for the total",
			ents: []sam.Entitlement{
				{Model: rm, Rights: 1, UnitCost: money("100"), Currency: "USD", Period: sam.Annual, Start: start},
				{Model: rm, Profile: "cee", Rights: 1, UnitCost: money("90"), Currency: "EUR", Period: sam.Annual, Start: start},
			},
			bee:   seats("b", 1, 0, roadmaps),
			cee:   seats("c", 1, 0, roadmaps),
			model: rm,
			want: []sam.Position{
				{Profile: "bee", Model: rm, SharedRights: 1, RightsUsed: 1, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant},
				{Profile: "cee", Model: rm, RightsOwned: 1, SharedRights: 1, RightsUsed: 1, Status: sam.Compliant,
					Currency: "EUR", PricePerRight: money("90"), TrueUpCost: money("0"), OverLicensedCost: money("0"), PotentialSavings: money("0")},
				{Model: rm, RightsOwned: 2, RightsUsed: 2, Status: sam.Compliant},
			},
			warnings: []reconcile.WarningCode{reconcile.WarnSharedPool, reconcile.WarnMixedCurrencies, reconcile.WarnSharedEntitlement},
		},
	}
	opts := cmpopts.IgnoreFields(sam.Position{}, "Spread", "Assigned", "PercentUnused")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval(t, reconcile.Input{Entitlements: tt.ents, Profiles: []reconcile.Profile{{Name: "cee", Users: tt.cee}, {Name: "bee", Users: tt.bee}}})
			var got []sam.Position
			for _, p := range r.Positions {
				if p.Model == tt.model {
					got = append(got, p)
				}
			}
			if d := cmp.Diff(tt.want, got, opts); d != "" {
				t.Errorf("positions (-want +got):\n%s", d)
			}
			var codes []reconcile.WarningCode
			for _, w := range r.Warnings {
				if w.Model == tt.model {
					codes = append(codes, w.Code)
				}
			}
			if d := cmp.Diff(tt.warnings, codes); d != "" {
				t.Errorf("warnings (-want +got):\n%s\n%v", d, r.Warnings)
			}
		})
	}
}

// TestOneProfileCountsCompanyWide pins that with one profile a
// company-wide entitlement counts in its row in full, as ever: no shared
// rights, no shared_entitlement warning.
func TestOneProfileCountsCompanyWide(t *testing.T) {
	r := eval(t, reconcile.Input{
		Entitlements: []sam.Entitlement{
			{Model: "Aha! Roadmaps", Rights: 10, Start: date("2026-01-01")},
			{Model: "Aha! Roadmaps", Profile: "acme", Rights: 2, Start: date("2026-01-01")},
		},
		Profiles: one(seats("a", 4, 0, roadmaps)...),
	})
	p := r.Positions[1]
	if p.Model != "Aha! Roadmaps" || p.RightsOwned != 12 || p.SharedRights != 0 || p.Available != 8 || p.Status != sam.OverLicensed {
		t.Errorf("position = %+v, want 12 owned, 0 shared, 8 available, over-licensed", p)
	}
	for _, w := range r.Warnings {
		if w.Code == reconcile.WarnSharedEntitlement {
			t.Errorf("one profile: unexpected %v", w)
		}
	}
}
