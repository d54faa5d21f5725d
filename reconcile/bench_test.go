package reconcile_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// benchInput builds an account of n subscriptions across nModels models:
// n/2 users holding two seats each, in shuffled order, with Aha!-sized ids,
// activity spread over a year (some never, some unknown), a few
// administrators, and one priced entitlement per model.
func benchInput(tb testing.TB, n, nModels int) reconcile.Input {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	models := make([]sam.SoftwareModel, nModels)
	ents := make([]sam.Entitlement, nModels)
	for i := range models {
		name := fmt.Sprintf("Product %04d", i)
		models[i] = sam.SoftwareModel{Publisher: "Bench", Product: name, Identifiers: []sam.Identifier{sam.Identifier(fmt.Sprintf("seat_%04d", i))}}
		cost := sam.MustDecimal(fmt.Sprintf("%d.%02d", 5+i%50, i%100))
		ents[i] = sam.Entitlement{Model: name, Rights: int64(n / nModels), UnitCost: &cost, Currency: "USD", Period: sam.Monthly,
			Start: sam.Date{Year: 2025, Month: 1, Day: 1}}
	}
	cat, err := sam.NewCatalog(models...)
	if err != nil {
		tb.Fatal(err)
	}
	users := make([]sam.User, n/2)
	for i := range users {
		a := rng.IntN(nModels)
		b := (a + 1 + rng.IntN(nModels-1)) % nModels
		u := sam.User{
			ExternalID:  strconv.FormatUint(6_000_000_000_000_000_000+rng.Uint64N(1_000_000_000_000_000_000), 10),
			Email:       fmt.Sprintf("user%d@example.com", i),
			Enabled:     rng.IntN(20) != 0,
			Identifiers: []sam.Identifier{models[a].Identifiers[0], models[b].Identifiers[0]},
			Created:     now.Add(-time.Duration(rng.IntN(700*24)) * time.Hour),
			Activity:    sam.Seen(now.Add(-time.Duration(rng.IntN(365*24*3600)) * time.Second)),
		}
		switch rng.IntN(50) {
		case 0:
			u.Activity = sam.Never()
		case 1:
			u.Activity = sam.Unknown()
		case 2:
			u.Administrator = true
		}
		users[i] = u
	}
	return reconcile.Input{
		Now: now, Rule: sam.ReclamationRule{ThresholdDays: 60}, Catalog: cat, Entitlements: ents,
		Profiles: []reconcile.Profile{{Name: "bench", Self: users[0].ExternalID, Users: users}},
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("subs=%d/models=1000", n), func(b *testing.B) {
			in := benchInput(b, n, 1000)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r, err := reconcile.Evaluate(in)
				if err != nil || len(r.Subscriptions) != n {
					b.Fatalf("err %v, %d subscriptions", err, len(r.Subscriptions))
				}
			}
		})
	}
}
