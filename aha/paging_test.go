package aha

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func wantIDs(from, n int) []ID {
	out := make([]ID, n)
	for i := range out {
		out[i] = ID(strconv.Itoa(1000 + from + i))
	}
	return out
}

func TestUsersAllPages(t *testing.T) {
	c, mux, _, _ := setup(t)
	var perPages []string
	hits := usersServer(t, mux, 450, func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
		perPages = append(perPages, r.URL.Query().Get("per_page"))
		return false
	})
	opts := &ListUsersOptions{}
	ids, errs := collectAll(t, c.Users.All(context.Background(), opts))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff(wantIDs(0, 450), ids); diff != "" {
		t.Error(diff)
	}
	if hits.Load() != 3 || perPages[0] != "200" {
		t.Errorf("requests=%d per_page=%v, want 3 pages of 200", hits.Load(), perPages)
	}
	if diff := cmp.Diff(&ListUsersOptions{}, opts); diff != "" {
		t.Errorf("options mutated: %s", diff)
	}
}

func TestUsersListAllConcurrent(t *testing.T) {
	for _, conc := range []int{0, 1, 4} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			c, mux, _, _ := setup(t)
			hits := usersServer(t, mux, 1001, nil)
			users, err := c.Users.ListAll(context.Background(), &ListUsersOptions{ListOptions: ListOptions{Concurrency: conc}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []ID
			for _, u := range users {
				ids = append(ids, u.ID)
			}
			if diff := cmp.Diff(wantIDs(0, 1001), ids); diff != "" {
				t.Error(diff)
			}
			if hits.Load() != 6 {
				t.Errorf("requests = %d, want 6", hits.Load())
			}
		})
	}
}

func TestUsersSinglePageAndStringCurrentPage(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") != "2" || r.URL.Query().Get("per_page") != "2" || r.URL.Query().Get("email") != "a@b.c" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		fmt.Fprint(w, `{"users":[{"id":"1"}],"pagination":{"total_records":"3","total_pages":"2","current_page":"2"}}`)
	})
	us, resp, err := c.Users.List(context.Background(), &ListUsersOptions{Email: "a@b.c", ListOptions: ListOptions{Page: 2, PerPage: 2}})
	if err != nil || len(us) != 1 || resp.CurrentPage != 2 || resp.TotalPages != 2 || resp.TotalRecords != 3 || resp.NextPage != 0 {
		t.Errorf("err=%v resp=%+v", err, resp)
	}
}

func TestListChanged(t *testing.T) {
	tests := []struct {
		name string
		hook func(w http.ResponseWriter, r *http.Request, page, hit int) bool
	}{
		{"total grows", func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
			if page == 2 {
				writeUsersPage(w, page, 2, 6, 6)
				return true
			}
			return false
		}},
		{"record inserted shifts a duplicate", func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
			if page == 2 { // page 2 repeats the last record of page 1; total unchanged
				fmt.Fprint(w, `{"users":[{"id":"1001"},{"id":"1002"}],"pagination":{"total_records":5,"total_pages":3,"current_page":2}}`)
				return true
			}
			return false
		}},
		{"empty page before the last", func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
			if page == 2 {
				fmt.Fprint(w, `{"users":[],"pagination":{"total_records":5,"total_pages":3,"current_page":2}}`)
				return true
			}
			return false
		}},
		{"short count", func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
			writeUsersPage(w, page, 2, 5, 6)
			return true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _, _ := setup(t)
			usersServer(t, mux, 5, tt.hook)
			_, errs := collectAll(t, c.Users.All(context.Background(), &ListUsersOptions{ListOptions: ListOptions{PerPage: 2}}))
			var lc *ListChangedError
			var we *WalkError
			if len(errs) != 1 || !errors.As(errs[0], &lc) || !errors.As(errs[0], &we) {
				t.Fatalf("errs = %v, want one ListChangedError", errs)
			}
			if lc.Op != "users" || lc.Expected == lc.Seen && lc.Duplicates == 0 {
				t.Errorf("%+v", lc)
			}
			if _, err := c.Users.ListAll(context.Background(), &ListUsersOptions{ListOptions: ListOptions{PerPage: 2, Concurrency: 3}}); !errors.As(err, &lc) {
				t.Errorf("ListAll err = %v", err)
			}
		})
	}
}

func TestLoopGuard(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
	}{
		{"server ignores page", `{"users":[{"id":"1"},{"id":"2"}],"pagination":{"total_records":6,"total_pages":3,"current_page":1}}`},
		{"same records without current_page", `{"users":[{"id":"1"},{"id":"2"}],"pagination":{"total_records":6,"total_pages":3}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _, _ := setup(t)
			var n atomic.Int32
			mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				fmt.Fprint(w, tt.body)
			})
			ids, errs := collectAll(t, c.Users.All(context.Background(), nil))
			if len(errs) != 1 || !errors.Is(errs[0], ErrPagingLoop) || len(ids) != 2 || n.Load() != 2 {
				t.Errorf("ids=%v errs=%v requests=%d", ids, errs, n.Load())
			}
		})
	}
}

func TestErrorMidWalkYieldedOnce(t *testing.T) {
	c, mux, _, _ := setup(t)
	usersServer(t, mux, 6, func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
		if page == 2 {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"Forbidden"}`)
			return true
		}
		return false
	})
	ids, errs := collectAll(t, c.Users.All(context.Background(), &ListUsersOptions{ListOptions: ListOptions{PerPage: 2}}))
	var we *WalkError
	if len(errs) != 1 || !errors.As(errs[0], &we) || !errors.Is(errs[0], ErrForbidden) {
		t.Fatalf("errs = %v", errs)
	}
	if we.Page != 2 || we.Seen != 2 || len(ids) != 2 {
		t.Errorf("walk error %+v, ids %v", we, ids)
	}
}

func TestEmptyListing(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"users":[],"pagination":{"total_records":0,"total_pages":0,"current_page":1}}`)
	})
	ids, errs := collectAll(t, c.Users.All(context.Background(), nil))
	if len(ids) != 0 || len(errs) != 0 {
		t.Errorf("ids=%v errs=%v", ids, errs)
	}
}

func TestFindByEmail(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("email") {
		case "a@example.com":
			fmt.Fprint(w, `{"users":[{"id":"1","email":"A@example.com"}],"pagination":{"total_records":1,"total_pages":1,"current_page":1}}`)
		case "dup@example.com":
			fmt.Fprint(w, `{"users":[{"id":"1","email":"dup@example.com"},{"id":"2","email":"dup@example.com"}],"pagination":{"total_records":2,"total_pages":1,"current_page":1}}`)
		default:
			fmt.Fprint(w, `{"users":[],"pagination":{"total_records":0,"total_pages":0,"current_page":1}}`)
		}
	})
	u, resp, err := c.Users.FindByEmail(context.Background(), "a@example.com")
	if err != nil || u.ID != "1" {
		t.Errorf("u=%v err=%v", u, err)
	}
	if resp == nil || !resp.HasPagination || resp.TotalRecords != 1 || resp.StatusCode != http.StatusOK {
		t.Errorf("FindByEmail's response = %+v, want the page's figures", resp)
	}
	if _, resp, err := c.Users.FindByEmail(context.Background(), "none@example.com"); !errors.Is(err, ErrNotFound) || resp == nil {
		t.Errorf("err=%v resp=%v", err, resp)
	}
	if _, _, err := c.Users.FindByEmail(context.Background(), "dup@example.com"); !errors.Is(err, ErrAmbiguousEmail) {
		t.Errorf("err=%v", err)
	}
}

// auditServer serves n audits with ids base+1..base+n through the after_id
// cursor; withPagination reports pagination relative to the cursor.
func auditServer(t *testing.T, mux *http.ServeMux, base uint64, n int, withPagination bool) (*atomic.Int32, *[]string) {
	var hits atomic.Int32
	var queries []string
	mux.HandleFunc("GET /api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		q := r.URL.Query()
		queries = append(queries, r.URL.RawQuery)
		per, _ := strconv.Atoi(q.Get("per_page"))
		after := uint64(0)
		if a := q.Get("after_id"); a != "" {
			after, _ = strconv.ParseUint(a, 10, 64)
		}
		fmt.Fprint(w, `{"audits":[`)
		count, remaining := 0, 0
		for i := 1; i <= n; i++ {
			id := base + uint64(i)
			if id <= after {
				continue
			}
			remaining++
			if count == per {
				continue
			}
			if count > 0 {
				fmt.Fprint(w, ",")
			}
			count++
			// auditable_id as a JSON number beyond 2^53
			fmt.Fprintf(w, `{"id":"%d","audit_action":"update","created_at":"2026-01-02T03:04:05.000Z","user":{"id":"%d","name":"U","email":"u@example.com"},"auditable_type":"Feature","auditable_id":%d,"changes":[]}`, id, i%7, id+1)
		}
		fmt.Fprint(w, `]`)
		if withPagination {
			fmt.Fprintf(w, `,"pagination":{"total_records":%d,"total_pages":%d,"current_page":1}`, remaining, (remaining+per-1)/per)
		}
		fmt.Fprint(w, `}`)
	})
	return &hits, &queries
}

func TestAuditsAll(t *testing.T) {
	const base = 6776881149486782000 // beyond 2^53
	for _, pag := range []bool{false, true} {
		t.Run(fmt.Sprint("pagination=", pag), func(t *testing.T) {
			c, mux, _, _ := setup(t)
			hits, queries := auditServer(t, mux, base, 450, pag)
			var ids []ID
			for a, err := range c.Audits.All(context.Background(), AuditWindow{UserID: "3", Action: "update", Type: "Feature"}) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
				if a.AuditableID != ID(strconv.FormatUint(mustU(a.ID)+1, 10)) || !a.CreatedAt.Valid {
					t.Fatalf("audit decoded badly: %+v", a)
				}
			}
			if len(ids) != 450 || ids[0] != ID(strconv.FormatUint(base+1, 10)) || ids[449] != ID(strconv.FormatUint(base+450, 10)) {
				t.Errorf("got %d audits: %v … %v", len(ids), ids[0], ids[len(ids)-1])
			}
			want := int32(4) // 3 pages and the empty one
			if pag {
				want = 3 // the last page says it is the last
			}
			if hits.Load() != want {
				t.Errorf("requests = %d, want %d", hits.Load(), want)
			}
			q := (*queries)[1]
			for _, s := range []string{"after_id=" + strconv.FormatUint(base+200, 10), "user_id=3", "audit_action=update", "auditable_type=Feature", "per_page=200"} {
				if !strings.Contains(q, s) {
					t.Errorf("query %q lacks %q", q, s)
				}
			}
		})
	}
}

func mustU(id ID) uint64 { v, _ := strconv.ParseUint(string(id), 10, 64); return v }

// A server that sends the same full page whatever the cursor and page
// number cannot be walked: the walk fails instead of looping or passing
// one page for the window.
func TestAuditsAllRepeatedCursor(t *testing.T) {
	c, mux, _, _ := setup(t)
	var b strings.Builder
	for i := range MaxPerPage {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"%d","auditable_id":1}`, 5+i)
	}
	mux.HandleFunc("GET /api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"audits":[%s]}`, b.String()) // ignores after_id and page
	})
	var n int
	var errs []error
	for _, err := range c.Audits.All(context.Background(), AuditWindow{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	var we *WalkError
	if n != MaxPerPage || len(errs) != 1 || !errors.Is(errs[0], ErrPagingLoop) || !errors.As(errs[0], &we) || we.Page != 2 {
		t.Errorf("n=%d errs=%v", n, errs)
	}
}

// Aha! documents neither the order of /audits nor that every server
// honours after_id. Whatever the order and whether the cursor is honoured,
// the walk yields every audit of the listing exactly once.
func TestAuditsAllOrderAndCursorTolerated(t *testing.T) {
	const total = 450
	const base = 6776881149486782000 // beyond 2^53
	for _, desc := range []bool{false, true} {
		for _, honour := range []bool{false, true} {
			for _, pag := range []bool{false, true} {
				name := fmt.Sprintf("desc=%v/after_id=%v/pagination=%v", desc, honour, pag)
				t.Run(name, func(t *testing.T) {
					c, mux, _, _ := setup(t)
					mux.HandleFunc("GET /api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
						q := r.URL.Query()
						var ids []uint64
						after, _ := strconv.ParseUint(q.Get("after_id"), 10, 64)
						for i := range uint64(total) {
							if id := base + 1 + i; !honour || id > after {
								ids = append(ids, id)
							}
						}
						if desc && (!honour || q.Get("after_id") == "") {
							slices.Reverse(ids)
						}
						page, _ := strconv.Atoi(q.Get("page"))
						page = max(page, 1)
						per, _ := strconv.Atoi(q.Get("per_page"))
						lo, hi := min((page-1)*per, len(ids)), min(page*per, len(ids))
						var b strings.Builder
						for i, id := range ids[lo:hi] {
							if i > 0 {
								b.WriteString(",")
							}
							fmt.Fprintf(&b, `{"id":"%d","auditable_id":1}`, id)
						}
						pagination := ""
						if pag {
							pagination = fmt.Sprintf(`,"pagination":{"total_records":%d,"total_pages":%d,"current_page":%d}`, len(ids), (len(ids)+per-1)/per, page)
						}
						fmt.Fprintf(w, `{"audits":[%s]%s}`, b.String(), pagination)
					})
					got := map[ID]int{}
					for a, err := range c.Audits.All(context.Background(), AuditWindow{}) {
						if err != nil {
							t.Fatal(err)
						}
						got[a.ID]++
					}
					if len(got) != total {
						t.Errorf("%d distinct audits, want %d", len(got), total)
					}
					for id, n := range got {
						if n != 1 {
							t.Errorf("audit %s yielded %d times", id, n)
						}
					}
				})
			}
		}
	}
}

// TestAuditsAllMalformedAudit: a null audit, or one without an id, ends
// the walk with an error after the audits before it; it is never skipped,
// which would hide its actor's activity.
func TestAuditsAllMalformedAudit(t *testing.T) {
	for name, bad := range map[string]string{"null": `null`, "no id": `{"audit_action":"update","created_at":"2026-01-02T03:04:05Z","user":{"id":"9"}}`} {
		t.Run(name, func(t *testing.T) {
			c, mux, _, _ := setup(t)
			mux.HandleFunc("GET /api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
				if after := r.URL.Query().Get("after_id"); after != "" && after != "0" {
					fmt.Fprint(w, `{"audits":[]}`)
					return
				}
				fmt.Fprintf(w, `{"audits":[{"id":"5","user":{"id":"8"}},%s,{"id":"7","user":{"id":"9"}}]}`, bad)
			})
			var ids []ID
			var errs []error
			for a, err := range c.Audits.All(context.Background(), AuditWindow{}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				ids = append(ids, a.ID)
			}
			var we *WalkError
			if len(errs) != 1 || !errors.As(errs[0], &we) {
				t.Fatalf("ids=%v errs=%v, want one WalkError", ids, errs)
			}
			if len(ids) > 1 || ids != nil && ids[0] != "5" {
				t.Errorf("yielded %v before the error, want at most audit 5", ids)
			}
		})
	}
}

func TestAuditWindowSplit(t *testing.T) {
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	w := AuditWindow{Since: since, Before: since.Add(10 * time.Hour), UserID: "3", PerPage: 50}
	parts := w.Split(3)
	if len(parts) != 3 || !parts[0].Since.Equal(w.Since) || !parts[2].Before.Equal(w.Before) {
		t.Fatalf("%+v", parts)
	}
	for i := 1; i < 3; i++ {
		if !parts[i].Since.Equal(parts[i-1].Before) || parts[i].UserID != "3" || parts[i].PerPage != 50 {
			t.Errorf("part %d not adjacent or lost filters: %+v", i, parts[i])
		}
	}
	if got := (AuditWindow{}).Split(4); len(got) != 1 {
		t.Errorf("unbounded window split into %d", len(got))
	}
}

// A listing served without a pagination object ends only on its own
// signals: a short or empty page, or a listing that is not paged at all.
// A full page repeated could be either a page number ignored or a list of
// exactly one page, so it fails rather than passing for the whole account.
func TestUsersWithoutPagination(t *testing.T) {
	const n = 450
	page := func(w http.ResponseWriter, ids []ID) {
		var b strings.Builder
		for i, id := range ids {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":%q}`, id)
		}
		fmt.Fprintf(w, `{"users":[%s]}`, b.String())
	}
	tests := []struct {
		name     string
		serve    func(w http.ResponseWriter, pg, per int)
		want     []ID
		wantErr  error
		requests int64
	}{
		{"paged, no pagination", func(w http.ResponseWriter, pg, per int) {
			all := wantIDs(0, n)
			lo, hi := min((pg-1)*per, n), min(pg*per, n)
			page(w, all[lo:hi])
		}, wantIDs(0, n), nil, 3},
		{"paged, no pagination, last page full", func(w http.ResponseWriter, pg, per int) {
			all := wantIDs(0, 400)
			lo, hi := min((pg-1)*per, 400), min(pg*per, 400)
			page(w, all[lo:hi])
		}, wantIDs(0, 400), nil, 3},
		{"not paged at all", func(w http.ResponseWriter, pg, per int) {
			page(w, wantIDs(0, n))
		}, wantIDs(0, n), nil, 2},
		{"page number ignored", func(w http.ResponseWriter, pg, per int) {
			page(w, wantIDs(0, per))
		}, nil, ErrPagingLoop, 2},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency=%d", tt.name, conc), func(t *testing.T) {
				c, mux, _, _ := setup(t)
				var hits atomic.Int64
				mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
					per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
					tt.serve(w, max(pg, 1), per)
				})
				users, err := c.Users.ListAll(context.Background(), &ListUsersOptions{ListOptions: ListOptions{Concurrency: conc}})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var ids []ID
				for _, u := range users {
					ids = append(ids, u.ID)
				}
				if diff := cmp.Diff(tt.want, ids); diff != "" {
					t.Errorf("users (-want +got):\n%s", diff)
				}
				if hits.Load() != tt.requests {
					t.Errorf("requests = %d, want %d", hits.Load(), tt.requests)
				}
			})
		}
	}
}

// TestShortPageIsNotTheEnd: a server that caps per_page below what was
// asked (here 3 of 200) sends short pages; the walk goes on to
// total_pages and reads every record.
func TestShortPageIsNotTheEnd(t *testing.T) {
	c, mux, _, _ := setup(t)
	hits := usersServer(t, mux, 7, func(w http.ResponseWriter, r *http.Request, page, hit int) bool {
		writeUsersPage(w, page, 3, 7, 7)
		return true
	})
	ids, errs := collectAll(t, c.Users.All(context.Background(), nil))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff(wantIDs(0, 7), ids); diff != "" {
		t.Errorf("short pages ended the walk early (-want +got):\n%s", diff)
	}
	if hits.Load() != 3 {
		t.Errorf("requests = %d, want 3", hits.Load())
	}
}
