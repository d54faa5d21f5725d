package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/samspoke/samspoke/sam"
)

const day = 24 * time.Hour

// Evaluate reconciles in: it lists every subscription, computes each
// model's position per profile (and across profiles when there are several),
// the rule's candidates, the protected users and the warnings. It is a pure
// function: no clock, no I/O, and the same input — in any order — gives the
// same Result. It fails only on input it cannot interpret (no evaluation
// time, an invalid rule, missing or repeated profile names).
func Evaluate(in Input) (Result, error) {
	if in.Now.IsZero() {
		return Result{}, &InputError{Field: "Now", Msg: "is required (the evaluation time)"}
	}
	if err := in.Rule.Validate(); err != nil {
		return Result{}, &InputError{Field: "Rule", Msg: err.Error()}
	}
	profs := slices.Clone(in.Profiles)
	slices.SortFunc(profs, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	for i, p := range profs {
		if p.Name == "" {
			return Result{}, &InputError{Field: "Profiles", Msg: "a profile has no name"}
		}
		if i > 0 && profs[i-1].Name == p.Name {
			return Result{}, &InputError{Field: "Profiles", Msg: fmt.Sprintf("profile %q is listed twice", p.Name)}
		}
	}
	e := newEngine(in, profs)
	e.run()
	return e.res, nil
}

// ent is a valid entitlement with what the engine needs of it.
type ent struct {
	e       *sam.Entitlement
	idx     int // position in Input.Entitlements
	model   int
	counts  bool
	expired bool
	annual  sam.Decimal
	priced  bool
}

// tally is one (profile, model) usage count. covered counts the people
// covered by their profiles' own unlimited entitlements (totals only), and
// staleCovered those of them who are stale.
type tally struct {
	used, stale           int64
	covered, staleCovered int64
	spread                sam.Spread
}

// totalRec is one (person, model) of one profile, for the cross-profile
// totals.
type totalRec struct {
	model   int32
	prof    int32
	cand    bool
	email   string
	id      string
	act     sam.Activity
	created time.Time
}

type engine struct {
	in        Input
	profs     []Profile
	now       time.Time
	cutoff    time.Time
	threshold int

	models    []string                 // sorted model names
	modelIdx  map[string]int           // name → index in models
	identIdx  map[sam.Identifier]int32 // identifier → model index
	ents      []ent
	byModel   [][]int // model → indices in ents
	profSet   map[string]bool
	profIdx   map[string]int // profile name → index in profs
	exclIDs   map[string]bool
	exclEmail map[string]bool

	tallies   [][]tally // profile → model → tally
	totals    []totalRec
	scopedUnl [][]bool // profile → model → an unlimited entitlement of the profile counts

	reasons map[reasonKey]string // candidate reasons, shared by equal candidates
	// unpricedRow records the models for which a profile's row was
	// warned of unpriced rights (the total is then not warned again).
	unpricedRow map[int]bool

	res Result
}

func newEngine(in Input, profs []Profile) *engine {
	now := in.Now.UTC()
	e := &engine{
		in: in, profs: profs, now: now, cutoff: in.Rule.Cutoff(now), threshold: in.Rule.ThresholdDays,
		modelIdx: map[string]int{}, identIdx: map[sam.Identifier]int32{},
		profSet: map[string]bool{}, profIdx: map[string]int{}, exclIDs: map[string]bool{}, exclEmail: map[string]bool{},
		reasons: map[reasonKey]string{},
	}
	e.res = Result{AsOf: now, ThresholdDays: e.threshold, Cutoff: e.cutoff,
		Profiles: []string{}, Subscriptions: []Subscription{}, Positions: []sam.Position{},
		Candidates: []sam.Candidate{}, Protected: []sam.Protected{}, Warnings: []Warning{}}
	for _, p := range profs {
		e.profSet[p.Name] = true
		e.profIdx[p.Name] = len(e.res.Profiles)
		e.res.Profiles = append(e.res.Profiles, p.Name)
	}
	for _, x := range append(slices.Clone(in.Rule.ExcludeUsers), in.Exclude...) {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		e.exclIDs[x] = true
		e.exclEmail[sam.NormalizeEmail(x)] = true
	}
	return e
}

func (e *engine) warn(w Warning) { e.res.Warnings = append(e.res.Warnings, w) }

func (e *engine) run() {
	e.buildModels()
	e.tallies = make([][]tally, len(e.profs))
	for pi := range e.profs {
		e.tallies[pi] = make([]tally, len(e.models))
		e.profile(pi)
	}
	e.positions()
	slices.SortFunc(e.res.Warnings, compareWarnings)
}

// buildModels indexes the catalog's models and the entitlements' models
// together, sorted by name, and classifies every entitlement.
func (e *engine) buildModels() {
	names := map[string]bool{}
	cat := e.in.Catalog
	catModels := cat.Models()
	for _, m := range catModels {
		names[m.Name()] = true
	}
	var valid []int
	for i := range e.in.Entitlements {
		en := &e.in.Entitlements[i]
		if err := en.Validate(); err != nil {
			e.warn(Warning{Code: WarnInvalidEntitlement, Model: en.Model, Message: fmt.Sprintf("entitlement %s is ignored: %v", e.entName(en, true), err)})
			continue
		}
		if en.Profile != "" && !e.profSet[en.Profile] {
			e.warn(Warning{Code: WarnUnknownProfile, Profile: en.Profile, Model: en.Model,
				Message: fmt.Sprintf("entitlement %s is for profile %q, which is not being reconciled; it is ignored", e.entName(en, true), en.Profile)})
			continue
		}
		if _, ok := cat.ByName(en.Model); !ok && len(catModels) > 0 {
			e.warn(Warning{Code: WarnUnknownModel, Model: en.Model,
				Message: fmt.Sprintf("entitlement %s names model %q, which no subscription identifier maps to", e.entName(en, false), en.Model)})
		}
		if en.Unlimited && en.UnitCost != nil {
			e.warn(Warning{Code: WarnUnlimitedPrice, Profile: en.Profile, Model: en.Model, Count: 1,
				Message: fmt.Sprintf("entitlement %s is unlimited: its unit_cost is ignored (an unlimited licence has no price per right and owes no true-up; its currency, when given, is that of the true-up of 0)", e.entName(en, true))})
		}
		names[en.Model] = true
		valid = append(valid, i)
	}
	for n := range names {
		e.models = append(e.models, n)
	}
	slices.Sort(e.models)
	for i, n := range e.models {
		e.modelIdx[n] = i
	}
	for _, m := range catModels {
		for _, id := range m.Identifiers {
			e.identIdx[id] = int32(e.modelIdx[m.Name()])
		}
	}
	e.byModel = make([][]int, len(e.models))
	for _, i := range valid {
		en := &e.in.Entitlements[i]
		x := ent{e: en, idx: i, model: e.modelIdx[en.Model], counts: en.CountsOn(e.now),
			expired: !en.End.IsZero() && !e.now.Before(en.End.End())}
		x.annual, x.priced = en.AnnualUnitCost()
		e.byModel[x.model] = append(e.byModel[x.model], len(e.ents))
		e.ents = append(e.ents, x)
	}
}

// entName names the entitlement en so that a person can find it and tell
// it from the others a warning lists: its id and where it was recorded
// ([sam.Entitlement.Source]) when known, then what it holds, e.g.
// `"PO-7" (ents.json record 2: 200 rights company-wide from 2026-01-01 at
// 59.00 USD monthly)`, or without either, `(200 rights from 2026-01-01)`.
// The model is named when withModel is set; "company-wide" (no profile)
// only when several profiles are reconciled. The name depends on the
// entitlement alone, never on its place in the input.
func (e *engine) entName(en *sam.Entitlement, withModel bool) string {
	var b strings.Builder
	switch {
	case en.ID != "" && en.Source != "":
		fmt.Fprintf(&b, "%q (%s: ", en.ID, en.Source)
	case en.ID != "":
		fmt.Fprintf(&b, "%q (", en.ID)
	case en.Source != "":
		fmt.Fprintf(&b, "%s (", en.Source)
	default:
		b.WriteString("(")
	}
	if en.Unlimited {
		b.WriteString("unlimited")
	} else {
		b.WriteString(rightsN(en.Rights))
	}
	if withModel {
		fmt.Fprintf(&b, " of %q", en.Model)
	}
	switch {
	case en.Profile != "":
		fmt.Fprintf(&b, " for profile %q", en.Profile)
	case len(e.profs) > 1:
		b.WriteString(" company-wide")
	}
	fmt.Fprintf(&b, " from %s", en.Start)
	if !en.End.IsZero() {
		fmt.Fprintf(&b, " to %s", en.End)
	}
	if en.UnitCost != nil {
		// The currency's places, unless that would round the price.
		price := en.UnitCost.String()
		if places := sam.CurrencyMinorUnits(en.Currency); en.UnitCost.Round(places).Equal(*en.UnitCost) {
			price = en.UnitCost.StringFixed(places)
		}
		fmt.Fprintf(&b, " at %s %s %s", price, en.Currency, en.Period)
	}
	b.WriteString(")")
	return b.String()
}

// ukey is a sort key for a user's external id: numeric ids of up to 19
// digits compare as (length, value) without touching the string.
type ukey struct {
	num     uint64
	n       uint8
	numeric bool
	enabled bool // copied from the user, so counting administrators
	admin   bool // does not touch the users again
	i       int32
}

func keyOf(id string, i int) ukey {
	k := ukey{i: int32(i)}
	if len(id) == 0 || len(id) > 19 {
		return k
	}
	var v uint64
	for j := 0; j < len(id); j++ {
		c := id[j]
		if c < '0' || c > '9' {
			return k
		}
		v = v*10 + uint64(c-'0')
	}
	k.num, k.n, k.numeric = v, uint8(len(id)), true
	return k
}

func compareKeys(users []sam.User, a, b ukey) int {
	if a.numeric && b.numeric {
		if a.n != b.n {
			return cmp.Compare(a.n, b.n)
		}
		return cmp.Compare(a.num, b.num)
	}
	return sam.CompareID(users[a.i].ExternalID, users[b.i].ExternalID)
}

// profile evaluates one profile's users.
func (e *engine) profile(pi int) {
	p := e.profs[pi]
	for _, w := range p.Warnings {
		if w != "" {
			e.warn(Warning{Code: WarnDownload, Profile: p.Name, Message: w})
		}
	}
	users := p.Users
	keys := make([]ukey, 0, len(users))
	noID, nSubs := 0, 0
	for i := range users {
		if users[i].ExternalID == "" {
			e.noIDUser(pi, &users[i])
			noID++
			continue
		}
		k := keyOf(users[i].ExternalID, i)
		k.enabled, k.admin = users[i].Enabled, users[i].Administrator
		nSubs += len(users[i].Identifiers)
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ukey) int { return compareKeys(users, a, b) })

	// Group records of the same id; count enabled administrators.
	starts := make([]int32, 0, len(keys)+1)
	for i := range keys {
		if i == 0 || compareKeys(users, keys[i-1], keys[i]) != 0 {
			starts = append(starts, int32(i))
		}
	}
	starts = append(starts, int32(len(keys)))
	admins := 0
	for g := 0; g+1 < len(starts); g++ {
		enabled, admin := false, false
		for _, k := range keys[starts[g]:starts[g+1]] {
			enabled = enabled || k.enabled
			admin = admin || k.admin
		}
		if enabled && admin {
			admins++
		}
	}

	nGroups := len(starts) - 1
	days := make([]int, nGroups)
	e.res.Subscriptions = slices.Grow(e.res.Subscriptions, nSubs)
	// At most one candidate per subscription: reserving that much up front
	// avoids copying large values as the slice grows; memory never written
	// is never touched.
	e.res.Candidates = slices.Grow(e.res.Candidates, nSubs)
	tl := e.tallies[pi]
	var unknownIdents map[sam.Identifier]int
	noEmail := 0
	var mbuf [8]int32
	var ibuf [8]sam.Identifier
	for g := 0; g < nGroups; g++ {
		group := keys[starts[g]:starts[g+1]]
		u := &users[group[0].i]
		ids := u.Identifiers
		if len(group) > 1 {
			m := mergeUsers(users, group)
			u = &m
			ids = m.Identifiers
		} else if !sortedUnique(ids) {
			ids = sortUnique(append(ibuf[:0], ids...))
		}
		consuming := u.Enabled && len(ids) > 0

		d, known, inactive, actReason := e.activity(u, p.ActivityCoverage)
		var dp *int
		if known {
			days[g] = d
			dp = &days[g]
		}
		var reason sam.ProtectReason
		if consuming {
			reason = e.protect(u, ids, p.Self, admins == 1, actReason)
			if reason != "" {
				e.res.Protected = append(e.res.Protected, sam.Protected{Profile: p.Name, ExternalUserID: u.ExternalID, Email: u.Email, Reason: reason})
			}
			if u.Email == "" {
				noEmail++
			}
		}
		candidate := consuming && reason == "" && inactive

		// One subscription per identifier; one right per model.
		ms := mbuf[:0]
		upn := u.PrincipalName()
		for _, id := range ids {
			mi, ok := e.identIdx[id]
			model := ""
			if ok {
				model = e.models[mi]
				ms = append(ms, mi)
			} else {
				if unknownIdents == nil {
					unknownIdents = map[sam.Identifier]int{}
				}
				unknownIdents[id]++
			}
			e.res.Subscriptions = append(e.res.Subscriptions, Subscription{
				Subscription: sam.Subscription{
					Profile: p.Name, ExternalUserID: u.ExternalID, UserPrincipalName: upn, Identifier: id, Model: model,
					Active: u.Enabled, Administrator: u.Administrator, LastActivity: u.Activity, ExternalCreated: u.Created,
				},
				InactiveDays: dp,
			})
		}
		if !consuming || len(ms) == 0 {
			continue
		}
		slices.Sort(ms)
		for j, mi := range ms {
			if j > 0 && ms[j-1] == mi {
				continue
			}
			t := &tl[mi]
			t.used++
			addSpread(&t.spread, u.Activity, d, known)
			if candidate {
				t.stale++
				e.res.Candidates = append(e.res.Candidates, sam.Candidate{
					Profile: p.Name, ExternalUserID: u.ExternalID, Email: u.Email, Model: e.models[mi],
					Identifier: firstIdentFor(ids, mi, e.identIdx), Reason: e.reason(u, d),
					LastActivity: u.Activity, InactiveDays: d, State: sam.Ready,
				})
			}
			if len(e.profs) > 1 {
				e.totals = append(e.totals, totalRec{model: mi, prof: int32(pi), cand: candidate,
					email: sam.NormalizeEmail(u.Email), id: u.ExternalID, act: u.Activity, created: u.Created})
			}
		}
	}
	for id, n := range unknownIdents {
		e.warn(Warning{Code: WarnUnknownIdentifier, Profile: p.Name, Identifier: id, Count: n,
			Message: fmt.Sprintf("%d user(s) hold subscription identifier %q, which maps to no software model; add it to the catalog", n, id)})
	}
	if noEmail > 0 {
		e.warn(Warning{Code: WarnNoEmail, Profile: p.Name, Count: noEmail,
			Message: fmt.Sprintf("%d user(s) holding a paid subscription have no email; they are shown by name and id", noEmail)})
	}
}

// noIDUser counts the seats of a user record without an external id (it
// consumes rights, so it must not vanish) and warns about it.
func (e *engine) noIDUser(pi int, u *sam.User) {
	if !u.Enabled || len(u.Identifiers) == 0 {
		return
	}
	ids := sortUnique(slices.Clone(u.Identifiers))
	var ms []int32
	for _, id := range ids {
		if mi, ok := e.identIdx[id]; ok && !slices.Contains(ms, mi) {
			ms = append(ms, mi)
			e.tallies[pi][mi].used++
			addSpread(&e.tallies[pi][mi].spread, sam.Unknown(), 0, false)
		}
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = string(id)
	}
	e.warn(Warning{Code: WarnNoUser, Profile: e.profs[pi].Name, Count: 1,
		Message: fmt.Sprintf("a user record (email %q) has no external id; its subscriptions %s are counted but can be neither tracked nor reclaimed", u.Email, strings.Join(names, ", "))})
}

// activity decides what the rule can say of u: whole days inactive (known
// false when unknown), whether u is inactive, and the activity-based
// protection reason, if any.
func (e *engine) activity(u *sam.User, coverage time.Time) (days int, known, inactive bool, reason sam.ProtectReason) {
	switch u.Activity.State {
	case sam.ActivitySeen:
		days, known = wholeDays(e.now.Sub(u.Activity.At)), true
		inactive = sam.InactiveSince(u.Activity.At, e.cutoff)
	case sam.ActivityNever:
		if u.Created.IsZero() {
			return 0, false, false, sam.ProtectActivityUnknown
		}
		days, known = wholeDays(e.now.Sub(u.Created)), true
		inactive = sam.InactiveSince(u.Created, e.cutoff)
		if !inactive {
			return days, known, false, sam.ProtectNewAccount
		}
	default:
		return 0, false, false, sam.ProtectActivityUnknown
	}
	if inactive && !u.ActivityComplete && !coverage.IsZero() && coverage.After(e.cutoff) {
		return days, known, false, sam.ProtectShortHistory
	}
	return days, known, inactive, ""
}

func wholeDays(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(d / day)
}

// protect returns the most fundamental reason u may not be reclaimed, or "".
func (e *engine) protect(u *sam.User, ids []sam.Identifier, self string, lastAdmin bool, actReason sam.ProtectReason) sam.ProtectReason {
	switch {
	case self != "" && u.ExternalID == self:
		return sam.ProtectSelf
	case u.Administrator && lastAdmin:
		return sam.ProtectLastAdmin
	case u.Administrator:
		return sam.ProtectAdministrator
	case e.excluded(u, ids):
		return sam.ProtectExcluded
	}
	return actReason
}

func (e *engine) excluded(u *sam.User, ids []sam.Identifier) bool {
	if len(e.exclIDs) > 0 && (e.exclIDs[u.ExternalID] || (u.Email != "" && e.exclEmail[sam.NormalizeEmail(u.Email)])) {
		return true
	}
	if len(e.in.Rule.ExcludeIdentifiers) == 0 {
		return false
	}
	for _, id := range ids {
		if e.in.Rule.ExcludesIdentifier(id) {
			return true
		}
	}
	return false
}

// reasonKey identifies a candidate's reason text: whether the user was
// never active, the whole days since, and the UTC date measured from.
type reasonKey struct {
	never bool
	days  int
	date  sam.Date
}

// reason explains why u, inactive for days whole days, is a candidate. The
// days are floored, so a user exactly at the threshold in whole days was
// inactive for more than the threshold (activity exactly at the cutoff is
// still active): the text says "more than" there, and always names the date
// of the last activity (or of the account's creation).
func (e *engine) reason(u *sam.User, days int) string {
	k := reasonKey{never: u.Activity.State == sam.ActivityNever, days: days}
	at := u.Activity.At
	if k.never {
		at = u.Created
	}
	k.date = sam.DateOf(at)
	if s, ok := e.reasons[k]; ok {
		return s
	}
	span := fmt.Sprintf("%d days", days)
	if days <= e.threshold {
		span = fmt.Sprintf("more than %d days", e.threshold)
	}
	var s string
	if k.never {
		s = fmt.Sprintf("never active; account created %s ago, on %s (threshold %d days)", span, k.date, e.threshold)
	} else {
		s = fmt.Sprintf("no activity for %s; last active %s (threshold %d days)", span, k.date, e.threshold)
	}
	e.reasons[k] = s
	return s
}

func addSpread(s *sam.Spread, a sam.Activity, days int, known bool) {
	switch {
	case a.State == sam.ActivityNever:
		s.Never++
	case a.State != sam.ActivitySeen || !known:
		s.Unknown++
	case days < 30:
		s.Days0To30++
	case days < 60:
		s.Days30To60++
	case days < 90:
		s.Days60To90++
	default:
		s.Days90Plus++
	}
}

func firstIdentFor(ids []sam.Identifier, mi int32, idx map[sam.Identifier]int32) sam.Identifier {
	for _, id := range ids {
		if m, ok := idx[id]; ok && m == mi {
			return id
		}
	}
	return ""
}

func sortedUnique(ids []sam.Identifier) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			return false
		}
	}
	return true
}

func sortUnique(ids []sam.Identifier) []sam.Identifier {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// mergeUsers combines the records of one person (same external id: two
// workspaces, a repeated record) so the result does not depend on their
// order: enabled or administrator in any record, activity merged forward
// (sam.Activity.Merge), a complete signal only when every record has one,
// the earliest known creation, the smallest non-empty email and name, and
// the union of the identifiers of the enabled records (of all records when
// none is enabled): a disabled record consumes nothing.
func mergeUsers(users []sam.User, group []ukey) sam.User {
	m := users[group[0].i]
	m.Identifiers = nil
	for _, k := range group {
		m.Enabled = m.Enabled || k.enabled
	}
	for j, k := range group {
		u := &users[k.i]
		m.Administrator = m.Administrator || u.Administrator
		m.ActivityComplete = m.ActivityComplete && u.ActivityComplete
		if j > 0 {
			m.Activity = m.Activity.Merge(u.Activity)
		}
		if !u.Created.IsZero() && (m.Created.IsZero() || u.Created.Before(m.Created)) {
			m.Created = u.Created
		}
		m.Email = minNonEmpty(m.Email, u.Email)
		m.Name = minNonEmpty(m.Name, u.Name)
		if u.Enabled || !m.Enabled {
			m.Identifiers = append(m.Identifiers, u.Identifiers...)
		}
	}
	m.Identifiers = sortUnique(m.Identifiers)
	return m
}

func minNonEmpty(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

func compareWarnings(a, b Warning) int {
	return cmp.Or(
		strings.Compare(string(a.Code), string(b.Code)),
		strings.Compare(a.Profile, b.Profile),
		strings.Compare(a.Model, b.Model),
		strings.Compare(string(a.Identifier), string(b.Identifier)),
		sam.CompareID(a.ExternalUserID, b.ExternalUserID),
		strings.Compare(a.Message, b.Message),
		cmp.Compare(a.Count, b.Count),
	)
}
