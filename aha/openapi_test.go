package aha

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// TestRequestsMatchOpenAPI validates the client's requests against
// testdata/openapi-seats.json (a copy of Aha!'s published subset): path,
// method, parameters and body, against a stub that answers {} (so options
// the fake would not accept can be sent too). ahatest's
// TestClientAgainstFakeMatchesOpenAPI makes every call against the fake
// and validates the responses as well.
func TestRequestsMatchOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi-seats.json")
	if err != nil {
		t.Fatal(err)
	}
	// The spec's OAuth URLs hold a "{account-domain}" placeholder that
	// kin-openapi rejects as a host; pin them to an example account.
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
	c, mux, srv, _ := setup(t)
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/api/v1"}}
	// Aha!'s schemas are inferred from single examples, some of which
	// contradict them; validate requests, not the examples.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var problems []string
	validated := map[string]bool{}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.URL.Scheme, r.URL.Host = "http", r.Host // server-side URLs lack them
		route, params, err := router.FindRoute(r)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			problems = append(problems, r.Method+" "+r.URL.Path+": "+err.Error())
			w.WriteHeader(404)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			problems = append(problems, r.Method+" "+route.Path+": "+err.Error())
		}
		validated[r.Method+" "+route.Path] = true
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Write([]byte(`{}`))
	})
	ctx := context.Background()
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Users.List(ctx, &ListUsersOptions{Email: "a@example.com", ListOptions: ListOptions{Page: 2, PerPage: 200}})
	c.Users.Get(ctx, "6776881149484848333")
	c.Users.Disable(ctx, "1")
	c.Users.Update(ctx, "1", &UserUpdate{FirstName: ptr("Sarah"), Enabled: ptr(true)})
	c.Me(ctx)
	c.Users.ListProductRoles(ctx, "1", &ListOptions{Page: 1, PerPage: 50})
	c.Users.SetProductRole(ctx, "1", "PRJ3", RoleOwner)
	c.Users.RemoveProductRole(ctx, "1", "PRJ3")
	c.Products.ListUsers(ctx, "PRJ1", &ListOptions{PerPage: 200})
	c.Audits.List(ctx, &ListAuditsOptions{CreatedSince: since, CreatedBefore: since.AddDate(0, 6, 0), UserID: "5", AfterID: "77", PerPage: 200})
	c.HistoricalAudits.Index(ctx, &HistoricalIndexOptions{CreatedSince: since, UserID: "5", AuditableType: "Feature"})
	c.HistoricalAudits.StartSearch(ctx, &HistoricalSearch{CreatedSince: since, CreatedBefore: since.AddDate(0, 1, 0), AuditableType: "Feature", AuditableID: "1007868956"})
	c.PaidSeatGroups.List(ctx)
	c.PaidSeatGroups.AddUser(ctx, "572805993", "1049303076")
	c.PaidSeatGroups.RemoveUser(ctx, "572805993", "1049303076")

	for _, p := range problems {
		t.Error(p)
	}
	// Control: the validator is live and rejects a body against the spec.
	problems = nil
	req, _ := c.NewRequest(ctx, http.MethodPost, "historical_audits", map[string]any{"search": map[string]any{"auditable_id": "not a number"}})
	c.Do(req, nil)
	if len(problems) != 1 {
		t.Errorf("control request: problems = %v, want one", problems)
	}
	for _, op := range []string{"GET /users", "GET /users/{id}", "PUT /users/{id}", "GET /me", "GET /users/{id}/product_roles",
		"POST /users/{id}/product_roles", "DELETE /users/{id}/product_roles/{product_id}", "GET /products/{product_id}/users",
		"GET /audits", "GET /historical_audits", "POST /historical_audits", "GET /paid_seat_groups", "POST /paid_seat_groups/{id}/modify_user"} {
		if !validated[op] {
			t.Errorf("%s was not exercised", op)
		}
	}
}

func ptr[T any](v T) *T { return &v }
