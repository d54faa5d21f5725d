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
	// Aha! Roadmaps: owned 2, used 3, not_compliant, true-up 708 USD, savings 708 USD
	// candidate ann@acme.example: no activity for 143 days; last active 2025-10-09 (threshold 60 days)
	// protected admin@acme.example: connection_user
	// after reclaim: used 2, compliant
}
