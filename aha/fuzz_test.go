package aha

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
)

// Fuzz targets for what the client decodes from Aha!: error bodies, users
// pages and audits pages. Ids and timestamps have theirs in ids_test.go
// (FuzzIDUnmarshal, FuzzTimestampUnmarshal). Seed corpora are committed
// under testdata/fuzz/<FuzzName>/; `go test` runs them as ordinary tests.

// fuzzTransport answers every request with status and body.
type fuzzTransport struct {
	status int
	ctype  string
	body   []byte
	calls  atomic.Int64
	// auth is the last Authorization header seen.
	auth atomic.Value
}

func (f *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	f.auth.Store(r.Header.Get("Authorization"))
	h := http.Header{"Content-Type": {f.ctype}}
	return &http.Response{StatusCode: f.status, Header: h, Body: io.NopCloser(bytes.NewReader(f.body)),
		ContentLength: int64(len(f.body)), Request: r}, nil
}

// fuzzClient returns a client whose every response is ft's, with no
// retries and no rate limit to wait for, and the token it sends.
func fuzzClient(t *testing.T, ft *fuzzTransport) (*Client, string) {
	t.Helper()
	tok := "fuzz_tok_" + strings.Repeat("q7", 12)
	lim, err := NewLimiter(1e6, 1<<30, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(WithBaseURL("https://acme.aha.io"), WithToken(tok), WithTransport(ft),
		WithRateLimiter(lim), WithRetryPolicy(RetryPolicy{}), WithMaxBodyBytes(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return c, tok
}

// FuzzErrorBody: any non-2xx answer becomes a typed error that never
// carries the request's token or the body's control characters, stays
// short, and whose status matches the response.
func FuzzErrorBody(f *testing.F) {
	f.Add(400, "application/json", `{"error":"Bad request"}`)
	f.Add(401, "text/html", "<!DOCTYPE html><html><body>401 Unauthorized</body></html>")
	f.Add(404, "application/json", `{"error":"Not found","message":"Record not found"}`)
	f.Add(422, "application/json; charset=utf-8", `{"errors":{"email":["is invalid","is taken"]}}`)
	f.Add(422, "application/json", `{"errors":[{"message":"Name can't be blank","field":"name"}]}`)
	f.Add(429, "application/json", `{"errors":"Rate limit exceeded"}`)
	f.Add(500, "", "")
	f.Add(503, "application/json", `{"error":{"nested":true}}`)
	f.Add(302, "text/plain", `{"errors":["a","b"]}`)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		if status < 300 || status > 599 {
			return
		}
		req, _ := http.NewRequest(http.MethodGet, "https://acme.aha.io/api/v1/users?access_token=leak&page=2", nil)
		tok := "Bearer fuzzsecret" + strings.Repeat("z", 20)
		req.Header.Set("Authorization", tok)
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ctype}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}
		err := CheckResponse(resp)
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		msg := err.Error()
		if strings.Contains(msg, "fuzzsecret") || strings.Contains(msg, "access_token=leak") {
			t.Fatalf("error text carries a secret: %s", msg)
		}
		if strings.ContainsFunc(msg, unicode.IsControl) {
			t.Fatalf("error text carries control characters from the body: %q", msg)
		}
		if len(msg) > 4000 {
			t.Fatalf("error text is %d bytes long", len(msg))
		}
		var er *ErrorResponse
		var rl *RateLimitError
		switch {
		case status == http.StatusTooManyRequests:
			if !errors.As(err, &rl) {
				t.Fatalf("429 gave %T", err)
			}
		case errors.As(err, &er):
			if er.Status != status {
				t.Fatalf("ErrorResponse.Status %d, want %d", er.Status, status)
			}
			if errors.Is(err, ErrUnauthorized) != (status == 401) || errors.Is(err, ErrNotFound) != (status == 404) {
				t.Fatalf("status %d: sentinel mismatch", status)
			}
		default:
			t.Fatalf("status %d gave %T", status, err)
		}
		if !strings.HasPrefix(strings.TrimSpace(body), "{") && strings.TrimSpace(body) != "" && strings.Contains(msg, strings.TrimSpace(body)) && len(strings.TrimSpace(body)) > 8 {
			t.Fatalf("a non-JSON body is echoed in the error: %s", msg)
		}
	})
}

// FuzzUsersPage serves the same body for every page of GET /users. The
// walk must end (with the records, or an error) within a few requests,
// never yield an id twice, and never panic; a single page decodes or fails
// cleanly.
func FuzzUsersPage(f *testing.F) {
	f.Add(`{"users":[{"id":"6776881149486782892","name":"A","email":"a@example.com","accessed_at":null,"paid_seat":true}],"pagination":{"total_records":1,"total_pages":1,"current_page":1}}`)
	f.Add(`{"users":[{"id":6776881149486782892,"accessed_at":""},{"id":"2","accessed_at":"2019-01-01T00:00:00Z"}],"pagination":{"total_records":2,"total_pages":"1","current_page":"1"}}`)
	f.Add(`{"users":[{"id":"1"}],"pagination":{"total_records":400,"total_pages":2,"current_page":1}}`)
	f.Add(`{"users":[{"id":"1"}],"pagination":{"total_records":1,"total_pages":99999999999,"current_page":-1}}`)
	f.Add(`{"users":[],"pagination":{"total_records":0,"total_pages":0,"current_page":1}}`)
	f.Add(`{"users":[{"id":"1"},{"id":"1"}]}`)
	f.Add(`{"users":null}`)
	f.Add(`{"users":[{"id":"1.5e3","created_at":"x","product_roles":[{"role":"20"}]}]`)
	f.Fuzz(func(t *testing.T, body string) {
		ft := &fuzzTransport{status: 200, ctype: "application/json", body: []byte(body)}
		c, tok := fuzzClient(t, ft)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, _, err := c.Users.List(ctx, nil); err != nil && strings.Contains(err.Error(), tok) {
			t.Fatalf("error carries the token: %v", err)
		}
		ft.calls.Store(0)
		seen := map[ID]bool{}
		for u, err := range c.Users.All(ctx, nil) {
			if ft.calls.Load() > 5 {
				t.Fatalf("the same page served %d times and the walk goes on", ft.calls.Load())
			}
			if err != nil {
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error carries the token: %v", err)
				}
				break
			}
			if seen[u.ID] {
				t.Fatalf("user %q yielded twice", u.ID)
			}
			seen[u.ID] = true
		}
		if ctx.Err() != nil {
			t.Fatal("the walk did not end")
		}
	})
}

// FuzzAuditsPage serves the same body for every request of an audit walk
// (after_id cursor). The walk must end within a few requests, never yield
// an id twice or an id at or before a cursor already passed, and never
// panic.
func FuzzAuditsPage(f *testing.F) {
	f.Add(`{"audits":[{"id":"6776881149486782892","audit_action":"update","created_at":"2019-01-01T00:00:00.000Z","user":{"id":"1","name":"A"},"auditable_type":"Feature","auditable_id":12}],"pagination":{"total_records":1,"total_pages":1,"current_page":1}}`)
	f.Add(`{"audits":[{"id":2,"created_at":null,"user":null},{"id":1,"created_at":""}]}`)
	f.Add(`{"audits":[{"id":"3"},{"id":"3"},{"id":"00004"}],"pagination":{"total_records":9,"total_pages":3,"current_page":1}}`)
	f.Add(`{"audits":[]}`)
	f.Add(`{"audits":[{"id":"99999999999999999999999"}]}`)
	f.Add(`{"audits":[{"id":"1","user":{"id":""}}],"pagination":"x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		ft := &fuzzTransport{status: 200, ctype: "application/json", body: []byte(body)}
		c, tok := fuzzClient(t, ft)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var cursor, next ID // the walk's cursor, as the client advances it
		seen := map[ID]bool{}
		calls := int64(1)
		w := AuditWindow{Since: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), Before: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		for a, err := range c.Audits.All(ctx, w) {
			if ft.calls.Load() > 5 {
				t.Fatalf("the same page served %d times and the walk goes on", ft.calls.Load())
			}
			if err != nil {
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error carries the token: %v", err)
				}
				break
			}
			if a == nil {
				t.Fatal("nil audit without an error")
			}
			if n := ft.calls.Load(); n != calls {
				calls, cursor = n, next
			}
			if seen[a.ID] {
				t.Fatalf("audit %q yielded twice", a.ID)
			}
			seen[a.ID] = true
			if !cursor.IsZero() && compareIDs(a.ID, cursor) <= 0 {
				t.Fatalf("audit %q yielded after the cursor passed %q", a.ID, cursor)
			}
			if next.IsZero() || compareIDs(a.ID, next) > 0 {
				next = a.ID
			}
		}
		if ctx.Err() != nil {
			t.Fatal("the walk did not end")
		}
		if v, _ := ft.auth.Load().(string); v != "" && v != "Bearer "+tok {
			t.Fatalf("unexpected Authorization %q", v)
		}
	})
}
