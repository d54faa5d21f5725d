package ahatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// loadSpec loads testdata/openapi-seats.json (a copy of
// ../shared/aha/openapi-seats.json). Its schemas are inferred from one
// example each, so a field seen once as null is typed "null" and one seen as
// a string cannot be null; relax makes every typed schema also accept null,
// which is what Aha!'s own examples need (product_name: null under a
// "string" schema).
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi-seats.json")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*openapi3.Schema]bool{}
	var relax func(s *openapi3.SchemaRef)
	relax = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		switch {
		case s.Type == nil:
		case s.Type.Is(openapi3.TypeNull):
			s.Type = nil
		default:
			s.Type.With(openapi3.TypeNull)
		}
		for _, p := range s.Properties {
			relax(p)
		}
		relax(s.Items)
	}
	for _, s := range doc.Components.Schemas {
		relax(s)
	}
	for _, pi := range doc.Paths.Map() {
		for _, op := range pi.Operations() {
			for _, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					relax(mt.Schema)
				}
			}
		}
	}
	return doc
}

// sameShape reports where got lacks a key of the documented example want, or
// holds a value of another JSON type. Null on either side matches anything;
// arrays compare every element of got with the example's first element.
func sameShape(path string, want, got any) []string {
	if want == nil || got == nil {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want object", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if optionalKeys[k] {
					continue
				}
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, sameShape(path+"."+k, wv, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want array", path, got)}
		}
		if len(w) == 0 {
			return nil
		}
		var out []string
		for i, gv := range g {
			out = append(out, sameShape(fmt.Sprintf("%s[%d]", path, i), w[0], gv)...)
		}
		return out
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return []string{fmt.Sprintf("%s: got %T %v, want %T like %v", path, got, got, want, want)}
		}
		return nil
	}
}

// optionalKeys are keys Aha!'s examples show on some records only.
var optionalKeys = map[string]bool{"paid_seat_group": true}

// TestResponsesMatchOpenAPI validates the fake's response to each operation
// against the OpenAPI description (schema and documented example shape).
func TestResponsesMatchOpenAPI(t *testing.T) {
	doc := loadSpec(t)
	f := newFixture(t)
	a := f.s.Account()
	self := a.User(a.SelfID)
	product := self.ProductRoles[0].ProductID
	group := a.PaidSeatGroups[0].ID
	var victim string
	for _, u := range a.Users {
		if !u.Administrator && u.Enabled {
			victim = u.ID
			break
		}
	}
	cases := []struct {
		method, specPath, path string
		body                   any
		status                 int
	}{
		{"GET", "/users", "/users?per_page=50&page=2", nil, 200},
		{"GET", "/users/{id}", "/users/" + self.ID, nil, 200},
		{"GET", "/me", "/me", nil, 200},
		{"GET", "/audits", "/audits?per_page=200", nil, 200},
		{"GET", "/audits", "/audits?user_id=1", nil, 200},
		{"GET", "/users/{id}/product_roles", "/users/" + self.ID + "/product_roles", nil, 200},
		{"POST", "/users/{id}/product_roles", "/users/" + victim + "/product_roles",
			map[string]any{"product_role": map[string]any{"role": "viewer", "product_id": "MOB"}}, 200},
		{"DELETE", "/users/{id}/product_roles/{product_id}", "/users/" + victim + "/product_roles/MOB", nil, 204},
		{"GET", "/products/{product_id}/users", "/products/" + product + "/users", nil, 200},
		{"GET", "/historical_audits", "/historical_audits", nil, 200},
		{"POST", "/historical_audits", "/historical_audits",
			map[string]any{"search": map[string]any{"created_since": "2025-01-01T00:00:00Z", "created_before": "2025-08-01T00:00:00Z"}}, 200},
		{"GET", "/paid_seat_groups", "/paid_seat_groups", nil, 200},
		{"POST", "/paid_seat_groups/{id}/modify_user", "/paid_seat_groups/" + group + "/modify_user",
			map[string]any{"user_id": json.Number(victim), "remove": nil}, 200},
		{"PUT", "/users/{id}", "/users/" + victim, map[string]any{"user": map[string]any{"first_name": "Sarah", "enabled": false}}, 200},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			resp, body := f.do(c.method, c.path, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			pi := doc.Paths.Find(c.specPath)
			if pi == nil {
				t.Fatalf("no path %s in spec", c.specPath)
			}
			op := pi.GetOperation(c.method)
			req, _ := http.NewRequest(c.method, "http://example.aha.io/api/v1"+c.path, nil)
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{
					Request: req,
					Route:   &routers.Route{Spec: doc, Path: c.specPath, PathItem: pi, Method: c.method, Operation: op},
				},
				Status:  resp.StatusCode,
				Header:  resp.Header,
				Body:    io.NopCloser(bytes.NewReader(body)),
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Fatalf("response does not match the OpenAPI description: %v", err)
			}
			if c.status == http.StatusNoContent {
				return
			}
			for _, mt := range op.Responses.Status(c.status).Value.Content {
				if mt.Example == nil {
					continue
				}
				var got any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if diffs := sameShape("$", mt.Example, got); len(diffs) > 0 {
					sort.Strings(diffs)
					t.Errorf("shape differs from the documented example:\n%s", strings.Join(diffs, "\n"))
				}
			}
		})
	}
}

// TestShapeCheckCatchesDifferences makes sure the shape comparison fails
// when it should: missing keys and a string id sent as a number.
func TestShapeCheckCatchesDifferences(t *testing.T) {
	want := map[string]any{"user": map[string]any{"id": "1", "name": "x", "accessed_at": nil}}
	got := map[string]any{"user": map[string]any{"id": 1.0}}
	if d := sameShape("$", want, got); len(d) != 3 {
		t.Fatalf("want 3 differences, got %q", d)
	}
}
