package reclaim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// DefaultMaxActions is the cap on actions per run when [Options.MaxActions]
// is 0 and the cap is not lifted with [Options.Unlimited].
const DefaultMaxActions = 10

// ErrNoJournal is returned by [Apply] when [Options.Journal] is nil: no
// account is changed without a durable record.
var ErrNoJournal = errors.New("reclaim: a journal is required to apply a plan")

// Options control [Apply].
type Options struct {
	// MaxActions caps the actions of one run: a plan with more actions
	// applies none and reports each skipped_cap. 0 means
	// DefaultMaxActions; negative is an error.
	MaxActions int
	// Unlimited lifts the cap explicitly; MaxActions is then ignored.
	Unlimited bool
	// Journal records every action before and after the vendor call.
	// Required.
	Journal *Journal
	// Now is the clock; nil means time.Now. Times are written in UTC.
	Now func() time.Time
	// RunID identifies this run in the journal; empty means one is made
	// from the clock and a random suffix.
	RunID string
	// ReclaimAgainAfter bounds "never reclaimed twice" in time. A user
	// whose seat the journal records freed, and who holds it again, is
	// canceled when the journal's done entry is younger than this (a
	// resumed or retried run never repeats an action); when it is at least
	// this old, the user is taken as a new action: the other re-checks
	// apply as to any user, and the journal records the attempt and its
	// outcome anew. Callers pass the rule's inactivity threshold: a seat
	// given back and unused for that long again is a new candidate. 0
	// means never: a seat is reclaimed at most once per journal.
	ReclaimAgainAfter time.Duration
}

// ActionResult is the outcome of one action.
type ActionResult struct {
	ExternalUserID string          `json:"external_user_id"`
	Email          string          `json:"email"`
	Action         sam.ReclaimMode `json:"action"`
	Outcome        Outcome         `json:"outcome"`
	// Error is the failure, for outcome failed (the vendor's message as
	// the spoke reports it); empty otherwise.
	Error string `json:"error"`
	// Reason says why an action was canceled, skipped or already applied,
	// or why an applied action reclaimed a seat an earlier run had freed.
	Reason      string           `json:"reason,omitempty"`
	Models      []string         `json:"models"`
	Identifiers []sam.Identifier `json:"identifiers"`
}

// Counts counts the actions of a report by outcome.
type Counts struct {
	Applied        int `json:"applied"`
	AlreadyApplied int `json:"already_applied"`
	Canceled       int `json:"canceled"`
	Failed         int `json:"failed"`
	SkippedCap     int `json:"skipped_cap"`
}

func (c *Counts) add(o Outcome) {
	switch o {
	case Applied:
		c.Applied++
	case AlreadyApplied:
		c.AlreadyApplied++
	case Canceled:
		c.Canceled++
	case Failed:
		c.Failed++
	case SkippedCap:
		c.SkippedCap++
	}
}

// Report is what an [Apply] run did.
type Report struct {
	RunID   string          `json:"run_id"`
	Profile string          `json:"profile"`
	Mode    sam.ReclaimMode `json:"mode"`
	// Planned is the number of actions in the plan.
	Planned int `json:"planned"`
	// MaxActions is the cap in force; 0 when it was lifted.
	MaxActions int `json:"max_actions"`
	// CapExceeded is true when the plan was above the cap, so nothing was
	// applied.
	CapExceeded bool `json:"cap_exceeded"`
	// Interrupted is true when the context ended the run before every
	// action was handled; the actions not reached are not listed, nor is
	// an action in [Report.Unresolved].
	Interrupted bool `json:"interrupted"`
	// Unresolved lists the external id of the user, if any, whose vendor
	// call the end of the context cut short and whose re-read failed too:
	// whether its seat was freed is unknown. The journal keeps the
	// attempt without an outcome (see [Attempt]); the next run re-reads
	// the user, as an action when it plans one, else to settle it (see
	// [Report.Resolved]).
	Unresolved []string `json:"unresolved,omitempty"`
	// Resolved lists the attempts that earlier runs left without an
	// outcome (a killed run, or one cut short whose re-read failed) for
	// users this plan does not act on, as this run settled them by
	// re-reading the user: already_applied when the seat is free,
	// canceled when the user holds it still (the call did not take effect
	// and the user is no longer a candidate) or is gone. They are not
	// actions of this run: the snapshot already showed their seats as
	// they are, so positions do not move for them. A user the plan acts
	// on is settled by its action instead.
	Resolved []ActionResult `json:"resolved,omitempty"`
	Actions  []ActionResult `json:"actions"`
	Counts   Counts         `json:"counts"`
	// Freed lists the external ids of the users whose seats are free after
	// the run (outcomes applied and already_applied), in plan order.
	// Positions recomputed after the run drop by exactly these seats.
	Freed []string `json:"freed"`
}

// Failed reports whether any action failed.
func (r Report) Failed() bool { return r.Counts.Failed > 0 }

func (r *Report) add(res ActionResult) {
	r.Actions = append(r.Actions, res)
	r.Counts.add(res.Outcome)
	if res.Outcome.Done() {
		r.Freed = append(r.Freed, res.ExternalUserID)
	}
}

// Apply carries out plan through r, recording every step in opts.Journal.
//
// When the plan has more actions than the cap, nothing is applied and every
// action is reported skipped_cap. Otherwise, for each action in order,
// Apply re-reads the user and:
//   - reports already_applied when the seat is already free, whoever
//     freed it: in every mode, the user consumes none of the action's
//     subscriptions ([Action.Identifiers]), being disabled or holding none
//     of them; except that in [sam.ReclaimDisable] mode an enabled user
//     who holds none of them before any attempt of ours is canceled ("no
//     longer a paid seat"): someone else changed the seat, and disabling
//     the user is not called for;
//   - cancels the action when the user is gone, is an administrator, was
//     active after the activity the plan saw, or had the seat given back
//     (holds one of the action's subscriptions again) after the journal
//     recorded it freed less than [Options.ReclaimAgainAfter] ago (never,
//     when it is 0): a resumed or retried run never reclaims a seat twice;
//   - otherwise journals an attempt, calls r.Reclaim, and journals applied,
//     or failed with the error. A failed call is resolved by re-reading the
//     user: a seat found free is already_applied.
//
// When ctx ends during the vendor call (the call may have been served, its
// answer lost), the re-read runs with a fresh context (ctx's values, not its
// end) bounded to 10 seconds: a seat found free is already_applied, a seat still held
// is failed (the next run tries again). When that re-read fails too, no
// outcome is journaled: the attempt stays the user's last entry, the
// action is listed in [Report.Unresolved], and the next run re-reads the
// user (see [Attempt]).
//
// Before any action, Apply settles the attempts that earlier runs left
// without an outcome for users the plan does not act on (a killed run's
// last call; the user, disabled by it, is no longer a candidate): it
// re-reads each and journals already_applied or canceled, listed in
// [Report.Resolved].
//
// A failed action does not stop the others. The returned error is non-nil
// only when the run could not go on: bad arguments, a journal write that
// failed (the report then holds the actions done so far), or ctx ending
// (the run stops before the next action, [Report.Interrupted] is set and
// the error wraps ctx.Err()), or a reclaimer that does not support the
// plan's mode (the action is failed and the error wraps
// [sam.ErrUnsupportedMode]: every other action would fail the same way).
// Per-action failures are in the report; see [Report.Failed].
func Apply(ctx context.Context, r sam.Reclaimer, plan Plan, opts Options) (Report, error) {
	switch {
	case r == nil:
		return Report{}, errors.New("reclaim: no reclaimer")
	case opts.Journal == nil:
		return Report{}, ErrNoJournal
	case opts.MaxActions < 0:
		return Report{}, fmt.Errorf("reclaim: max actions is %d; it must be 0 (the default of %d) or more", opts.MaxActions, DefaultMaxActions)
	case !ValidMode(plan.Mode):
		return Report{}, fmt.Errorf("reclaim: %q is not a reclaim mode name (%s)", plan.Mode, modeRule)
	}
	for _, a := range plan.Actions {
		if a.Profile != plan.Profile || a.Mode != plan.Mode || a.ExternalUserID == "" {
			return Report{}, fmt.Errorf("reclaim: action for user %q (profile %q, mode %q) does not belong to the plan (profile %q, mode %q)", a.ExternalUserID, a.Profile, a.Mode, plan.Profile, plan.Mode)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	runID := opts.RunID
	if runID == "" {
		runID = newRunID(now())
	}
	maxActions := opts.MaxActions
	if maxActions == 0 {
		maxActions = DefaultMaxActions
	}
	if opts.Unlimited {
		maxActions = 0
	}
	rep := Report{
		RunID:      runID,
		Profile:    plan.Profile,
		Mode:       plan.Mode,
		Planned:    len(plan.Actions),
		MaxActions: maxActions,
		Actions:    []ActionResult{},
		Freed:      []string{},
	}
	if opts.ReclaimAgainAfter < 0 {
		return Report{}, fmt.Errorf("reclaim: reclaim-again-after is %v; it must be 0 (never) or more", opts.ReclaimAgainAfter)
	}
	ap := applier{r: r, j: opts.Journal, now: now, runID: runID, again: opts.ReclaimAgainAfter}

	if err := ap.resolveEarlier(ctx, plan, &rep); err != nil {
		return rep, err
	}
	if len(plan.Actions) == 0 {
		return rep, nil
	}
	planned := make([]Entry, len(plan.Actions))
	for i, a := range plan.Actions {
		planned[i] = ap.entry(a, Planned, "", "")
	}
	if err := ap.j.Append(planned...); err != nil {
		return rep, err
	}

	if maxActions > 0 && len(plan.Actions) > maxActions {
		rep.CapExceeded = true
		reason := fmt.Sprintf("the plan has %d actions, above the cap of %d; none applied (lift the cap explicitly to apply them all)", len(plan.Actions), maxActions)
		skipped := make([]Entry, len(plan.Actions))
		for i, a := range plan.Actions {
			skipped[i] = ap.entry(a, SkippedCap, "", reason)
		}
		if err := ap.j.Append(skipped...); err != nil {
			return rep, err
		}
		for _, a := range plan.Actions {
			rep.add(result(a, SkippedCap, "", reason))
		}
		return rep, nil
	}

	for i, a := range plan.Actions {
		if err := ctx.Err(); err != nil {
			rep.Interrupted = true
			return rep, fmt.Errorf("reclaim: stopped with %d of %d actions left: %w", len(plan.Actions)-i, len(plan.Actions), err)
		}
		res, err := ap.apply(ctx, a)
		if res != nil {
			rep.add(*res)
		}
		if err != nil {
			if ctx.Err() != nil && res == nil {
				rep.Interrupted = true
			}
			var unresolved *unresolvedError
			if errors.As(err, &unresolved) {
				rep.Unresolved = append(rep.Unresolved, unresolved.user)
			}
			return rep, err
		}
	}
	return rep, nil
}

func newRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func result(a Action, o Outcome, errText, reason string) ActionResult {
	return ActionResult{
		ExternalUserID: a.ExternalUserID,
		Email:          a.Email,
		Action:         a.Mode,
		Outcome:        o,
		Error:          errText,
		Reason:         reason,
		Models:         append([]string{}, a.Models...),
		Identifiers:    append([]sam.Identifier{}, a.Identifiers...),
	}
}

type applier struct {
	r     sam.Reclaimer
	j     *Journal
	now   func() time.Time
	runID string
	again time.Duration // Options.ReclaimAgainAfter
}

func (ap *applier) entry(a Action, o Outcome, errText, reason string) Entry {
	return Entry{
		Time:    ap.now().UTC(),
		RunID:   ap.runID,
		Profile: a.Profile,
		UserID:  a.ExternalUserID,
		Email:   a.Email,
		Action:  a.Mode,
		Outcome: o,
		Error:   errText,
		Reason:  reason,
	}
}

// finish journals the outcome of a and returns its result.
func (ap *applier) finish(a Action, o Outcome, errText, reason string) (*ActionResult, error) {
	res := result(a, o, errText, reason)
	return &res, ap.j.Append(ap.entry(a, o, errText, reason))
}

// seatFree reports whether the seats an action frees are free, the same
// way in every mode: the user consumes none of the action's subscriptions
// (ids; any paid subscription when ids is empty). A disabled user consumes
// nothing; an enabled one may still hold none of them (a vendor whose
// reclaim removes the licence and keeps the user, or someone else's
// change).
func seatFree(u sam.User, ids []sam.Identifier) bool {
	if !u.Consumes() {
		return true
	}
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if u.HasIdentifier(id) {
			return false
		}
	}
	return true
}

// freeReason says why u's seats are already free.
func freeReason(u sam.User, ids []sam.Identifier) string {
	switch {
	case !u.Enabled:
		return "the user is already disabled"
	case len(u.Identifiers) == 0 || len(ids) == 0:
		return "the seat is already free at the vendor: the user holds no paid subscription"
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = string(id)
	}
	return "the seat is already free at the vendor: the user holds none of the planned subscriptions (" + strings.Join(names, ", ") + ")"
}

// activityMoved reports whether the re-read activity is a sighting after
// the one the plan saw. A re-read that knows less (unknown) does not move
// activity: the plan's figure came from the fuller snapshot.
func activityMoved(planned, now sam.Activity) bool {
	if now.State != sam.ActivitySeen {
		return false
	}
	return planned.State != sam.ActivitySeen || now.At.After(planned.At)
}

// apply handles one action. A nil result with a nil error cannot happen; a
// nil result with an error means the run stopped before the action.
func (ap *applier) apply(ctx context.Context, a Action) (*ActionResult, error) {
	st, _ := ap.j.Status(a.Profile, a.ExternalUserID)
	u, err := ap.lookup(ctx, a.ExternalUserID)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reclaim: stopped before user %s: %w", a.ExternalUserID, ctx.Err())
		}
		if errors.Is(err, sam.ErrUserNotFound) {
			return ap.finish(a, Canceled, "", "the user no longer exists at the vendor")
		}
		return ap.finish(a, Failed, fmt.Sprintf("re-reading the user: %v", err), "")
	}
	// again, when set, says why a user the journal records freed is
	// reclaimed as a new action.
	again := ""
	if st.Done != nil {
		done := st.Done.Time.Format(time.RFC3339)
		if seatFree(u, a.Identifiers) {
			return ap.finish(a, AlreadyApplied, "", fmt.Sprintf("the journal records the seat freed (%s) by run %s at %s", st.Done.Outcome, st.Done.RunID, done))
		}
		if age := ap.now().Sub(st.Done.Time); ap.again <= 0 || age < ap.again {
			limit := "a seat is never reclaimed twice through one journal"
			if ap.again > 0 {
				limit = fmt.Sprintf("a seat is not reclaimed again within %s of being freed", durationText(ap.again))
			}
			return ap.finish(a, Canceled, "", fmt.Sprintf("the seat was given back after run %s freed it at %s; %s", st.Done.RunID, done, limit))
		}
		again = fmt.Sprintf("reclaimed again: the seat was given back after run %s freed it at %s, more than %s ago, and the user is a candidate again", st.Done.RunID, done, durationText(ap.again))
	}
	if seatFree(u, a.Identifiers) {
		reason := freeReason(u, a.Identifiers)
		if a.Mode == sam.ReclaimDisable && u.Enabled && !st.Interrupted() {
			// Not what this action does, nor what an attempt of ours left:
			// someone took the seat away and left the user enabled. The
			// hub cancels such an action (Closed Canceled).
			return ap.finish(a, Canceled, "", "the user no longer holds a paid seat ("+reason+"); the user is still enabled and is not disabled")
		}
		if st.Interrupted() {
			reason += fmt.Sprintf(" (attempt by run %s at %s was interrupted)", st.Last.RunID, st.Last.Time.Format(time.RFC3339))
		}
		return ap.finish(a, AlreadyApplied, "", reason)
	}
	if u.Administrator {
		return ap.finish(a, Canceled, "", "the user is an administrator; administrators are never reclaimed")
	}
	if activityMoved(a.PlannedActivity, u.Activity) {
		return ap.finish(a, Canceled, "", fmt.Sprintf("activity since the plan: last active %s, the plan saw %s", u.Activity, a.PlannedActivity))
	}

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reclaim: stopped before user %s: %w", a.ExternalUserID, err)
	}
	if err := ap.j.Append(ap.entry(a, Attempt, "", again)); err != nil {
		return nil, err
	}
	callErr := ap.r.Reclaim(ctx, a.ExternalUserID, a.Mode)
	if callErr == nil {
		return ap.finish(a, Applied, "", again)
	}
	// The call may have freed the seat before failing (a retried request
	// answered 404, a lost response, or the run stopped while the call was
	// in flight): the vendor decides. When ctx has ended, one bounded
	// re-read still runs, so that a seat the vendor did free is not
	// journaled as failed.
	rctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), resolveTimeout)
		defer cancel()
	}
	u2, err := ap.lookup(rctx, a.ExternalUserID)
	switch {
	case err == nil && seatFree(u2, a.Identifiers) && ctx.Err() != nil:
		return ap.finish(a, AlreadyApplied, "", fmt.Sprintf("the run ended during the reclaim call (%v); re-reading shows the seat free", callErr))
	case err == nil && seatFree(u2, a.Identifiers):
		return ap.finish(a, AlreadyApplied, "", fmt.Sprintf("the reclaim call failed (%v) but re-reading shows the seat free", callErr))
	case errors.Is(err, sam.ErrUserNotFound) && errors.Is(callErr, sam.ErrUserNotFound):
		return ap.finish(a, Canceled, "", "the user no longer exists at the vendor")
	case err != nil && ctx.Err() != nil:
		// Whether the vendor acted is unknown. A final failed would be
		// false if it did (and, the user then being no candidate, would
		// never be corrected): leave the attempt as the journal's last
		// word, which the next run that plans the user resolves by
		// re-reading it.
		return nil, &unresolvedError{user: a.ExternalUserID, readErr: err, ctxErr: ctx.Err()}
	}
	res, err := ap.finish(a, Failed, callErr.Error(), "")
	if err == nil && errors.Is(callErr, sam.ErrUnsupportedMode) {
		// Every other action would fail the same way.
		err = fmt.Errorf("reclaim: the reclaimer does not support mode %q; the run stops (no further action is tried): %w", a.Mode, callErr)
	}
	return res, err
}

// resolveEarlier settles the attempts earlier runs left without an
// outcome for users outside plan (see [Report.Resolved]). A user whose
// re-read fails is listed in [Report.Unresolved] and left for a later run;
// the end of ctx stops the run.
func (ap *applier) resolveEarlier(ctx context.Context, plan Plan, rep *Report) error {
	inPlan := make(map[string]bool, len(plan.Actions))
	for _, a := range plan.Actions {
		inPlan[a.ExternalUserID] = true
	}
	for _, e := range ap.j.Interrupted(plan.Profile) {
		if inPlan[e.UserID] {
			continue // its action re-reads it
		}
		if err := ctx.Err(); err != nil {
			rep.Interrupted = true
			return fmt.Errorf("reclaim: stopped while settling earlier attempts: %w", err)
		}
		a := Action{Profile: e.Profile, ExternalUserID: e.UserID, Email: e.Email, Mode: e.Action}
		cut := fmt.Sprintf("the attempt by run %s at %s was cut short", e.RunID, e.Time.Format(time.RFC3339))
		var o Outcome
		var reason string
		u, err := ap.lookup(ctx, e.UserID)
		switch {
		case errors.Is(err, sam.ErrUserNotFound):
			o, reason = Canceled, cut+"; the user no longer exists at the vendor"
		case err != nil && ctx.Err() != nil:
			rep.Interrupted = true
			return fmt.Errorf("reclaim: stopped while settling earlier attempts: %w", ctx.Err())
		case err != nil:
			rep.Unresolved = append(rep.Unresolved, e.UserID)
			continue
		case seatFree(u, nil):
			o, reason = AlreadyApplied, cut+"; re-reading shows the seat free"
		default:
			o, reason = Canceled, cut+" and did not take effect; the user is no longer a candidate"
		}
		res, err := ap.finish(a, o, "", reason)
		if err != nil {
			return err
		}
		rep.Resolved = append(rep.Resolved, *res)
	}
	return nil
}

// durationText says d in whole days when it is a multiple of a day (as
// thresholds are), else as [time.Duration.String] does.
func durationText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// unresolvedError is returned by apply for a call cut short by the end of
// the run's context when the re-read that would tell its outcome failed.
type unresolvedError struct {
	user    string
	readErr error
	ctxErr  error
}

func (e *unresolvedError) Error() string {
	return fmt.Sprintf("reclaim: the run ended during the call for user %s and re-reading the user failed (%v), so whether the seat was freed is unknown; the journal keeps the attempt without an outcome and the next run re-reads the user: %v", e.user, e.readErr, e.ctxErr)
}

func (e *unresolvedError) Unwrap() error { return e.ctxErr }

// resolveTimeout bounds the re-read that resolves a call interrupted by the
// end of the run's context.
const resolveTimeout = 10 * time.Second

func (ap *applier) lookup(ctx context.Context, id string) (sam.User, error) {
	u, err := ap.r.LookupUser(ctx, id)
	if err != nil {
		return sam.User{}, err
	}
	if u.ExternalID != "" && u.ExternalID != id {
		return sam.User{}, fmt.Errorf("the vendor answered with user %s", u.ExternalID)
	}
	return u, nil
}
