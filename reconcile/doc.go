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
// # Positions and money
//
// One [sam.Position] per model and profile, plus, when there is more than
// one profile, a cross-profile total per model with an empty Profile. An
// entitlement with a Profile counts for that profile only; one without
// counts for every profile (and once in the totals). Any counting unlimited
// entitlement makes the model unlimited: compliant, RightsOwned, Available
// and RightsNeeded 0, true-up cost and potential savings 0, no price and no
// over-licensed cost.
//
// The price per right is the rights-weighted average annualized unit price
// of the counting priced entitlements. When none is priced, every money
// figure is nil (unknown), never 0. Money is never summed across
// currencies: when the counting priced entitlements use more than one
// currency, the position's money is nil and a mixed_currencies warning
// names the currencies. Money stays exact; round it once, for display, with
// [RoundPosition] or [Result.Rounded].
package reconcile
