package reconcile_test

import (
	"encoding/json"
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
