package aha

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// recordRequests serves 200 {} to everything and records each request's
// method and escaped path; query, when set, gets each request's query.
func recordRequests(t *testing.T, mux *http.ServeMux, query ...func(url.Values)) func() []string {
	t.Helper()
	var (
		mu    sync.Mutex
		paths []string
	)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		for _, q := range query {
			q(r.URL.Query())
		}
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

// TestOptionsValidated: a negative page, page size or concurrency is an
// *ArgumentError naming the field, before any request; a page size above
// MaxPerPage asks for MaxPerPage (as documented), so a walk's end-of-list
// test compares with what was really asked for.
func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	var (
		qmu      sync.Mutex
		perPages []string
	)
	sent := recordRequests(t, mux, func(q url.Values) {
		qmu.Lock()
		perPages = append(perPages, q.Get("per_page"))
		qmu.Unlock()
	})
	ctx := context.Background()
	first := func(seq func(func(*User, error) bool)) error {
		for _, err := range seq {
			return err
		}
		return nil
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	bad := map[string]struct {
		call func() error
		arg  string
	}{
		"Users.List Page -1": {func() error {
			_, _, err := c.Users.List(ctx, &ListUsersOptions{ListOptions: ListOptions{Page: -1}})
			return err
		}, "ListUsersOptions.Page"},
		"Users.List PerPage -5": {func() error {
			_, _, err := c.Users.List(ctx, &ListUsersOptions{ListOptions: ListOptions{PerPage: -5}})
			return err
		}, "ListUsersOptions.PerPage"},
		"Users.All Page -1": {func() error {
			return first(c.Users.All(ctx, &ListUsersOptions{ListOptions: ListOptions{Page: -1}}))
		}, "ListUsersOptions.Page"},
		"Users.ListAll Concurrency -3": {func() error {
			_, err := c.Users.ListAll(ctx, &ListUsersOptions{ListOptions: ListOptions{Concurrency: -3}})
			return err
		}, "ListUsersOptions.Concurrency"},
		"Users.ListProductRoles PerPage -1": {func() error {
			_, _, err := c.Users.ListProductRoles(ctx, "1", &ListOptions{PerPage: -1})
			return err
		}, "ListOptions.PerPage"},
		"Products.ListUsers Page -2": {func() error {
			_, _, err := c.Products.ListUsers(ctx, "PRJ1", &ListOptions{Page: -2})
			return err
		}, "ListOptions.Page"},
		"Products.AllUsers PerPage -1": {func() error {
			for _, err := range c.Products.AllUsers(ctx, "PRJ1", &ListOptions{PerPage: -1}) {
				return err
			}
			return nil
		}, "ListOptions.PerPage"},
		"Audits.List PerPage -1": {func() error {
			_, _, err := c.Audits.List(ctx, &ListAuditsOptions{PerPage: -1})
			return err
		}, "ListAuditsOptions.PerPage"},
		"Audits.List inverted": {func() error {
			_, _, err := c.Audits.List(ctx, &ListAuditsOptions{CreatedSince: now, CreatedBefore: now.Add(-time.Hour)})
			return err
		}, "ListAuditsOptions.CreatedSince/CreatedBefore"},
		"Audits.All PerPage -1": {func() error {
			for _, err := range c.Audits.All(ctx, AuditWindow{PerPage: -1}) {
				return err
			}
			return nil
		}, "AuditWindow.PerPage"},
		"Audits.All inverted": {func() error {
			for _, err := range c.Audits.All(ctx, AuditWindow{Since: now, Before: now.Add(-time.Hour)}) {
				return err
			}
			return nil
		}, "AuditWindow.Since/Before"},
		"HistoricalAudits.Index Page -1": {func() error {
			_, _, err := c.HistoricalAudits.Index(ctx, &HistoricalIndexOptions{Page: -1})
			return err
		}, "HistoricalIndexOptions.Page"},
		"HistoricalAudits.SearchResults PerPage -1": {func() error {
			_, _, err := c.HistoricalAudits.SearchResults(ctx, "1", &ListOptions{PerPage: -1})
			return err
		}, "ListOptions.PerPage"},
		"Spoke.PerPage -1": {func() error {
			sp := NewSpoke(c)
			sp.PerPage = -1
			_, err := sp.DownloadSubscriptions(ctx)
			return err
		}, "Spoke.PerPage"},
		"Spoke.PageConcurrency -1": {func() error {
			sp := NewSpoke(c)
			sp.PageConcurrency = -1
			_, _, err := sp.Download(ctx, sam.Window{Since: now.AddDate(0, 0, -60), Until: now})
			return err
		}, "Spoke.PageConcurrency"},
		"Spoke.AuditWalks -2": {func() error {
			sp := NewSpoke(c)
			sp.AuditWalks = -2
			_, err := sp.PullActivity(ctx, sam.Window{Since: now.AddDate(0, 0, -60), Until: now})
			return err
		}, "Spoke.AuditWalks"},
	}
	for name, tt := range bad {
		err := tt.call()
		var ae *ArgumentError
		if !errors.As(err, &ae) || ae.Arg != tt.arg {
			t.Errorf("%s: %v, want an *ArgumentError for %s", name, err, tt.arg)
			continue
		}
		if !strings.Contains(err.Error(), tt.arg) || !strings.Contains(err.Error(), "no request was sent") {
			t.Errorf("%s: %q does not name %s or say nothing was sent", name, err, tt.arg)
		}
	}
	if got := sent(); len(got) != 0 {
		t.Fatalf("invalid options sent %d requests: %q", len(got), got)
	}

	// Above MaxPerPage: MaxPerPage is asked for.
	if _, _, err := c.Users.List(ctx, &ListUsersOptions{ListOptions: ListOptions{PerPage: 1000}}); err != nil {
		t.Fatal(err)
	}
	if err := first(c.Users.All(ctx, &ListUsersOptions{ListOptions: ListOptions{PerPage: 500}})); err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Audits.All(ctx, AuditWindow{PerPage: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	sp := NewSpoke(c)
	sp.PerPage = 500
	if _, err := sp.DownloadSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	qmu.Lock()
	defer qmu.Unlock()
	if len(perPages) == 0 {
		t.Fatal("no request sent")
	}
	for i, pp := range perPages {
		if pp != "" && pp != "200" {
			t.Errorf("request %d asked for per_page=%s, want 200", i, pp)
		}
	}
}

// TestAuditsAllPerPageAboveMax: a window asking for more than MaxPerPage,
// from a server that ignores after_id and sends no pagination (so the walk
// goes on by page numbers), reads on after a full page of MaxPerPage
// rather than take it for a short last page.
func TestAuditsAllPerPageAboveMax(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	const total = MaxPerPage + 50
	mux.HandleFunc("/api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
		page, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil {
			page = 1
		}
		per, err := strconv.Atoi(r.URL.Query().Get("per_page"))
		if err != nil {
			per = 30
		}
		after := (page - 1) * per
		var b strings.Builder
		b.WriteString(`{"audits":[`)
		n := 0
		for id := after + 1; id <= total && n < per; id++ {
			if n > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"id":"` + strconv.Itoa(id) + `","created_at":"2026-01-01T00:00:00Z"}`)
			n++
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(b.String()))
	})
	n := 0
	for _, err := range c.Audits.All(context.Background(), AuditWindow{PerPage: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != total {
		t.Errorf("walked %d audits, want %d", n, total)
	}
}
