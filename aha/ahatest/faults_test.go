package ahatest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawGet sends GET path with the fixture's token and returns the response
// and the error reading its body (the body is read fully).
func (f *fixture) rawGet(ctx context.Context, path string) (*http.Response, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", f.s.APIURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := f.s.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFaultKinds(t *testing.T) {
	until := testNow.Add(90 * time.Second)
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{"json status", ErrorStatus(503), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 503 || !json.Valid(b) {
				t.Errorf("%d %s", r.StatusCode, b)
			}
		}},
		{"html 401", HTMLStatus(401), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || json.Valid(b) {
				t.Errorf("%d %s %s", r.StatusCode, r.Header.Get("Content-Type"), b)
			}
		}},
		{"429 seconds", RateLimited(3 * time.Second), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 429 || r.Header.Get("Retry-After") != "3" {
				t.Errorf("%d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
			}
		}},
		{"429 date", RateLimitedUntil(until), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 429 || r.Header.Get("Retry-After") != until.Format(http.TimeFormat) || r.Header.Get("Date") != testNow.Format(http.TimeFormat) {
				t.Errorf("%d Retry-After %q Date %q", r.StatusCode, r.Header.Get("Retry-After"), r.Header.Get("Date"))
			}
		}},
		{"429 rate headers only", RateLimitedHeaders(5 * time.Second), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 429 || r.Header.Get("Retry-After") != "" || r.Header.Get("X-Ratelimit-Reset") == "" || r.Header.Get("X-Ratelimit-Remaining") != "0" {
				t.Errorf("%d %v", r.StatusCode, r.Header)
			}
		}},
		{"connection reset", ResetConnection(), func(t *testing.T, r *http.Response, b []byte, err error) {
			if err == nil {
				t.Errorf("body read without error (%d bytes)", len(b))
			}
		}},
		{"truncated json", TruncatedBody(), func(t *testing.T, r *http.Response, b []byte, err error) {
			if err != nil || r.StatusCode != 200 || json.Valid(b) || len(b) == 0 {
				t.Errorf("err %v status %d valid %v", err, r.StatusCode, json.Valid(b))
			}
		}},
		{"oversized", Oversized(3 << 20), func(t *testing.T, r *http.Response, b []byte, err error) {
			if err != nil || len(b) < 3<<20 || !json.Valid(b) {
				t.Errorf("err %v, %d bytes, valid %v", err, len(b), json.Valid(b))
			}
		}},
		{"revoked token", RevokeToken(), func(t *testing.T, r *http.Response, b []byte, err error) {
			if r.StatusCode != 401 {
				t.Errorf("%d", r.StatusCode)
			}
		}},
		{"accessed_at empty", Encoded(Encoding{NeverAccess: NullAsEmpty}), func(t *testing.T, r *http.Response, b []byte, err error) {
			if !strings.Contains(string(b), `"accessed_at":""`) || strings.Contains(string(b), `"accessed_at":null`) {
				t.Errorf("no empty accessed_at")
			}
		}},
		{"accessed_at missing", Encoded(Encoding{NeverAccess: NullAsMissing}), func(t *testing.T, r *http.Response, b []byte, err error) {
			var p struct{ Users []map[string]any }
			json.Unmarshal(b, &p)
			missing := 0
			for _, u := range p.Users {
				if _, ok := u["accessed_at"]; !ok {
					missing++
				}
			}
			if missing == 0 || strings.Contains(string(b), `"accessed_at":null`) {
				t.Errorf("%d users without accessed_at", missing)
			}
		}},
		{"ids as numbers", Encoded(Encoding{IDs: IDsAsNumbers}), func(t *testing.T, r *http.Response, b []byte, err error) {
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			var p struct{ Users []struct{ ID any } }
			if err := dec.Decode(&p); err != nil || len(p.Users) == 0 {
				t.Fatal(err)
			}
			n, ok := p.Users[0].ID.(json.Number)
			if !ok || len(n.String()) != 19 {
				t.Errorf("id %#v, want a 19-digit JSON number", p.Users[0].ID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, WithFaults(NewFaults().On("GET /users", 2, tt.fault)))
			if r, _, err := f.rawGet(context.Background(), "/users?per_page=200"); err != nil || r.StatusCode != 200 {
				t.Fatalf("first request: %v", err)
			}
			r, b, err := f.rawGet(context.Background(), "/users?per_page=200")
			if r == nil {
				t.Fatalf("no response: %v", err)
			}
			tt.check(t, r, b, err)
			if tt.name == "revoked token" {
				if r, _, _ := f.rawGet(context.Background(), "/me"); r.StatusCode != 401 {
					t.Errorf("after revocation: %d, want 401", r.StatusCode)
				}
				return
			}
			if r, b, err := f.rawGet(context.Background(), "/users?per_page=200"); err != nil || r.StatusCode != 200 || !json.Valid(b) {
				t.Errorf("third request not normal: %v", err)
			}
		})
	}
}

func TestFaultSlowPastDeadline(t *testing.T) {
	f := newFixture(t, WithFaults(NewFaults().Always("GET /me", Slow(5*time.Second))))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := f.rawGet(ctx, "/me")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v, want a prompt deadline error", err, time.Since(start))
	}
}

func TestFaultRepeatPage(t *testing.T) {
	f := newFixture(t, WithFaults(NewFaults().Always("GET /users", RepeatPage()).Always("GET /audits", RepeatPage())))
	var p1, p2 page
	f.getJSON("/users?page=1", 200, &p1)
	f.getJSON("/users?page=2", 200, &p2)
	if p2.Pagination.CurrentPage != 1 || p1.Users[0].ID != p2.Users[0].ID {
		t.Errorf("page 2 = page %d", p2.Pagination.CurrentPage)
	}
	var a1, a2 page
	f.getJSON("/audits", 200, &a1)
	f.getJSON("/audits?after_id="+a1.Audits[len(a1.Audits)-1].ID, 200, &a2)
	if a1.Audits[0].ID != a2.Audits[0].ID {
		t.Error("after_id honoured despite the fault")
	}
}

func TestFaultListingChanges(t *testing.T) {
	newcomer := &User{ID: "9000000000000000001", Name: "New Comer", Email: "new.comer@example.com", Enabled: true,
		CreatedAt: testNow, UpdatedAt: testNow}
	tests := []struct {
		name      string
		hook      func(a *Account)
		wantTotal int
	}{
		{"added", func(a *Account) { a.AddUser(newcomer) }, 231},
		{"removed", func(a *Account) { a.RemoveUser(a.Clone().Users[0].ID) }, 229},
		{"moved", func(a *Account) { a.MoveUser(a.Clone().Users[0].ID, 229) }, 230},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, WithFaults(NewFaults().On("GET /users", 2, BeforeServe(tt.hook))))
			var p1, p2 page
			f.getJSON("/users?per_page=200&page=1", 200, &p1)
			f.getJSON("/users?per_page=200&page=2", 200, &p2)
			seen := map[string]int{}
			for _, u := range append(p1.Users, p2.Users...) {
				seen[u.ID]++
			}
			if p2.Pagination.TotalRecords != tt.wantTotal {
				t.Errorf("total_records %d, want %d", p2.Pagination.TotalRecords, tt.wantTotal)
			}
			if tt.name == "moved" && len(seen) != 229 {
				t.Errorf("moved user: %d distinct users seen, want 229 (one seen twice)", len(seen))
			}
		})
	}
}

func TestFaultRandomRate(t *testing.T) {
	f := newFixture(t, WithFaults(NewFaults().Random(7, 0.2, ErrorStatus(503))))
	bad := 0
	for range 200 {
		if r, _, _ := f.rawGet(context.Background(), "/me"); r.StatusCode == 503 {
			bad++
		}
	}
	if bad < 20 || bad > 70 {
		t.Errorf("%d of 200 requests failed, want about 40", bad)
	}
	if st := f.s.Stats(); st.Faults != int64(bad) {
		t.Errorf("stats count %d faults, want %d", st.Faults, bad)
	}
}

func TestServerWideEncoding(t *testing.T) {
	f := newFixture(t, WithEncoding(Encoding{IDs: IDsAsNumbers, NoMillis: true}))
	_, b := f.do("GET", "/audits?per_page=1", nil)
	if !strings.Contains(string(b), `"id":677`) || strings.Contains(string(b), ".000Z") {
		t.Errorf("audit not encoded with numeric ids and no millis: %s", b)
	}
}
