// Package reclaim frees unused paid seats safely: it turns reclamation
// candidates into a [Plan] of one [Action] per user, and [Apply] carries the
// plan out through any vendor's [sam.Reclaimer], with a durable [Journal].
//
// Reclaiming is read → plan → apply. The plan is computed from a complete
// snapshot; just before acting on a user, Apply re-reads it and cancels the
// action when the user is no longer a safe target (activity moved forward
// since the plan, an administrator, gone). A user whose seat is already
// free — who consumes none of the action's subscriptions, disabled or not,
// in every mode — is reported already_applied, never reclaimed twice.
//
// Modes are open: besides "disable" and "downgrade", a vendor's spoke may
// define its own (such as "remove_license"); the journal records the mode
// as named, and a spoke that does not support a plan's mode stops the run
// at its first action ([sam.ErrUnsupportedMode]).
//
// A seat the journal records freed is never reclaimed again by a resumed
// or retried run. When it was given back since (the user holds it again) it is
// canceled, unless the journal's done entry is older than
// [Options.ReclaimAgainAfter] (callers pass the rule's inactivity
// threshold): a seat given back and left unused that long again is
// reclaimed as a new action, after the same re-checks as any other, and
// the journal records its attempt and outcome with a reason that names
// the earlier run. With ReclaimAgainAfter 0 a seat is reclaimed at most
// once per journal.
//
// Every action is written to the journal and flushed to disk before the
// vendor is called (outcome "attempt") and again after (the outcome). A run
// killed part-way resumes from the journal: an action the journal records as
// done is not repeated, and an attempt without an outcome (interrupted:
// killed during the call, or stopped during it with the vendor unreachable
// afterwards) is resolved by re-reading the user. A call cut short by the
// end of the run's context is settled by one bounded re-read, so that a
// seat the vendor did free is journaled already_applied, not failed.
//
// A cap bounds the actions of one run: a plan larger than the cap applies
// none of them and reports every action skipped_cap, unless the cap is
// lifted explicitly with [Options.Unlimited].
//
// The package depends only on package sam and the standard library, so
// every vendor's spoke reuses it.
package reclaim
