package reconcile_test

import (
	"fmt"
	"time"

	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

func Example() {
	cat, _ := sam.NewCatalog(sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Roadmaps", Identifiers: []sam.Identifier{"roadmaps_seat"}})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	price := sam.MustDecimal("59.00")
	seat := []sam.Identifier{"roadmaps_seat"}
	in := reconcile.Input{
		Now:     now,
		Rule:    sam.ReclamationRule{ThresholdDays: 60},
		Catalog: cat,
		Entitlements: []sam.Entitlement{{Model: "Aha! Roadmaps", Rights: 2, UnitCost: &price, Currency: "USD",
			Period: sam.Monthly, Start: sam.Date{Year: 2026, Month: 1, Day: 1}}},
		Profiles: []reconcile.Profile{{Name: "acme", Self: "1", Users: []sam.User{
			{ExternalID: "1", Email: "admin@acme.example", Enabled: true, Administrator: true, Identifiers: seat, Activity: sam.Seen(now.AddDate(0, 0, -1))},
			{ExternalID: "2", Email: "ann@acme.example", Enabled: true, Identifiers: seat, Activity: sam.Seen(now.AddDate(0, 0, -143))},
			{ExternalID: "3", Email: "bo@acme.example", Enabled: true, Identifiers: seat, Activity: sam.Seen(now.AddDate(0, 0, -3))},
		}}},
	}
	r, err := reconcile.Evaluate(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range r.Rounded().Positions {
		fmt.Printf("%s: owned %d, used %d, %s, true-up %s %s, savings %s %s\n",
			p.Model, p.RightsOwned, p.RightsUsed, p.Status, p.TrueUpCost, p.Currency, p.PotentialSavings, p.Currency)
	}
	for _, c := range r.Candidates {
		fmt.Printf("candidate %s: %s\n", c.Email, c.Reason)
	}
	for _, p := range r.Protected {
		fmt.Printf("protected %s: %s\n", p.Email, p.Reason)
	}

	// After reclaiming the candidate, rights used drop by the seats freed.
	after, _ := reconcile.Evaluate(in.WithDisabled("acme", "2"))
	fmt.Printf("after reclaim: used %d, %s\n", after.Positions[0].RightsUsed, after.Positions[0].Status)
	// Output:
	// Aha! Roadmaps: owned 2, used 3, not_compliant, true-up 708.00 USD, savings 708.00 USD
	// candidate ann@acme.example: no activity for 143 days; last active 2025-10-09 (threshold 60 days)
	// protected admin@acme.example: connection_user
	// after reclaim: used 2, compliant
}

// Example_profiles shows two profiles: bee's own unlimited Develop licence
// covers bee only, and the company-wide Roadmaps pool (no profile) is
// counted once, in the cross-profile total (the row with no profile). Each
// profile's row shows the pool as its shared rights; a row short of its
// own rights says it draws on the pool (draws_on_shared_pool).
func Example_profiles() {
	cat, _ := sam.NewCatalog(
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Roadmaps", Identifiers: []sam.Identifier{"roadmaps_seat"}},
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Develop", Identifiers: []sam.Identifier{"develop_seat"}},
	)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	start := sam.Date{Year: 2026, Month: 1, Day: 1}
	users := func(prefix string, n int) []sam.User {
		var out []sam.User
		for i := range n {
			out = append(out, sam.User{ExternalID: fmt.Sprint(i + 1), Email: fmt.Sprintf("%s%d@acme.example", prefix, i+1), Enabled: true,
				Identifiers: []sam.Identifier{"roadmaps_seat", "develop_seat"}, Activity: sam.Seen(now.AddDate(0, 0, -1))})
		}
		return out
	}
	r, err := reconcile.Evaluate(reconcile.Input{
		Now: now, Rule: sam.ReclamationRule{ThresholdDays: 60}, Catalog: cat,
		Entitlements: []sam.Entitlement{
			{ID: "BEE-D", Model: "Aha! Develop", Profile: "bee", Unlimited: true, Start: start},
			{ID: "CO-R", Model: "Aha! Roadmaps", Rights: 10, Start: start},
		},
		Profiles: []reconcile.Profile{{Name: "bee", Users: users("b", 4)}, {Name: "cee", Users: users("c", 3)}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range r.Positions {
		profile := p.Profile
		if profile == "" {
			profile = "total"
		}
		fmt.Printf("%s %s: unlimited %v, owned %d, shared %d, used %d, covered %d, needed %d, %s\n",
			p.Model, profile, p.Unlimited, p.RightsOwned, p.SharedRights, p.RightsUsed, p.RightsCovered, p.RightsNeeded, p.Status)
	}
	for _, w := range r.Warnings {
		fmt.Println(w.Code, w.Profile)
	}
	// Output:
	// Aha! Develop bee: unlimited true, owned 0, shared 0, used 4, covered 4, needed 0, compliant
	// Aha! Develop cee: unlimited false, owned 0, shared 0, used 3, covered 0, needed 3, not_compliant
	// Aha! Develop total: unlimited false, owned 0, shared 0, used 7, covered 4, needed 3, not_compliant
	// Aha! Roadmaps bee: unlimited false, owned 0, shared 10, used 4, covered 0, needed 4, not_compliant
	// Aha! Roadmaps cee: unlimited false, owned 0, shared 10, used 3, covered 0, needed 3, not_compliant
	// Aha! Roadmaps total: unlimited false, owned 10, shared 0, used 7, covered 0, needed 0, over_licensed
	// draws_on_shared_pool bee
	// draws_on_shared_pool cee
	// no_entitlement cee
	// shared_entitlement
}
