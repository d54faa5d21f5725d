// Package reconcile is the reconciliation engine: a pure function from what
// the spokes downloaded (users and their subscriptions), the entitlements
// bought and a reclamation rule to license positions, reclamation
// candidates, protected users and warnings.
//
// [Evaluate] does no I/O, reads no clock and keeps no state: the evaluation
// time is an input, and the same input gives the same [Result], in the same
// order, whatever order the input lists things in.
//
// # Rules
//
// A user is inactive when the last activity is strictly before the cutoff,
// Now − threshold ([sam.InactiveSince]); exactly at the cutoff is active. A
// user never active is measured from the account's creation. Disabled users
// consume nothing and are never candidates. One person (one external id,
// however many records or workspaces) holds at most one right per model; in
// the cross-profile totals a person is recognised by email (or, without an
// email, by profile and id).
//
// # Protected users
//
// A user holding a paid subscription who may not be reclaimed is listed once
// per profile in [Result.Protected] with the most fundamental reason, in
// this order of precedence:
//
//  1. connection_user: the connection's own user ([Profile.Self]);
//  2. last_enabled_administrator: the only enabled administrator left;
//  3. administrator;
//  4. excluded: listed in the rule's or the input's exclusions by id or
//     email, or holding an identifier the rule excludes (a reclaim acts on
//     the whole user, so any excluded subscription protects the user);
//  5. activity_unknown: activity could not be read, or a never-active
//     account has no known creation date;
//  6. activity_history_shorter_than_threshold: the activity history starts
//     after the cutoff ([Profile.ActivityCoverage]), the user has no
//     sighting inside it, and the user's activity is not from a complete
//     lifetime signal ([sam.User.ActivityComplete]);
//  7. account_younger_than_threshold: never active, created at or after the
//     cutoff.
//
// Reasons 1–4 are listed for every such user; 5–7 only arise for users not
// known to be active.
//
// # Positions
//
// One [sam.Position] per model and profile, plus, when there is more than
// one profile, a cross-profile total per model with an empty Profile.
// RightsUsed counts distinct people: one per external id in a profile's
// row, one per email (or, without one, per profile and id) in the total.
// An entitlement counts on the evaluation date when it has started and
// its end day (inclusive, UTC) has not passed. In every row:
//
//	Available    = RightsOwned − (RightsUsed − RightsCovered)
//	RightsNeeded = max(0, −Available)
//	Status       = not_compliant if Available < 0, over_licensed if > 0, else compliant
//
// An entitlement with a Profile applies to that profile only; one without
// (company-wide) applies to every profile.
//
// With one profile, every counting entitlement that applies counts in its
// row: RightsOwned is their finite rights, and any unlimited one makes the
// row unlimited.
//
// With several profiles, a company-wide unlimited entitlement makes every
// row, and the total, unlimited. Company-wide finite rights are one pool
// shared by all profiles, so no profile's row claims them: a profile's
// RightsOwned counts only its own (profile-scoped) finite rights, its
// SharedRights shows the pool (the same figure in every profile's row),
// and its status, rights needed and money are measured against its own
// rights alone. A shared_entitlement warning says so for each model with
// such a pool, and a draws_on_shared_pool warning names each profile whose
// row is short of its own rights (it may own none at all, and then has no
// price of its own) while the pool applies: the total says whether the
// pool covers it. A profile's own unlimited entitlement makes its row
// unlimited. The total counts each right once:
//
//   - it is unlimited only when a company-wide unlimited entitlement
//     counts;
//   - otherwise a person is covered (RightsCovered) when every profile
//     holding the model for that person has its own counting unlimited
//     entitlement: a seat in any other profile needs a right;
//   - RightsOwned is the company-wide finite rights plus the finite rights
//     of every profile without its own counting unlimited entitlement (a
//     covered profile needs none of them), so that, unless the total is
//     unlimited, total RightsOwned = Σ profiles' RightsOwned + SharedRights;
//   - the uncovered people, RightsUsed − RightsCovered, are measured
//     against that RightsOwned. The pool is aggregate: one profile's spare
//     rights offset another's shortfall, which the profiles' rows show.
//
// An unlimited row has RightsCovered = RightsUsed, RightsOwned, Available
// and RightsNeeded 0, and is compliant.
//
// An overlapping_entitlements warning names entitlements that count at
// once in the same row: with one profile, all that count; with several,
// a profile's own (with any company-wide unlimited one), warned of for
// that profile, and the company-wide ones of the pool, warned of once
// with no profile. A company-wide and a profile's entitlement meet only
// in the total, by design, and are not an overlap. The warning names the
// first five by start date (by id and [sam.Entitlement.Source] when set,
// then rights, scope, dates and price) and counts the rest.
//
// # Money
//
// The price per right is the rights-weighted average annualized unit price
// of the priced entitlements counted in RightsOwned (a term price is
// spread over the term's days, × 365). Then, per year:
//
//	TrueUpCost       = price × RightsNeeded
//	OverLicensedCost = price × max(0, Available)
//	PotentialSavings = price × stale people not covered by an unlimited entitlement
//
// All money is annual and not prorated: it is a year's worth whatever part
// of a contract's term is left. For what the rest of a term costs,
// multiply by the fraction of the year that remains.
//
// When only some of the counted entitlements are priced, the priced ones'
// average is applied to every right of the row, and an
// unpriced_entitlement warning says how many rights have no price. When
// no counted entitlement is priced, every money figure is nil
// (unknown), never 0. Money is never summed across currencies: when the
// counted priced entitlements use more than one currency, the row's money
// is nil and a mixed_currencies warning names the currencies (for the
// total only when no profile's row was already warned of). An unlimited
// row's price, OverLicensedCost and PotentialSavings are nil: a flat
// licence has no price per right (a unit_cost on an unlimited entitlement
// is ignored, with an unlimited_price_ignored warning). Its TrueUpCost is a known 0 (an
// unlimited licence never owes a true-up) in the Currency its unlimited
// entitlements state; when they state none (or several), Currency is
// empty and TrueUpCost nil like all money: no amount is ever given
// without its currency. Money stays exact; round it once,
// for display, with [RoundPosition] or [Result.Rounded].
//
// # Reasons
//
// A candidate's reason names the whole days inactive, floored, and the
// UTC date of the last activity (or, never active, of the account's
// creation), e.g. "no activity for 143 days; last active 2025-10-09
// (threshold 60 days)". A candidate is strictly past the cutoff, so when
// the floored days equal the threshold the reason says "more than 60
// days". [sam.Candidate.InactiveDays] stays the floored figure.
package reconcile
