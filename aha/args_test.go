package aha

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
)

// recordRequests serves 200 {} to everything and records each request's
// escaped path.
func recordRequests(t *testing.T, mux *http.ServeMux) func() []string {
	t.Helper()
	var (
		mu    sync.Mutex
		paths []string
	)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

// TestBadIDsSendNoRequest: an id that cannot name the record it stands for
// (non-digits for a record id; empty, ".", "..", a slash for any segment)
// is refused with *ArgumentError before anything leaves, so "../me" can
// never reach /me nor "abc" reach /users/abc.
func TestBadIDsSendNoRequest(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	sent := recordRequests(t, mux)
	ctx := context.Background()
	sp := NewSpoke(c)
	calls := map[string]func() error{
		`Users.Get("../me")`: func() error { _, _, err := c.Users.Get(ctx, "../me"); return err },
		`Users.Get("abc")`:   func() error { _, _, err := c.Users.Get(ctx, "abc"); return err },
		`Users.Get("")`:      func() error { _, _, err := c.Users.Get(ctx, ""); return err },
		`Users.Get("..")`:    func() error { _, _, err := c.Users.Get(ctx, ".."); return err },
		`Users.Get("1 ")`:    func() error { _, _, err := c.Users.Get(ctx, "1 "); return err },
		`Users.Get("-1")`:    func() error { _, _, err := c.Users.Get(ctx, "-1"); return err },
		`Users.Disable("1/2")`: func() error {
			_, _, err := c.Users.Disable(ctx, "1/2")
			return err
		},
		`Users.ListProductRoles(".")`: func() error {
			_, _, err := c.Users.ListProductRoles(ctx, ".", nil)
			return err
		},
		`Users.SetProductRole("x", "PRJ1")`: func() error {
			_, _, err := c.Users.SetProductRole(ctx, "x", "PRJ1", RoleViewer)
			return err
		},
		`Users.RemoveProductRole("1", "..")`: func() error {
			_, err := c.Users.RemoveProductRole(ctx, "1", "..")
			return err
		},
		`Users.RemoveProductRole("1", "../../me")`: func() error {
			_, err := c.Users.RemoveProductRole(ctx, "1", "../../me")
			return err
		},
		`Users.RemoveProductRole("1", "")`: func() error {
			_, err := c.Users.RemoveProductRole(ctx, "1", "")
			return err
		},
		`Products.ListUsers("..")`: func() error {
			_, _, err := c.Products.ListUsers(ctx, "..", nil)
			return err
		},
		`Products.ListUsers("a\\b")`: func() error {
			_, _, err := c.Products.ListUsers(ctx, `a\b`, nil)
			return err
		},
		`Products.ListUsers("a\nb")`: func() error {
			_, _, err := c.Products.ListUsers(ctx, "a\nb", nil)
			return err
		},
		`Products.AllUsers(".")`: func() error {
			for _, err := range c.Products.AllUsers(ctx, ".", nil) {
				return err
			}
			return nil
		},
		`PaidSeatGroups.AddUser("g", "1")`: func() error {
			_, _, err := c.PaidSeatGroups.AddUser(ctx, "g", "1")
			return err
		},
		`PaidSeatGroups.RemoveUser("1", "me")`: func() error {
			_, _, err := c.PaidSeatGroups.RemoveUser(ctx, "1", "me")
			return err
		},
		`HistoricalAudits.SearchResults("..")`: func() error {
			_, _, err := c.HistoricalAudits.SearchResults(ctx, "..", nil)
			return err
		},
		`Spoke.LookupUser("../me")`: func() error { _, err := sp.LookupUser(ctx, "../me"); return err },
		`Spoke.LookupUser("abc")`:   func() error { _, err := sp.LookupUser(ctx, "abc"); return err },
		`Spoke.Reclaim("../me")`:    func() error { return sp.Reclaim(ctx, "../me", "disable") },
		`Spoke.Reclaim("abc", downgrade)`: func() error {
			return sp.Reclaim(ctx, "abc", "downgrade")
		},
	}
	for name, call := range calls {
		err := call()
		var ae *ArgumentError
		if !errors.As(err, &ae) {
			t.Errorf("%s: %v, want an *ArgumentError", name, err)
			continue
		}
		if ae.Arg == "" || ae.Reason == "" {
			t.Errorf("%s: %+v does not say which argument and why", name, ae)
		}
	}
	if got := sent(); len(got) != 0 {
		t.Errorf("bad ids sent %d requests: %q", len(got), got)
	}

	// Valid ids and keys still go out, escaped as one segment each.
	if _, _, err := c.Users.Get(ctx, "6776881149000095250"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Products.ListUsers(ctx, "PRJ 1%", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.RemoveProductRole(ctx, "1", "PRJ?1"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/users/6776881149000095250",
		"GET /api/v1/products/PRJ%201%25/users",
		"DELETE /api/v1/users/1/product_roles/PRJ%3F1",
	}
	got := sent()
	if len(got) != len(want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %s, want %s", i, got[i], want[i])
		}
	}
}
