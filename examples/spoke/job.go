package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/reclaim"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
	"golang.org/x/oauth2"
)

// runError is a failed run: exit status 1, with a message that names the
// cause and what to do.
type runError struct {
	msg string
	err error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.err }

// env carries what the job takes from its surroundings, so tests can run it
// in process.
type env struct {
	getenv func(string) string
	stderr io.Writer
	// clock is read once, when -now is not given.
	clock func() time.Time
	// transport, when set, is the base transport for the Aha! client.
	transport http.RoundTripper
	// terminal, when set, says whether stderr is a terminal (tests);
	// otherwise stderr is asked.
	terminal func() bool
	// renderEveryUpdate turns off the progress display's throttle (tests).
	renderEveryUpdate bool
	// attemptTimeout, when set, replaces the client's bound on one
	// request attempt (aha.RetryPolicy.AttemptTimeout; tests).
	attemptTimeout time.Duration
}

// connection is an Aha! account to work on: a real one, or the demo served in
// process.
type connection struct {
	spoke        *aha.Spoke
	profile      string
	account      string
	entitlements []byte // the demo's own, when no file is given
	close        func()
	// tokenWarning, when not empty, says the token file's access token
	// expires soon and cannot be refreshed.
	tokenWarning string
}

// connect sets up the client of one account. obs, when not nil, watches
// every request for the progress display and the -v log.
func connect(ctx context.Context, o *options, spec accountSpec, e env, now time.Time, logger *slog.Logger, obs *observer) (*connection, error) {
	clientOpts := []aha.Option{aha.WithUserAgent("samspoke-spoke/1")}
	if logger != nil {
		clientOpts = append(clientOpts, aha.WithLogger(logger))
	}
	base := e.transport
	if obs != nil {
		if base == nil {
			base = http.DefaultTransport
		}
		base = obs.wrap(base)
	}
	if base != nil {
		clientOpts = append(clientOpts, aha.WithTransport(base))
	}
	if e.attemptTimeout > 0 {
		p := aha.DefaultRetryPolicy()
		p.AttemptTimeout = e.attemptTimeout
		clientOpts = append(clientOpts, aha.WithRetryPolicy(p))
	}
	if o.requestsPerS > 0 || o.requestsPerMn > 0 {
		ps, pm := o.requestsPerS, o.requestsPerMn
		if ps == 0 {
			ps = aha.DefaultPerSecond
		}
		if pm == 0 {
			pm = aha.DefaultPerMinute
		}
		lim, err := aha.NewLimiter(ps, pm, 1)
		if err != nil {
			return nil, usagef("-rate/-rate-per-minute: %v", err)
		}
		clientOpts = append(clientOpts, aha.WithRateLimiter(lim))
	}

	conn := &connection{close: func() {}}
	if spec.url == "" {
		acct := ahatest.DemoAccount(now)
		tok, err := randomToken()
		if err != nil {
			return nil, err
		}
		srv := ahatest.NewServer(acct, ahatest.WithToken(tok))
		conn.close = srv.Close
		conn.profile, conn.account = "demo", "demo account (embedded, offline)"
		conn.entitlements = acct.EntitlementsJSON()
		clientOpts = append(clientOpts, aha.WithBaseURL(srv.APIURL()), aha.WithToken(tok))
	} else {
		conn.profile, conn.account = profileName(spec.url), spec.url
		ts, warn, err := tokenSource(ctx, spec, e)
		if err != nil {
			return nil, err
		}
		if warn != "" {
			// Said up front: the run may outlast the token.
			fmt.Fprintf(e.stderr, "spoke: warning: %s\n", warn)
			conn.tokenWarning = warn
		}
		clientOpts = append(clientOpts, aha.WithBaseURL(spec.url+"/api/v1"), aha.WithTokenSource(ts))
	}
	if spec.name != "" {
		conn.profile = spec.name
	}
	c, err := aha.NewClient(clientOpts...)
	if err != nil {
		conn.close()
		return nil, &runError{msg: fmt.Sprintf("setting up the Aha! client: %v", err), err: err}
	}
	conn.spoke = aha.NewSpoke(c)
	return conn, nil
}

// tokenSource picks the credential: a token file written by examples/connect
// (refreshed through the OAuth app in AHA_CLIENT_ID and AHA_CLIENT_SECRET when
// it expires), else the token in the environment variable spec.tokenEnv
// (AHA_TOKEN for the flags). The token itself is never printed.
//
// A token file's access token that cannot be refreshed (no OAuth app in
// the environment) is refused when it has expired or expires within
// tokenMargin, and warned of (warn) when it expires within tokenSoon: a run
// that outlasts it stops with 401.
func tokenSource(ctx context.Context, spec accountSpec, e env) (ts oauth2.TokenSource, warn string, err error) {
	where := ""
	if spec.name != "" && spec.tokenEnv != "AHA_TOKEN" {
		where = fmt.Sprintf("profile %q: ", spec.name)
	}
	if spec.tokenFile != "" {
		store := &oauthflow.FileStore{Path: spec.tokenFile}
		tok, err := store.Load(ctx)
		if err != nil {
			return nil, "", tokenFileError(where, err)
		}
		var cfg *oauthflow.Config
		id, secret := strings.TrimSpace(e.getenv("AHA_CLIENT_ID")), e.getenv("AHA_CLIENT_SECRET")
		if id != "" && secret != "" {
			redirect := e.getenv("AHA_REDIRECT_URI")
			if redirect == "" {
				redirect = "http://127.0.0.1:8400/callback"
			}
			c, err := oauthflow.NewConfig(spec.url, id, secret, redirect)
			if err != nil {
				return nil, "", usagef("AHA_CLIENT_ID/AHA_CLIENT_SECRET: %v", err)
			}
			cfg = c
		}
		if cfg == nil && !tok.Expiry.IsZero() {
			left := tok.Expiry.Sub(e.clock())
			if left < tokenMargin {
				return nil, "", expiredTokenError(where, spec.tokenFile, tok, left)
			}
			if left < tokenSoon {
				warn = expiringTokenWarning(where, spec.tokenFile, tok, left)
			}
		}
		return oauthflow.TokenSource(ctx, cfg, store), warn, nil
	}
	envName := spec.tokenEnv
	if envName == "" {
		envName = "AHA_TOKEN"
	}
	tok := strings.TrimSpace(e.getenv(envName))
	if tok == "" {
		if envName == "AHA_TOKEN" && where == "" {
			return nil, "", usagef("no credential for %s: set AHA_TOKEN to an Aha! API key or OAuth token of an account administrator, or pass -token-file", spec.url)
		}
		return nil, "", usagef("%sno credential for %s: set %s to an Aha! API key or OAuth token of an account administrator", where, spec.url, envName)
	}
	return oauthflow.StaticToken(tok), "", nil
}

// A token file's access token that cannot be refreshed must stay valid
// longer than tokenMargin for a run to start, and is warned of when it
// expires within tokenSoon.
const (
	tokenMargin = time.Minute
	tokenSoon   = 15 * time.Minute
)

// leftText says a short time left: seconds under two minutes, else whole
// minutes.
func leftText(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%d s", int64(d/time.Second))
	}
	return fmt.Sprintf("%d min", int64(d/time.Minute))
}

// expiringTokenWarning says that a token file's access token expires
// within tokenSoon and cannot be refreshed.
func expiringTokenWarning(where, path string, tok *oauth2.Token, left time.Duration) string {
	fix := "set AHA_CLIENT_ID and AHA_CLIENT_SECRET (the OAuth app) to refresh it, or run " + oauthflow.ConnectCommand + " again"
	if tok.RefreshToken == "" {
		fix = "the file holds no refresh token: run " + oauthflow.ConnectCommand + " again before a long run"
	}
	return fmt.Sprintf("%s %s: the access token expires at %s (in %s) and cannot be refreshed; a run that outlasts it stops with 401 Unauthorized: %s",
		tokenFileLabel(where), path, tok.Expiry.UTC().Format(time.RFC3339), leftText(left), fix)
}

// tokenFileError is a -token-file that cannot be used (missing,
// unreadable, readable by others, malformed): bad input, exit 2, with the
// cause's own hint said once.
func tokenFileError(where string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "oauthflow: ")
	if errors.Is(err, oauthflow.ErrNoToken) {
		msg += "; run " + oauthflow.ConnectCommand + " to authorize this account and store a token"
	}
	return &usageError{msg: tokenFileLabel(where) + ": " + msg}
}

// tokenFileLabel names the token file's setting: the flag, or a config
// profile's token_file.
func tokenFileLabel(where string) string {
	if where == "" {
		return "-token-file"
	}
	return where + "token_file"
}

// expiredTokenError is a token file whose access token has expired, or
// expires within tokenMargin (left ahead), when no OAuth app is configured
// to refresh it: bad input, exit 2.
func expiredTokenError(where, path string, tok *oauth2.Token, left time.Duration) error {
	state := "expired at " + tok.Expiry.UTC().Format(time.RFC3339)
	if left > 0 {
		state = fmt.Sprintf("expires at %s (in %s), too soon to finish a run,", tok.Expiry.UTC().Format(time.RFC3339), leftText(left))
	}
	if tok.RefreshToken == "" {
		return usagef("%s %s: the access token %s and the file holds no refresh token; run %s again to authorize this account",
			tokenFileLabel(where), path, state, oauthflow.ConnectCommand)
	}
	return usagef("%s %s: the access token %s; refreshing it needs the OAuth app: set AHA_CLIENT_ID and AHA_CLIENT_SECRET (or run %s again)",
		tokenFileLabel(where), path, state, oauthflow.ConnectCommand)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "demo-" + hex.EncodeToString(b), nil
}

// account is one account's part of a run, in the order the run fills it.
type account struct {
	spec    accountSpec
	conn    *connection
	ents    []sam.Entitlement
	prof    reconcile.Profile
	before  reconcile.Result // evaluated with this account's rule
	after   reconcile.Result
	plan    *reclaim.Plan
	applied *reclaim.Report
	journal string
	jr      *reclaim.Journal // opened, and locked, before the first request
	notes   []string
	warns   []warning // the command's own warnings about this account

	// tempJournal: journal is the demo's temporary file, removed when the
	// run ends.
	tempJournal bool
}

func (a *account) name() string { return a.conn.profile }

// job is one run's state, in the order the run fills it. A run covers one
// account (the flags) or several (-config): every account is downloaded
// completely before anything is evaluated, and evaluated before anything is
// reclaimed.
type job struct {
	o      *options
	now    time.Time
	accts  []*account
	shared []sam.Entitlement // -entitlements with -config: for every profile
	input  reconcile.Input
	// before and after are evaluated with the run's threshold: the
	// cross-profile totals come from them.
	before reconcile.Result
	after  reconcile.Result
	notes  []string
	warns  []warning // the command's own warnings about the whole run
	// closers release what the run holds (journals, the demo's journal
	// directory), last first.
	closers []func()
	// tornNoted lists the journals whose torn last line was reported (one
	// -journal may serve several profiles).
	tornNoted map[string]bool
}

// applied reports whether any reclaim ran.
func (j *job) applied() bool {
	for _, a := range j.accts {
		if a.applied != nil {
			return true
		}
	}
	return false
}

// reclaimedNote says, for an error that comes after a reclaim ran, what
// the reclaim did and where it is journaled, so that the user knows
// Aha! was changed and does not run it again blindly; "" when no reclaim
// ran.
func (j *job) reclaimedNote() string {
	if !j.applied() {
		return ""
	}
	var c reclaim.Counts
	var journals []string
	for _, a := range j.accts {
		if a.applied == nil {
			continue
		}
		c.Applied += a.applied.Counts.Applied
		c.AlreadyApplied += a.applied.Counts.AlreadyApplied
		c.Canceled += a.applied.Counts.Canceled
		c.Failed += a.applied.Counts.Failed
		c.SkippedCap += a.applied.Counts.SkippedCap
		name := a.journal
		if a.spec.url == "" && j.o.journal == "" {
			name = "the demo's temporary journal (the demo account is born anew each run)"
		}
		if !slices.Contains(journals, name) {
			journals = append(journals, name)
		}
	}
	return fmt.Sprintf("; but the reclaim ran: %d actions applied in Aha! (%d already applied, %d canceled, %d failed, %d over the cap) and journaled in %s: a new run does not repeat them; run without -reclaim to report on the account as it is now",
		c.Applied, c.AlreadyApplied, c.Canceled, c.Failed, c.SkippedCap, strings.Join(journals, ", "))
}

// failedActions counts the failed reclaim actions of every account.
func (j *job) failedActions() (n int, journals []string) {
	for _, a := range j.accts {
		if a.applied != nil && a.applied.Failed() {
			n += a.applied.Counts.Failed
			journals = append(journals, a.journal)
		}
	}
	return n, journals
}

// run reads the complete snapshot of every account, computes the plan, and
// only then acts.
func (j *job) run(ctx context.Context, e env, prog *observer) error {
	o := j.o
	cat := aha.Catalog()
	// Entitlements first: bad input stops the run before any request.
	if o.multi() && o.entitlements != "" {
		ents, err := loadEntitlementsFile(o.entitlements, "-entitlements", cat)
		if err != nil {
			return err
		}
		j.shared = ents
	}
	for _, a := range j.accts {
		if err := a.loadEntitlements(o.multi(), cat); err != nil {
			return err
		}
	}
	// The journals too: a journal another run holds, or a file that is no
	// journal, stops the run before the account's rate budget is spent.
	if o.reclaim {
		if err := j.openJournals(); err != nil {
			return err
		}
	}

	for _, a := range j.accts {
		if err := j.download(ctx, a, prog); err != nil {
			return err
		}
	}
	prog.done()
	j.checkProtect()

	j.input = reconcile.Input{
		Now:          j.now,
		Rule:         j.rule(o.inactiveDays),
		Catalog:      cat,
		Entitlements: j.shared,
		Exclude:      o.protect,
	}
	for _, a := range j.accts {
		j.input.Entitlements = append(j.input.Entitlements, a.ents...)
		j.input.Profiles = append(j.input.Profiles, a.prof)
	}
	if err := j.evaluate(j.input); err != nil {
		return err
	}
	if !o.reclaim {
		return nil
	}
	var errs []error
	freed := j.input
	for _, a := range j.accts {
		err := j.reclaim(ctx, e, a)
		if a.applied != nil && len(a.applied.Freed) > 0 {
			freed = freed.WithDisabled(a.name(), a.applied.Freed...)
		}
		if err != nil {
			errs = append(errs, err)
			break // stop: the journal records what was done; a new run resumes
		}
	}
	if j.applied() {
		befores := make([]reconcile.Result, len(j.accts))
		for i, a := range j.accts {
			befores[i] = a.before
		}
		before := j.before
		if err := j.evaluate(freed); err != nil {
			errs = append(errs, err)
		}
		// Keep the "before" view; the evaluation above filled "after".
		for i, a := range j.accts {
			a.after, a.before = a.before, befores[i]
		}
		j.after, j.before = j.before, before
	}
	return errors.Join(errs...)
}

func (j *job) rule(days int) sam.ReclamationRule {
	return sam.ReclamationRule{Name: "Aha! inactivity", ThresholdDays: days}
}

// evaluate reconciles in: once with the run's threshold (j.before, whose
// cross-profile totals are reported) and once per account with its own
// threshold and protect list (its rows of the report). Before any reclaim
// the two are the same in a single-account run. It fills the "before"
// results; run swaps them after a reclaim.
func (j *job) evaluate(in reconcile.Input) error {
	res, err := reconcile.Evaluate(in)
	if err != nil {
		return &runError{msg: fmt.Sprintf("reconciling: %v", err), err: err}
	}
	j.before, j.after = res, res
	for _, a := range j.accts {
		if !j.o.multi() {
			a.before, a.after = res, res
			continue
		}
		ain := in
		ain.Rule = j.rule(a.spec.inactiveDays)
		ain.Exclude = append(append([]string{}, in.Exclude...), a.spec.protect...)
		r, err := reconcile.Evaluate(ain)
		if err != nil {
			return &runError{msg: fmt.Sprintf("reconciling profile %q: %v", a.name(), err), err: err}
		}
		a.before, a.after = r, r
	}
	return nil
}

// download reads one account's complete snapshot: users, then the audit log
// over the rule's window.
func (j *job) download(ctx context.Context, a *account, prog *observer) error {
	label := ""
	if j.o.multi() {
		label = fmt.Sprintf("profile %q: ", a.name())
	}
	prog.start(a.name(), "users")
	d, err := a.conn.spoke.DownloadSubscriptions(ctx)
	if err != nil {
		return explain(label+"downloading the account's users", err)
	}
	prog.start(a.name(), "audit log")
	rule := j.rule(a.spec.inactiveDays)
	if a.spec.inactiveDays < j.o.inactiveDays {
		// The totals use the run's threshold: read far enough back for both.
		rule = j.rule(j.o.inactiveDays)
	}
	window := sam.Window{Since: rule.Cutoff(j.now), Until: j.now}
	pull, err := a.conn.spoke.PullActivity(ctx, window)
	if err != nil {
		return explain(label+"reading user activity from the audit log", err)
	}
	// The download's warnings reach the report through the evaluation
	// (download_warning), like every other warning of the engine.
	a.prof = reconcile.FromDownload(a.name(), d, pull)
	if !j.o.now.IsZero() {
		if n := afterNow(a.prof.Users, j.now); n > 0 {
			a.warns = append(a.warns, nowWarning(a.name(), j.now, n))
		}
	}
	return nil
}

// checkProtect warns of each protect entry that matches no user: one of
// -protect or -protect-file matching no user of any account, or a config
// profile's entry matching no user of its account.
func (j *job) checkProtect() {
	all := make([][]sam.User, len(j.accts))
	for i, a := range j.accts {
		all[i] = a.prof.Users
	}
	j.warns = append(j.warns, protectWarnings("", unmatchedProtect(j.o.protect, all...), "-protect or -protect-file")...)
	for _, a := range j.accts {
		a.warns = append(a.warns, protectWarnings(a.name(), unmatchedProtect(a.spec.protect, a.prof.Users), "the config's protect list")...)
	}
}

func (j *job) reclaim(ctx context.Context, e env, a *account) error {
	o := j.o
	var cands []sam.Candidate
	for _, c := range a.before.Candidates {
		if c.Profile == "" || c.Profile == a.name() {
			cands = append(cands, c)
		}
	}
	label := ""
	if o.multi() {
		label = fmt.Sprintf("profile %q: ", a.name())
	}
	plan, err := reclaim.NewPlan(a.name(), o.reclaimMode, cands)
	if err != nil {
		return &runError{msg: fmt.Sprintf("%splanning the reclaim: %v", label, err), err: err}
	}
	a.plan = &plan
	jr, path := a.jr, a.journal
	// A seat given back after a run freed it is reclaimed again once it
	// has been freed for longer than the rule's threshold (and is again a
	// candidate): a resumed or retried run never repeats an action.
	opts := reclaim.Options{MaxActions: o.maxReclaim, Unlimited: o.maxReclaim == 0, Journal: jr, Now: e.clock,
		ReclaimAgainAfter: time.Duration(a.spec.inactiveDays) * 24 * time.Hour}
	rep, err := reclaim.Apply(ctx, a.conn.spoke, plan, opts)
	a.applied = &rep
	// The journal cuts a torn last line off only when it first writes.
	if t := jr.Torn(); t != nil && !j.tornNoted[path] && (t.Removed || a == j.lastUser(jr)) {
		j.tornNoted[path] = true
		if t.Removed {
			a.notes = append(a.notes, fmt.Sprintf("journal %s was incomplete: the last line, cut off by a killed run, was removed: %s", path, t.Excerpt(80)))
		} else {
			a.notes = append(a.notes, fmt.Sprintf("journal %s is incomplete: its last line was cut off by a killed run; it is left in place until a run writes to the journal: %s", path, t.Excerpt(80)))
		}
	}
	if err != nil {
		return &runError{msg: fmt.Sprintf("%sreclaiming seats stopped: %v (the journal %s records what was done; run again to resume)", label, err, path), err: err}
	}
	return nil
}

// lastUser returns the last account that reclaims through jr: the one
// that reports a torn line no run wrote past.
func (j *job) lastUser(jr *reclaim.Journal) *account {
	var last *account
	for _, a := range j.accts {
		if a.jr == jr {
			last = a
		}
	}
	return last
}

// openJournals opens and locks each account's journal before the run
// sends its first request, so that a journal that cannot be used costs no
// download. One -journal serves several profiles: it is opened once.
func (j *job) openJournals() error {
	if j.tornNoted == nil {
		j.tornNoted = map[string]bool{}
	}
	open := map[string]*reclaim.Journal{}
	for _, a := range j.accts {
		path, err := j.journalPath(a)
		if err != nil {
			return err
		}
		if jr := open[path]; jr != nil {
			a.jr = jr
			continue
		}
		jr, err := reclaim.OpenJournal(path)
		if err != nil {
			return journalError(j.journalLabel(a), err)
		}
		j.closers = append(j.closers, func() { jr.Close() })
		open[path], a.jr = jr, jr
	}
	return nil
}

// journalLabel names where a's journal comes from, for its errors.
func (j *job) journalLabel(a *account) string {
	switch {
	case j.o.journal != "":
		return "-journal " + j.o.journal
	case a.spec.url == "":
		return "the demo's journal " + a.journal
	}
	label := "the reclaim journal " + a.journal
	if j.o.multi() {
		label = fmt.Sprintf("profile %q: %s", a.name(), label)
	}
	return label
}

// journalError says why a journal cannot be used. A file that is not a
// journal, a malformed journal, a journal another run holds, or a path
// that cannot be opened is bad input (exit 2): nothing was read or changed.
func journalError(label string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "reclaim: ")
	var notJournal *reclaim.NotJournalError
	var line *reclaim.LineError
	switch {
	case errors.As(err, &notJournal), errors.Is(err, reclaim.ErrJournalLocked):
		// The error says what to do.
	case errors.As(err, &line):
		msg += " (repair the line, or move the file aside to start a new journal)"
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		msg += " (pass -journal FILE in a directory you can write)"
	case errors.Is(err, syscall.EISDIR):
		msg += " (pass -journal FILE naming a file)"
	default:
		return &runError{msg: fmt.Sprintf("%s: %s", label, msg), err: err}
	}
	return &usageError{msg: fmt.Sprintf("%s: %s; nothing was read or changed", label, msg)}
}

// journalPath returns the journal to use: -journal (one file serves several
// profiles: its entries are keyed by profile), a temporary file for the demo
// (whose account is born anew each run, removed when the run ends), or one
// per profile in the user's config directory.
func (j *job) journalPath(a *account) (string, error) {
	if j.o.journal != "" {
		a.journal = j.o.journal
		return j.o.journal, nil
	}
	if a.spec.url == "" {
		dir, err := os.MkdirTemp("", "samspoke-demo-")
		if err != nil {
			return "", &runError{msg: fmt.Sprintf("creating a journal for the demo: %v", err), err: err}
		}
		j.closers = append(j.closers, func() { os.RemoveAll(dir) })
		a.journal, a.tempJournal = filepath.Join(dir, "journal.jsonl"), true
		return a.journal, nil
	}
	path, err := defaultJournal(a.name())
	if err != nil {
		return "", usagef("no default journal location (%v): pass -journal FILE", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", &runError{msg: fmt.Sprintf("creating %s for the journal: %v (or pass -journal FILE)", dir, err), err: err}
	}
	a.journal = path
	return a.journal, nil
}

// defaultJournal is the journal of the profile name of a real account when
// no -journal is given: samspoke/journal-NAME.jsonl in the user's config
// directory.
func defaultJournal(name string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "samspoke", "journal-"+name+".jsonl"), nil
}

// loadEntitlements reads the account's entitlements file (in a -config run,
// limited to its profile), or the demo's own when it has none.
func (a *account) loadEntitlements(multi bool, cat *sam.Catalog) error {
	if a.spec.entitlements == "" {
		if a.conn.entitlements == nil {
			return nil
		}
		ents, err := sam.DecodeEntitlements(a.conn.entitlements, "demo entitlements", cat)
		a.ents = ents
		return err
	}
	flag := "-entitlements"
	if multi {
		flag = fmt.Sprintf("profile %q: entitlements", a.name())
	}
	ents, err := loadEntitlementsFile(a.spec.entitlements, flag, cat)
	if err != nil {
		return err
	}
	if multi {
		for i := range ents {
			if ents[i].Profile != "" && ents[i].Profile != a.name() {
				return usagef("%s %s: entitlement %d names profile %q: a profile's file holds its own entitlements only", flag, a.spec.entitlements, i+1, ents[i].Profile)
			}
			ents[i].Profile = a.name()
		}
	}
	a.ents = ents
	return nil
}

func loadEntitlementsFile(path, flag string, cat *sam.Catalog) ([]sam.Entitlement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	defer f.Close()
	ents, err := sam.LoadEntitlements(f, path, cat)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return ents, nil
}

// explain turns a client error into one line that says what failed and what
// to do about it. Error texts from package aha carry no secrets.
func explain(what string, err error) error {
	var hint string
	shown := err.Error()
	var rl *aha.RateLimitError
	var lc *aha.ListChangedError
	var re *oauthflow.ReauthorizeError
	var te *oauthflow.TokenError
	switch {
	case errors.As(err, &re):
		// Say why (the reason carries no secret), not aha's generic "could
		// not obtain an access token", and the command to run once.
		shown = "this account must be authorized again: " + re.Reason
		hint = "run " + oauthflow.ConnectCommand + " again to authorize this account"
		if strings.Contains(re.Reason, "no OAuth application") {
			hint = "the access token expired: refreshing it needs AHA_CLIENT_ID and AHA_CLIENT_SECRET (the OAuth app) in the environment; or run " + oauthflow.ConnectCommand + " again"
		}
	case errors.As(err, &te):
		// oauthflow's text names the HTTP status and the OAuth error code
		// (with Aha!'s description, redacted), never a secret.
		detail := strings.TrimPrefix(strings.TrimPrefix(te.Error(), "oauthflow: could not "+te.Op), ": ")
		shown = "refreshing the token file's access token failed"
		if detail != "" {
			shown += ": " + detail
		}
		switch {
		case te.Code == "invalid_client" || te.Code == "unauthorized_client":
			hint = "Aha! refused the OAuth application: check AHA_CLIENT_ID and AHA_CLIENT_SECRET (those of the application that authorized the token file), or run " + oauthflow.ConnectCommand + " again; nothing was changed in Aha!"
		case te.StatusCode == 0:
			hint = "Aha!'s token endpoint did not answer: check the account URL and the network, then run again; nothing was changed in Aha!"
		case te.StatusCode >= 500:
			hint = "Aha!'s token endpoint failed; run again later; nothing was changed in Aha!"
		default:
			hint = "Aha! would not refresh the token: run " + oauthflow.ConnectCommand + " again to authorize this account; nothing was changed in Aha!"
		}
	case errors.Is(err, aha.ErrUnauthorized):
		hint = "Aha! refused the credential: check that AHA_TOKEN (or -token-file) holds a valid, unrevoked API key or OAuth token"
	case errors.Is(err, aha.ErrForbidden):
		hint = "the credential's user lacks permission: every process needs an Aha! account administrator"
	case errors.As(err, &rl):
		hint = "Aha!'s rate limit asked for a longer wait than this run allows; run again later"
	case errors.As(err, &lc):
		hint = "the account changed while it was being read; run again (nothing was changed)"
	case errors.Is(err, aha.ErrTimeout):
		hint = "Aha! stopped answering, and went on doing so through the retries; run again later (nothing was reported as complete)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		hint = "the run was stopped before it finished; nothing was reported as complete"
	default:
		hint = "check the account URL and the network, then run again; nothing was changed in Aha!"
	}
	return &runError{msg: fmt.Sprintf("%s: %s\n  what to do: %s", what, shown, hint), err: err}
}

// close releases the journals and ends every connection (the demo's
// in-process server).
func (j *job) close() {
	for i := len(j.closers) - 1; i >= 0; i-- {
		j.closers[i]()
	}
	j.closers = nil
	for _, a := range j.accts {
		a.conn.close()
	}
}
