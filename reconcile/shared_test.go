package reconcile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// TestSharedPoolRowsTotalsAndWarnings pins, with nothing ignored, every
// position and every warning of two profiles (acme, acme-eu) reconciled
// with a company-wide pool and entitlements of their own, the way
// `spoke -config accounts.json -entitlements company.json` feeds them.
// Rows, totals and warnings must agree: a profile's row counts its own
// rights and shows the pool as SharedRights; the total counts the pool
// once (total RightsOwned = Σ rows' RightsOwned + SharedRights); an
// overlap is only about entitlements that add up in one row; a row short
// of its own rights says it draws on the pool. The figures are computed
// by hand in the comments.
func TestSharedPoolRowsTotalsAndWarnings(t *testing.T) {
	const dev, rm = "Aha! Develop", "Aha! Roadmaps"
	start := date("2026-01-01")
	active, stale := sam.Seen(now.AddDate(0, 0, -1)), sam.Seen(now.AddDate(0, 0, -100))
	both := idents(roadmaps, develop)
	ann := email("ann@example.com")
	third := sam.DecimalFromInt(100).QuoInt(3)
	twoSevenths := sam.DecimalFromInt(200).QuoInt(7) // 2 of 7 in %
	// Pool texts, the same in every case.
	shared := func(n int, rights string) string {
		return fmt.Sprintf("%d company-wide entitlement(s) of \"Aha! Roadmaps\" (no profile) hold %s shared by profiles acme, acme-eu: "+
			"each profile's row shows the pool as shared_rights and measures its users against its own rights_owned only "+
			"(status, rights_needed and money); the cross-profile total counts the pool once, in its rights_owned", n, rights)
	}
	draws := func(head, rights string) string {
		return head + "; they draw on the company-wide pool of " + rights + " every profile shares (its shared_rights), " +
			"which is counted once, in the cross-profile total: that row says whether the pool covers them"
	}
	tests := []struct {
		name     string
		ents     []sam.Entitlement
		acme, eu []sam.User
		want     []sam.Position
		warnings []reconcile.Warning
	}{
		{
			// The tester's config, scaled down: company.json holds 5
			// Roadmaps rights (no profile); acme has no entitlement of its
			// own; acme-eu has 2 Roadmaps rights and 100 Develop rights of
			// its own. ann holds a seat in both accounts.
			name: "company-wide pool, one profile without entitlements of its own",
			ents: []sam.Entitlement{
				{ID: "CO-R", Model: rm, Rights: 5, UnitCost: money("59.00"), Currency: "USD", Period: sam.Monthly, Start: start, Source: "company.json record 1"},
				{Model: rm, Profile: "acme-eu", Rights: 2, UnitCost: money("59.00"), Currency: "USD", Period: sam.Monthly, Start: start, Source: "ents2.json record 1"},
				{Model: dev, Profile: "acme-eu", Rights: 100, UnitCost: money("500"), Currency: "EUR", Period: sam.Annual, Start: start, Source: "ents2.json record 2"},
			},
			acme: []sam.User{user("a1", active, both, ann), user("a2", active, both), user("a3", active), user("a4", stale)},
			eu:   []sam.User{user("e1", active, both, ann), user("e2", active), user("e3", stale)},
			want: []sam.Position{
				// acme Develop: a1, a2; nothing recorded at all.
				{Profile: "acme", Model: dev, RightsUsed: 2, Available: -2, RightsNeeded: 2, Status: sam.NotCompliant,
					Assigned: 2, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 2}},
				// acme-eu Develop: 100 own at 500 EUR − 1 = 99 spare: 49 500.
				{Profile: "acme-eu", Model: dev, RightsOwned: 100, RightsUsed: 1, Available: 99, Status: sam.OverLicensed,
					Currency: "EUR", PricePerRight: money("500"), TrueUpCost: money("0"), OverLicensedCost: money("49500"), PotentialSavings: money("0"),
					Assigned: 1, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 1}},
				// Total Develop: ann (a1 = e1) and a2 = 2 people against
				// acme-eu's 100: 98 spare, 49 000.
				{Model: dev, RightsOwned: 100, RightsUsed: 2, Available: 98, Status: sam.OverLicensed,
					Currency: "EUR", PricePerRight: money("500"), TrueUpCost: money("0"), OverLicensedCost: money("49000"), PotentialSavings: money("0"),
					Assigned: 2, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 2}},
				// acme Roadmaps: 0 own − 4 = −4, the pool of 5 shown beside;
				// a4 stale: 25 %. No price of its own: money unknown.
				{Profile: "acme", Model: rm, SharedRights: 5, RightsUsed: 4, Available: -4, RightsNeeded: 4, Status: sam.NotCompliant,
					Assigned: 4, Stale: 1, PercentUnused: money("25"), Spread: sam.Spread{Days0To30: 3, Days90Plus: 1}},
				// acme-eu Roadmaps: 2 own at 708 a year − 3 = −1; e3 stale.
				{Profile: "acme-eu", Model: rm, RightsOwned: 2, SharedRights: 5, RightsUsed: 3, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
					Currency: "USD", PricePerRight: money("708"), TrueUpCost: money("708"), OverLicensedCost: money("0"), PotentialSavings: money("708"),
					Assigned: 3, Stale: 1, PercentUnused: &third, Spread: sam.Spread{Days0To30: 2, Days90Plus: 1}},
				// Total Roadmaps: ann, a2, a3, a4, e2, e3 = 6 people; 5 + 0
				// + 2 = 7 rights, all at 708: 1 spare (708); a4 and e3
				// stale: 2 × 708 = 1416, 2 of 6 unused.
				{Model: rm, RightsOwned: 7, RightsUsed: 6, Available: 1, Status: sam.OverLicensed,
					Currency: "USD", PricePerRight: money("708"), TrueUpCost: money("0"), OverLicensedCost: money("708"), PotentialSavings: money("1416"),
					Assigned: 6, Stale: 2, PercentUnused: &third, Spread: sam.Spread{Days0To30: 4, Days90Plus: 2}},
			},
			// No overlap: CO-R and acme-eu's 2 rights never add up in a
			// profile's row.
			warnings: []reconcile.Warning{
				{Code: reconcile.WarnSharedPool, Profile: "acme", Model: rm, Count: 4, Message: draws(
					`profile "acme" has no entitlement of its own for "Aha! Roadmaps": its row measures its 4 user(s) against 0 rights (rights_needed 4; no price of its own, so its money is unknown)`, "5 rights")},
				{Code: reconcile.WarnSharedPool, Profile: "acme-eu", Model: rm, Count: 1, Message: draws(
					`profile "acme-eu"'s own 2 rights of "Aha! Roadmaps" leave 1 of its 3 user(s) without a right in its row (rights_needed 1)`, "5 rights")},
				{Code: reconcile.WarnNoEntitlement, Profile: "acme", Model: dev, Count: 2,
					Message: `2 user(s) hold "Aha! Develop" but no entitlement for profile "acme" or company-wide is recorded for it`},
				{Code: reconcile.WarnSharedEntitlement, Model: rm, Count: 1, Message: shared(1, "5 rights")},
			},
		},
		{
			// Overlaps that do add up: two company-wide entitlements in
			// the pool (one warning, no profile), and acme-eu's renewal
			// overlapping its old term in its own row. acme's row has
			// nothing of its own to overlap.
			name: "overlapping renewals in the pool and in one profile",
			ents: []sam.Entitlement{
				{ID: "CO-1", Model: rm, Rights: 3, UnitCost: money("59"), Currency: "USD", Period: sam.Monthly, Start: date("2025-06-01"), Source: "company.json record 1"},
				{ID: "CO-2", Model: rm, Rights: 2, UnitCost: money("600"), Currency: "USD", Period: sam.Annual, Start: date("2026-02-01"), Source: "company.json record 2"},
				{Model: rm, Profile: "acme-eu", Rights: 2, UnitCost: money("50"), Currency: "USD", Period: sam.Monthly, Start: date("2025-03-01"), End: date("2026-03-31"), Source: "eu.json record 1"},
				{Model: rm, Profile: "acme-eu", Rights: 1, UnitCost: money("720"), Currency: "USD", Period: sam.Annual, Start: date("2026-02-15")},
			},
			acme: []sam.User{user("a1", active), user("a2", active), user("a3", stale)},
			eu:   []sam.User{user("e1", active), user("e2", active), user("e3", active), user("e4", stale)},
			want: []sam.Position{
				{Profile: "acme", Model: rm, SharedRights: 5, RightsUsed: 3, Available: -3, RightsNeeded: 3, Status: sam.NotCompliant,
					Assigned: 3, Stale: 1, PercentUnused: &third, Spread: sam.Spread{Days0To30: 2, Days90Plus: 1}},
				// 2 + 1 own = 3 − 4 = −1; (2 × 600 + 1 × 720) / 3 = 640.
				{Profile: "acme-eu", Model: rm, RightsOwned: 3, SharedRights: 5, RightsUsed: 4, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
					Currency: "USD", PricePerRight: money("640"), TrueUpCost: money("640"), OverLicensedCost: money("0"), PotentialSavings: money("640"),
					Assigned: 4, Stale: 1, PercentUnused: money("25"), Spread: sam.Spread{Days0To30: 3, Days90Plus: 1}},
				// 5 pool + 3 = 8 rights − 7 people = 1 spare; (3 × 708 +
				// 2 × 600 + 2 × 600 + 1 × 720) / 8 = 5244 / 8 = 655.5;
				// a3 and e4 stale: 1311; 2 of 7 unused.
				{Model: rm, RightsOwned: 8, RightsUsed: 7, Available: 1, Status: sam.OverLicensed,
					Currency: "USD", PricePerRight: money("655.5"), TrueUpCost: money("0"), OverLicensedCost: money("655.5"), PotentialSavings: money("1311"),
					Assigned: 7, Stale: 2, PercentUnused: &twoSevenths, Spread: sam.Spread{Days0To30: 5, Days90Plus: 2}},
			},
			warnings: []reconcile.Warning{
				{Code: reconcile.WarnSharedPool, Profile: "acme", Model: rm, Count: 3, Message: draws(
					`profile "acme" has no entitlement of its own for "Aha! Roadmaps": its row measures its 3 user(s) against 0 rights (rights_needed 3; no price of its own, so its money is unknown)`, "5 rights")},
				{Code: reconcile.WarnSharedPool, Profile: "acme-eu", Model: rm, Count: 1, Message: draws(
					`profile "acme-eu"'s own 3 rights of "Aha! Roadmaps" leave 1 of its 4 user(s) without a right in its row (rights_needed 1)`, "5 rights")},
				{Code: reconcile.WarnOverlapping, Model: rm, Count: 2,
					Message: `2 company-wide (no profile) entitlements of "Aha! Roadmaps" count at once and their rights add up in the pool every profile shares (shared_rights in each profile's row), counted once in the cross-profile total: ` +
						`"CO-1" (company.json record 1: 3 rights company-wide from 2025-06-01 at 59.00 USD monthly); "CO-2" (company.json record 2: 2 rights company-wide from 2026-02-01 at 600.00 USD annual). ` +
						`Check that a renewal did not overlap the old term`},
				{Code: reconcile.WarnOverlapping, Profile: "acme-eu", Model: rm, Count: 2,
					Message: `2 entitlements of "Aha! Roadmaps" count at once in profile "acme-eu"'s row and their rights add up there: ` +
						`eu.json record 1 (2 rights for profile "acme-eu" from 2025-03-01 to 2026-03-31 at 50.00 USD monthly); (1 right for profile "acme-eu" from 2026-02-15 at 720.00 USD annual). ` +
						`Check that a renewal did not overlap the old term`},
				{Code: reconcile.WarnSharedEntitlement, Model: rm, Count: 2, Message: shared(2, "5 rights")},
			},
		},
		{
			// acme's own entitlement has ended; acme-eu never had one:
			// both rows own 0 and say the pool is what they draw on.
			name: "a profile whose own entitlement has ended draws on the pool",
			ents: []sam.Entitlement{
				{Model: rm, Rights: 1, Start: start},
				{Model: rm, Profile: "acme", Rights: 10, Start: date("2025-01-01"), End: date("2026-02-28")},
			},
			acme: []sam.User{user("a1", active), user("a2", active)},
			eu:   []sam.User{user("e1", active)},
			want: []sam.Position{
				{Profile: "acme", Model: rm, SharedRights: 1, RightsUsed: 2, Available: -2, RightsNeeded: 2, Status: sam.NotCompliant,
					Assigned: 2, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 2}},
				{Profile: "acme-eu", Model: rm, SharedRights: 1, RightsUsed: 1, Available: -1, RightsNeeded: 1, Status: sam.NotCompliant,
					Assigned: 1, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 1}},
				// 1 pool right − 3 people = −2; nothing priced.
				{Model: rm, RightsOwned: 1, RightsUsed: 3, Available: -2, RightsNeeded: 2, Status: sam.NotCompliant,
					Assigned: 3, PercentUnused: money("0"), Spread: sam.Spread{Days0To30: 3}},
			},
			warnings: []reconcile.Warning{
				{Code: reconcile.WarnSharedPool, Profile: "acme", Model: rm, Count: 2, Message: draws(
					`profile "acme" has no entitlement of its own for "Aha! Roadmaps" counting on 2026-03-01: its row measures its 2 user(s) against 0 rights (rights_needed 2; no price of its own, so its money is unknown)`, "1 right")},
				{Code: reconcile.WarnSharedPool, Profile: "acme-eu", Model: rm, Count: 1, Message: draws(
					`profile "acme-eu" has no entitlement of its own for "Aha! Roadmaps": its row measures its 1 user(s) against 0 rights (rights_needed 1; no price of its own, so its money is unknown)`, "1 right")},
				{Code: reconcile.WarnSharedEntitlement, Model: rm, Count: 1, Message: shared(1, "1 right")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval(t, reconcile.Input{Entitlements: tt.ents, Profiles: []reconcile.Profile{{Name: "acme-eu", Users: tt.eu}, {Name: "acme", Users: tt.acme}}})
			var got []sam.Position
			for _, p := range r.Positions {
				if p.RightsUsed > 0 || p.RightsOwned > 0 || p.SharedRights > 0 {
					got = append(got, p)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("positions (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.warnings, r.Warnings); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
			// Rows and total agree: the total counts each profile's own
			// rights and the pool once.
			for _, tot := range r.Positions {
				if tot.Profile != "" || tot.Unlimited {
					continue
				}
				var sum, pool int64
				for _, p := range r.Positions {
					if p.Profile != "" && p.Model == tot.Model {
						sum += p.RightsOwned
						pool = p.SharedRights
					}
				}
				if tot.RightsOwned != sum+pool {
					t.Errorf("%s: total owns %d, want Σ rows %d + pool %d", tot.Model, tot.RightsOwned, sum, pool)
				}
			}
		})
	}
}

// TestOverlapWarningNamesAndBound: an overlap warning tells its
// entitlements apart (by id and source, else by what they hold) and, with
// many, names the first few by start date and counts the rest, so that
// 60 000 entitlements give one short message, not megabytes.
func TestOverlapWarningNamesAndBound(t *testing.T) {
	const rm = "Aha! Roadmaps"
	start := date("2026-01-01")
	r := eval(t, reconcile.Input{
		Entitlements: []sam.Entitlement{
			{Model: rm, Rights: 10, Start: start},
			{Model: rm, Rights: 10, Start: start, Source: "ents.json record 2"},
			{ID: "PO-9", Model: rm, Rights: 10, Start: start},
			{Model: rm, Rights: 10, Start: start, UnitCost: money("0.005"), Currency: "USD", Period: sam.Annual},
		},
		Profiles: one(user("1", sam.Seen(now))),
	})
	want := `4 entitlements of "Aha! Roadmaps" count at once and their rights add up: ` +
		`"PO-9" (10 rights from 2026-01-01); (10 rights from 2026-01-01 at 0.005 USD annual); (10 rights from 2026-01-01); ents.json record 2 (10 rights from 2026-01-01). ` +
		`Check that a renewal did not overlap the old term`
	var overlaps []reconcile.Warning
	for _, w := range r.Warnings {
		if w.Code == reconcile.WarnOverlapping {
			overlaps = append(overlaps, w)
		}
	}
	if len(overlaps) != 1 || overlaps[0].Message != want {
		t.Errorf("warnings = %v\nwant the one overlap %q", r.Warnings, want)
	}

	const n = 60_000
	ents := make([]sam.Entitlement, n)
	for i := range ents {
		// Start dates run backwards: the first named are the last listed.
		ents[i] = sam.Entitlement{ID: fmt.Sprintf("E%d", i), Model: rm, Rights: 1, Start: sam.DateOf(now.AddDate(0, 0, -i))}
	}
	r = eval(t, reconcile.Input{Entitlements: ents, Profiles: one(user("1", sam.Seen(now)))})
	if len(r.Warnings) != 1 {
		t.Fatalf("%d warnings, want 1 overlap: %v", len(r.Warnings), r.Warnings[:min(3, len(r.Warnings))])
	}
	w := r.Warnings[0]
	if w.Code != reconcile.WarnOverlapping || w.Count != n {
		t.Errorf("warning %s count %d, want %s count %d", w.Code, w.Count, reconcile.WarnOverlapping, n)
	}
	if len(w.Message) > 1000 {
		t.Errorf("the message is %d bytes; want it bounded", len(w.Message))
	}
	for _, s := range []string{`"E59999" (1 right from `, `"E59995" (1 right from `, "; and 59995 more. Check"} {
		if !strings.Contains(w.Message, s) {
			t.Errorf("message %q lacks %q", w.Message, s)
		}
	}
	if strings.Contains(w.Message, `"E59994"`) {
		t.Errorf("message names a sixth entitlement: %q", w.Message)
	}
}
