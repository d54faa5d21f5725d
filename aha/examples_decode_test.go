package aha

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// exampleCalls maps an operationId of openapi-seats.json to a call that
// makes the client request that operation and decode its answer.
var exampleCalls = map[string]struct {
	method, path string
	call         func(ctx context.Context, c *Client) (any, error)
}{
	"users_get": {"GET", "/api/v1/users", func(ctx context.Context, c *Client) (any, error) {
		u, _, err := c.Users.List(ctx, nil)
		return u, err
	}},
	"users_by_id_get": {"GET", "/api/v1/users/1", func(ctx context.Context, c *Client) (any, error) {
		u, _, err := c.Users.Get(ctx, "1")
		return u, err
	}},
	"users_by_id_put": {"PUT", "/api/v1/users/1", func(ctx context.Context, c *Client) (any, error) {
		u, _, err := c.Users.Disable(ctx, "1")
		return u, err
	}},
	"me_get": {"GET", "/api/v1/me", func(ctx context.Context, c *Client) (any, error) {
		m, _, err := c.Me(ctx)
		return m, err
	}},
	"audits_get": {"GET", "/api/v1/audits", func(ctx context.Context, c *Client) (any, error) {
		a, _, err := c.Audits.List(ctx, nil)
		return a, err
	}},
	"historical_audits_get": {"GET", "/api/v1/historical_audits", func(ctx context.Context, c *Client) (any, error) {
		a, _, err := c.HistoricalAudits.Index(ctx, nil)
		return a, err
	}},
	"historical_audits_post": {"POST", "/api/v1/historical_audits", func(ctx context.Context, c *Client) (any, error) {
		id, _, err := c.HistoricalAudits.StartSearch(ctx, &HistoricalSearch{AuditableType: "Feature"})
		return id, err
	}},
	"paid_seat_groups_get": {"GET", "/api/v1/paid_seat_groups", func(ctx context.Context, c *Client) (any, error) {
		g, _, err := c.PaidSeatGroups.List(ctx)
		return g, err
	}},
	"paid_seat_groups_by_id_modify_user_post": {"POST", "/api/v1/paid_seat_groups/9/modify_user", func(ctx context.Context, c *Client) (any, error) {
		g, _, err := c.PaidSeatGroups.AddUser(ctx, "9", "1049303076")
		return g, err
	}},
	"users_by_id_product_roles_get": {"GET", "/api/v1/users/1/product_roles", func(ctx context.Context, c *Client) (any, error) {
		r, _, err := c.Users.ListProductRoles(ctx, "1", nil)
		return r, err
	}},
	"users_by_id_product_roles_post": {"POST", "/api/v1/users/1/product_roles", func(ctx context.Context, c *Client) (any, error) {
		r, _, err := c.Users.SetProductRole(ctx, "1", "PRJ3", RoleOwner)
		return r, err
	}},
	"products_by_product_users_get": {"GET", "/api/v1/products/PRJ1/users", func(ctx context.Context, c *Client) (any, error) {
		u, _, err := c.Products.ListUsers(ctx, "PRJ1", nil)
		return u, err
	}},
}

// decodeExample serves example for op and checks the client decodes it
// into what a generic JSON decode of the same payload says.
func decodeExample(t *testing.T, op string, example json.RawMessage) any {
	t.Helper()
	ec, ok := exampleCalls[op]
	if !ok {
		t.Fatalf("no call for %s", op)
	}
	c, mux, _, _ := setup(t)
	mux.HandleFunc(ec.method+" "+ec.path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(example)
	})
	got, err := ec.call(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return got
}

func loadExamples(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecodeDocumentedExamples(t *testing.T) {
	ex := loadExamples(t, filepath.Join("testdata", "examples.json"))
	for op := range exampleCalls {
		if _, ok := ex[op]; !ok {
			t.Errorf("testdata lacks the example of %s", op)
		}
	}
	for op, payload := range ex {
		t.Run(op, func(t *testing.T) {
			got := decodeExample(t, op, payload)
			switch op {
			case "users_get":
				us := got.([]*User)
				if len(us) != 21 {
					t.Fatalf("users = %d, want 21", len(us))
				}
				accessed := 0
				for _, u := range us {
					if u.ID.IsZero() || !u.CreatedAt.Valid || u.RoadmapsSeat == nil {
						t.Errorf("user %+v decoded badly", u)
					}
					if u.AccessedAt.Valid {
						accessed++
					}
				}
				if accessed != 2 || us[0].AccessedAt.Valid {
					t.Errorf("accessed_at known for %d users, want 2 (null is unknown)", accessed)
				}
				if us[2].PaidSeatGroup == nil || us[2].PaidSeatGroup.ID != "572805993" || us[2].ProductRoles[1].ProductName != nil {
					t.Errorf("Bob Smith: %+v", us[2])
				}
			case "users_by_id_put":
				u := got.(*User)
				if u.ID != "1020675218" || u.Enabled || !u.AccessedAt.Valid || u.RoadmapsSeat != nil {
					t.Errorf("bare PUT user: %+v", u)
				}
			case "users_by_id_get":
				if u := got.(*User); u.ID != "1049303076" || len(u.ProductRoles) != 2 || u.ProductRoles[0].Role != RoleCodeOwner {
					t.Errorf("%+v", u)
				}
			case "me_get":
				if m := got.(*Me); m.ID != "1020675218" || len(m.Accounts) != 1 || m.Accounts[0].Account.Domain != "company" {
					t.Errorf("%+v", m)
				}
			case "historical_audits_get":
				if h := got.([]*HistoricalIndexEntry); len(h) != 3 || h[0].AuditableID != "1007868956" {
					t.Errorf("%+v", h)
				}
			case "historical_audits_post":
				if id := got.(ID); id != "6776881149486782892" {
					t.Errorf("search id %q", id)
				}
			case "products_by_product_users_get":
				if pu := got.([]*ProjectUser); len(pu) != 11 || pu[4].Role != RoleCodeDeveloper || pu[4].User.ID != "375285024" {
					t.Errorf("%+v", pu)
				}
			case "paid_seat_groups_get":
				if g := got.([]*PaidSeatGroup); len(g) != 3 || g[1].Capacity != 20 || g[1].Administrators[0].ID != "82352673" {
					t.Errorf("%+v", g)
				}
			}
		})
	}
}

// TestDecodeSharedOpenAPIExamples decodes every example of the operations
// above straight from the shared OpenAPI file when it is beside the repo.
func TestDecodeSharedOpenAPIExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "aha", "openapi-seats.json"))
	if err != nil {
		t.Skip("shared openapi-seats.json not present:", err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, ops := range doc.Paths {
		for _, raw := range ops {
			var op struct {
				OperationID string `json:"operationId"`
				Responses   map[string]struct {
					Content map[string]struct {
						Example  json.RawMessage            `json:"example"`
						Examples map[string]json.RawMessage `json:"examples"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			if _, ok := exampleCalls[op.OperationID]; !ok {
				continue
			}
			for code, r := range op.Responses {
				for _, c := range r.Content {
					if len(c.Example) == 0 || code[0] != '2' {
						continue
					}
					found++
					t.Run(op.OperationID, func(t *testing.T) { decodeExample(t, op.OperationID, c.Example) })
				}
			}
		}
	}
	if found < len(exampleCalls) {
		t.Errorf("found %d examples, want at least %d", found, len(exampleCalls))
	}
}
