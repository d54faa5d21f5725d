package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samspoke/samspoke/reclaim"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// RunHeader is the top of the report: what was evaluated, when and how.
// Embedded in Report (its fields are the JSON's top-level keys) and in
// run.csv's row.
type RunHeader struct {
	AsOf          time.Time `json:"as_of"`
	Profile       string    `json:"profile"`
	Account       string    `json:"account"`
	ThresholdDays int       `json:"threshold_days"`
	Cutoff        time.Time `json:"cutoff"`
	DryRun        bool      `json:"dry_run"`
	ReclaimMode   string    `json:"reclaim_mode"`
	// Journal is the reclaim journal the run wrote: "" in a dry run, in a
	// -config run without -journal (each profile names its own), and in
	// the demo without -journal (its journal is a temporary file, deleted
	// when the run ends).
	Journal string `json:"journal"`
}

// Report is the JSON report (-format json). Its fields are documented in the
// README; money is a decimal string rounded once, here, to the currency's
// minor units, and null when unknown. Every key is always present, so the
// shape is the same in every run: what does not apply to a run is null (a
// list or block) or "" (a string).
type Report struct {
	RunHeader
	Subscriptions []subscription `json:"subscriptions"`
	Candidates    []candidate    `json:"candidates"`
	Protected     []protected    `json:"protected"`
	// Positions are the license positions as they stand after this run:
	// after the reclaim actions when -reclaim ran.
	Positions []position `json:"positions"`
	// PositionsBefore are the positions before the reclaim actions; null
	// unless -reclaim ran.
	PositionsBefore []position `json:"positions_before"`
	// Reclaim summarizes the reclaim of a single-account run; null in a
	// dry run and in a -config run (each profile carries its own).
	Reclaim  *reclaimBlock `json:"reclaim"`
	Actions  []action      `json:"actions"`
	Warnings []warning     `json:"warnings"`
	// Profiles describes each account of a -config run; null otherwise.
	// Rows of the lists above then carry their profile, and Positions
	// holds each profile's positions followed by the cross-profile totals
	// per model (with profile "").
	Profiles []profileSummary `json:"profiles"`

	// tempJournal is set when the run's journal was the demo's temporary
	// file: the text and HTML reports say it is gone.
	tempJournal bool
}

// profileSummary is one account of a -config run.
type profileSummary struct {
	Name          string    `json:"name"`
	Account       string    `json:"account"`
	ThresholdDays int       `json:"threshold_days"`
	Cutoff        time.Time `json:"cutoff"`
	// Journal is the profile's journal; "" in a dry run.
	Journal string        `json:"journal"`
	Reclaim *reclaimBlock `json:"reclaim"`
}

type subscription struct {
	Profile        string     `json:"profile"`
	ExternalUserID string     `json:"external_user_id"`
	Email          string     `json:"email"`
	Model          string     `json:"model"`
	Identifier     string     `json:"identifier"`
	Active         bool       `json:"active"`
	Administrator  bool       `json:"administrator"`
	LastActivity   *time.Time `json:"last_activity"`
	Activity       string     `json:"activity"`
	InactiveDays   *int       `json:"inactive_days"`
}

type candidate struct {
	Profile        string     `json:"profile"`
	ExternalUserID string     `json:"external_user_id"`
	Email          string     `json:"email"`
	Model          string     `json:"model"`
	Reason         string     `json:"reason"`
	InactiveDays   int        `json:"inactive_days"`
	LastActivity   *time.Time `json:"last_activity"`
	State          string     `json:"state"`
}

type protected struct {
	Profile        string `json:"profile"`
	ExternalUserID string `json:"external_user_id"`
	Email          string `json:"email"`
	Reason         string `json:"reason"`
}

type position struct {
	Profile     string `json:"profile"`
	Model       string `json:"model"`
	RightsOwned int64  `json:"rights_owned"`
	Unlimited   bool   `json:"unlimited"`
	// SharedRights is, on a profile's row of a -config run, the pool of
	// company-wide rights (-entitlements) every profile draws on: not in
	// the row's rights_owned, counted once in the totals' rights_owned.
	// 0 otherwise.
	SharedRights int64 `json:"shared_rights"`
	RightsUsed   int64 `json:"rights_used"`
	// RightsCovered counts the people of rights_used covered by an
	// unlimited entitlement, who need no right: available is
	// rights_owned − (rights_used − rights_covered).
	RightsCovered    int64      `json:"rights_covered"`
	Available        int64      `json:"available"`
	RightsNeeded     int64      `json:"rights_needed"`
	Status           sam.Status `json:"status"`
	Currency         *string    `json:"currency"`
	PricePerRight    *string    `json:"price_per_right"`
	TrueUpCost       *string    `json:"true_up_cost"`
	OverLicensedCost *string    `json:"over_licensed_cost"`
	PotentialSavings *string    `json:"potential_savings"`
	Assigned         int64      `json:"assigned"`
	Stale            int64      `json:"stale"`
	PercentUnused    *string    `json:"percent_unused"`
	Spread           sam.Spread `json:"activity_spread"`
}

type reclaimBlock struct {
	Mode        string         `json:"mode"`
	Planned     int            `json:"planned"`
	MaxActions  int            `json:"max_actions"`
	CapExceeded bool           `json:"cap_exceeded"`
	Interrupted bool           `json:"interrupted"`
	Counts      reclaim.Counts `json:"counts"`
	Freed       []string       `json:"freed"`
	// Unresolved lists the users whose outcome is unknown: the call was
	// cut short and the user could not be re-read. Their candidates are
	// awaiting_revocation; the next run re-reads them.
	Unresolved []string `json:"unresolved"`
	// Resolved lists the attempts an earlier run left without an outcome
	// (it was killed during the call) for users this run did not plan,
	// settled by re-reading them: already_applied or canceled.
	// CSV: resolved.csv, one row each.
	Resolved []action `json:"resolved" csv:"-"`
}

type action struct {
	Profile        string   `json:"profile"`
	ExternalUserID string   `json:"external_user_id"`
	Email          string   `json:"email"`
	Action         string   `json:"action"`
	Outcome        string   `json:"outcome"`
	Error          string   `json:"error"`
	Reason         string   `json:"reason"`
	Models         []string `json:"models"`
}

// reportAction is one reclaim action of profile as the report shows it.
func reportAction(profile string, act reclaim.ActionResult) action {
	return action{Profile: profile, ExternalUserID: act.ExternalUserID, Email: act.Email, Action: string(act.Action),
		Outcome: string(act.Outcome), Error: act.Error, Reason: act.Reason, Models: append([]string{}, act.Models...)}
}

type warning struct {
	Profile string `json:"profile"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Model and UserID name the model and the user a warning is about;
	// "" when it is about neither.
	Model  string `json:"model"`
	UserID string `json:"external_user_id"`
}

func timePtr(a sam.Activity) *time.Time {
	if a.State != sam.ActivitySeen {
		return nil
	}
	t := a.At.UTC()
	return &t
}

func decPtr(d *sam.Decimal, places int) *string {
	if d == nil {
		return nil
	}
	s := d.StringFixed(places)
	return &s
}

func positions(ps []sam.Position) []position {
	out := make([]position, 0, len(ps))
	for _, p := range ps {
		p = reconcile.RoundPosition(p)
		places := sam.CurrencyMinorUnits(p.Currency)
		q := position{
			Profile: p.Profile, Model: p.Model, RightsOwned: p.RightsOwned, Unlimited: p.Unlimited, SharedRights: p.SharedRights,
			RightsUsed: p.RightsUsed, RightsCovered: p.RightsCovered, Available: p.Available, RightsNeeded: p.RightsNeeded, Status: p.Status,
			PricePerRight: decPtr(p.PricePerRight, places), TrueUpCost: decPtr(p.TrueUpCost, places),
			OverLicensedCost: decPtr(p.OverLicensedCost, places), PotentialSavings: decPtr(p.PotentialSavings, places),
			Assigned: p.Assigned, Stale: p.Stale, PercentUnused: decPtr(p.PercentUnused, 2), Spread: p.Spread,
		}
		if p.Currency != "" {
			c := p.Currency
			q.Currency = &c
		}
		out = append(out, q)
	}
	return out
}

// buildReport turns a run into its report. A single-account run reports
// that account; a -config run reports every profile's rows, tagged with the
// profile, and the cross-profile totals.
func buildReport(j *job) *Report {
	multi := j.o.multi()
	r := &Report{
		RunHeader: RunHeader{AsOf: j.now, ThresholdDays: j.before.ThresholdDays, Cutoff: j.before.Cutoff,
			DryRun: !j.o.reclaim, ReclaimMode: string(j.o.reclaimMode)},
		Subscriptions: []subscription{}, Candidates: []candidate{}, Protected: []protected{},
		Actions: []action{}, Warnings: []warning{}, Positions: []position{},
	}
	if !multi {
		a := j.accts[0]
		r.Profile, r.Account, r.Journal = a.name(), a.conn.account, a.journal
		if a.tempJournal {
			// The path names a file that is gone when the reader sees it.
			r.Journal, r.tempJournal = "", true
		}
	} else {
		names := make([]string, len(j.accts))
		for i, a := range j.accts {
			names[i] = a.name()
		}
		r.Profile = strings.Join(names, ",")
		r.Account = fmt.Sprintf("%d accounts (%s)", len(j.accts), j.o.config)
		r.Journal = j.o.journal
		r.Profiles = []profileSummary{}
	}
	// mine keeps a row of account a: every row in a single-account run;
	// in a -config run, the rows of a's profile from a's own evaluation.
	mine := func(a *account, profile string) bool { return !multi || profile == a.name() }
	// tag is the profile a row of account a carries: every row carries its
	// profile, in a single-account run as in a -config run.
	tag := func(a *account, profile string) string {
		if profile == "" {
			return a.name()
		}
		return profile
	}
	// Warnings speak of the account as the report's positions show it:
	// after the reclaim when one ran.
	applied := j.applied()
	var before, after []sam.Position
	for _, a := range j.accts {
		// Every table shows a user's email as Aha! has it; the writers
		// escape it (CSV formula guard, HTML escaping).
		emails := make(map[string]string, len(a.prof.Users))
		for _, u := range a.prof.Users {
			if u.ExternalID != "" {
				emails[u.ExternalID] = u.Email
			}
		}
		for _, s := range a.before.Subscriptions {
			if !mine(a, s.Profile) {
				continue
			}
			r.Subscriptions = append(r.Subscriptions, subscription{
				Profile: tag(a, s.Profile), ExternalUserID: s.ExternalUserID, Email: emails[s.ExternalUserID], Model: s.Model,
				Identifier: string(s.Identifier), Active: s.Active, Administrator: s.Administrator,
				LastActivity: timePtr(s.LastActivity), Activity: s.LastActivity.State.String(), InactiveDays: s.InactiveDays,
			})
		}
		for _, c := range a.before.Candidates {
			if !mine(a, c.Profile) {
				continue
			}
			c = candidateAfter(c, a.applied, j.now)
			r.Candidates = append(r.Candidates, candidate{
				Profile: tag(a, c.Profile), ExternalUserID: c.ExternalUserID, Email: c.Email, Model: c.Model, Reason: c.Reason,
				InactiveDays: c.InactiveDays, LastActivity: timePtr(c.LastActivity), State: string(c.State),
			})
		}
		for _, p := range a.before.Protected {
			if !mine(a, p.Profile) {
				continue
			}
			r.Protected = append(r.Protected, protected{Profile: tag(a, p.Profile), ExternalUserID: p.ExternalUserID, Email: p.Email, Reason: string(p.Reason)})
		}
		for _, p := range a.before.Positions {
			if mine(a, p.Profile) {
				before = append(before, p)
			}
		}
		for _, p := range a.after.Positions {
			if mine(a, p.Profile) {
				after = append(after, p)
			}
		}
		var block *reclaimBlock
		if a.applied != nil {
			x := a.applied
			block = &reclaimBlock{Mode: string(x.Mode), Planned: x.Planned, MaxActions: x.MaxActions,
				CapExceeded: x.CapExceeded, Interrupted: x.Interrupted, Counts: x.Counts, Freed: append([]string{}, x.Freed...),
				Unresolved: append([]string{}, x.Unresolved...), Resolved: []action{}}
			for _, act := range x.Resolved {
				block.Resolved = append(block.Resolved, reportAction(a.name(), act))
			}
			for _, act := range x.Actions {
				r.Actions = append(r.Actions, reportAction(a.name(), act))
			}
		}
		if multi {
			r.Profiles = append(r.Profiles, profileSummary{Name: a.name(), Account: a.conn.account,
				ThresholdDays: a.before.ThresholdDays, Cutoff: a.before.Cutoff, Journal: a.journal, Reclaim: block})
			res := a.before
			if applied {
				res = a.after
			}
			for _, w := range res.Warnings {
				if w.Profile == a.name() {
					r.Warnings = append(r.Warnings, warning{Profile: w.Profile, Code: string(w.Code), Message: w.Message, Model: w.Model, UserID: w.ExternalUserID})
				}
			}
		} else {
			r.Reclaim = block
		}
	}
	if multi {
		// The cross-profile totals, with the run's threshold.
		for _, p := range j.before.Positions {
			if p.Profile == "" {
				before = append(before, p)
			}
		}
		for _, p := range j.after.Positions {
			if p.Profile == "" {
				after = append(after, p)
			}
		}
	}
	r.Positions = positions(after)
	run := j.before
	if applied {
		r.PositionsBefore = positions(before)
		run = j.after
	}
	for _, w := range run.Warnings {
		if !multi || w.Profile == "" {
			r.Warnings = append(r.Warnings, warning{Profile: w.Profile, Code: string(w.Code), Message: w.Message, Model: w.Model, UserID: w.ExternalUserID})
		}
	}
	for _, a := range j.accts {
		for _, n := range a.notes {
			r.Warnings = append(r.Warnings, warning{Profile: a.name(), Code: "note", Message: n})
		}
	}
	for _, n := range j.notes {
		r.Warnings = append(r.Warnings, warning{Code: "note", Message: n})
	}
	for _, a := range j.accts {
		r.Warnings = append(r.Warnings, a.warns...)
	}
	r.Warnings = append(r.Warnings, j.warns...)
	if !multi {
		// One account: the warnings about the whole run are about it.
		for i := range r.Warnings {
			if r.Warnings[i].Profile == "" {
				r.Warnings[i].Profile = r.Profile
			}
		}
	}
	return r
}

// candidateAfter moves a candidate through the hub's states by the outcome
// of its user's reclaim action in rep (nil: no reclaim ran; it stays
// ready):
//   - applied, already_applied: awaiting_revocation, then closed_complete;
//   - failed: awaiting_revocation, then attention_required (a person must
//     look; the next run tries again);
//   - canceled (the user came back, or lost the seat meanwhile):
//     closed_canceled;
//   - unresolved (the call was cut short and its outcome is unknown):
//     awaiting_revocation, until a run re-reads the user;
//   - skipped_cap, or not reached: ready.
func candidateAfter(c sam.Candidate, rep *reclaim.Report, at time.Time) sam.Candidate {
	if rep == nil {
		return c
	}
	var path []sam.CandidateState
	if slices.Contains(rep.Unresolved, c.ExternalUserID) {
		path = []sam.CandidateState{sam.AwaitingRevocation}
	}
	for _, act := range rep.Actions {
		if act.ExternalUserID != c.ExternalUserID {
			continue
		}
		switch act.Outcome {
		case reclaim.Applied, reclaim.AlreadyApplied:
			path = []sam.CandidateState{sam.AwaitingRevocation, sam.ClosedComplete}
		case reclaim.Failed:
			path = []sam.CandidateState{sam.AwaitingRevocation, sam.AttentionRequired}
		case reclaim.Canceled:
			path = []sam.CandidateState{sam.ClosedCanceled}
		}
	}
	for _, to := range path {
		next, err := c.Transition(to, at)
		if err != nil {
			break // an impossible move: keep the last state reached
		}
		c = next
	}
	return c
}

// seatsAndUsers counts candidates (seats: one per user and model) and the
// distinct users holding them.
func seatsAndUsers(cs []candidate) (seats, users int) {
	seen := map[[2]string]bool{}
	for _, c := range cs {
		seen[[2]string{c.Profile, c.ExternalUserID}] = true
	}
	return len(cs), len(seen)
}

// positionLabel names a position's row: the model, and in a -config run
// its profile or "all profiles" for the cross-profile total.
func positionLabel(r *Report, p position) string {
	switch {
	case r.Profiles == nil:
		return p.Model
	case p.Profile == "":
		return p.Model + " [all profiles]"
	default:
		return p.Model + " [" + p.Profile + "]"
	}
}

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func orDash(s *string) string {
	if s == nil {
		return "—"
	}
	return *s
}

// positionsTitle heads the positions table: after a reclaim it says
// whether the positions moved, and why not when they did not.
func positionsTitle(r *Report) string {
	if r.PositionsBefore == nil {
		return "License positions"
	}
	blocks := reclaimBlocks(r)
	capped, freed := 0, 0
	for _, x := range blocks {
		if x.CapExceeded {
			capped++
		}
		freed += len(x.Freed)
	}
	switch {
	case len(blocks) > 0 && capped == len(blocks):
		return "License positions (unchanged: the reclaim plan exceeds -max-reclaim, so no action was applied)"
	case freed == 0:
		return "License positions (unchanged: the reclaim freed no seat)"
	default:
		return fmt.Sprintf("License positions after the reclaim actions (%s freed)", plural(freed, "user"))
	}
}

// reclaimBlocks are the reclaim summaries of the run: the account's, or
// each profile's in a -config run.
func reclaimBlocks(r *Report) []*reclaimBlock {
	if r.Reclaim != nil {
		return []*reclaimBlock{r.Reclaim}
	}
	var out []*reclaimBlock
	for _, p := range r.Profiles {
		if p.Reclaim != nil {
			out = append(out, p.Reclaim)
		}
	}
	return out
}

// modeLine says whether the run changed anything and where its journal is.
func modeLine(r *Report) string {
	switch {
	case r.DryRun:
		return "dry run — nothing was changed in Aha! (use -reclaim to apply)"
	case r.tempJournal:
		return fmt.Sprintf("reclaim (%s); the demo's journal was a temporary file, deleted when the run ended (pass -journal FILE to keep one)", r.ReclaimMode)
	case r.Journal == "" && r.Profiles != nil:
		return fmt.Sprintf("reclaim (%s), one journal per profile (listed with the profiles)", r.ReclaimMode)
	default:
		return fmt.Sprintf("reclaim (%s), journal %s", r.ReclaimMode, r.Journal)
	}
}

// textTable writes rows (the first is the header) as columns two spaces
// apart, each cell padded to its column's display width, so that a wide
// or combining character does not shift the columns. Right-aligned tables
// pad every cell on the left; left-aligned ones pad every cell but the
// last on the right. No line ends in blanks.
func textTable(b *strings.Builder, right bool, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]+2-displayWidth(c))
			switch {
			case right:
				line.WriteString(pad + c)
			case i == len(row)-1:
				line.WriteString(c)
			default:
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// ownedText is a row's rights owned as the text and HTML reports show it:
// with -config, a profile's row names the company-wide pool it draws on
// beside its own rights ("0 +50 shared").
func ownedText(p position) string {
	switch {
	case p.Unlimited:
		return "unlimited"
	case p.SharedRights > 0:
		return fmt.Sprintf("%d +%d shared", p.RightsOwned, p.SharedRights)
	}
	return fmt.Sprint(p.RightsOwned)
}

// writePositionsText writes the positions table and the activity spread.
func writePositionsText(b *strings.Builder, r *Report, title string, ps []position, spread bool) {
	b.WriteString("\n" + title + "\n")
	rows := [][]string{{"Model", "Owned", "Used", "Available", "Status", "Price/right/yr", "True-up", "Over-licensed", "Savings", "Currency", "% unused"}}
	for _, p := range ps {
		owned := ownedText(p)
		rows = append(rows, []string{positionLabel(r, p), owned, fmt.Sprint(p.RightsUsed), fmt.Sprint(p.Available), string(p.Status),
			orDash(p.PricePerRight), orDash(p.TrueUpCost), orDash(p.OverLicensedCost), orDash(p.PotentialSavings), orDash(p.Currency), orDash(p.PercentUnused)})
	}
	textTable(b, true, rows)
	if !spread {
		return
	}
	b.WriteString("\nActivity spread (days since last activity, active subscriptions)\n")
	rows = [][]string{{"Model", "0–30", "30–60", "60–90", "90+", "never", "unknown"}}
	for _, p := range ps {
		s := p.Spread
		rows = append(rows, []string{positionLabel(r, p), fmt.Sprint(s.Days0To30), fmt.Sprint(s.Days30To60), fmt.Sprint(s.Days60To90),
			fmt.Sprint(s.Days90Plus), fmt.Sprint(s.Never), fmt.Sprint(s.Unknown)})
	}
	textTable(b, true, rows)
}

// writeText writes the report for a person at a terminal. Every string
// from the account is shown through [visible]: one row stays one line.
func writeText(w io.Writer, r *Report) error {
	r = visibleReport(r)
	var b strings.Builder
	fmt.Fprintf(&b, "samspoke — Aha! license position\n")
	fmt.Fprintf(&b, "Account:   %s (profile \"%s\")\n", r.Account, r.Profile)
	for _, p := range r.Profiles {
		fmt.Fprintf(&b, "  %-12s %s, inactive after %d days", p.Name, p.Account, p.ThresholdDays)
		if !r.DryRun && p.Journal != "" {
			fmt.Fprintf(&b, ", journal %s", p.Journal)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "As of:     %s; inactive = no activity for %d days (before %s)\n",
		r.AsOf.Format(time.RFC3339), r.ThresholdDays, r.Cutoff.Format(time.RFC3339))
	fmt.Fprintf(&b, "Mode:      %s\n", modeLine(r))

	writePositionsText(&b, r, positionsTitle(r), r.Positions, true)
	if r.PositionsBefore != nil {
		writePositionsText(&b, r, "License positions before the reclaim actions", r.PositionsBefore, false)
	}

	seats, users := seatsAndUsers(r.Candidates)
	fmt.Fprintf(&b, "\nReclamation candidates: %s of %s\n", plural(seats, "seat"), plural(users, "user"))
	if len(r.Candidates) > 0 {
		// After a reclaim, each candidate's state says where it ended.
		states := !r.DryRun
		var head []string
		if r.Profiles != nil {
			head = append(head, "Profile")
		}
		head = append(head, "User id", "Email", "Model", "Reason")
		if states {
			head = append(head, "State")
		}
		rows := [][]string{head}
		for _, c := range r.Candidates {
			var row []string
			if r.Profiles != nil {
				row = append(row, c.Profile)
			}
			row = append(row, c.ExternalUserID, c.Email, c.Model, c.Reason)
			if states {
				row = append(row, c.State)
			}
			rows = append(rows, row)
		}
		textTable(&b, false, rows)
	}

	fmt.Fprintf(&b, "\nProtected from reclaim: %d\n", len(r.Protected))
	if len(r.Protected) > 0 {
		counts := map[string]int{}
		for _, p := range r.Protected {
			counts[p.Reason]++
		}
		reasons := make([]string, 0, len(counts))
		for k := range counts {
			reasons = append(reasons, k)
		}
		sort.Strings(reasons)
		for _, k := range reasons {
			fmt.Fprintf(&b, "  %-42s %d\n", k, counts[k])
		}
		b.WriteString("\n")
		var head []string
		if r.Profiles != nil {
			head = append(head, "Profile")
		}
		rows := [][]string{append(head, "User id", "Email", "Reason")}
		for _, p := range r.Protected {
			var row []string
			if r.Profiles != nil {
				row = append(row, p.Profile)
			}
			rows = append(rows, append(row, p.ExternalUserID, p.Email, p.Reason))
		}
		textTable(&b, false, rows)
	}

	if r.Reclaim != nil {
		writeReclaimText(&b, "", r.Reclaim)
	}
	for _, p := range r.Profiles {
		if p.Reclaim != nil {
			writeReclaimText(&b, " ["+p.Name+"]", p.Reclaim)
		}
	}
	if len(r.Actions) > 0 {
		var head []string
		if r.Profiles != nil {
			head = append(head, "Profile")
		}
		rows := [][]string{append(head, "User id", "Email", "Action", "Outcome", "Detail")}
		for _, a := range r.Actions {
			var row []string
			if r.Profiles != nil {
				row = append(row, a.Profile)
			}
			rows = append(rows, append(row, a.ExternalUserID, a.Email, a.Action, a.Outcome, actionDetail(a)))
		}
		b.WriteString("\n")
		textTable(&b, false, rows)
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "\nWarnings: %d\n", len(r.Warnings))
		for _, w := range r.Warnings {
			// With several profiles, a warning about one says which.
			if r.Profiles != nil && w.Profile != "" {
				fmt.Fprintf(&b, "  - [%s] %s\n", w.Profile, w.Message)
				continue
			}
			fmt.Fprintf(&b, "  - %s\n", w.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// actionDetail is what the reports show of an action beside its outcome:
// the error of a failed one, else the reason.
func actionDetail(a action) string {
	if a.Error != "" {
		return a.Error
	}
	return a.Reason
}

// writeReclaimText writes a reclaim block's summary; label names the
// profile in a -config run.
func writeReclaimText(b *strings.Builder, label string, x *reclaimBlock) {
	lines := reclaimLines(x)
	fmt.Fprintf(b, "\nReclaim%s %s\n", label, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "  %s\n", l)
	}
}

// reclaimLines says what a reclaim did: the counts first, then what needs
// the reader's attention (the cap, an interruption, attempts of an earlier
// run settled now, users whose outcome is unknown). The text and HTML
// reports show the same lines.
func reclaimLines(x *reclaimBlock) []string {
	c := x.Counts
	lines := []string{fmt.Sprintf("(%s): planned %d, applied %d, already applied %d, canceled %d, failed %d, skipped by the cap %d, unresolved %d",
		x.Mode, x.Planned, c.Applied, c.AlreadyApplied, c.Canceled, c.Failed, c.SkippedCap, len(x.Unresolved))}
	if x.CapExceeded {
		lines = append(lines, fmt.Sprintf("The plan has %d actions, above the cap of %d: none was applied. Raise -max-reclaim, or lift it with -max-reclaim 0.",
			x.Planned, x.MaxActions))
	}
	if x.Interrupted {
		lines = append(lines, "Interrupted: the run stopped before every action was handled; the journal records what was done, and the next run resumes.")
	}
	for _, r := range x.Resolved {
		lines = append(lines, fmt.Sprintf("Settled from an earlier run: %s (%s): %s — %s", r.ExternalUserID, r.Email, r.Outcome, r.Reason))
	}
	if len(x.Unresolved) > 0 {
		lines = append(lines, "Unresolved (the call was cut short and the user could not be re-read; whether the seat was freed is unknown; the next run re-reads them): "+
			strings.Join(x.Unresolved, ", "))
	}
	return lines
}

// plural says n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
