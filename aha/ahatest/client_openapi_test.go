package ahatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/samspoke/samspoke/aha"
)

// openAPIProxy stands between the aha client and the fake account: it
// validates each request against the OpenAPI description as Aha! wrote it,
// hands it to the fake, and validates the fake's response against the
// relaxed description (see loadSpec) and the shape of the documented
// example, before passing it back.
type openAPIProxy struct {
	fake    *Server
	router  routers.Router
	relaxed *openapi3.T

	mu          sync.Mutex
	problems    []string
	validated   map[string]int // spec route ("GET /users/{id}") → requests
	unspecified map[string]int // fake route → requests the spec has no path for
}

func (p *openAPIProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	fwd := r.Clone(r.Context())
	fwd.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	p.fake.ServeHTTP(rec, fwd)
	res := rec.Result()
	resBody := rec.Body.Bytes()

	r.URL.Scheme, r.URL.Host = "http", r.Host // server-side URLs lack them
	problems := p.check(r, res, resBody)
	p.mu.Lock()
	p.problems = append(p.problems, problems...)
	p.mu.Unlock()

	maps.Copy(w.Header(), res.Header)
	w.WriteHeader(res.StatusCode)
	w.Write(resBody)
}

func (p *openAPIProxy) check(r *http.Request, res *http.Response, body []byte) []string {
	route, params, err := p.router.FindRoute(r)
	if err != nil {
		name := "unmatched " + r.Method + " " + r.URL.Path
		if rt, _ := matchRoute(r.Method, r.URL.Path); rt != nil {
			name = rt.name
		}
		p.mu.Lock()
		p.unspecified[name]++
		p.mu.Unlock()
		return nil
	}
	op := route.Method + " " + route.Path
	p.mu.Lock()
	p.validated[op]++
	p.mu.Unlock()
	var out []string
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		out = append(out, "request "+op+": "+err.Error())
	}
	if res.StatusCode/100 != 2 {
		return append(out, fmt.Sprintf("response %s: status %d: %s", op, res.StatusCode, body))
	}
	pi := p.relaxed.Paths.Find(route.Path)
	rop := pi.GetOperation(route.Method)
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params,
			Route: &routers.Route{Spec: p.relaxed, Path: route.Path, PathItem: pi, Method: route.Method, Operation: rop}},
		Status:  res.StatusCode,
		Header:  res.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		out = append(out, "response "+op+": "+err.Error())
	}
	if res.StatusCode == http.StatusNoContent {
		return out
	}
	if r := rop.Responses.Status(res.StatusCode); r != nil && r.Value != nil {
		for _, mt := range r.Value.Content {
			if mt.Example == nil {
				continue
			}
			var got any
			if err := json.Unmarshal(body, &got); err != nil {
				return append(out, "response "+op+": "+err.Error())
			}
			for _, d := range sameShape("$", mt.Example, got) {
				out = append(out, "response "+op+": shape differs from the documented example: "+d)
			}
		}
	}
	return out
}

// take returns the problems seen so far and forgets them.
func (p *openAPIProxy) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.problems
	p.problems = nil
	return out
}

// strictSpec loads the OpenAPI description unrelaxed, for validating
// requests. Its OAuth URLs hold a "{account-domain}" placeholder that
// kin-openapi rejects as a host; they are pinned to an example account.
func strictSpec(t *testing.T, serverURL string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi-seats.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range doc.Components.SecuritySchemes {
		if ss.Value == nil || ss.Value.Flows == nil {
			continue
		}
		for _, f := range []*openapi3.OAuthFlow{ss.Value.Flows.AuthorizationCode, ss.Value.Flows.Implicit, ss.Value.Flows.ClientCredentials, ss.Value.Flows.Password} {
			if f == nil {
				continue
			}
			if f.AuthorizationURL != "" {
				f.AuthorizationURL = "https://acme.aha.io/oauth/authorize"
			}
			if f.TokenURL != "" {
				f.TokenURL = "https://acme.aha.io/oauth/token"
			}
		}
	}
	doc.Servers = openapi3.Servers{{URL: serverURL + "/api/v1"}}
	return doc
}

// TestClientAgainstFakeMatchesOpenAPI makes every call of the aha client
// against the fake account, through a proxy that validates each request
// the client sends and each response the fake gives against
// openapi-seats.json. Every call must succeed, every operation of the
// description that the client implements must have been validated, and the
// one call the description has no path for (reading a historical search's
// results, whose path Aha! does not publish) is the only one not
// validated.
func TestClientAgainstFakeMatchesOpenAPI(t *testing.T) {
	faults := NewFaults()
	f := newFixture(t, WithFaults(faults))
	a := f.s.Account()
	proxy := &openAPIProxy{fake: f.s, relaxed: loadSpec(t), validated: map[string]int{}, unspecified: map[string]int{}}
	front := httptest.NewServer(proxy)
	defer front.Close()
	router, err := legacy.NewRouter(strictSpec(t, front.URL), openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatal(err)
	}
	proxy.router = router

	lim, err := aha.NewLimiter(1000, 100000, 100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aha.NewClient(aha.WithBaseURL(front.URL), aha.WithToken(f.token), aha.WithRateLimiter(lim))
	if err != nil {
		t.Fatal(err)
	}

	// A non-administrator with a unique email, and a workspace they are
	// not in, to act on.
	emails := map[string]int{}
	for _, u := range a.Users {
		emails[strings.ToLower(u.Email)]++
	}
	var victim *User
	for _, u := range a.Users {
		if !u.Administrator && u.Enabled && len(u.ProductRoles) == 1 && emails[strings.ToLower(u.Email)] == 1 {
			victim = a.User(u.ID)
			break
		}
	}
	if victim == nil {
		t.Fatal("the demo account has no enabled non-administrator in one workspace with a unique email")
	}
	var other Product
	for _, p := range a.Products {
		if p.ID != victim.ProductRoles[0].ProductID {
			other = p
			break
		}
	}
	member := victim.ProductRoles[0].ProductID
	group := aha.ID(a.PaidSeatGroups[0].ID)
	vid := aha.ID(victim.ID)
	since, before := testNow.AddDate(0, -6, 0), testNow

	ctx := context.Background()
	check := func(call string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", call, err)
		}
	}
	count := func(call string, n int, err error) {
		t.Helper()
		check(call, err)
		if err == nil && n == 0 {
			t.Errorf("%s: returned nothing; the validation saw no record", call)
		}
	}
	walk := func(seq func(func(any, error) bool)) (n int, err error) {
		for _, e := range seq {
			if e != nil {
				return n, e
			}
			n++
		}
		return n, nil
	}

	us, _, err := c.Users.List(ctx, &aha.ListUsersOptions{ListOptions: aha.ListOptions{Page: 2, PerPage: 50}})
	count("Users.List", len(us), err)
	n, err := walk(anySeq(c.Users.All(ctx, &aha.ListUsersOptions{ListOptions: aha.ListOptions{PerPage: 100}})))
	count("Users.All", n, err)
	if err == nil && n != a.Len() {
		t.Errorf("Users.All: %d users, the account has %d", n, a.Len())
	}
	_, _, err = c.Users.Get(ctx, vid)
	check("Users.Get", err)
	u, _, err := c.Users.FindByEmail(ctx, strings.ToUpper(victim.Email))
	check("Users.FindByEmail", err)
	if err == nil && u.ID != vid {
		t.Errorf("Users.FindByEmail: got user %s, want %s", u.ID, vid)
	}
	first := "Sarah"
	_, _, err = c.Users.Update(ctx, vid, &aha.UserUpdate{FirstName: &first})
	check("Users.Update", err)
	_, _, err = c.Users.Disable(ctx, vid)
	check("Users.Disable", err)
	_, _, err = c.Users.Enable(ctx, vid)
	check("Users.Enable", err)
	_, _, err = c.Me(ctx)
	check("Me", err)

	roles, _, err := c.Users.ListProductRoles(ctx, vid, &aha.ListOptions{PerPage: 50})
	count("Users.ListProductRoles", len(roles), err)
	_, _, err = c.Users.SetProductRole(ctx, vid, other.Reference, aha.RoleViewer)
	check("Users.SetProductRole", err)
	n, err = walk(anySeq(c.Users.AllProductRoles(ctx, vid)))
	count("Users.AllProductRoles", n, err)
	_, err = c.Users.RemoveProductRole(ctx, vid, other.ID)
	check("Users.RemoveProductRole", err)

	pus, _, err := c.Products.ListUsers(ctx, member, &aha.ListOptions{PerPage: 20})
	count("Products.ListUsers", len(pus), err)
	n, err = walk(anySeq(c.Products.AllUsers(ctx, member, &aha.ListOptions{PerPage: 20})))
	count("Products.AllUsers", n, err)

	audits, _, err := c.Audits.List(ctx, &aha.ListAuditsOptions{CreatedSince: since, CreatedBefore: before, PerPage: 50})
	count("Audits.List", len(audits), err)
	if len(audits) > 0 {
		_, _, err = c.Audits.List(ctx, &aha.ListAuditsOptions{UserID: audits[0].User.ID, AfterID: audits[0].ID,
			AuditableType: "Feature", AuditAction: "update", CreatedSince: since, PerPage: 10})
		check("Audits.List with every filter", err)
	}
	n, err = walk(anySeq(c.Audits.All(ctx, aha.AuditWindow{Since: since, Before: before, PerPage: 100})))
	count("Audits.All", n, err)
	_, err = walk(anySeq(c.Audits.All(ctx, aha.AuditWindow{Since: since, Before: before, UserID: aha.ID(a.SelfID), Action: "update", Type: "Feature"})))
	check("Audits.All with filters", err)

	_, _, err = c.HistoricalAudits.Index(ctx, &aha.HistoricalIndexOptions{CreatedSince: testNow.AddDate(-3, 0, 0), CreatedBefore: testNow.AddDate(-1, 0, 0), AuditableType: "Feature", PerPage: 20})
	check("HistoricalAudits.Index", err)
	sid, resp, err := c.HistoricalAudits.StartSearch(ctx, &aha.HistoricalSearch{CreatedSince: testNow.AddDate(-3, 0, 0), CreatedBefore: testNow.AddDate(-1, 0, 0), AuditableType: "Feature"})
	check("HistoricalAudits.StartSearch", err)
	if err == nil && resp.HistoricalTokensAvailable == nil {
		t.Error("HistoricalAudits.StartSearch: no token budget in the response")
	}
	for range 2 { // pending, then completed
		_, resp, err = c.HistoricalAudits.SearchResults(ctx, sid, &aha.ListOptions{PerPage: 50})
		check("HistoricalAudits.SearchResults", err)
	}
	if err == nil && resp.HistoricalTokensAvailable == nil {
		t.Error("HistoricalAudits.SearchResults: no token budget in the response")
	}

	groups, _, err := c.PaidSeatGroups.List(ctx)
	count("PaidSeatGroups.List", len(groups), err)
	_, _, err = c.PaidSeatGroups.AddUser(ctx, group, vid)
	check("PaidSeatGroups.AddUser", err)
	_, _, err = c.PaidSeatGroups.RemoveUser(ctx, group, vid)
	check("PaidSeatGroups.RemoveUser", err)

	for _, p := range proxy.take() {
		t.Error(p)
	}
	t.Logf("validated requests and responses: %v; not in the description: %v", proxy.validated, proxy.unspecified)
	want := []string{
		"GET /users", "GET /users/{id}", "PUT /users/{id}", "GET /me",
		"GET /users/{id}/product_roles", "POST /users/{id}/product_roles", "DELETE /users/{id}/product_roles/{product_id}",
		"GET /products/{product_id}/users", "GET /audits", "GET /historical_audits", "POST /historical_audits",
		"GET /paid_seat_groups", "POST /paid_seat_groups/{id}/modify_user",
	}
	for _, op := range want {
		if proxy.validated[op] == 0 {
			t.Errorf("%s was never validated", op)
		}
	}
	if got := slices.Sorted(maps.Keys(proxy.unspecified)); !slices.Equal(got, []string{"GET /historical_audits/{id}"}) {
		t.Errorf("requests the description has no path for: %v, want only GET /historical_audits/{id}", got)
	}

	// Controls: the validators are live. A request body against the
	// description, and a response with ids as numbers where Aha!
	// documents strings, are both caught.
	req, err := c.NewRequest(ctx, http.MethodPost, "historical_audits", map[string]any{"search": map[string]any{"auditable_id": "not a number"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Do(req, nil)
	if p := proxy.take(); len(p) == 0 || !strings.HasPrefix(p[0], "request POST /historical_audits") {
		t.Errorf("control request: problems = %q, want a request problem", p)
	}
	faults.Always("GET /me", Encoded(Encoding{IDs: IDsAsNumbers}))
	if _, _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if p := proxy.take(); len(p) == 0 || !strings.HasPrefix(p[0], "response GET /me") {
		t.Errorf("control response: problems = %q, want a response problem", p)
	}
}

// anySeq erases the element type of an iterator, for counting.
func anySeq[T any](seq func(func(T, error) bool)) func(func(any, error) bool) {
	return func(yield func(any, error) bool) {
		for v, err := range seq {
			if !yield(v, err) {
				return
			}
		}
	}
}
