package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/samspoke/samspoke/sam"
)

// positions builds every position: per model, each profile in name order,
// then the cross-profile total when there are several profiles.
func (e *engine) positions() {
	var totals []tally
	multi := len(e.profs) > 1
	if multi {
		totals = e.totalTallies()
	}
	for mi, name := range e.models {
		e.modelWarnings(mi, name)
		for pi, p := range e.profs {
			inScope := func(x *ent) bool { return x.e.Profile == "" || x.e.Profile == p.Name }
			e.res.Positions = append(e.res.Positions, e.position(p.Name, mi, e.tallies[pi][mi], inScope))
		}
		if multi {
			all := func(x *ent) bool { return true } // unknown profiles were dropped already
			e.res.Positions = append(e.res.Positions, e.position("", mi, totals[mi], all))
		}
	}
}

// modelWarnings reports entitlement problems of one model that do not
// depend on the profile.
func (e *engine) modelWarnings(mi int, name string) {
	idx := e.byModel[mi]
	if len(idx) == 0 {
		return
	}
	for _, i := range idx {
		if !e.ents[i].expired {
			return
		}
	}
	e.warn(Warning{Code: WarnExpiredOnly, Model: name, Count: len(idx),
		Message: fmt.Sprintf("every entitlement of %q has ended; it owns 0 rights until one is renewed", name)})
}

func (e *engine) position(profile string, mi int, t tally, inScope func(*ent) bool) sam.Position {
	name := e.models[mi]
	pos := sam.Position{Profile: profile, Model: name, RightsUsed: t.used, Assigned: t.used, Stale: t.stale, Spread: t.spread}
	var counting []*ent
	for _, i := range e.byModel[mi] {
		if x := &e.ents[i]; x.counts && inScope(x) {
			counting = append(counting, x)
		}
	}
	if t.used > 0 {
		pos.PercentUnused = ptr(sam.DecimalFromInt(t.stale * 100).QuoInt(t.used))
	}
	if profile != "" {
		e.scopeWarnings(profile, mi, t, counting)
	}
	unlimited := slices.ContainsFunc(counting, func(x *ent) bool { return x.e.Unlimited })
	if unlimited {
		pos.Unlimited = true
		pos.Status = sam.Compliant
		pos.TrueUpCost = ptr(sam.Decimal{})
		pos.PotentialSavings = ptr(sam.Decimal{})
		return pos
	}
	for _, x := range counting {
		pos.RightsOwned += x.e.Rights
	}
	pos.Available = pos.RightsOwned - pos.RightsUsed
	pos.RightsNeeded = max(0, -pos.Available)
	switch {
	case pos.RightsUsed > pos.RightsOwned:
		pos.Status = sam.NotCompliant
	case pos.RightsOwned > pos.RightsUsed:
		pos.Status = sam.OverLicensed
	default:
		pos.Status = sam.Compliant
	}
	price, currency, currencies := pricePerRight(counting)
	if len(currencies) > 1 && profile != "" {
		e.warn(Warning{Code: WarnMixedCurrencies, Profile: profile, Model: name,
			Message: fmt.Sprintf("the counting entitlements of %q are priced in %s; money is not added across currencies, so it is left unknown", name, strings.Join(currencies, ", "))})
	}
	if price == nil {
		return pos
	}
	pos.Currency = currency
	pos.PricePerRight = price
	pos.TrueUpCost = ptr(price.MulInt(pos.RightsNeeded))
	pos.OverLicensedCost = ptr(price.MulInt(max(0, pos.Available)))
	pos.PotentialSavings = ptr(price.MulInt(t.stale))
	return pos
}

// scopeWarnings reports what a person must look at for one profile's model.
func (e *engine) scopeWarnings(profile string, mi int, t tally, counting []*ent) {
	name := e.models[mi]
	if len(counting) > 1 {
		labels := make([]string, len(counting))
		for i, x := range counting {
			labels[i] = entName(x.e)
		}
		slices.Sort(labels)
		e.warn(Warning{Code: WarnOverlapping, Profile: profile, Model: name, Count: len(counting),
			Message: fmt.Sprintf("%d entitlements of %q count at once and their rights add up (%s); check that a renewal did not overlap the old term", len(counting), name, strings.Join(labels, "; "))})
	}
	if t.used == 0 || len(counting) > 0 {
		return
	}
	all := e.byModel[mi]
	switch {
	case len(all) == 0:
		e.warn(Warning{Code: WarnNoEntitlement, Profile: profile, Model: name, Count: int(t.used),
			Message: fmt.Sprintf("%d user(s) hold %q but no entitlement is recorded for it", t.used, name)})
	case !slices.ContainsFunc(all, func(i int) bool { return !e.ents[i].expired }):
		// expired_only is reported once per model.
	default:
		e.warn(Warning{Code: WarnNotCounting, Profile: profile, Model: name, Count: int(t.used),
			Message: fmt.Sprintf("%d user(s) hold %q but none of its entitlements counts on %s", t.used, name, e.now.Format("2006-01-02"))})
	}
}

// pricePerRight returns the rights-weighted average annualized unit price
// of the priced entitlements, with its currency; nil when none is priced
// or they use several currencies (listed in currencies).
func pricePerRight(counting []*ent) (price *sam.Decimal, currency string, currencies []string) {
	var sum sam.Decimal
	var rights int64
	for _, x := range counting {
		if !x.priced || x.e.Rights == 0 {
			continue
		}
		if !slices.Contains(currencies, x.e.Currency) {
			currencies = append(currencies, x.e.Currency)
		}
		sum = sum.Add(x.annual.MulInt(x.e.Rights))
		rights += x.e.Rights
	}
	slices.Sort(currencies)
	if rights == 0 || len(currencies) != 1 {
		return nil, "", currencies
	}
	return ptr(sum.QuoInt(rights)), currencies[0], currencies
}

// totalTallies counts each model's distinct people across profiles: a
// person is an email, or (profile, id) without one. A person counts as
// stale only when stale in every profile that holds the model, and is
// spread by the latest activity seen anywhere.
func (e *engine) totalTallies() []tally {
	recs := e.totals
	slices.SortFunc(recs, func(a, b totalRec) int {
		if c := cmp.Compare(a.model, b.model); c != 0 {
			return c
		}
		if c := strings.Compare(a.email, b.email); c != 0 {
			return c
		}
		if a.email != "" {
			return cmp.Compare(a.prof, b.prof)
		}
		return cmp.Or(cmp.Compare(a.prof, b.prof), sam.CompareID(a.id, b.id))
	})
	out := make([]tally, len(e.models))
	same := func(a, b *totalRec) bool {
		return a.model == b.model && a.email == b.email && (a.email != "" || (a.prof == b.prof && a.id == b.id))
	}
	for i := 0; i < len(recs); {
		j := i + 1
		act, cand := recs[i].act, recs[i].cand
		created := recs[i].created
		for ; j < len(recs) && same(&recs[i], &recs[j]); j++ {
			act = act.Merge(recs[j].act)
			cand = cand && recs[j].cand
			if !recs[j].created.IsZero() && (created.IsZero() || recs[j].created.Before(created)) {
				created = recs[j].created
			}
		}
		t := &out[recs[i].model]
		t.used++
		if cand {
			t.stale++
		}
		days, known := 0, act.State == sam.ActivitySeen
		if known {
			days = wholeDays(e.now.Sub(act.At))
		}
		addSpread(&t.spread, act, days, known)
		i = j
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// RoundPosition returns p with its money rounded to the currency's minor
// units (2 places when the currency is unknown) and PercentUnused to 2
// places. Round once, for display: figures computed from rounded values
// drift.
func RoundPosition(p sam.Position) sam.Position {
	places := sam.CurrencyMinorUnits(p.Currency)
	round := func(d *sam.Decimal, places int) *sam.Decimal {
		if d == nil {
			return nil
		}
		return ptr(d.Round(places))
	}
	p.PricePerRight = round(p.PricePerRight, places)
	p.TrueUpCost = round(p.TrueUpCost, places)
	p.OverLicensedCost = round(p.OverLicensedCost, places)
	p.PotentialSavings = round(p.PotentialSavings, places)
	p.PercentUnused = round(p.PercentUnused, 2)
	return p
}

// Rounded returns a copy of r whose positions are rounded with
// [RoundPosition]; r is not changed.
func (r Result) Rounded() Result {
	r.Positions = slices.Clone(r.Positions)
	for i := range r.Positions {
		r.Positions[i] = RoundPosition(r.Positions[i])
	}
	return r
}
