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
	multi := len(e.profs) > 1
	var totals []tally
	if multi {
		e.markScopedUnlimited()
		totals = e.totalTallies()
	}
	for mi, name := range e.models {
		e.modelWarnings(mi, name)
		mixed := false
		for pi := range e.profs {
			pos, m := e.profilePosition(pi, mi, multi)
			mixed = mixed || m
			e.res.Positions = append(e.res.Positions, pos)
		}
		if multi {
			e.sharedWarning(mi)
			pos, currencies := e.totalPosition(mi, totals[mi])
			if len(currencies) > 1 && !mixed {
				e.warnMixed("", mi, currencies)
			}
			e.res.Positions = append(e.res.Positions, pos)
		}
	}
}

// markScopedUnlimited records, per profile and model, whether an unlimited
// entitlement scoped to that profile counts.
func (e *engine) markScopedUnlimited() {
	e.scopedUnl = make([][]bool, len(e.profs))
	for pi := range e.scopedUnl {
		e.scopedUnl[pi] = make([]bool, len(e.models))
	}
	for i := range e.ents {
		if x := &e.ents[i]; x.counts && x.e.Unlimited && x.e.Profile != "" {
			e.scopedUnl[e.profIdx[x.e.Profile]][x.model] = true
		}
	}
}

// companyUnlimited reports whether an unlimited entitlement without a
// profile (company-wide) counts for model mi.
func (e *engine) companyUnlimited(mi int) bool {
	return slices.ContainsFunc(e.byModel[mi], func(i int) bool {
		x := &e.ents[i]
		return x.counts && x.e.Unlimited && x.e.Profile == ""
	})
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

// sharedWarning explains, when several profiles are reconciled, that the
// model's counting company-wide finite rights appear only in the total.
func (e *engine) sharedWarning(mi int) {
	if e.companyUnlimited(mi) {
		return // every row is unlimited: the shared rights change nothing
	}
	n, rights := 0, int64(0)
	for _, i := range e.byModel[mi] {
		if x := &e.ents[i]; x.counts && !x.e.Unlimited && x.e.Profile == "" {
			n++
			rights += x.e.Rights
		}
	}
	if n == 0 {
		return
	}
	name := e.models[mi]
	e.warn(Warning{Code: WarnSharedEntitlement, Model: name, Count: n,
		Message: fmt.Sprintf("%d company-wide entitlement(s) of %q (no profile) hold %d rights shared by profiles %s: "+
			"each profile's row counts only its own entitlements and shows the pool as shared_rights; the cross-profile total counts the pool once",
			n, name, rights, strings.Join(e.res.Profiles, ", "))})
}

// profilePosition is model mi's position in profile pi. Every entitlement
// of the profile or without a profile applies to it (and is checked for
// warnings); an applying unlimited one makes it unlimited. With several
// profiles only the profile's own finite rights count and the company-wide
// ones are shown as SharedRights. mixed reports a mixed_currencies warning.
func (e *engine) profilePosition(pi, mi int, multi bool) (pos sam.Position, mixed bool) {
	p := e.profs[pi]
	t := e.tallies[pi][mi]
	var applies, counted []*ent
	var shared int64
	unlimited := false
	for _, i := range e.byModel[mi] {
		x := &e.ents[i]
		if !x.counts || (x.e.Profile != "" && x.e.Profile != p.Name) {
			continue
		}
		applies = append(applies, x)
		switch {
		case x.e.Unlimited:
			unlimited = true
		case multi && x.e.Profile == "":
			shared += x.e.Rights
		default:
			counted = append(counted, x)
		}
	}
	e.scopeWarnings(p.Name, mi, t, applies)
	pos = e.newPosition(p.Name, mi, t)
	pos.SharedRights = shared
	if unlimited {
		setUnlimited(&pos, applies)
		return pos, false
	}
	currencies := e.setFinite(&pos, counted, 0, t.stale)
	if len(currencies) > 1 {
		e.warnMixed(p.Name, mi, currencies)
		return pos, true
	}
	return pos, false
}

// totalPosition is model mi's cross-profile position. A counting
// company-wide unlimited entitlement makes it unlimited. Otherwise the
// people covered by their profiles' own unlimited entitlements need no
// right, and everyone else is measured against the counting finite rights
// without a profile and of every profile not covered by its own unlimited
// entitlement. It returns the currencies of those rights' prices.
func (e *engine) totalPosition(mi int, t tally) (pos sam.Position, currencies []string) {
	pos = e.newPosition("", mi, t)
	if e.companyUnlimited(mi) {
		var company []*ent
		for _, i := range e.byModel[mi] {
			if x := &e.ents[i]; x.counts && x.e.Profile == "" {
				company = append(company, x)
			}
		}
		setUnlimited(&pos, company)
		return pos, nil
	}
	var counted []*ent
	for _, i := range e.byModel[mi] {
		x := &e.ents[i]
		if !x.counts || x.e.Unlimited || (x.e.Profile != "" && e.scopedUnl[e.profIdx[x.e.Profile]][mi]) {
			continue
		}
		counted = append(counted, x)
	}
	return pos, e.setFinite(&pos, counted, t.covered, t.stale-t.staleCovered)
}

func (e *engine) newPosition(profile string, mi int, t tally) sam.Position {
	pos := sam.Position{Profile: profile, Model: e.models[mi], RightsUsed: t.used, Assigned: t.used, Stale: t.stale, Spread: t.spread}
	if t.used > 0 {
		pos.PercentUnused = ptr(sam.DecimalFromInt(t.stale * 100).QuoInt(t.used))
	}
	return pos
}

// setUnlimited makes pos an unlimited position: everyone used is covered,
// compliant, nothing owned, available or needed in rights. The price,
// over-licensed cost and potential savings are unknown (nil): a flat
// licence has no price per right. The true-up is a known 0 (an unlimited
// licence never owes one) in the currency the unlimited entitlements of
// applying state, when they state one; without a currency it is nil like
// all money, so that no amount is ever shown without its currency.
func setUnlimited(pos *sam.Position, applying []*ent) {
	pos.Unlimited = true
	pos.Status = sam.Compliant
	pos.RightsCovered = pos.RightsUsed
	var currencies []string
	for _, x := range applying {
		if x.e.Unlimited && x.e.Currency != "" && !slices.Contains(currencies, x.e.Currency) {
			currencies = append(currencies, x.e.Currency)
		}
	}
	if len(currencies) == 1 {
		pos.Currency = currencies[0]
		pos.TrueUpCost = ptr(sam.Decimal{})
	}
}

// setFinite measures pos against the finite rights of counted: covered of
// its people need no right, and savings are priced for savable stale
// people. It returns the currencies of the priced rights; with more than
// one the money stays unknown.
func (e *engine) setFinite(pos *sam.Position, counted []*ent, covered, savable int64) []string {
	for _, x := range counted {
		pos.RightsOwned += x.e.Rights
	}
	pos.RightsCovered = covered
	pos.Available = pos.RightsOwned - (pos.RightsUsed - covered)
	pos.RightsNeeded = max(0, -pos.Available)
	switch {
	case pos.Available < 0:
		pos.Status = sam.NotCompliant
	case pos.Available > 0:
		pos.Status = sam.OverLicensed
	default:
		pos.Status = sam.Compliant
	}
	price, currency, currencies := pricePerRight(counted)
	if price == nil {
		return currencies
	}
	pos.Currency = currency
	pos.PricePerRight = price
	pos.TrueUpCost = ptr(price.MulInt(pos.RightsNeeded))
	pos.OverLicensedCost = ptr(price.MulInt(max(0, pos.Available)))
	pos.PotentialSavings = ptr(price.MulInt(savable))
	return currencies
}

func (e *engine) warnMixed(profile string, mi int, currencies []string) {
	name := e.models[mi]
	where := ""
	if profile == "" {
		where = " across profiles"
	}
	e.warn(Warning{Code: WarnMixedCurrencies, Profile: profile, Model: name,
		Message: fmt.Sprintf("the counting entitlements of %q%s are priced in %s; money is not added across currencies, so it is left unknown", name, where, strings.Join(currencies, ", "))})
}

// scopeWarnings reports what a person must look at for one profile's
// model; counting are the counting entitlements that apply to the profile
// (its own and the company-wide ones).
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
	var all []int // the model's entitlements of this profile or company-wide
	for _, i := range e.byModel[mi] {
		if p := e.ents[i].e.Profile; p == "" || p == profile {
			all = append(all, i)
		}
	}
	scope := ""
	if len(e.profs) > 1 {
		scope = fmt.Sprintf(" for profile %q or company-wide", profile)
	}
	switch {
	case len(all) == 0:
		e.warn(Warning{Code: WarnNoEntitlement, Profile: profile, Model: name, Count: int(t.used),
			Message: fmt.Sprintf("%d user(s) hold %q but no entitlement%s is recorded for it", t.used, name, scope)})
	case !slices.ContainsFunc(e.byModel[mi], func(i int) bool { return !e.ents[i].expired }):
		// expired_only is reported once per model.
	default:
		e.warn(Warning{Code: WarnNotCounting, Profile: profile, Model: name, Count: int(t.used),
			Message: fmt.Sprintf("%d user(s) hold %q but none of its entitlements%s counts on %s", t.used, name, scope, e.now.Format("2006-01-02"))})
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
// stale only when stale in every profile that holds the model, is spread
// by the latest activity seen anywhere, and is covered only when every
// profile that holds the model for the person has its own counting
// unlimited entitlement (a seat in any other profile needs a right).
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
		covered := e.scopedUnl[recs[i].prof][recs[i].model]
		for ; j < len(recs) && same(&recs[i], &recs[j]); j++ {
			act = act.Merge(recs[j].act)
			cand = cand && recs[j].cand
			covered = covered && e.scopedUnl[recs[j].prof][recs[j].model]
			if !recs[j].created.IsZero() && (created.IsZero() || recs[j].created.Before(created)) {
				created = recs[j].created
			}
		}
		t := &out[recs[i].model]
		t.used++
		if cand {
			t.stale++
		}
		if covered {
			t.covered++
			if cand {
				t.staleCovered++
			}
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
