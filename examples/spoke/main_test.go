package main

// End-to-end tests of the spoke command (issue 2): run() is driven in
// process against the fake Aha! account of package ahatest over real HTTP,
// with a fixed -now, and the JSON report is checked against figures
// computed from the fake account's own data.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
)

const (
	modelRoadmaps = "Aha! Roadmaps"
	modelDevelop  = "Aha! Develop"
	day           = 24 * time.Hour
)

// testNow is the evaluation time of every test; the fake account is
// generated relative to it.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// secret returns a random token made at run time.
func secret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "tok-" + hex.EncodeToString(b)
}

// putCounter is a base transport that counts requests by method and path,
// so tests can tell how many times each user was PUT.
type putCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int // "PUT /api/v1/users/123" → count
}

func (c *putCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Method+" "+r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// puts returns how many PUT /users/{id} requests were sent for each user id.
func (c *putCounter) puts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		if id, ok := strings.CutPrefix(k, "PUT /api/v1/users/"); ok {
			out[id] += v
		}
	}
	return out
}

// fake is one fake Aha! account served over HTTP, and what a test needs to
// run the spoke against it.
type fake struct {
	t      *testing.T
	acct   *ahatest.Account
	srv    *ahatest.Server
	faults *ahatest.Faults
	token  string
	now    time.Time
	wire   *putCounter
}

// newFake serves acct with a random token, a fault script and a clock that
// starts at now and runs at real speed (so the fake's rate limit works).
func newFake(t *testing.T, acct *ahatest.Account, now time.Time, opts ...ahatest.Option) *fake {
	t.Helper()
	tok := secret(t)
	faults := ahatest.NewFaults()
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) }
	all := append([]ahatest.Option{ahatest.WithToken(tok), ahatest.WithFaults(faults), ahatest.WithClock(clock)}, opts...)
	srv := ahatest.NewServer(acct, all...)
	t.Cleanup(srv.Close)
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &fake{t: t, acct: acct, srv: srv, faults: faults, token: tok, now: now,
		wire: &putCounter{next: base, n: map[string]int{}}}
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the spoke against the fake with -aha-url, -now and AHA_TOKEN set.
func (f *fake) run(ctx context.Context, args ...string) result {
	f.t.Helper()
	full := append([]string{"-aha-url", f.srv.URL, "-now", f.now.Format(time.RFC3339)}, args...)
	return runSpoke(f.t, ctx, full, map[string]string{"AHA_TOKEN": f.token}, f.wire, f.token)
}

// runSpoke runs the command in process and checks what must hold for every
// run: no secret in any output, no stack trace.
func runSpoke(t *testing.T, ctx context.Context, args []string, vars map[string]string, transport http.RoundTripper, secrets ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{
		getenv:    func(k string) string { return vars[k] },
		stderr:    &stderr,
		clock:     func() time.Time { return testNow },
		transport: transport,
	}
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
	}
	r := result{code: run(ctx, args, e, &stdout), stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("run %q: a secret appears in the output", args)
		}
	}
	for _, bad := range []string{"goroutine ", "panic:", ".go:"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("run %q: stderr looks like a stack trace (%q):\n%s", args, bad, r.stderr)
		}
	}
	return r
}

// The report as a test reads it.
type jsonReport struct {
	AsOf            time.Time      `json:"as_of"`
	Profile         string         `json:"profile"`
	ThresholdDays   int            `json:"threshold_days"`
	Cutoff          time.Time      `json:"cutoff"`
	DryRun          bool           `json:"dry_run"`
	ReclaimMode     string         `json:"reclaim_mode"`
	Subscriptions   []jsonSub      `json:"subscriptions"`
	Candidates      []jsonCand     `json:"candidates"`
	Protected       []jsonProt     `json:"protected"`
	Positions       []jsonPosition `json:"positions"`
	PositionsBefore []jsonPosition `json:"positions_before"`
	Reclaim         *jsonReclaim   `json:"reclaim"`
	Actions         []jsonAction   `json:"actions"`
	Warnings        []jsonWarning  `json:"warnings"`
}

type jsonSub struct {
	ExternalUserID string     `json:"external_user_id"`
	Email          string     `json:"email"`
	Model          string     `json:"model"`
	Active         bool       `json:"active"`
	LastActivity   *time.Time `json:"last_activity"`
	InactiveDays   *int       `json:"inactive_days"`
}

type jsonCand struct {
	ExternalUserID string `json:"external_user_id"`
	Email          string `json:"email"`
	Model          string `json:"model"`
	Reason         string `json:"reason"`
	State          string `json:"state"`
}

type jsonProt struct {
	ExternalUserID string `json:"external_user_id"`
	Reason         string `json:"reason"`
}

type jsonPosition struct {
	Model            string  `json:"model"`
	RightsOwned      int64   `json:"rights_owned"`
	Unlimited        bool    `json:"unlimited"`
	RightsUsed       int64   `json:"rights_used"`
	Status           string  `json:"status"`
	TrueUpCost       *string `json:"true_up_cost"`
	OverLicensedCost *string `json:"over_licensed_cost"`
	PotentialSavings *string `json:"potential_savings"`
	Currency         *string `json:"currency"`
}

type jsonReclaim struct {
	Mode        string         `json:"mode"`
	Planned     int            `json:"planned"`
	MaxActions  int            `json:"max_actions"`
	CapExceeded bool           `json:"cap_exceeded"`
	Interrupted bool           `json:"interrupted"`
	Counts      map[string]int `json:"counts"`
	Freed       []string       `json:"freed"`
	Unresolved  []string       `json:"unresolved"`
	Resolved    []jsonAction   `json:"resolved"`
}

type jsonAction struct {
	ExternalUserID string   `json:"external_user_id"`
	Email          string   `json:"email"`
	Action         string   `json:"action"`
	Outcome        string   `json:"outcome"`
	Error          string   `json:"error"`
	Models         []string `json:"models"`
}

type jsonWarning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func decodeReport(t *testing.T, data string) *jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, data)
	}
	return &r
}

func (r *jsonReport) position(t *testing.T, model string) jsonPosition {
	t.Helper()
	for _, p := range r.Positions {
		if p.Model == model {
			return p
		}
	}
	t.Fatalf("no position for %q in %+v", model, r.Positions)
	return jsonPosition{}
}

// candidateModels returns the report's candidates as user id → sorted models.
func (r *jsonReport) candidateModels() map[string][]string {
	out := map[string][]string{}
	for _, c := range r.Candidates {
		out[c.ExternalUserID] = append(out[c.ExternalUserID], c.Model)
	}
	for _, ms := range out {
		slices.Sort(ms)
	}
	return out
}

func (r *jsonReport) protectedReasons() map[string]string {
	out := map[string]string{}
	for _, p := range r.Protected {
		out[p.ExternalUserID] = p.Reason
	}
	return out
}

// Facts computed from the fake account's own data.

// seatModels returns the models u holds a paid seat of: Aha! reports
// roadmaps_seat and develop_seat; a bare paid_seat counts as Roadmaps. A
// disabled user holds none, whatever its flags say.
func seatModels(u *ahatest.User) []string {
	if !u.Enabled || !u.PaidSeat {
		return nil
	}
	r := u.RoadmapsSeat != nil && *u.RoadmapsSeat
	d := u.DevelopSeat != nil && *u.DevelopSeat
	var ms []string
	if d {
		ms = append(ms, modelDevelop)
	}
	if r || !d {
		ms = append(ms, modelRoadmaps)
	}
	return ms
}

func isAdmin(u *ahatest.User) bool { return u.Administrator || u.AdminRoles.Account }

// lastSeen is when u was last active: accessed_at, or its creation when it
// never accessed Aha!. (The fake's audits are never later than accessed_at.)
func lastSeen(u *ahatest.User) time.Time {
	if u.AccessedAt != nil {
		return *u.AccessedAt
	}
	return u.CreatedAt
}

// usedByModel counts the distinct enabled users holding a paid seat, per model.
func usedByModel(acct *ahatest.Account) map[string]int64 {
	out := map[string]int64{}
	for _, u := range acct.Clone().Users {
		for _, m := range seatModels(u) {
			out[m]++
		}
	}
	return out
}

// expectedCandidates lists the users the rule must name at now with a
// threshold of days, as user id → sorted models: enabled paid users, not
// administrators nor the token's user nor excluded, whose last activity (or
// creation, when never active) is strictly before now − days.
func expectedCandidates(acct *ahatest.Account, now time.Time, days int, exclude ...string) map[string][]string {
	cutoff := now.Add(-time.Duration(days) * day)
	c := acct.Clone()
	out := map[string][]string{}
	for _, u := range c.Users {
		ms := seatModels(u)
		if len(ms) == 0 || isAdmin(u) || u.ID == c.SelfID || slices.Contains(exclude, u.ID) {
			continue
		}
		if lastSeen(u).Before(cutoff) {
			slices.Sort(ms)
			out[u.ID] = ms
		}
	}
	return out
}

// expectedProtected lists the paid users protected at now: the token's user,
// administrators, and accounts younger than the threshold that never
// logged in.
func expectedProtected(acct *ahatest.Account, now time.Time, days int) map[string]string {
	cutoff := now.Add(-time.Duration(days) * day)
	c := acct.Clone()
	out := map[string]string{}
	for _, u := range c.Users {
		if len(seatModels(u)) == 0 {
			continue
		}
		switch {
		case u.ID == c.SelfID:
			out[u.ID] = "connection_user"
		case isAdmin(u):
			out[u.ID] = "administrator"
		case u.AccessedAt == nil && !u.CreatedAt.Before(cutoff):
			out[u.ID] = "account_younger_than_threshold"
		}
	}
	return out
}

// addUser adds a paid, enabled Roadmaps contributor with no audits.
func addUser(t *testing.T, acct *ahatest.Account, id, email string, created time.Time, accessed *time.Time) {
	t.Helper()
	prod := acct.Clone().Products[0]
	if prod.Kind != ahatest.KindRoadmaps {
		t.Fatalf("the first workspace is %q, want a Roadmaps one", prod.Kind)
	}
	yes, no := true, false
	acct.AddUser(&ahatest.User{
		ID: id, Name: "Test " + id, Email: email, CreatedAt: created, UpdatedAt: created, AccessedAt: accessed,
		Enabled: true, PaidSeat: true, RoadmapsSeat: &yes, DevelopSeat: &no,
		ProductRoles: []ahatest.ProductRole{{Role: ahatest.RoleContributor, ProductID: prod.ID, ProductName: prod.Name}},
	})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var decimal2 = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)

// TestReportShape checks the JSON report's documented fields and their
// JSON types, including null for unknown activity and unknown money.
func TestReportShape(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	// One user whose activity Aha! does not report: last_activity null.
	unknownID := "9000000000000000001"
	addUser(t, acct, unknownID, "unknown@example.com", testNow.Add(-400*day), nil)
	f := newFake(t, acct, testNow)
	// accessed_at missing (not null) for users who never logged in: their
	// activity is unknown.
	f.faults.Always("GET /users", ahatest.Encoded(ahatest.Encoding{NeverAccess: ahatest.NullAsMissing}))
	used := usedByModel(acct)
	ents := writeFile(t, "ents.json", fmt.Sprintf(`[
  {"model": "Aha! Roadmaps", "rights": %d, "unit_cost": "100.00", "currency": "USD", "period": "annual", "start": "2026-01-01"},
  {"model": "Aha! Develop", "rights": %d, "start": "2026-01-01"}
]`, used[modelRoadmaps], used[modelDevelop]))

	r := f.run(nil, "-format", "json", "-entitlements", ents)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not one JSON object: %v", err)
	}
	str := func(v any) bool { _, ok := v.(string); return ok }
	num := func(v any) bool { _, ok := v.(float64); return ok }
	boolean := func(v any) bool { _, ok := v.(bool); return ok }
	null := func(v any) bool { return v == nil }
	or := func(a, b func(any) bool) func(any) bool { return func(v any) bool { return a(v) || b(v) } }
	rfc3339 := func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	}
	money := func(v any) bool {
		s, ok := v.(string)
		return v == nil || ok && decimal2.MatchString(s)
	}
	check := func(where string, obj any, fields map[string]func(any) bool) {
		t.Helper()
		m, ok := obj.(map[string]any)
		if !ok {
			t.Errorf("%s is %T, want an object", where, obj)
			return
		}
		for k, ok := range fields {
			v, present := m[k]
			if !present {
				t.Errorf("%s: field %q is missing", where, k)
			} else if !ok(v) {
				t.Errorf("%s: field %q = %#v has the wrong type", where, k, v)
			}
		}
	}
	list := func(k string) []any {
		t.Helper()
		l, ok := doc[k].([]any)
		if !ok {
			t.Fatalf("%q is %T, want an array", k, doc[k])
		}
		return l
	}
	check("report", doc, map[string]func(any) bool{"as_of": rfc3339, "profile": str})
	if doc["as_of"] != testNow.Format(time.RFC3339) {
		t.Errorf("as_of = %v, want %s", doc["as_of"], testNow.Format(time.RFC3339))
	}
	list("warnings")
	sawNull, sawTime := false, false
	for i, s := range list("subscriptions") {
		check(fmt.Sprintf("subscriptions[%d]", i), s, map[string]func(any) bool{
			"external_user_id": str, "email": str, "model": str,
			"last_activity": or(null, rfc3339), "inactive_days": or(null, num),
		})
		m := s.(map[string]any)
		if m["external_user_id"] == unknownID {
			if m["last_activity"] != nil || m["inactive_days"] != nil {
				t.Errorf("user %s without accessed_at: last_activity %v, inactive_days %v; want null, null", unknownID, m["last_activity"], m["inactive_days"])
			}
			sawNull = true
		} else if m["last_activity"] != nil {
			sawTime = true
		}
	}
	if !sawNull || !sawTime {
		t.Errorf("subscriptions: saw a null last_activity %v, saw a time %v; want both", sawNull, sawTime)
	}
	cands := list("candidates")
	if len(cands) == 0 {
		t.Fatal("no candidates")
	}
	for i, c := range cands {
		check(fmt.Sprintf("candidates[%d]", i), c, map[string]func(any) bool{"external_user_id": str, "email": str, "model": str, "reason": str})
	}
	for i, p := range list("protected") {
		check(fmt.Sprintf("protected[%d]", i), p, map[string]func(any) bool{"external_user_id": str, "reason": str})
	}
	prots := decodeReport(t, r.stdout).protectedReasons()
	if prots[unknownID] != "activity_unknown" {
		t.Errorf("user %s with unknown activity: protected %q, want activity_unknown", unknownID, prots[unknownID])
	}
	positions := list("positions")
	if len(positions) != 2 {
		t.Fatalf("%d positions, want 2", len(positions))
	}
	for i, p := range positions {
		check(fmt.Sprintf("positions[%d]", i), p, map[string]func(any) bool{
			"model": str, "rights_owned": num, "unlimited": boolean, "rights_used": num, "status": str,
			"true_up_cost": money, "over_licensed_cost": money, "potential_savings": money, "currency": or(null, str),
		})
		m := p.(map[string]any)
		switch m["model"] {
		case modelDevelop: // no price: money unknown, not zero
			for _, k := range []string{"true_up_cost", "over_licensed_cost", "potential_savings", "currency"} {
				if m[k] != nil {
					t.Errorf("Develop has no price: %s = %#v, want null", k, m[k])
				}
			}
		case modelRoadmaps:
			for _, k := range []string{"true_up_cost", "over_licensed_cost", "potential_savings"} {
				if !str(m[k]) {
					t.Errorf("Roadmaps is priced: %s = %#v, want a decimal string", k, m[k])
				}
			}
		}
	}
}

// TestReportFigures checks the report against the fake account: rights used
// are the distinct enabled paid users per model, the candidates and the
// protected users are those the rule names, a user in two workspaces is
// counted once, and disabled users consume nothing.
func TestReportFigures(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	c := acct.Clone()
	cutoff := testNow.Add(-60 * day)

	// A paid user in two Roadmaps workspaces (the demo has several).
	var twoWS *ahatest.User
	for _, u := range c.Users {
		if len(seatModels(u)) == 1 && seatModels(u)[0] == modelRoadmaps && len(u.ProductRoles) == 2 &&
			u.ProductRoles[0].Role == ahatest.RoleContributor && u.ProductRoles[1].Role == ahatest.RoleContributor {
			twoWS = u
			break
		}
	}
	if twoWS == nil {
		t.Fatal("the demo account has no contributor in two Roadmaps workspaces")
	}
	// A paid candidate disabled by hand, its seat flags left as they were:
	// a disabled user consumes nothing whatever paid_seat says.
	var disabled *ahatest.User
	for _, u := range c.Users {
		if len(seatModels(u)) > 0 && !isAdmin(u) && u.AccessedAt != nil && u.AccessedAt.Before(cutoff) {
			disabled = u
			break
		}
	}
	if disabled == nil {
		t.Fatal("the demo account has no inactive paid user")
	}
	usedBefore := usedByModel(acct)
	acct.UpdateUser(disabled.ID, func(u *ahatest.User) { u.Enabled = false })
	used := usedByModel(acct)
	for _, m := range seatModels(disabled) {
		if used[m] != usedBefore[m]-1 {
			t.Fatalf("disabling %s: %s used %d → %d", disabled.ID, m, usedBefore[m], used[m])
		}
	}

	f := newFake(t, acct, testNow)
	r := f.run(nil, "-format", "json", "-quiet")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("-quiet: stderr = %q, want nothing", r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	if !rep.AsOf.Equal(testNow) || !rep.DryRun || rep.ThresholdDays != 60 {
		t.Errorf("as_of %v dry_run %v threshold %d; want %v true 60", rep.AsOf, rep.DryRun, rep.ThresholdDays, testNow)
	}

	// Rights used: distinct enabled paid users per model. Counting paid
	// Roadmaps roles instead would count the two-workspace users twice.
	products := map[string]string{}
	for _, p := range c.Products {
		products[p.ID] = p.Kind
	}
	roles, people := 0, 0
	for _, u := range c.Users {
		if u.ID == disabled.ID || !u.Enabled || !u.PaidSeat {
			continue
		}
		n := 0
		for _, r := range u.ProductRoles {
			if products[r.ProductID] == ahatest.KindRoadmaps && (r.Role == ahatest.RoleOwner || r.Role == ahatest.RoleContributor) {
				n++
			}
		}
		roles += n
		if n > 0 {
			people++
		}
	}
	if roles <= people {
		t.Fatalf("%d paid Roadmaps roles for %d people: the account does not tell a person from a role", roles, people)
	}
	for _, m := range []string{modelRoadmaps, modelDevelop} {
		if got := rep.position(t, m).RightsUsed; got != used[m] {
			t.Errorf("%s: rights_used %d, want %d distinct enabled paid users", m, got, used[m])
		}
	}

	// The two-workspace user: one Roadmaps subscription.
	n := 0
	for _, s := range rep.Subscriptions {
		if s.ExternalUserID == twoWS.ID && s.Model == modelRoadmaps {
			n++
		}
		if s.ExternalUserID == disabled.ID && s.Active {
			t.Errorf("disabled user %s listed as an active subscription", disabled.ID)
		}
	}
	if n != 1 {
		t.Errorf("user %s in two workspaces: %d Roadmaps subscriptions, want 1", twoWS.ID, n)
	}

	// Candidates and protected users, as the rule names them.
	want := expectedCandidates(acct, testNow, 60)
	if _, ok := want[disabled.ID]; ok {
		t.Fatal("the disabled user is expected as a candidate")
	}
	if diff := cmp.Diff(want, rep.candidateModels()); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(expectedProtected(acct, testNow, 60), rep.protectedReasons()); diff != "" {
		t.Errorf("protected (-want +got):\n%s", diff)
	}
	// The demo's mix: never-active old accounts are candidates, never-active
	// new ones protected, and the administrators inactive for over a year
	// are protected.
	var neverOld, neverNew, oldAdmins int
	for _, u := range c.Users {
		if len(seatModels(u)) == 0 {
			continue
		}
		switch {
		case isAdmin(u) && u.AccessedAt != nil && u.AccessedAt.Before(testNow.Add(-365*day)):
			oldAdmins++
			if rep.protectedReasons()[u.ID] != "administrator" {
				t.Errorf("admin %s inactive for a year: protected %q, want administrator", u.ID, rep.protectedReasons()[u.ID])
			}
		case !isAdmin(u) && u.AccessedAt == nil && u.CreatedAt.Before(cutoff):
			neverOld++
		case !isAdmin(u) && u.AccessedAt == nil:
			neverNew++
		}
	}
	if neverOld == 0 || neverNew == 0 || oldAdmins == 0 {
		t.Errorf("the demo account lacks a case: never-active old %d, new %d, admins inactive a year %d", neverOld, neverNew, oldAdmins)
	}
	for _, cand := range rep.Candidates {
		if !strings.Contains(cand.Reason, "threshold 60") {
			t.Errorf("candidate %s: reason %q does not name the threshold", cand.ExternalUserID, cand.Reason)
		}
	}
}

// TestInactiveDaysBoundary pins -inactive-days to the second: a user last
// active exactly now − N days is not a candidate, one second earlier is; a
// never-active account created one second before the cutoff is a
// candidate, one created at the cutoff is protected as too new.
func TestInactiveDaysBoundary(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 30, 90} { // 0: the flag left at its default, 60
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			days := n
			var args []string
			if n == 0 {
				days = 60
			} else {
				args = append(args, "-inactive-days", fmt.Sprint(n))
			}
			acct := ahatest.DemoAccount(testNow)
			cutoff := testNow.Add(-time.Duration(days) * day)
			justBefore := cutoff.Add(-time.Second)
			const (
				atCutoff     = "9100000000000000001"
				beforeCutoff = "9100000000000000002"
				neverOld     = "9100000000000000003"
				neverNew     = "9100000000000000004"
			)
			addUser(t, acct, atCutoff, "at.cutoff@example.com", testNow.Add(-800*day), &cutoff)
			addUser(t, acct, beforeCutoff, "before.cutoff@example.com", testNow.Add(-800*day), &justBefore)
			addUser(t, acct, neverOld, "never.old@example.com", justBefore, nil)
			addUser(t, acct, neverNew, "never.new@example.com", cutoff, nil)

			f := newFake(t, acct, testNow)
			r := f.run(nil, append(args, "-format", "json")...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			rep := decodeReport(t, r.stdout)
			if rep.ThresholdDays != days || !rep.Cutoff.Equal(cutoff) {
				t.Errorf("threshold %d cutoff %v, want %d %v", rep.ThresholdDays, rep.Cutoff, days, cutoff)
			}
			got := rep.candidateModels()
			for id, want := range map[string]bool{atCutoff: false, beforeCutoff: true, neverOld: true, neverNew: false} {
				if _, is := got[id]; is != want {
					t.Errorf("user %s: candidate %v, want %v", id, is, want)
				}
			}
			if p := rep.protectedReasons()[neverNew]; p != "account_younger_than_threshold" {
				t.Errorf("never-active account created at the cutoff: protected %q, want account_younger_than_threshold", p)
			}
			for _, s := range rep.Subscriptions {
				if s.ExternalUserID == beforeCutoff && (s.InactiveDays == nil || *s.InactiveDays != days) {
					t.Errorf("user inactive N days and a second: inactive_days %v, want %d", s.InactiveDays, days)
				}
				if s.ExternalUserID == atCutoff && (s.LastActivity == nil || !s.LastActivity.Equal(cutoff)) {
					t.Errorf("user at the cutoff: last_activity %v, want %v", s.LastActivity, cutoff)
				}
			}
			if diff := cmp.Diff(expectedCandidates(acct, testNow, days), got); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEntitlementsPositions writes an entitlements file with figures made
// from the account and checks status, true-up, over-licensed cost and
// savings, and unknown money for a model without a price.
func TestEntitlementsPositions(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	used := usedByModel(acct)
	stale := map[string]int64{}
	for _, ms := range expectedCandidates(acct, testNow, 60) {
		for _, m := range ms {
			stale[m]++
		}
	}
	// Roadmaps: 3 rights short, two purchases (one monthly, one annual)
	// averaging to an annual price; Develop: 5 to spare, no price; an
	// expired purchase counts nothing.
	ownedR := used[modelRoadmaps] - 3
	ents := writeFile(t, "ents.json", fmt.Sprintf(`[
  {"model": "Aha! Roadmaps", "rights": %d, "unit_cost": "100.00", "currency": "USD", "period": "annual", "start": "2026-01-01"},
  {"model": "Aha! Roadmaps", "rights": 100, "unit_cost": "1.00", "currency": "USD", "period": "annual", "start": "2024-01-01", "end": "2024-12-31"},
  {"model": "Aha! Develop", "rights": %d, "start": "2026-01-01"}
]`, ownedR, used[modelDevelop]+5))
	f := newFake(t, acct, testNow)
	r := f.run(nil, "-format", "json", "-entitlements", ents)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	s := func(v string) *string { return &v }
	usd := "USD"
	want := []jsonPosition{
		{Model: modelDevelop, RightsOwned: used[modelDevelop] + 5, RightsUsed: used[modelDevelop], Status: "over_licensed"},
		{Model: modelRoadmaps, RightsOwned: ownedR, RightsUsed: used[modelRoadmaps], Status: "not_compliant",
			TrueUpCost: s("300.00"), OverLicensedCost: s("0.00"), PotentialSavings: s(fmt.Sprintf("%d.00", 100*stale[modelRoadmaps])), Currency: &usd},
	}
	if diff := cmp.Diff(want, rep.Positions); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}

	// Compliant and unlimited.
	ents2 := writeFile(t, "ents2.json", fmt.Sprintf(`[
  {"model": "Aha! Roadmaps", "rights": %d, "unit_cost": "10.50", "currency": "EUR", "period": "monthly", "start": "2026-01-01"},
  {"model": "Aha! Develop", "unlimited": true, "start": "2026-01-01"}
]`, used[modelRoadmaps]))
	r = f.run(nil, "-format", "json", "-entitlements", ents2)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	rep = decodeReport(t, r.stdout)
	p := rep.position(t, modelRoadmaps)
	eur := "EUR"
	wantR := jsonPosition{Model: modelRoadmaps, RightsOwned: used[modelRoadmaps], RightsUsed: used[modelRoadmaps], Status: "compliant",
		TrueUpCost: s("0.00"), OverLicensedCost: s("0.00"), PotentialSavings: s(fmt.Sprintf("%d.00", 126*stale[modelRoadmaps])), Currency: &eur}
	if diff := cmp.Diff(wantR, p); diff != "" {
		t.Errorf("Roadmaps (-want +got):\n%s", diff)
	}
	// An unlimited licence stating no currency: no amount without one.
	wantD := jsonPosition{Model: modelDevelop, Unlimited: true, RightsUsed: used[modelDevelop], Status: "compliant"}
	if diff := cmp.Diff(wantD, rep.position(t, modelDevelop)); diff != "" {
		t.Errorf("Develop unlimited (-want +got):\n%s", diff)
	}
	// Stating one, the true-up is a known 0 in it.
	ents3 := writeFile(t, "ents3.json", `[{"model": "Aha! Develop", "unlimited": true, "currency": "JPY", "start": "2026-01-01"}]`)
	r = f.run(nil, "-format", "json", "-entitlements", ents3)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	jpy := "JPY"
	wantD.TrueUpCost, wantD.Currency = s("0"), &jpy
	if diff := cmp.Diff(wantD, decodeReport(t, r.stdout).position(t, modelDevelop)); diff != "" {
		t.Errorf("Develop unlimited in JPY (-want +got):\n%s", diff)
	}
}

// TestOutputFlags checks -o (JSON and text), the text report, -now against
// the injected clock, and the demo mode.
func TestOutputFlags(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	dir := t.TempDir()

	out := filepath.Join(dir, "report.json")
	r := f.run(nil, "-format", "json", "-o", out)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("-o: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep := decodeReport(t, string(data))
	want := expectedCandidates(acct, testNow, 60)
	if diff := cmp.Diff(want, rep.candidateModels()); diff != "" {
		t.Errorf("-o report candidates (-want +got):\n%s", diff)
	}
	if strings.Contains(string(data), f.token) {
		t.Error("the report file holds the token")
	}

	// Text, to a file and to stdout: the same report.
	txt := filepath.Join(dir, "report.txt")
	if r := f.run(nil, "-o", txt, "-format", "text"); r.code != 0 {
		t.Fatalf("text -o: exit %d:\n%s", r.code, r.stderr)
	}
	text, err := os.ReadFile(txt)
	if err != nil {
		t.Fatal(err)
	}
	r = f.run(nil)
	if r.code != 0 {
		t.Fatalf("text: exit %d:\n%s", r.code, r.stderr)
	}
	if r.stdout != string(text) {
		t.Errorf("text on stdout and in -o differ")
	}
	for _, s := range []string{
		"License positions", modelRoadmaps, modelDevelop,
		fmt.Sprintf("Reclamation candidates: %d seats of %d users", len(rep.Candidates), len(want)),
		"dry run", testNow.Format(time.RFC3339),
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("text report lacks %q:\n%s", s, r.stdout)
		}
	}
	for id := range want {
		if !strings.Contains(r.stdout, id) {
			t.Errorf("text report lacks candidate %s", id)
		}
	}

	// The account from AHA_URL, given with the API's path: the same report.
	r = runSpoke(t, nil, []string{"-now", testNow.Format(time.RFC3339), "-format", "json"},
		map[string]string{"AHA_URL": f.srv.URL + "/api/v1/", "AHA_TOKEN": f.token}, f.wire, f.token)
	if r.code != 0 {
		t.Fatalf("AHA_URL: exit %d:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, decodeReport(t, r.stdout).candidateModels()); diff != "" {
		t.Errorf("AHA_URL: candidates (-want +got):\n%s", diff)
	}

	// -v logs every request, never the token (runSpoke checks); -profile
	// names the report's profile.
	r = f.run(nil, "-v", "-profile", "acme-prod", "-format", "json")
	if r.code != 0 || !strings.Contains(r.stderr, "/api/v1/users") {
		t.Errorf("-v: exit %d, stderr does not log the requests:\n%s", r.code, r.stderr)
	}
	if p := decodeReport(t, r.stdout).Profile; p != "acme-prod" {
		t.Errorf("-profile: profile %q, want acme-prod", p)
	}

	// No -now: the injected clock is the evaluation time.
	clockNow := testNow.Add(-3 * day)
	var stdout, stderr bytes.Buffer
	e := env{getenv: func(k string) string {
		if k == "AHA_TOKEN" {
			return f.token
		}
		return ""
	}, stderr: &stderr, clock: func() time.Time { return clockNow.Add(123 * time.Millisecond) }, transport: f.wire}
	if code := run(context.Background(), []string{"-aha-url", f.srv.URL, "-format", "json"}, e, &stdout); code != 0 {
		t.Fatalf("no -now: exit %d:\n%s", code, stderr.String())
	}
	if got := decodeReport(t, stdout.String()).AsOf; !got.Equal(clockNow) {
		t.Errorf("no -now: as_of %v, want the clock's %v (to the second)", got, clockNow)
	}
}

// TestDemo runs the embedded demo account: no -aha-url, no token.
func TestDemo(t *testing.T) {
	t.Parallel()
	r := runSpoke(t, nil, []string{"-now", testNow.Format(time.RFC3339), "-format", "json"}, map[string]string{}, nil)
	if r.code != 0 {
		t.Fatalf("demo: exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	demo := ahatest.DemoAccount(testNow) // the same account: generation is deterministic
	used := usedByModel(demo)
	if rep.Profile != "demo" || len(rep.Positions) != 2 || len(rep.Candidates) == 0 {
		t.Fatalf("demo: profile %q, %d positions, %d candidates", rep.Profile, len(rep.Positions), len(rep.Candidates))
	}
	// The demo's entitlements: Roadmaps 8 rights short, Develop 10 to spare.
	if p := rep.position(t, modelRoadmaps); p.Status != "not_compliant" || p.RightsUsed != used[modelRoadmaps] || p.RightsOwned != used[modelRoadmaps]-8 {
		t.Errorf("demo Roadmaps: %+v, want used %d owned %d not_compliant", p, used[modelRoadmaps], used[modelRoadmaps]-8)
	}
	if p := rep.position(t, modelDevelop); p.Status != "over_licensed" || p.RightsUsed != used[modelDevelop] || p.RightsOwned != used[modelDevelop]+10 {
		t.Errorf("demo Develop: %+v, want used %d owned %d over_licensed", p, used[modelDevelop], used[modelDevelop]+10)
	}
	if diff := cmp.Diff(expectedCandidates(demo, testNow, 60), rep.candidateModels()); diff != "" {
		t.Errorf("demo candidates (-want +got):\n%s", diff)
	}

	r = runSpoke(t, nil, []string{"-now", testNow.Format(time.RFC3339)}, map[string]string{}, nil)
	if r.code != 0 || !strings.Contains(r.stdout, "License positions") || !strings.Contains(r.stdout, "Reclamation candidates: ") {
		t.Errorf("demo text: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// -reclaim on the demo: its plan is above the default cap, so nothing
	// is applied, and the demo's journal is a temporary file.
	r = runSpoke(t, nil, []string{"-now", testNow.Format(time.RFC3339), "-reclaim", "-format", "json"}, map[string]string{}, nil)
	if r.code != 0 {
		t.Fatalf("demo -reclaim: exit %d:\n%s", r.code, r.stderr)
	}
	rep = decodeReport(t, r.stdout)
	if rep.Reclaim == nil || !rep.Reclaim.CapExceeded || rep.Reclaim.Planned != len(rep.candidateModels()) || rep.Reclaim.Counts["skipped_cap"] != rep.Reclaim.Planned {
		t.Errorf("demo -reclaim: %+v", rep.Reclaim)
	}
}

// TestUsageErrors: exit 2 with one line on stderr, nothing on stdout.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tok := secret(t)
	badEnts := writeFile(t, "bad-ents.json", `[
  {"model": "Aha! Roadmaps", "rights": 5, "start": "2026-01-01"},
  {"model": "Aha! Develop", "rights": -2, "start": "2026-01-01"}
]`)
	unknownModel := writeFile(t, "unknown-model.json", `[{"model": "Aha! Ideas", "rights": 5, "start": "2026-01-01"}]`)
	numberCost := writeFile(t, "number-cost.json", `[{"model": "Aha! Roadmaps", "rights": 5, "unit_cost": 59.99, "currency": "USD", "period": "monthly", "start": "2026-01-01"}]`)
	badProtect := writeFile(t, "protect.txt", "a@example.com\nb@example.com, c@example.com\n")
	missing := filepath.Join(t.TempDir(), "missing.json")
	// A server that must never be called: usage errors stop before any request.
	calls := 0
	srv := ahatest.NewServer(ahatest.DemoAccount(testNow), ahatest.WithToken(tok),
		ahatest.WithFaults(ahatest.NewFaults().Always(ahatest.AnyRoute, ahatest.BeforeServe(func(*ahatest.Account) { calls++ }))))
	t.Cleanup(srv.Close)
	local := []string{"-aha-url", srv.URL}
	withToken := map[string]string{"AHA_TOKEN": tok}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want []string // in the one line
	}{
		{"bad -now", []string{"-now", "yesterday"}, nil, []string{"-now", "yesterday", "RFC 3339"}},
		{"-now without zone", []string{"-now", "2026-06-01T00:00:00"}, nil, []string{"-now"}},
		{"bad -format", []string{"-format", "xml"}, nil, []string{"-format", "xml"}},
		{"negative -max-reclaim", []string{"-max-reclaim", "-1"}, nil, []string{"-max-reclaim", "-1"}},
		{"unknown flag", []string{"-frobnicate"}, nil, []string{"frobnicate"}},
		{"flag without value", []string{"-now"}, nil, []string{"now"}},
		{"stray argument", []string{"extra"}, nil, []string{"extra"}},
		{"-inactive-days 0", []string{"-inactive-days", "0"}, nil, []string{"-inactive-days"}},
		{"-inactive-days not a number", []string{"-inactive-days", "ten"}, nil, []string{"inactive-days"}},
		{"bad -reclaim-mode", []string{"-reclaim-mode", "delete"}, nil, []string{"-reclaim-mode", "delete"}},
		{"plain http, not loopback", []string{"-aha-url", "http://acme.aha.io"}, withToken, []string{"http", "acme.aha.io"}},
		{"plain http from AHA_URL", nil, map[string]string{"AHA_URL": "http://acme.aha.io", "AHA_TOKEN": tok}, []string{"http"}},
		{"ftp scheme", []string{"-aha-url", "ftp://acme.aha.io"}, withToken, []string{"ftp"}},
		{"no token, real account", []string{"-aha-url", "https://acme.aha.io"}, nil, []string{"AHA_TOKEN"}},
		{"no token, local account", local, nil, []string{"AHA_TOKEN"}},
		{"bad entitlements", append(local, "-entitlements", badEnts), withToken, []string{badEnts, "record 2", `"rights"`}},
		{"entitlement for an unknown model", append(local, "-entitlements", unknownModel), withToken, []string{unknownModel, "record 1", "Aha! Ideas"}},
		{"unit_cost as a JSON number", append(local, "-entitlements", numberCost), withToken, []string{numberCost, "record 1", "unit_cost"}},
		{"missing entitlements", append(local, "-entitlements", missing), withToken, []string{"missing.json"}},
		{"bad protect file", append(local, "-protect-file", badProtect), withToken, []string{badProtect, "line 2"}},
		{"-v and -quiet", []string{"-v", "-quiet"}, nil, []string{"-quiet"}},
		{"-rate above Aha!'s limit", []string{"-rate", "25"}, nil, []string{"-rate"}},
		{"-rate-per-minute above Aha!'s limit", []string{"-rate-per-minute", "301"}, nil, []string{"-rate-per-minute"}},
		{"-token-file on the demo", []string{"-token-file", missing}, nil, []string{"-token-file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSpoke(t, nil, tt.args, tt.vars, nil, tok)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if lines := strings.Count(r.stderr, "\n"); lines != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr has %d lines, want one:\n%s", lines, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not name %q", r.stderr, w)
				}
			}
		})
	}
	if calls != 0 {
		t.Errorf("usage errors sent %d requests, want 0", calls)
	}

	// -h is not an error.
	r := runSpoke(t, nil, []string{"-h"}, nil, nil)
	if r.code != 0 || !strings.Contains(r.stderr, "-aha-url") {
		t.Errorf("-h: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestRunErrors: a refused credential and an unreachable account exit 1
// with a message naming the cause and what to do, and never the token.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)

	wrong := secret(t)
	r := runSpoke(t, nil, []string{"-aha-url", f.srv.URL, "-now", testNow.Format(time.RFC3339)},
		map[string]string{"AHA_TOKEN": wrong}, f.wire, wrong, f.token)
	if r.code != 1 {
		t.Errorf("401: exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("401: stdout = %q, want nothing", r.stdout)
	}
	for _, w := range []string{"401", "AHA_TOKEN"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("401: stderr does not name %q:\n%s", w, r.stderr)
		}
	}

	// A token revoked while the run reads the account.
	f.faults.On("GET /audits", 1, ahatest.RevokeToken())
	r = f.run(nil, "-format", "json")
	if r.code != 1 || !strings.Contains(r.stderr, "audit") || !strings.Contains(r.stderr, "AHA_TOKEN") {
		t.Errorf("revoked mid-run: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if f.srv.Stats().ByRoute["PUT /users/{id}"] != 0 {
		t.Error("a dry run sent a PUT")
	}
}
