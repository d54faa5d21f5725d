package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/reclaim"
)

// The fault suite runs the whole job (run) against a fake Aha! account
// served over loopback, with one fault injected per case, and holds the job
// to issue 7's rule: either the report is exactly the fault-free one, or the
// run exits 1 with one line naming the cause and reports nothing.

// relNow is the evaluation time of every run in this file (-now).
var relNow = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// relAccountURL is the account every run names. The test transport dials
// the case's own server whatever the URL says, so every report names the
// same account and reports compare byte for byte.
const relAccountURL = "http://127.0.0.1:9"

// relFake is one fake account with its server, faults and credentials.
type relFake struct {
	srv    *ahatest.Server
	acct   *ahatest.Account
	faults *ahatest.Faults
	token  string
	ents   string // the account's entitlements file
	dir    string
	// clockNow is the fake's clock.
	clockNow func() time.Time
	// url is the -aha-url of runs; "" means relAccountURL.
	url string
	// attempt, when set, bounds each request attempt of the job's client.
	attempt time.Duration
}

// relSecret returns a fresh random secret with a recognizable prefix.
func relSecret(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// relDemo is the demo account at relNow, generated once and cloned per fake.
var relDemo struct {
	once sync.Once
	acct *ahatest.Account
}

// newRelFake serves acct (the demo account at relNow when nil) with faults.
// The server's clock runs from relNow so that audit retention matches -now
// and the rate limiter still sees real time pass.
func newRelFake(t testing.TB, acct *ahatest.Account, faults *ahatest.Faults, opts ...ahatest.Option) *relFake {
	t.Helper()
	if acct == nil {
		relDemo.once.Do(func() { relDemo.acct = ahatest.DemoAccount(relNow) })
		acct = relDemo.acct.Clone()
	}
	if faults == nil {
		faults = ahatest.NewFaults()
	}
	f := &relFake{acct: acct, faults: faults, token: relSecret(t, "tok-"), dir: t.TempDir()}
	start := time.Now()
	clock := func() time.Time { return relNow.Add(time.Since(start)) }
	f.clockNow = clock
	all := append([]ahatest.Option{ahatest.WithToken(f.token), ahatest.WithFaults(faults), ahatest.WithClock(clock)}, opts...)
	f.srv = ahatest.NewServer(acct, all...)
	t.Cleanup(f.srv.Close)
	f.ents = filepath.Join(f.dir, "entitlements.json")
	if err := os.WriteFile(f.ents, acct.EntitlementsJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// transport dials the fake's listener for every request.
func (f *relFake) transport() http.RoundTripper {
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
	}
}

// relResult is what one run left behind.
type relResult struct {
	code   int
	stdout string
	stderr string
}

// syncBuffer is a bytes.Buffer safe for the logger and the job to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run runs the job against the fake with the base flags (-aha-url, -now,
// -format json, -entitlements, -quiet) plus args, and getenv extra on top of
// AHA_TOKEN.
func (f *relFake) run(ctx context.Context, env map[string]string, args ...string) relResult {
	u := f.url
	if u == "" {
		u = relAccountURL
	}
	base := []string{"-aha-url", u, "-now", relNow.Format(time.RFC3339), "-format", "json", "-entitlements", f.ents}
	if !containsArg(args, "-v") {
		base = append(base, "-quiet")
	}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "AHA_TOKEN" {
			return f.token
		}
		return ""
	}
	var stdout, stderr syncBuffer
	e := envFor(getenv, &stderr, f.transport())
	e.attemptTimeout = f.attempt
	code := run(ctx, append(base, args...), e, &stdout)
	return relResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func envFor(getenv func(string) string, stderr *syncBuffer, rt http.RoundTripper) env {
	return env{getenv: getenv, stderr: stderr, clock: func() time.Time { return relNow }, transport: rt}
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// baseline is the fault-free report of the demo account at relNow.
var baseline struct {
	once   sync.Once
	report string
	err    string
}

func relBaseline(t *testing.T) string {
	t.Helper()
	baseline.once.Do(func() {
		f := newRelFake(t, nil, nil)
		r := f.run(context.Background(), nil, relArgs...)
		if r.code != 0 {
			baseline.err = "fault-free run: exit " + strconv.Itoa(r.code) + ": " + r.stderr
			return
		}
		baseline.report = r.stdout
	})
	if baseline.err != "" {
		t.Fatal(baseline.err)
	}
	return baseline.report
}

// now is the fake's clock.
func (f *relFake) now() time.Time { return f.clockNow() }

// outcome is what a fault case must end in.
type outcome int

const (
	// sameReport: exit 0 with exactly the fault-free report.
	sameReport outcome = iota
	// failsNaming: exit 1, no report, and the first line of stderr names
	// the cause.
	failsNaming
	// unknownStaysUnknown: exit 0; users whose accessed_at could not be
	// read have unknown activity and are never candidates.
	unknownStaysUnknown
)

// faultCase is one row of the suite.
type faultCase struct {
	name string
	// script adds the case's faults; f.now() is the fake's clock.
	script func(f *relFake)
	want   outcome
	// cause must appear in the first line of stderr (failsNaming).
	cause []string
	// timeout, when set, bounds the run with a context deadline.
	timeout time.Duration
}

// on scripts fault into the nth request to route.
func on(route string, nth int, fault ahatest.Fault) func(*relFake) {
	return func(f *relFake) { f.faults.On(route, nth, fault) }
}

// from scripts fault into every request to route from the nth on.
func from(route string, nth int, fault ahatest.Fault) func(*relFake) {
	return func(f *relFake) {
		f.faults.When(route, func(_ *http.Request, n int) bool { return n >= nth }, fault)
	}
}

const (
	rUsers  = "GET /users"
	rAudits = "GET /audits"
	rMe     = "GET /me"
	rUser   = "GET /users/{id}"
	rPut    = "PUT /users/{id}"
)

// relArgs are the flags every suite run adds: a 120-day threshold makes the
// audit walk three requests long, so faults can hit a middle page.
var relArgs = []string{"-inactive-days", "120", "-rate", "20"}

func faultCases() []faultCase {
	var cases []faultCase
	// Every status, with a JSON and an HTML body, on the second page of
	// users (after part of the account was read) and on the first.
	type st struct {
		code  int
		cause string
		retry bool // the client retries it
	}
	statuses := []st{
		{400, "400 Bad Request", false},
		{401, "401 Unauthorized", false},
		{403, "403 Forbidden", false},
		{404, "404 Not Found", false},
		{406, "406 Not Acceptable", false},
		{422, "422 Unprocessable Entity", false},
		{500, "500 Internal Server Error", false},
		{502, "502 Bad Gateway", true},
		{503, "503 Service Unavailable", true},
		{504, "504 Gateway Timeout", true},
	}
	for _, s := range statuses {
		for _, html := range []bool{false, true} {
			kind := "json"
			fault := ahatest.ErrorStatus(s.code)
			if html {
				kind, fault = "html", ahatest.HTMLStatus(s.code)
			}
			persistent := fault
			if s.retry {
				// Retry-After: 0 skips the backoff between the retries, which
				// aha's own tests pin; here only the outcome matters.
				persistent.Header = http.Header{"Retry-After": {"0"}}
			}
			cases = append(cases, faultCase{
				name:   fmt.Sprintf("status %d %s on users page 2, persistent", s.code, kind),
				script: from(rUsers, 2, persistent), want: failsNaming, cause: []string{"downloading the account's users", s.cause},
			})
			if s.retry {
				cases = append(cases, faultCase{
					name:   fmt.Sprintf("status %d %s once on audits page 2", s.code, kind),
					script: on(rAudits, 2, fault), want: sameReport,
				})
			} else if !html {
				// The HTML bodies of these statuses are covered on users.
				cases = append(cases, faultCase{
					name:   fmt.Sprintf("status %d %s once on audits page 2", s.code, kind),
					script: on(rAudits, 2, fault), want: failsNaming, cause: []string{"reading user activity", s.cause},
				})
			}
		}
	}
	// A 429 in each form, on the very first request, the first page of
	// users, and a middle page of audits: waited out, same report.
	for _, at := range []struct {
		route string
		nth   int
	}{{rMe, 1}, {rUsers, 1}, {rAudits, 2}} {
		where := fmt.Sprintf("%s #%d", at.route, at.nth)
		cases = append(cases,
			faultCase{name: "429 Retry-After seconds on " + where, script: on(at.route, at.nth, ahatest.RateLimited(time.Second)), want: sameReport},
			faultCase{name: "429 Retry-After HTTP date on " + where, script: func(f *relFake) {
				f.faults.On(at.route, at.nth, ahatest.RateLimitedUntil(f.now().Add(2*time.Second)))
			}, want: sameReport},
			faultCase{name: "429 rate headers only on " + where, script: on(at.route, at.nth, ahatest.RateLimitedHeaders(time.Second)), want: sameReport},
		)
	}
	cases = append(cases,
		faultCase{name: "500 whose message is 100 KB over several lines with terminal escapes", script: on(rUsers, 2, ahatest.Fault{Status: 500,
			Body: `{"error":"first line\nspoke: a forged second line \u001b[31mred\u001b[0m ` + strings.Repeat("x", 100<<10) + `"}`}),
			want: failsNaming, cause: []string{"downloading the account's users", "500 Internal Server Error", "first line"}},
		faultCase{name: "429 asking for longer than the client's cap", script: on(rUsers, 2, ahatest.RateLimited(time.Hour)),
			want: failsNaming, cause: []string{"downloading the account's users", "rate limited (429)"}},
		faultCase{name: "429 on every request until the retries run out", script: from(rAudits, 2, ahatest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}}),
			want: failsNaming, cause: []string{"reading user activity", "429"}},

		faultCase{name: "connection reset mid-body once on users page 1", script: on(rUsers, 1, ahatest.ResetConnection()), want: sameReport},
		faultCase{name: "connection reset mid-body once on audits page 2", script: on(rAudits, 2, ahatest.ResetConnection()), want: sameReport},
		faultCase{name: "connection reset mid-body twice in a row on users page 2", script: func(f *relFake) {
			f.faults.When(rUsers, func(_ *http.Request, n int) bool { return n == 2 || n == 3 }, ahatest.ResetConnection())
		}, want: sameReport},

		faultCase{name: "truncated JSON on users page 2", script: on(rUsers, 2, ahatest.TruncatedBody()),
			want: failsNaming, cause: []string{"downloading the account's users", "decoding"}},
		faultCase{name: "truncated JSON on /me", script: on(rMe, 1, ahatest.TruncatedBody()),
			want: failsNaming, cause: []string{"downloading the account's users", "/me"}},
		faultCase{name: "truncated JSON on audits page 3", script: on(rAudits, 2, ahatest.TruncatedBody()),
			want: failsNaming, cause: []string{"reading user activity", "decoding"}},

		faultCase{name: "slow users page past the run's deadline", script: on(rUsers, 2, ahatest.Slow(30*time.Second)), timeout: 3 * time.Second,
			want: failsNaming, cause: []string{"downloading the account's users", "deadline exceeded"}},
		faultCase{name: "slow audits page past the run's deadline", script: on(rAudits, 2, ahatest.Slow(30*time.Second)), timeout: 3 * time.Second,
			want: failsNaming, cause: []string{"reading user activity", "deadline exceeded"}},
		// No deadline on the run: the client's own bound on one attempt
		// abandons a stalled response and asks again.
		faultCase{name: "users page 2 stalls once past the client's attempt timeout", script: func(f *relFake) {
			f.attempt = 700 * time.Millisecond
			f.faults.On(rUsers, 2, ahatest.Slow(30*time.Second))
		}, want: sameReport},
		faultCase{name: "audits page 2 stalls on every attempt past the client's attempt timeout", script: func(f *relFake) {
			f.attempt = 500 * time.Millisecond
			f.faults.When(rAudits, func(_ *http.Request, n int) bool { return n >= 2 }, ahatest.Slow(30*time.Second))
		}, want: failsNaming, cause: []string{"reading user activity", "timed out", "within 500ms"}},

		faultCase{name: "user added between users pages", script: on(rUsers, 2, ahatest.BeforeServe(func(a *ahatest.Account) {
			a.AddUser(&ahatest.User{ID: "9000000000000000001", Name: "Late Arrival", Email: "late@example.com", Enabled: true, PaidSeat: true,
				ProductRoles: []ahatest.ProductRole{{Role: ahatest.RoleContributor, ProductID: a.Products[0].ID}}})
		})), want: failsNaming, cause: []string{"downloading the account's users", "changed while paging"}},
		faultCase{name: "user removed between users pages", script: on(rUsers, 2, ahatest.BeforeServe(func(a *ahatest.Account) {
			a.RemoveUser(a.Users[5].ID)
		})), want: failsNaming, cause: []string{"downloading the account's users", "changed while paging"}},
		faultCase{name: "user moved from page 2 to page 1 between pages", script: on(rUsers, 2, ahatest.BeforeServe(func(a *ahatest.Account) {
			a.MoveUser(a.Users[len(a.Users)-1].ID, 0)
		})), want: failsNaming, cause: []string{"downloading the account's users", "changed while paging"}},
		faultCase{name: "user moved from page 1 to page 2 between pages", script: on(rUsers, 2, ahatest.BeforeServe(func(a *ahatest.Account) {
			a.MoveUser(a.Users[0].ID, len(a.Users))
		})), want: failsNaming, cause: []string{"downloading the account's users"}},

		faultCase{name: "users page repeats forever", script: from(rUsers, 2, ahatest.RepeatPage()),
			want: failsNaming, cause: []string{"downloading the account's users", "repeated a page"}},
		faultCase{name: "audits page repeats forever", script: from(rAudits, 2, ahatest.RepeatPage()),
			want: failsNaming, cause: []string{"reading user activity", "repeated a page"}},

		faultCase{name: "oversized body on users page 2", script: on(rUsers, 2, ahatest.Oversized(33<<20)),
			want: failsNaming, cause: []string{"downloading the account's users", "exceeds"}},

		faultCase{name: "token revoked mid-run (401 JSON)", script: on(rAudits, 2, ahatest.RevokeToken()),
			want: failsNaming, cause: []string{"reading user activity", "401"}},
		faultCase{name: "token revoked mid-run (401 HTML)", script: on(rAudits, 2, ahatest.Fault{Revoke: true, HTML: true}),
			want: failsNaming, cause: []string{"reading user activity", "401"}},

		faultCase{name: "accessed_at null (documented)", script: from(rUsers, 1, ahatest.Encoded(ahatest.Encoding{NeverAccess: ahatest.NullAsNull})), want: sameReport},
		faultCase{name: "accessed_at empty string", script: from(rUsers, 1, ahatest.Encoded(ahatest.Encoding{NeverAccess: ahatest.NullAsEmpty})), want: unknownStaysUnknown},
		faultCase{name: "accessed_at missing", script: from(rUsers, 1, ahatest.Encoded(ahatest.Encoding{NeverAccess: ahatest.NullAsMissing})), want: unknownStaysUnknown},
		faultCase{name: "ids above 2^53 as numbers", script: func(f *relFake) {
			enc := ahatest.Encoded(ahatest.Encoding{IDs: ahatest.IDsAsNumbers})
			f.faults.Always(rMe, enc).Always(rUsers, enc).Always(rAudits, enc)
		}, want: sameReport},
		faultCase{name: "ids above 2^53 as strings", script: func(f *relFake) {
			enc := ahatest.Encoded(ahatest.Encoding{IDs: ahatest.IDsAsStrings})
			f.faults.Always(rMe, enc).Always(rUsers, enc).Always(rAudits, enc)
		}, want: sameReport},
	)
	return cases
}

// TestFaultSuite runs the whole job under each fault. The runs go
// concurrently (most of their time is spent waiting out retries and 429s),
// then each case is checked in its own subtest.
func TestFaultSuite(t *testing.T) {
	t.Parallel()
	want := relBaseline(t)
	cases := faultCases()
	type done struct {
		f       *relFake
		r       relResult
		elapsed time.Duration
	}
	results := make([]done, len(cases))
	// Cases with a deadline run in a second, small batch, so that the
	// first batch's load cannot eat their deadline before the fault.
	for _, deadlines := range []bool{false, true} {
		var wg sync.WaitGroup
		for i, tc := range cases {
			if (tc.timeout > 0) != deadlines {
				continue
			}
			f := newRelFake(t, nil, nil)
			tc.script(f)
			wg.Go(func() {
				ctx := context.Background()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				start := time.Now()
				r := f.run(ctx, nil, relArgs...)
				results[i] = done{f: f, r: r, elapsed: time.Since(start)}
			})
		}
		wg.Wait()
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := results[i]
			if tc.timeout > 0 && res.elapsed > tc.timeout+2*time.Second {
				t.Errorf("run took %s with a %s deadline: a wait did not end with the context", res.elapsed, tc.timeout)
			}
			if res.f.faults.Injected() == 0 {
				t.Fatalf("no fault was injected: the case tests nothing")
			}
			checkOutcome(t, tc, res.r, want)
			checkNoMutation(t, res.f)
			if strings.Contains(res.r.stdout+res.r.stderr, res.f.token) {
				t.Errorf("the API token appears in the output")
			}
		})
	}
}

func checkOutcome(t *testing.T, tc faultCase, r relResult, want string) {
	t.Helper()
	switch tc.want {
	case sameReport:
		if r.code != 0 {
			t.Fatalf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		if r.stdout != want {
			t.Errorf("report differs from the fault-free run (-want +got):\n%s", cmp.Diff(want, r.stdout))
		}
	case failsNaming:
		if r.code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("a failed run wrote a report (a partial account reported as complete):\n%.400s", r.stdout)
		}
		lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
		first := lines[0]
		if !strings.HasPrefix(first, "spoke: ") {
			t.Errorf("first line %q does not start with \"spoke: \"", first)
		}
		for _, c := range tc.cause {
			if !strings.Contains(first, c) {
				t.Errorf("first line of stderr does not name %q:\n%s", c, first)
			}
		}
		if len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "  what to do: ")) {
			t.Errorf("want one error line (and one hint), got:\n%.2000s", r.stderr)
		}
		if len(first) > 2000 {
			t.Errorf("error line is %d bytes long; the server's text must be cut short", len(first))
		}
		if strings.ContainsFunc(r.stderr, func(c rune) bool { return c < ' ' && c != '\n' }) {
			t.Errorf("stderr carries control characters (terminal escapes) from the server: %q", truncate(r.stderr, 300))
		}
	case unknownStaysUnknown:
		if r.code != 0 {
			t.Fatalf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		checkUnknownNeverCandidate(t, r.stdout)
	}
}

// checkUnknownNeverCandidate asserts that the report has users of unknown
// activity, that none is a candidate, and that a warning says why.
func checkUnknownNeverCandidate(t *testing.T, report string) {
	t.Helper()
	var rep Report
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	unknown := map[string]bool{}
	for _, s := range rep.Subscriptions {
		if s.Activity == "unknown" {
			unknown[s.ExternalUserID] = true
		}
	}
	if len(unknown) == 0 {
		t.Fatalf("no subscription has unknown activity: the fault did not reach the report")
	}
	for _, c := range rep.Candidates {
		if unknown[c.ExternalUserID] {
			t.Errorf("user %s of unknown activity is a reclamation candidate (%s)", c.ExternalUserID, c.Reason)
		}
	}
	warned := false
	for _, w := range rep.Warnings {
		if strings.Contains(w.Message, "accessed_at") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about unreadable accessed_at; warnings: %+v", rep.Warnings)
	}
}

// checkNoMutation asserts that a dry run sent no mutating request.
func checkNoMutation(t *testing.T, f *relFake) {
	t.Helper()
	for route, n := range f.srv.Stats().ByRoute {
		if n > 0 && !strings.HasPrefix(route, "GET ") {
			t.Errorf("the fake saw %d %s requests; a dry run must change nothing", n, route)
		}
	}
}

// TestFaultCancelEndsWaits cancels the run while the client waits out a
// long 429 (and, separately, a response that never comes) and checks that
// the run returns promptly, failing, with no report.
func TestFaultCancelEndsWaits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault ahatest.Fault
	}{
		{"429 Retry-After 90s", ahatest.RateLimited(90 * time.Second)},
		{"response delayed 60s", ahatest.Slow(60 * time.Second)},
		{"503 with Retry-After 20s", ahatest.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"20"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newRelFake(t, nil, nil)
			f.faults.On(rUsers, 2, tc.fault)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan relResult, 1)
			go func() { done <- f.run(ctx, nil, relArgs...) }()
			// Cancel once the fault has been served.
			deadline := time.Now().Add(10 * time.Second)
			for f.faults.Injected() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			cancel()
			canceled := time.Now()
			select {
			case r := <-done:
				if el := time.Since(canceled); el > 2*time.Second {
					t.Errorf("run returned %s after cancel, want under 2s", el)
				}
				if r.code != 1 || r.stdout != "" {
					t.Errorf("exit %d with %d bytes of report, want exit 1 and no report", r.code, len(r.stdout))
				}
				if !strings.Contains(r.stderr, "context canceled") || !strings.Contains(r.stderr, "stopped before it finished") {
					t.Errorf("stderr does not say the run was canceled:\n%s", r.stderr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("run still waiting 5s after cancel")
			}
		})
	}
}

// relCandidates returns the distinct users the fault-free report lists as
// candidates.
func relCandidates(t *testing.T, report string) map[string]bool {
	t.Helper()
	var rep Report
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatalf("baseline report is not JSON: %v", err)
	}
	out := map[string]bool{}
	for _, c := range rep.Candidates {
		out[c.ExternalUserID] = true
	}
	if len(out) == 0 {
		t.Fatal("the baseline has no candidates: the reclaim cases would test nothing")
	}
	return out
}

// disabledUsers returns the ids of the account's disabled users.
func disabledUsers(a *ahatest.Account) map[string]bool {
	out := map[string]bool{}
	a.Update(func(a *ahatest.Account) {
		for _, u := range a.Users {
			if !u.Enabled {
				out[u.ID] = true
			}
		}
	})
	return out
}

// putRecorder counts PUT /users/{id} requests per user id; it never injects.
type putRecorder struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *putRecorder) install(f *ahatest.Faults) {
	p.n = map[string]int{}
	f.When(rPut, func(r *http.Request, _ int) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.n[r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]]++
		return false
	}, ahatest.Fault{})
}

func (p *putRecorder) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.n))
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

// TestFaultReclaim runs -reclaim with faults on the re-check (GET
// /users/{id}) and the disable (PUT /users/{id}), then, when the run did not
// finish, a fault-free resumed run on the same journal. Whatever the fault:
// only candidates are ever disabled, the resumed run sends no PUT for a user
// the journal records done, every candidate ends disabled with one done
// entry, and the journal has no torn line.
//
// To keep the runs short, all but relReclaimN candidates are protected
// (-protect), which also checks that a protected user is never disabled.
func TestFaultReclaim(t *testing.T) {
	t.Parallel()
	all := relCandidates(t, relBaseline(t))
	ids := slices.Sorted(maps.Keys(all))
	if len(ids) <= relReclaimN {
		t.Fatalf("the baseline has %d candidates, want more than %d", len(ids), relReclaimN)
	}
	cands := map[string]bool{}
	for _, id := range ids[:relReclaimN] {
		cands[id] = true
	}
	protect := strings.Join(ids[relReclaimN:], ",")
	cases := []struct {
		name string
		// script installs faults; the resumed run clears them.
		script func(f *relFake)
		// cancelAfter cancels the first run once a fault was injected.
		cancel   bool
		wantCode int
		// fix restores what the fault broke before resuming (e.g. the
		// revoked token).
		fix func(f *relFake)
	}{
		{name: "no fault", script: func(*relFake) {}, wantCode: 0},
		{name: "PUT 503 once (retried)", script: on(rPut, 2, ahatest.ErrorStatus(503)), wantCode: 0},
		{name: "PUT 502 HTML once (retried)", script: on(rPut, 3, ahatest.HTMLStatus(502)), wantCode: 0},
		{name: "PUT connection reset once (retried)", script: on(rPut, 2, ahatest.ResetConnection()), wantCode: 0},
		{name: "PUT 429 once", script: on(rPut, 1, ahatest.RateLimited(time.Second)), wantCode: 0},
		{name: "PUT 500 on the second action", script: on(rPut, 2, ahatest.ErrorStatus(500)), wantCode: 1},
		{name: "PUT 422 on every action", script: from(rPut, 1, ahatest.ErrorStatus(422)), wantCode: 1},
		// The PUT took effect; the re-read after the failed call finds the
		// seat free: already applied.
		{name: "PUT truncated reply", script: on(rPut, 2, ahatest.TruncatedBody()), wantCode: 0},
		// A user the re-check cannot find is canceled, not failed; the
		// resumed run then finds and reclaims it.
		{name: "re-check GET 404 HTML on one user", script: on(rUser, 2, ahatest.HTMLStatus(404)), wantCode: 0},
		{name: "re-check GET 500 on every user", script: from(rUser, 1, ahatest.ErrorStatus(500)), wantCode: 1},
		{name: "re-check GET reset once (retried)", script: on(rUser, 3, ahatest.ResetConnection()), wantCode: 0},
		{name: "token revoked at the third PUT", script: on(rPut, 3, ahatest.RevokeToken()), wantCode: 1,
			fix: func(f *relFake) { f.srv.AddToken(f.token, "") }},
		{name: "run canceled during a slow PUT", script: on(rPut, 3, ahatest.Slow(30*time.Second)), cancel: true, wantCode: 1},
		{name: "run canceled during a 429 wait on a re-check", script: on(rUser, 2, ahatest.RateLimited(60*time.Second)), cancel: true, wantCode: 1},
	}
	logs := make([]*caseLog, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		f := newRelFake(t, nil, nil)
		logs[i] = &caseLog{}
		wg.Go(func() {
			t := logs[i]
			defer t.recoverFatal()
			before := disabledUsers(f.acct)
			rec := &putRecorder{}
			rec.install(f.faults)
			tc.script(f)
			journal := filepath.Join(f.dir, "journal.jsonl")
			args := append([]string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-protect", protect}, relArgs...)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				go func() {
					for f.faults.Injected() == 0 && ctx.Err() == nil {
						time.Sleep(10 * time.Millisecond)
					}
					time.Sleep(100 * time.Millisecond)
					cancel()
				}()
			}
			r := f.run(ctx, nil, args...)
			if r.code != tc.wantCode {
				t.Fatalf("first run: exit %d, want %d; stderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			if tc.wantCode != 0 && f.faults.Injected() == 0 {
				t.Fatal("no fault was injected")
			}
			checkOnlyCandidates(t, f, before, cands)
			if r.code != 0 && !strings.Contains(r.stderr, "journal") {
				t.Errorf("a failed reclaim run does not point at the journal:\n%s", r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, f.token) {
				t.Error("the API token appears in the output")
			}
			firstPUTs := rec.counts()

			// Resume without faults.
			f.faults.Clear()
			rec.install(f.faults)
			if tc.fix != nil {
				tc.fix(f)
			}
			doneBefore := journalDone(t, journal)
			r2 := f.run(context.Background(), nil, args...)
			if r2.code != 0 {
				t.Fatalf("resumed run: exit %d, want 0; stderr:\n%s", r2.code, r2.stderr)
			}
			for id := range rec.counts() {
				if doneBefore[id] > 0 {
					t.Errorf("the resumed run sent a PUT for user %s, which the journal records done", id)
				}
			}
			checkOnlyCandidates(t, f, before, cands)
			now := disabledUsers(f.acct)
			for id := range cands {
				if !now[id] {
					t.Errorf("candidate %s is still enabled after the resumed run", id)
				}
			}
			done := journalDone(t, journal)
			for id := range cands {
				if done[id] != 1 {
					t.Errorf("user %s has %d done entries in the journal, want 1", id, done[id])
				}
			}
			for id, n := range firstPUTs {
				if !cands[id] {
					t.Errorf("a PUT (x%d) went to user %s, not a candidate", n, id)
				}
			}
		})
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { logs[i].report(t) })
	}
}

// relReclaimN is how many candidates the reclaim cases leave unprotected.
const relReclaimN = 6

// reporter is the part of testing.T the case checks use, so that they can
// run in goroutines of their own (t.Parallel would run only GOMAXPROCS
// cases at once, and these mostly wait).
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// caseLog collects one case's failures, to be reported by its subtest.
type caseLog struct {
	mu    sync.Mutex
	msgs  []string
	fatal bool
}

type fatalStop struct{}

func (c *caseLog) Helper() {}

func (c *caseLog) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, fmt.Sprintf(format, args...))
}

func (c *caseLog) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	c.mu.Lock()
	c.fatal = true
	c.mu.Unlock()
	panic(fatalStop{})
}

func (c *caseLog) Fatal(args ...any) { c.Fatalf("%s", fmt.Sprint(args...)) }

func (c *caseLog) Error(args ...any) { c.Errorf("%s", fmt.Sprint(args...)) }

// recoverFatal ends the case's goroutine after Fatalf.
func (c *caseLog) recoverFatal() {
	if r := recover(); r != nil {
		if _, ok := r.(fatalStop); !ok {
			panic(r)
		}
	}
}

func (c *caseLog) report(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		t.Error(m)
	}
	if c.fatal {
		t.FailNow()
	}
}

// checkOnlyCandidates asserts that every user disabled since before is a
// candidate.
func checkOnlyCandidates(t reporter, f *relFake, before, cands map[string]bool) {
	t.Helper()
	for id := range disabledUsers(f.acct) {
		if !before[id] && !cands[id] {
			t.Errorf("user %s was disabled but is not a candidate", id)
		}
	}
}

// journalDone reads the journal and counts done entries (applied or
// already_applied) per user; a torn or malformed line fails the test.
func journalDone(t reporter, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return out
	}
	j, err := reclaim.OpenJournal(path)
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	defer j.Close()
	if tl := j.Torn(); tl != nil {
		t.Errorf("journal has a torn line: %v", tl)
	}
	for _, e := range j.Entries() {
		if e.Outcome.Done() {
			out[e.UserID]++
		}
	}
	return out
}

// TestSoakReport runs the whole job on a 5,000-user account twice: once
// fault-free, once with 5% of the API requests failing at random (503,
// 429 with Retry-After 1 s, connection resets mid-body; seeded), and
// requires the second run to finish within its deadline with exactly the
// first run's report. -short skips it.
func TestSoakReport(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	t.Parallel()
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 5000, Audits: 20000, Seed: 11, Now: relNow})
	acct.Entitlements = []ahatest.Entitlement{
		{Model: ahatest.ModelRoadmaps, Rights: 3000, UnitCost: "708.00", Currency: "USD", Period: "annual", Start: "2025-06-01"},
		{Model: ahatest.ModelDevelop, Rights: 400, UnitCost: "108.00", Currency: "USD", Period: "annual", Start: "2025-06-01"},
	}
	// The account-wide limits stay on: the job must keep below them.
	clean := newRelFake(t, acct.Clone(), nil)
	want := clean.run(context.Background(), nil, relArgs...)
	if want.code != 0 {
		t.Fatalf("fault-free run: exit %d: %s", want.code, want.stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(want.stdout), &rep); err != nil {
		t.Fatalf("fault-free report is not JSON: %v", err)
	}
	if len(rep.Subscriptions) < 2500 || len(rep.Candidates) == 0 {
		t.Fatalf("fault-free report: %d subscriptions, %d candidates; the soak would test little",
			len(rep.Subscriptions), len(rep.Candidates))
	}

	const seed, deadline = 5, 90 * time.Second
	faults := ahatest.NewFaults().Random(seed, 0.05)
	f := newRelFake(t, acct.Clone(), faults)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	got := f.run(ctx, nil, relArgs...)
	took := time.Since(start)
	st := f.srv.Stats()
	t.Logf("seed %d: %d requests, %d faults, %s", seed, st.Requests, faults.Injected(), took)
	if got.code != 0 {
		t.Fatalf("run with faults: exit %d after %s: %s", got.code, took, got.stderr)
	}
	if faults.Injected() == 0 {
		t.Fatalf("no fault injected in %d requests: the soak tested nothing", st.Requests)
	}
	if got.stdout != want.stdout {
		t.Errorf("report with faults differs from the fault-free one (-want +got):\n%.4000s", cmp.Diff(want.stdout, got.stdout))
	}
	checkNoMutation(t, f)
}

// TestAuditOrderTolerated: Aha! documents neither the order of /audits
// nor that every server honours after_id. Newest first, after_id ignored,
// or both: the job reads the same activity and prints the fault-free
// report.
func TestAuditOrderTolerated(t *testing.T) {
	t.Parallel()
	want := relBaseline(t)
	for _, order := range []ahatest.AuditOrder{ahatest.AuditsNewestFirst, ahatest.AuditsIgnoreAfterID, ahatest.AuditsNewestFirstIgnoreAfterID} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			f := newRelFake(t, nil, nil, ahatest.WithAuditOrder(order))
			r := f.run(context.Background(), nil, relArgs...)
			checkOutcome(t, faultCase{want: sameReport}, r, want)
			checkNoMutation(t, f)
		})
	}
}
