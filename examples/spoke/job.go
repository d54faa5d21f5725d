package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
}

// connection is an Aha! account to work on: a real one, or the demo served in
// process.
type connection struct {
	spoke        *aha.Spoke
	profile      string
	account      string
	entitlements []byte // the demo's own, when no file is given
	close        func()
}

func connect(ctx context.Context, o *options, e env, now time.Time, logger *slog.Logger) (*connection, error) {
	clientOpts := []aha.Option{aha.WithUserAgent("samspoke-spoke/1")}
	if logger != nil {
		clientOpts = append(clientOpts, aha.WithLogger(logger))
	}
	if e.transport != nil {
		clientOpts = append(clientOpts, aha.WithTransport(e.transport))
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
	if o.demo {
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
		conn.profile, conn.account = profileName(o.ahaURL), o.ahaURL
		ts, err := tokenSource(ctx, o, e)
		if err != nil {
			return nil, err
		}
		clientOpts = append(clientOpts, aha.WithBaseURL(o.ahaURL+"/api/v1"), aha.WithTokenSource(ts))
	}
	if o.profile != "" {
		conn.profile = o.profile
	}
	c, err := aha.NewClient(clientOpts...)
	if err != nil {
		conn.close()
		return nil, &runError{msg: fmt.Sprintf("setting up the Aha! client: %v", err), err: err}
	}
	conn.spoke = aha.NewSpoke(c)
	return conn, nil
}

// tokenSource picks the credential: a -token-file written by examples/connect
// (refreshed through the OAuth app in AHA_CLIENT_ID and AHA_CLIENT_SECRET when
// it expires), else AHA_TOKEN. The token itself is never printed.
func tokenSource(ctx context.Context, o *options, e env) (oauth2.TokenSource, error) {
	if o.tokenFile != "" {
		store := &oauthflow.FileStore{Path: o.tokenFile}
		if _, err := store.Load(ctx); err != nil {
			return nil, &runError{msg: fmt.Sprintf("-token-file: %v (run examples/connect to authorize this account again)", err), err: err}
		}
		var cfg *oauthflow.Config
		id, secret := strings.TrimSpace(e.getenv("AHA_CLIENT_ID")), e.getenv("AHA_CLIENT_SECRET")
		if id != "" && secret != "" {
			redirect := e.getenv("AHA_REDIRECT_URI")
			if redirect == "" {
				redirect = "http://127.0.0.1:8400/callback"
			}
			c, err := oauthflow.NewConfig(o.ahaURL, id, secret, redirect)
			if err != nil {
				return nil, usagef("AHA_CLIENT_ID/AHA_CLIENT_SECRET: %v", err)
			}
			cfg = c
		}
		return oauthflow.TokenSource(ctx, cfg, store), nil
	}
	tok := strings.TrimSpace(e.getenv("AHA_TOKEN"))
	if tok == "" {
		return nil, usagef("no credential for %s: set AHA_TOKEN to an Aha! API key or OAuth token of an account administrator, or pass -token-file", o.ahaURL)
	}
	return oauthflow.StaticToken(tok), nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "demo-" + hex.EncodeToString(b), nil
}

// job is one run's state, in the order the run fills it.
type job struct {
	o       *options
	now     time.Time
	conn    *connection
	input   reconcile.Input
	before  reconcile.Result
	after   reconcile.Result
	plan    *reclaim.Plan
	applied *reclaim.Report
	journal string
	notes   []string
}

// run reads the complete snapshot, computes the plan, and only then acts.
func (j *job) run(ctx context.Context, e env, progress func(string)) error {
	o := j.o
	// Entitlements first: bad input stops the run before any request.
	ents, err := j.loadEntitlements()
	if err != nil {
		return err
	}

	progress("downloading users")
	d, err := j.conn.spoke.DownloadSubscriptions(ctx)
	if err != nil {
		return explain("downloading the account's users", err)
	}
	progress(fmt.Sprintf("downloaded %d users; reading the audit log", len(d.Users)))
	rule := sam.ReclamationRule{Name: "Aha! inactivity", ThresholdDays: o.inactiveDays}
	window := sam.Window{Since: rule.Cutoff(j.now), Until: j.now}
	pull, err := j.conn.spoke.PullActivity(ctx, window)
	if err != nil {
		return explain("reading user activity from the audit log", err)
	}
	users := mergeActivity(d.Users, pull)
	prof := reconcile.FromDownload(j.conn.profile, &sam.Download{Self: d.Self, Users: users, Warnings: d.Warnings}, pull)
	j.notes = append(j.notes, d.Warnings...)

	j.input = reconcile.Input{
		Now:          j.now,
		Rule:         rule,
		Catalog:      j.conn.spoke.Catalog(),
		Entitlements: ents,
		Profiles:     []reconcile.Profile{prof},
		Exclude:      o.protect,
	}
	j.before, err = reconcile.Evaluate(j.input)
	if err != nil {
		return &runError{msg: fmt.Sprintf("reconciling: %v", err), err: err}
	}
	j.after = j.before
	if !o.reclaim {
		return nil
	}
	return j.reclaim(ctx, e)
}

func (j *job) reclaim(ctx context.Context, e env) error {
	o := j.o
	plan, err := reclaim.NewPlan(j.conn.profile, o.reclaimMode, j.before.Candidates)
	if err != nil {
		return &runError{msg: fmt.Sprintf("planning the reclaim: %v", err), err: err}
	}
	j.plan = &plan
	path, cleanup, err := j.journalPath()
	if err != nil {
		return err
	}
	defer cleanup()
	jr, err := reclaim.OpenJournal(path)
	if err != nil {
		return &runError{msg: fmt.Sprintf("opening the reclaim journal: %v (move the file aside to start a new journal)", err), err: err}
	}
	defer jr.Close()
	if t := jr.Torn(); t != nil {
		j.notes = append(j.notes, fmt.Sprintf("the journal's last line was incomplete (a run was killed while writing it) and was set aside: %v", t))
	}
	opts := reclaim.Options{MaxActions: o.maxReclaim, Unlimited: o.maxReclaim == 0, Journal: jr, Now: e.clock}
	rep, err := reclaim.Apply(ctx, j.conn.spoke, plan, opts)
	j.applied = &rep
	if len(rep.Freed) > 0 {
		j.after, _ = reconcile.Evaluate(j.input.WithDisabled(j.conn.profile, rep.Freed...))
	}
	if err != nil {
		return &runError{msg: fmt.Sprintf("reclaiming seats stopped: %v (the journal %s records what was done; run again to resume)", err, path), err: err}
	}
	return nil
}

// journalPath returns the journal to use: -journal, a temporary file for the
// demo (whose account is born anew each run), or one per profile in the
// user's config directory.
func (j *job) journalPath() (string, func(), error) {
	if j.o.journal != "" {
		j.journal = j.o.journal
		return j.o.journal, func() {}, nil
	}
	if j.o.demo {
		dir, err := os.MkdirTemp("", "samspoke-demo-")
		if err != nil {
			return "", nil, &runError{msg: fmt.Sprintf("creating a journal for the demo: %v", err), err: err}
		}
		j.journal = filepath.Join(dir, "journal.jsonl")
		return j.journal, func() { os.RemoveAll(dir) }, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", nil, usagef("no default journal location (%v): pass -journal FILE", err)
	}
	dir = filepath.Join(dir, "samspoke")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, &runError{msg: fmt.Sprintf("creating %s for the journal: %v (or pass -journal FILE)", dir, err), err: err}
	}
	j.journal = filepath.Join(dir, "journal-"+j.conn.profile+".jsonl")
	return j.journal, func() {}, nil
}

func (j *job) loadEntitlements() ([]sam.Entitlement, error) {
	cat := j.conn.spoke.Catalog()
	if j.o.entitlements == "" {
		if j.conn.entitlements == nil {
			return nil, nil
		}
		return sam.DecodeEntitlements(j.conn.entitlements, "demo entitlements", cat)
	}
	f, err := os.Open(j.o.entitlements)
	if err != nil {
		return nil, usagef("-entitlements: %v", err)
	}
	defer f.Close()
	ents, err := sam.LoadEntitlements(f, j.o.entitlements, cat)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return ents, nil
}

// mergeActivity moves each user's activity forward with what the audit log
// showed. Activity never moves back, and an unknown stays unknown unless
// the log shows a sighting.
func mergeActivity(users []sam.User, pull *sam.ActivityPull) []sam.User {
	out := make([]sam.User, len(users))
	copy(out, users)
	if pull == nil {
		return out
	}
	for i := range out {
		if t, ok := pull.Latest[out[i].ExternalID]; ok {
			out[i].Activity = out[i].Activity.Merge(sam.Seen(t))
		}
	}
	return out
}

// explain turns a client error into one line that says what failed and what
// to do about it. Error texts from package aha carry no secrets.
func explain(what string, err error) error {
	var hint string
	var rl *aha.RateLimitError
	var lc *aha.ListChangedError
	var re *oauthflow.ReauthorizeError
	switch {
	case errors.As(err, &re):
		hint = "run examples/connect again to authorize this account"
	case errors.Is(err, aha.ErrUnauthorized):
		hint = "Aha! refused the credential: check that AHA_TOKEN (or -token-file) holds a valid, unrevoked API key or OAuth token"
	case errors.Is(err, aha.ErrForbidden):
		hint = "the credential's user lacks permission: every process needs an Aha! account administrator"
	case errors.As(err, &rl):
		hint = "Aha!'s rate limit asked for a longer wait than this run allows; run again later"
	case errors.As(err, &lc):
		hint = "the account changed while it was being read; run again (nothing was changed)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		hint = "the run was stopped before it finished; nothing was reported as complete"
	default:
		hint = "check the account URL and the network, then run again; nothing was changed in Aha!"
	}
	return &runError{msg: fmt.Sprintf("%s: %v\n  what to do: %s", what, err, hint), err: err}
}
