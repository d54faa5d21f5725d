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
			e.companyWarnings(mi)
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

// companyWarnings reports, when several profiles are reconciled, what the
// model's counting company-wide (no profile) entitlements do: several of
// them count at once (overlapping_entitlements, with no profile), and
// their finite rights are a pool every profile shares, counted once, in
// the total (shared_entitlement).
func (e *engine) companyWarnings(mi int) {
	var company []*ent
	for _, i := range e.byModel[mi] {
		if x := &e.ents[i]; x.counts && x.e.Profile == "" {
			company = append(company, x)
		}
	}
	name := e.models[mi]
	unlimited := e.companyUnlimited(mi)
	if len(company) > 1 {
		what := "their rights add up in the pool every profile shares (shared_rights in each profile's row), counted once in the cross-profile total"
		if unlimited {
			what = "one is unlimited, so every profile's row and the cross-profile total are unlimited"
		}
		e.warnOverlap("", name, company, "company-wide (no profile) ", "", what)
	}
	if unlimited {
		return // every row is unlimited: the shared rights change nothing
	}
	n, rights := 0, int64(0)
	for _, x := range company {
		n++
		rights += x.e.Rights
	}
	if n == 0 {
		return
	}
	e.warn(Warning{Code: WarnSharedEntitlement, Model: name, Count: n,
		Message: fmt.Sprintf("%d company-wide entitlement(s) of %q (no profile) hold %s shared by profiles %s: "+
			"each profile's row shows the pool as shared_rights and measures its users against its own rights_owned only "+
			"(status, rights_needed and money); the cross-profile total counts the pool once, in its rights_owned",
			n, name, rightsN(rights), strings.Join(e.res.Profiles, ", "))})
}

// profilePosition is model mi's position in profile pi. Every counting
// entitlement of the profile or without a profile applies to it; an
// applying unlimited one makes it unlimited. With several profiles only the
// profile's own finite rights count in it and the company-wide ones are
// shown as SharedRights. mixed reports a mixed_currencies warning.
func (e *engine) profilePosition(pi, mi int, multi bool) (pos sam.Position, mixed bool) {
	p := e.profs[pi]
	t := e.tallies[pi][mi]
	var inRow, counted, pool []*ent
	var shared int64
	own, unlimited := 0, false
	for _, i := range e.byModel[mi] {
		x := &e.ents[i]
		if !x.counts || (x.e.Profile != "" && x.e.Profile != p.Name) {
			continue
		}
		if multi && x.e.Profile == "" && !x.e.Unlimited {
			pool = append(pool, x)
			shared += x.e.Rights
			continue
		}
		inRow = append(inRow, x)
		if x.e.Profile != "" {
			own++
		}
		if x.e.Unlimited {
			unlimited = true
		} else {
			counted = append(counted, x)
		}
	}
	pos = e.newPosition(p.Name, mi, t)
	pos.SharedRights = shared
	if unlimited {
		setUnlimited(&pos, inRow)
	} else if currencies := e.setFinite(&pos, counted, 0, t.stale); len(currencies) > 1 {
		e.warnMixed(p.Name, mi, currencies)
		mixed = true
	}
	e.rowWarnings(pi, mi, t, &pos, inRow, own, pool)
	return pos, mixed
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
	e.warnUnpriced(pos, counted)
	pos.Currency = currency
	pos.PricePerRight = price
	pos.TrueUpCost = ptr(price.MulInt(pos.RightsNeeded))
	pos.OverLicensedCost = ptr(price.MulInt(max(0, pos.Available)))
	pos.PotentialSavings = ptr(price.MulInt(savable))
	return currencies
}

// warnUnpriced warns when some of the finite rights counted in pos, which
// has a price, have none: the priced ones' average price is applied to
// them all. The cross-profile total is warned of only when no profile's
// row of the model was.
func (e *engine) warnUnpriced(pos *sam.Position, counted []*ent) {
	var unpriced []*ent
	var n int64
	for _, x := range counted {
		if !x.priced && x.e.Rights > 0 {
			unpriced = append(unpriced, x)
			n += x.e.Rights
		}
	}
	if len(unpriced) == 0 {
		return
	}
	mi := e.modelIdx[pos.Model]
	if e.unpricedRow == nil {
		e.unpricedRow = map[int]bool{}
	}
	if pos.Profile != "" {
		e.unpricedRow[mi] = true
	} else if e.unpricedRow[mi] {
		return
	}
	where := ""
	switch {
	case len(e.profs) > 1 && pos.Profile != "":
		where = fmt.Sprintf(" in profile %q's row", pos.Profile)
	case len(e.profs) > 1:
		where = " across profiles"
	}
	e.warn(Warning{Code: WarnUnpricedEntitlement, Profile: pos.Profile, Model: pos.Model, Count: len(unpriced),
		Message: fmt.Sprintf("%d of the %d rights of %q%s have no price: %s. The money figures apply the priced rights' average price per right to all %d; give every entitlement its unit_cost",
			n, pos.RightsOwned, pos.Model, where, e.entList(unpriced), pos.RightsOwned)})
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

// maxListed bounds the entitlements a warning names; the rest are counted.
const maxListed = 5

// warnOverlap warns that the entitlements xs of model name count at once:
// scope qualifies them ("company-wide "), where names the row, and what
// says what that does. It names the first maxListed by start date and
// counts the rest.
func (e *engine) warnOverlap(profile, name string, xs []*ent, scope, where, what string) {
	e.warn(Warning{Code: WarnOverlapping, Profile: profile, Model: name, Count: len(xs),
		Message: fmt.Sprintf("%d %sentitlements of %q count at once%s and %s: %s. Check that a renewal did not overlap the old term",
			len(xs), scope, name, where, what, e.entList(xs))})
}

// entList names the entitlements xs for a warning: the first maxListed by
// start date, then end date, then name ([engine.entName]), and a count of
// the rest, so that the text depends neither on the input's order nor,
// in length, on how many there are.
func (e *engine) entList(xs []*ent) string {
	type item struct {
		start, end int64
		label      string
	}
	items := make([]item, len(xs))
	for i, x := range xs {
		items[i] = item{x.e.Start.Start().Unix(), x.e.End.Start().Unix(), e.entName(x.e, false)}
	}
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end), strings.Compare(a.label, b.label))
	})
	labels := make([]string, 0, min(len(items), maxListed)+1)
	for _, it := range items[:min(len(items), maxListed)] {
		labels = append(labels, it.label)
	}
	if len(items) > maxListed {
		labels = append(labels, fmt.Sprintf("and %d more", len(items)-maxListed))
	}
	return strings.Join(labels, "; ")
}

// rowWarnings reports what a person must look at in profile pi's row of
// model mi (pos): inRow are the counting entitlements that count in the
// row, own of them the profile's own; pool are the company-wide finite ones
// the row shows as SharedRights (only when several profiles are
// reconciled).
func (e *engine) rowWarnings(pi, mi int, t tally, pos *sam.Position, inRow []*ent, own int, pool []*ent) {
	profile, name := e.profs[pi].Name, e.models[mi]
	multi := len(e.profs) > 1
	// Company-wide entitlements alone are warned of once, for every row.
	if len(inRow) > 1 && (!multi || own > 0) {
		where, what := "", "their rights add up"
		if multi {
			where, what = fmt.Sprintf(" in profile %q's row", profile), "their rights add up there"
		}
		if pos.Unlimited {
			what = "one is unlimited, so the row is unlimited"
		}
		e.warnOverlap(profile, name, inRow, "", where, what)
	}
	if t.used == 0 {
		return
	}
	if len(pool) > 0 {
		if !pos.Unlimited && pos.Available < 0 {
			e.warnPool(profile, mi, t, pos, len(inRow) > 0, pool)
		}
		return
	}
	if len(inRow) > 0 {
		return
	}
	var all []int // the model's entitlements of this profile or company-wide
	for _, i := range e.byModel[mi] {
		if p := e.ents[i].e.Profile; p == "" || p == profile {
			all = append(all, i)
		}
	}
	scope := ""
	if multi {
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

// warnPool explains a profile's row that is short of its own rights while
// a company-wide pool applies: the row measures its users against its own
// rights only, and the pool covers them, or not, in the cross-profile
// total. hasOwn reports whether an entitlement of its own counts.
func (e *engine) warnPool(profile string, mi int, t tally, pos *sam.Position, hasOwn bool, pool []*ent) {
	name := e.models[mi]
	var rights int64
	for _, x := range pool {
		rights += x.e.Rights
	}
	var head string
	switch {
	case hasOwn:
		head = fmt.Sprintf("profile %q's own %s of %q leave %d of its %d user(s) without a right in its row (rights_needed %d)",
			profile, rightsN(pos.RightsOwned), name, pos.RightsNeeded, t.used, pos.RightsNeeded)
	case slices.ContainsFunc(e.byModel[mi], func(i int) bool { return e.ents[i].e.Profile == profile }):
		head = fmt.Sprintf("profile %q has no entitlement of its own for %q counting on %s: its row measures its %d user(s) against 0 rights (rights_needed %d; no price of its own, so its money is unknown)",
			profile, name, e.now.Format("2006-01-02"), t.used, pos.RightsNeeded)
	default:
		head = fmt.Sprintf("profile %q has no entitlement of its own for %q: its row measures its %d user(s) against 0 rights (rights_needed %d; no price of its own, so its money is unknown)",
			profile, name, t.used, pos.RightsNeeded)
	}
	e.warn(Warning{Code: WarnSharedPool, Profile: profile, Model: name, Count: int(pos.RightsNeeded),
		Message: fmt.Sprintf("%s; they draw on the company-wide pool of %s every profile shares (its shared_rights), "+
			"which is counted once, in the cross-profile total: that row says whether the pool covers them", head, rightsN(rights))})
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

// rightsN is "1 right" or "n rights".
func rightsN(n int64) string {
	if n == 1 {
		return "1 right"
	}
	return fmt.Sprintf("%d rights", n)
}

// RoundPosition returns p with its money rounded to the currency's minor
// units (2 places when the currency is unknown) and PercentUnused to 2
// places, each written with exactly those places ([sam.Decimal.Round]):
// the JSON of a rounded position says "126.00" and "0.00" for USD, as the
// CLI's report does. Round once, for display: figures computed from
// rounded values drift.
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
