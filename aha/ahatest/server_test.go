package ahatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUsersPaging(t *testing.T) {
	f := newFixture(t)
	total := f.s.Account().Len()
	tests := []struct {
		query             string
		wantLen, wantPage int
		wantPages         int
	}{
		{"", 30, 1, (total + 29) / 30},
		{"?per_page=200", 200, 1, 2},
		{"?per_page=200&page=2", total - 200, 2, 2},
		{"?per_page=500", 200, 1, 2}, // clamped to the maximum
		{"?per_page=0", 30, 1, (total + 29) / 30},
		{"?page=abc", 30, 1, (total + 29) / 30},
		{"?per_page=200&page=9", 0, 9, 2},
	}
	for _, tt := range tests {
		var p page
		f.getJSON("/users"+tt.query, 200, &p)
		want := wirePagination{TotalRecords: total, TotalPages: tt.wantPages, CurrentPage: tt.wantPage}
		if len(p.Users) != tt.wantLen || p.Pagination != want {
			t.Errorf("%q: %d users, %+v; want %d, %+v", tt.query, len(p.Users), p.Pagination, tt.wantLen, want)
		}
	}
	// Every user once across the pages, disabled ones included.
	seen := map[string]bool{}
	disabled := 0
	for pg := 1; pg <= 2; pg++ {
		var p page
		f.getJSON(fmt.Sprintf("/users?per_page=200&page=%d", pg), 200, &p)
		for _, u := range p.Users {
			seen[u.ID] = true
			if !u.Enabled {
				disabled++
			}
		}
	}
	if len(seen) != total || disabled != 15 {
		t.Errorf("walk saw %d distinct users (%d disabled), want %d (15)", len(seen), disabled, total)
	}
}

func TestEmptyListReportsZeroPages(t *testing.T) {
	f := newFixture(t)
	var p page
	f.getJSON("/users?email=nobody@example.net", 200, &p)
	if diff := cmp.Diff(wirePagination{0, 0, 1}, p.Pagination); diff != "" || len(p.Users) != 0 {
		t.Errorf("empty listing: %d users, pagination (-want +got):\n%s", len(p.Users), diff)
	}
	self := f.s.Account().User(f.s.Account().SelfID)
	f.getJSON("/users?email="+self.Email, 200, &p)
	if len(p.Users) != 1 || p.Users[0].ID != self.ID {
		t.Errorf("email filter: got %+v", p.Users)
	}
}

func TestListDisabledOption(t *testing.T) {
	f := newFixture(t, WithListDisabled(false))
	var p page
	f.getJSON("/users?per_page=200&page=2", 200, &p)
	if p.Pagination.TotalRecords != f.s.Account().Len()-15 {
		t.Errorf("total_records %d, want %d", p.Pagination.TotalRecords, f.s.Account().Len()-15)
	}
}

func TestNotFoundAndAuth(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"unknown user", "GET", "/users/1", f.token, 404},
		{"unknown route", "GET", "/nope", f.token, 404},
		{"no token", "GET", "/me", "", 401},
		{"wrong token", "GET", "/me", "x" + f.token, 401},
	}
	for _, tt := range tests {
		g := *f
		g.token = tt.token
		resp, body := g.do(tt.method, tt.path, nil)
		var e struct{ Error string }
		if resp.StatusCode != tt.want || json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %s, want %d with a JSON error", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	// A non-administrator's token reads but cannot write.
	var plain *User
	for _, u := range f.s.Account().Users {
		if !u.Administrator && u.Enabled {
			plain = u
			break
		}
	}
	tok := secret(t)
	f.s.AddToken(tok, plain.ID)
	g := *f
	g.token = tok
	var me struct{ User struct{ ID string } }
	g.getJSON("/me", 200, &me)
	if me.User.ID != plain.ID {
		t.Errorf("/me = %s, want %s", me.User.ID, plain.ID)
	}
	if resp, _ := g.do("PUT", "/users/"+plain.ID, map[string]any{"user": map[string]any{"enabled": false}}); resp.StatusCode != 403 {
		t.Errorf("non-admin PUT: %d, want 403", resp.StatusCode)
	}
}

func TestDisableUser(t *testing.T) {
	f := newFixture(t)
	a := f.s.Account()
	var id string
	for _, u := range a.Users {
		if u.Enabled && u.PaidSeat && !u.Administrator {
			id = u.ID
			break
		}
	}
	resp, body := f.do("PUT", "/users/"+id, map[string]any{"user": map[string]any{"enabled": false}})
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	var bare struct {
		ID       string `json:"id"`
		Enabled  bool   `json:"enabled"`
		PaidSeat bool   `json:"paid_seat"`
	}
	if err := json.Unmarshal(body, &bare); err != nil || bare.ID != id || bare.Enabled || !bare.PaidSeat {
		t.Fatalf("PUT reply: %+v (%v); want the bare user, disabled, paid_seat still true", bare, err)
	}
	var got struct {
		User struct {
			Enabled      bool  `json:"enabled"`
			PaidSeat     bool  `json:"paid_seat"`
			RoadmapsSeat *bool `json:"roadmaps_seat"`
		} `json:"user"`
	}
	f.getJSON("/users/"+id, 200, &got)
	if got.User.Enabled || got.User.PaidSeat || got.User.RoadmapsSeat == nil || *got.User.RoadmapsSeat {
		t.Errorf("re-read: %+v; want disabled with no seat", got.User)
	}
	// Re-enabling gives the seat back.
	f.do("PUT", "/users/"+id, map[string]any{"user": map[string]any{"enabled": true}})
	if u := a.User(id); !u.Enabled || !u.PaidSeat {
		t.Errorf("re-enabled user: enabled=%v paid=%v", u.Enabled, u.PaidSeat)
	}
	if resp, _ := f.do("PUT", "/users/"+id, map[string]any{"nope": 1}); resp.StatusCode != 400 {
		t.Errorf("PUT without user: %d, want 400", resp.StatusCode)
	}
}

func TestProductRoles(t *testing.T) {
	f := newFixture(t)
	a := f.s.Account()
	var u *User
	for _, x := range a.Users {
		if x.Enabled && !x.Administrator && len(x.ProductRoles) == 1 && x.ProductRoles[0].Role == RoleContributor {
			u = x.clone()
			break
		}
	}
	p := u.ProductRoles[0].ProductID
	resp, body := f.do("POST", "/users/"+u.ID+"/product_roles", map[string]any{"product_role": map[string]any{"role": "viewer", "product_id": p}})
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	if got := a.User(u.ID); got.ProductRoles[0].Role != RoleViewer || got.PaidSeat {
		t.Errorf("after downgrade to viewer: %+v paid=%v; want a free viewer", got.ProductRoles, got.PaidSeat)
	}
	if resp, _ := f.do("DELETE", "/users/"+u.ID+"/product_roles/"+p, nil); resp.StatusCode != 204 {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
	if resp, _ := f.do("DELETE", "/users/"+u.ID+"/product_roles/"+p, nil); resp.StatusCode != 404 {
		t.Errorf("second DELETE: %d, want 404", resp.StatusCode)
	}
	if resp, _ := f.do("POST", "/users/"+u.ID+"/product_roles", map[string]any{"product_role": map[string]any{"role": "king", "product_id": p}}); resp.StatusCode != 422 {
		t.Errorf("bad role: %d, want 422", resp.StatusCode)
	}
}

func TestRateLimitPerSecond(t *testing.T) {
	clock := testNow
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	f := newFixture(t, WithRateLimit(20, 300), WithClock(now))
	for i := 1; i <= 20; i++ {
		f.getJSON("/me", 200, nil)
	}
	resp, _ := f.do("GET", "/me", nil)
	if resp.StatusCode != 429 {
		t.Fatalf("21st request in one second: %d, want 429", resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	for _, h := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("429 without %s", h)
		}
	}
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	f.getJSON("/me", 200, nil)
	if st := f.s.Stats(); st.RateLimited != 1 || st.ByRoute["GET /me"] != 22 {
		t.Errorf("stats: %+v", st)
	}
}

func TestRateLimitPerMinute(t *testing.T) {
	clock := testNow
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	f := newFixture(t, WithRateLimit(20, 300), WithClock(now), WithRateHeaders(SendRateLimit))
	for i := range 300 {
		if i%20 == 0 && i > 0 {
			mu.Lock()
			clock = clock.Add(time.Second)
			mu.Unlock()
		}
		f.getJSON("/me", 200, nil)
	}
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	resp, _ := f.do("GET", "/me", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("301st request in a minute: %d Retry-After %q, want 429 with rate headers only", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	reset, _ := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64)
	if want := testNow.Add(time.Minute).Unix(); reset != want {
		t.Errorf("X-Ratelimit-Reset %d, want %d", reset, want)
	}
}

func TestAuditsCursor(t *testing.T) {
	f := newFixture(t)
	a := f.s.Account()
	cut := testNow.AddDate(0, -12, 0)
	var want []string
	for _, au := range a.Audits {
		if !au.CreatedAt.Before(cut) {
			want = append(want, au.ID)
		}
	}
	if len(want) == len(a.Audits) || len(want) < 2000 {
		t.Fatalf("demo audits: %d of %d within 12 months; want some older", len(want), len(a.Audits))
	}
	var got []string
	after := ""
	for range 100 {
		var p page
		q := "/audits?per_page=200"
		if after != "" {
			q += "&after_id=" + after
		}
		f.getJSON(q, 200, &p)
		if len(p.Audits) == 0 {
			break
		}
		for _, au := range p.Audits {
			got = append(got, au.ID)
		}
		after = p.Audits[len(p.Audits)-1].ID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cursor walk (-want +got):\n%s", diff)
	}
	// Filters: one user's audits within a window, bounds inclusive/exclusive.
	au := a.Audits[len(a.Audits)-10]
	var p page
	f.getJSON("/audits?user_id="+au.UserID+"&created_since="+au.CreatedAt.Format(time.RFC3339Nano)+"&created_before="+testNow.Format(time.RFC3339), 200, &p)
	if len(p.Audits) == 0 || p.Audits[0].ID != au.ID {
		t.Errorf("filtered audits start at %v, want %s", p.Audits, au.ID)
	}
	for _, x := range p.Audits {
		if x.User.ID != au.UserID {
			t.Errorf("audit %s by %s, want %s", x.ID, x.User.ID, au.UserID)
		}
	}
	if resp, _ := f.do("GET", "/audits?created_since=yesterday", nil); resp.StatusCode != 400 {
		t.Errorf("bad created_since: %d, want 400", resp.StatusCode)
	}
}

func TestHistoricalAudits(t *testing.T) {
	f := newFixture(t)
	resp, body := f.do("POST", "/historical_audits", map[string]any{"search": map[string]any{"created_since": "2020-01-01T00:00:00Z"}})
	if resp.StatusCode != 200 || resp.Header.Get("X-Historical-Tokens-Available") != "990" {
		t.Fatalf("POST: %d %s tokens=%q", resp.StatusCode, body, resp.Header.Get("X-Historical-Tokens-Available"))
	}
	var s struct {
		SearchID string `json:"search_id"`
	}
	json.Unmarshal(body, &s)
	var r wireSearchResults
	f.getJSON("/historical_audits/"+s.SearchID, 200, &r)
	if r.Status != "pending" {
		t.Errorf("first read: %q, want pending", r.Status)
	}
	f.getJSON("/historical_audits/"+s.SearchID+"?per_page=200", 200, &r)
	cut := testNow.AddDate(0, -12, 0)
	old := 0
	for _, au := range f.s.Account().Audits {
		if au.CreatedAt.Before(cut) {
			old++
		}
	}
	if r.Status != "completed" || r.Pagination.TotalRecords != old || old == 0 {
		t.Errorf("results: %s, %d records; want completed, %d", r.Status, r.Pagination.TotalRecords, old)
	}
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	f := newFixture(t)
	ids := []string{}
	for _, u := range f.s.Account().Users {
		if !u.Administrator && len(ids) < 20 {
			ids = append(ids, u.ID)
		}
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			f.do("PUT", "/users/"+id, map[string]any{"user": map[string]any{"enabled": i%2 == 0}})
			f.do("GET", "/users?per_page=200", nil)
			f.do("GET", "/audits?per_page=10", nil)
		})
	}
	wg.Wait()
	if st := f.s.Stats(); st.Requests != 60 || st.MaxConcurrent < 1 || st.ByStatus[http.StatusOK] != 60 {
		t.Errorf("stats: %+v", st)
	}
}
