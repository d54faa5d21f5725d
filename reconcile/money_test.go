package reconcile_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// TestRoundedJSONKeepsMinorUnits: Result.Rounded's money marshals with the
// currency's minor units, as the CLI prints it ("126.00", "0.00"), and
// percent_unused with 2 places; the unrounded result stays exact.
func TestRoundedJSONKeepsMinorUnits(t *testing.T) {
	var us []sam.User
	for i := range 15 {
		us = append(us, user(string(rune('a'+i)), sam.Seen(now)))
	}
	for _, tt := range []struct {
		currency, cost string
		want           map[string]string
	}{
		// 3 rights at 10.50 a year, 15 used: 12 needed × 10.50 = 126.
		{"USD", "10.50", map[string]string{"price_per_right": "10.50", "true_up_cost": "126.00", "over_licensed_cost": "0.00", "potential_savings": "0.00", "percent_unused": "0.00"}},
		{"JPY", "1050", map[string]string{"price_per_right": "1050", "true_up_cost": "12600", "over_licensed_cost": "0", "potential_savings": "0", "percent_unused": "0.00"}},
		{"KWD", "10.5", map[string]string{"price_per_right": "10.500", "true_up_cost": "126.000", "over_licensed_cost": "0.000", "potential_savings": "0.000", "percent_unused": "0.00"}},
	} {
		ents := []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 3, UnitCost: money(tt.cost), Currency: tt.currency, Period: sam.Annual, Start: date("2026-01-01")}}
		r := eval(t, reconcile.Input{Profiles: one(us...), Entitlements: ents})
		b, err := json.Marshal(r.Rounded().Positions[1])
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for k, w := range tt.want {
			if got[k] != w {
				t.Errorf("%s: rounded %s = %v, want %q", tt.currency, k, got[k], w)
			}
		}
		if p := r.Positions[1]; p.TrueUpCost.String() != "126" && tt.currency != "JPY" {
			t.Errorf("%s: unrounded true-up %s, want the exact 126", tt.currency, p.TrueUpCost)
		}
	}
}

// TestUnpricedEntitlementWarned: one priced and one unpriced counting
// entitlement. The price is the priced one's (10.00 a month = 120 a year);
// it is applied to all 15 rights, and a warning says so, by hand:
// owned 10 + 5 = 15, used 20, needed 5, true-up 5 × 120 = 600, savings
// 4 stale × 120 = 480. A unit_cost on an unlimited entitlement is ignored,
// and warned of.
func TestUnpricedEntitlementWarned(t *testing.T) {
	const rm, dev = "Aha! Roadmaps", "Aha! Develop"
	var us []sam.User
	for i := range 20 {
		act := sam.Seen(now)
		if i < 4 {
			act = sam.Seen(now.AddDate(0, 0, -200))
		}
		us = append(us, user(string(rune('a'+i)), act, complete, idents(roadmaps, develop)))
	}
	ents := []sam.Entitlement{
		{ID: "PO-1", Model: rm, Rights: 10, UnitCost: money("10.00"), Currency: "USD", Period: sam.Monthly, Start: date("2026-01-01")},
		{ID: "PO-2", Model: rm, Rights: 5, Start: date("2026-01-01")},
		{ID: "PO-3", Model: dev, Unlimited: true, UnitCost: money("9.00"), Currency: "USD", Period: sam.Monthly, Start: date("2026-01-01")},
	}
	r := eval(t, reconcile.Input{Profiles: one(us...), Entitlements: ents})
	var p sam.Position
	for _, x := range r.Positions {
		if x.Model == rm {
			p = x
		}
	}
	if p.RightsOwned != 15 || p.RightsNeeded != 5 || p.Currency != "USD" || !p.PricePerRight.Equal(sam.MustDecimal("120")) ||
		!p.TrueUpCost.Equal(sam.MustDecimal("600")) || !p.PotentialSavings.Equal(sam.MustDecimal("480")) || !p.OverLicensedCost.IsZero() {
		t.Errorf("Roadmaps: owned %d, needed %d, price %v %s, true-up %v, savings %v, over-licensed %v; want 15, 5, 120 USD, 600, 480, 0",
			p.RightsOwned, p.RightsNeeded, p.PricePerRight, p.Currency, p.TrueUpCost, p.PotentialSavings, p.OverLicensedCost)
	}
	got := map[reconcile.WarningCode][]reconcile.Warning{}
	for _, w := range r.Warnings {
		got[w.Code] = append(got[w.Code], w)
	}
	up := got[reconcile.WarnUnpricedEntitlement]
	if len(up) != 1 || up[0].Model != rm || up[0].Count != 1 || up[0].Profile != "acme" ||
		!strings.Contains(up[0].Message, `5 of the 15 rights of "Aha! Roadmaps" have no price: "PO-2" (5 rights from 2026-01-01)`) ||
		!strings.Contains(up[0].Message, "average price per right to all 15") {
		t.Errorf("unpriced_entitlement warnings = %+v, want one for PO-2's 5 of 15 rights", up)
	}
	ul := got[reconcile.WarnUnlimitedPrice]
	if len(ul) != 1 || ul[0].Model != dev || !strings.Contains(ul[0].Message, `"PO-3"`) || !strings.Contains(ul[0].Message, "unit_cost is ignored") {
		t.Errorf("unlimited_price_ignored warnings = %+v, want one naming PO-3", ul)
	}
	for _, x := range r.Positions {
		if x.Model == dev && (x.PricePerRight != nil || x.TrueUpCost == nil || !x.TrueUpCost.IsZero() || x.Currency != "USD") {
			t.Errorf("Develop (unlimited): price %v, true-up %v %s; want no price and a true-up of 0 USD", x.PricePerRight, x.TrueUpCost, x.Currency)
		}
	}

	// Every right priced, or none: no warning.
	for _, es := range [][]sam.Entitlement{ents[:1], ents[1:2]} {
		for _, w := range eval(t, reconcile.Input{Profiles: one(us...), Entitlements: es}).Warnings {
			if w.Code == reconcile.WarnUnpricedEntitlement {
				t.Errorf("entitlements %v: %v", es, w)
			}
		}
	}
}

// TestUnpricedEntitlementProfiles: with several profiles the warning is
// given for the row whose rights mix priced and unpriced, and for the
// cross-profile total only when no row was warned.
func TestUnpricedEntitlementProfiles(t *testing.T) {
	const rm = "Aha! Roadmaps"
	priced := func(profile string) sam.Entitlement {
		return sam.Entitlement{Model: rm, Profile: profile, Rights: 10, UnitCost: money("120"), Currency: "USD", Period: sam.Annual, Start: date("2026-01-01")}
	}
	unpriced := sam.Entitlement{ID: "PO-U", Model: rm, Profile: "acme", Rights: 5, Start: date("2026-01-01")}
	profs := []reconcile.Profile{{Name: "acme", Users: []sam.User{user("1", sam.Seen(now))}}, {Name: "beta", Users: []sam.User{user("2", sam.Seen(now))}}}
	for _, tt := range []struct {
		name string
		ents []sam.Entitlement
		want string // the one warning's profile and start
	}{
		// acme's row holds both: it is warned, the total is not again.
		{"in a profile's row", []sam.Entitlement{priced("acme"), unpriced}, `acme: 5 of the 15 rights of "Aha! Roadmaps" in profile "acme"'s row have no price`},
		// acme's row holds the unpriced one only (no money), the
		// company-wide priced pool is in the total: the total is warned.
		{"across profiles", []sam.Entitlement{priced(""), unpriced}, `: 5 of the 15 rights of "Aha! Roadmaps" across profiles have no price`},
	} {
		var got []string
		for _, w := range eval(t, reconcile.Input{Profiles: profs, Entitlements: tt.ents}).Warnings {
			if w.Code == reconcile.WarnUnpricedEntitlement {
				got = append(got, w.Profile+": "+w.Message)
			}
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
			t.Errorf("%s: unpriced_entitlement warnings %q, want one starting %q", tt.name, got, tt.want)
		}
	}
}
