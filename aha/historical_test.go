package aha

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHistoricalSearchFlow(t *testing.T) {
	c, mux, _, _ := setup(t)
	var posted map[string]any
	polls := 0
	mux.HandleFunc("POST /api/v1/historical_audits", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &posted)
		w.Header().Set("X-Historical-Tokens-Available", "900")
		fmt.Fprint(w, `{"search_id":"6776881149486782892"}`)
	})
	mux.HandleFunc("GET /api/v1/historical_audits/6776881149486782892", func(w http.ResponseWriter, r *http.Request) {
		polls++
		w.Header().Set("X-Historical-Tokens-Available", "950")
		if polls == 1 {
			fmt.Fprint(w, `{"status":"pending","token_cost":100,"audits":[]}`)
			return
		}
		fmt.Fprint(w, `{"status":"completed","token_cost":50,"audits":[{"id":"7","audit_action":"destroy","auditable_type":"Feature","auditable_id":9007199254740993,"created_at":"2024-02-03T04:05:06Z"}],"pagination":{"total_records":1,"total_pages":1,"current_page":1}}`)
	})
	ctx := context.Background()
	since := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	id, resp, err := c.HistoricalAudits.StartSearch(ctx, &HistoricalSearch{CreatedSince: since, CreatedBefore: since.AddDate(0, 3, 0), AuditableType: "Feature", AuditableID: "1007868956", UserID: "5"})
	if err != nil || id != "6776881149486782892" || *resp.HistoricalTokensAvailable != 900 {
		t.Fatalf("id=%q err=%v", id, err)
	}
	want := map[string]any{"search": map[string]any{"created_since": "2024-01-01T00:00:00Z", "created_before": "2024-04-01T00:00:00Z",
		"auditable_type": "Feature", "auditable_id": float64(1007868956), "user_id": "5"}}
	if diff := cmp.Diff(want, posted); diff != "" {
		t.Errorf("posted body: %s", diff)
	}
	res, _, err := c.HistoricalAudits.SearchResults(ctx, id, nil)
	if err != nil || res.Completed() || res.Status != "pending" {
		t.Fatalf("first poll: %+v %v", res, err)
	}
	res, resp, err = c.HistoricalAudits.SearchResults(ctx, id, nil)
	if err != nil || !res.Completed() || res.TokenCost != 50 || len(res.Audits) != 1 || res.Audits[0].AuditableID != "9007199254740993" {
		t.Fatalf("second poll: %+v %v", res, err)
	}
	if *resp.HistoricalTokensAvailable != 950 || resp.TotalRecords != 1 {
		t.Errorf("resp %+v", resp)
	}
}

func TestProductUsersAndRoles(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /api/v1/products/PRJ1/users", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"project_users":[{"role":20,"role_description":"Owner","user":{"id":"%s","name":"A"}}],"pagination":{"total_records":2,"total_pages":2,"current_page":%s}}`,
			map[string]string{"1": "1", "2": "2"}[r.URL.Query().Get("page")], r.URL.Query().Get("page"))
	})
	mux.HandleFunc("GET /api/v1/users/3/product_roles", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"product_roles":[{"role":50,"role_description":"Viewer","product_id":"7","product_name":null},{"role":"30","role_description":"Contributor","product_id":8,"product_name":"P"}],"pagination":{"total_records":2,"total_pages":1,"current_page":"1"}}`)
	})
	mux.HandleFunc("DELETE /api/v1/users/3/product_roles/7", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	var ids []ID
	for pu, err := range c.Products.AllUsers(context.Background(), "PRJ1", nil) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pu.User.ID)
	}
	if diff := cmp.Diff([]ID{"1", "2"}, ids); diff != "" {
		t.Error(diff)
	}
	var roles []ProductRole
	for r, err := range c.Users.AllProductRoles(context.Background(), "3") {
		if err != nil {
			t.Fatal(err)
		}
		roles = append(roles, *r)
	}
	p := "P"
	if diff := cmp.Diff([]ProductRole{{Role: 50, RoleDescription: "Viewer", ProductID: "7"}, {Role: 30, RoleDescription: "Contributor", ProductID: "8", ProductName: &p}}, roles); diff != "" {
		t.Error(diff)
	}
	if resp, err := c.Users.RemoveProductRole(context.Background(), "3", "7"); err != nil || resp.StatusCode != 204 {
		t.Errorf("remove: %v", err)
	}
}
