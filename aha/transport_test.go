package aha

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestServerDelay(t *testing.T) {
	date := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // local clock far from the server's
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"http date vs Date header", map[string]string{"Date": date.Format(http.TimeFormat), "Retry-After": date.Add(3 * time.Second).Format(http.TimeFormat)}, 3 * time.Second, true},
		{"http date in the past", map[string]string{"Date": date.Format(http.TimeFormat), "Retry-After": date.Add(-3 * time.Second).Format(http.TimeFormat)}, 0, true},
		{"reset epoch vs Date", map[string]string{"Date": date.Format(http.TimeFormat), "X-Ratelimit-Reset": strconv.FormatInt(date.Add(5*time.Second).Unix(), 10)}, 5 * time.Second, true},
		{"reset delta", map[string]string{"X-Ratelimit-Reset": "4"}, 4 * time.Second, true},
		{"retry-after wins", map[string]string{"Retry-After": "2", "X-Ratelimit-Reset": "9"}, 2 * time.Second, true},
		{"none", map[string]string{}, 0, false},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}}
		for k, v := range tt.h {
			resp.Header.Set(k, v)
		}
		got, ok := serverDelay(resp, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got %s,%v want %s,%v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// usersServer serves total users in pages, calling hook before each page.
func usersServer(t *testing.T, mux *http.ServeMux, total int, hook func(w http.ResponseWriter, r *http.Request, page, hit int) bool) *atomic.Int32 {
	var hits atomic.Int32
	var mu sync.Mutex
	pageHits := map[int]int{}
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per == 0 {
			per = 30
		}
		mu.Lock()
		pageHits[page]++
		n := pageHits[page]
		mu.Unlock()
		if hook != nil && hook(w, r, page, n) {
			return
		}
		writeUsersPage(w, page, per, total, total)
	})
	return &hits
}

func writeUsersPage(w http.ResponseWriter, page, per, total, reported int) {
	pages := (total + per - 1) / per
	fmt.Fprint(w, `{"users":[`)
	for i, first := (page-1)*per, true; i < min(page*per, total); i++ {
		if !first {
			fmt.Fprint(w, ",")
		}
		first = false
		fmt.Fprintf(w, `{"id":"%d","name":"User %d","email":"u%d@example.com","enabled":true,"paid_seat":true,"accessed_at":null}`, 1000+i, i, i)
	}
	fmt.Fprintf(w, `],"pagination":{"total_records":%d,"total_pages":%d,"current_page":%d}}`, reported, pages, page)
}

func collectAll(t *testing.T, seq func(func(*User, error) bool)) ([]ID, []error) {
	t.Helper()
	var ids []ID
	var errs []error
	for u, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, u.ID)
	}
	return ids, errs
}

func TestRateLimited429FirstAndMiddlePage(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	serverDate := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // far from the local clock
	hits := usersServer(t, mux, 5, func(w http.ResponseWriter, r *http.Request, page, n int) bool {
		if n > 1 {
			return false
		}
		switch page {
		case 1: // seconds form
			w.Header().Set("Retry-After", "1")
		case 2: // HTTP-date form, relative to the response's Date
			w.Header().Set("Date", serverDate.Format(http.TimeFormat))
			w.Header().Set("Retry-After", serverDate.Add(time.Second).Format(http.TimeFormat))
		case 3: // epoch reset
			w.Header().Set("Date", serverDate.Format(http.TimeFormat))
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(serverDate.Add(time.Second).Unix(), 10))
		}
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":"Rate limit exceeded"}`))
		return true
	})
	start := time.Now()
	ids, errs := collectAll(t, c.Users.All(context.Background(), &ListUsersOptions{ListOptions: ListOptions{PerPage: 2}}))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []ID{"1000", "1001", "1002", "1003", "1004"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("ids = %v, want %v (nothing skipped or repeated)", ids, want)
	}
	if hits.Load() != 6 {
		t.Errorf("requests = %d, want 6", hits.Load())
	}
	if el := time.Since(start); el < 2900*time.Millisecond || el > 8*time.Second {
		t.Errorf("elapsed %s: the three waits of 1s were not honoured", el)
	}
}

func TestRetryPutResendsBody(t *testing.T) {
	c, mux, _, _ := setup(t)
	var bodies []string
	mux.HandleFunc("PUT /api/v1/users/42", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		switch len(bodies) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.Write([]byte(`{"id":"42","name":"X","email":"x@example.com","enabled":false,"paid_seat":true}`))
		}
	})
	u, _, err := c.Users.Disable(context.Background(), "42")
	if err != nil {
		t.Fatal(err)
	}
	if u.Enabled || u.ID != "42" {
		t.Errorf("user %+v", u)
	}
	want := `{"user":{"enabled":false}}`
	if len(bodies) != 3 || bodies[0] != want || bodies[1] != want || bodies[2] != want {
		t.Errorf("bodies = %q", bodies)
	}
}

func TestPostRetryRules(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n503, n429 int
	mux.HandleFunc("POST /api/v1/users/1/product_roles", func(w http.ResponseWriter, r *http.Request) {
		n503++
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /api/v1/users/2/product_roles", func(w http.ResponseWriter, r *http.Request) {
		n429++
		if n429 == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"role":50,"role_description":"Viewer","product_id":"7","product_name":null}`))
	})
	_, _, err := c.Users.SetProductRole(context.Background(), "1", "PRJ1", RoleViewer)
	var er *ErrorResponse
	if !errors.As(err, &er) || er.Status != 503 || n503 != 1 {
		t.Errorf("POST on 503: err=%v hits=%d, want one attempt and a 503 error", err, n503)
	}
	pr, _, err := c.Users.SetProductRole(context.Background(), "2", "PRJ1", RoleViewer)
	if err != nil || n429 != 2 || pr.Role != RoleCodeViewer {
		t.Errorf("POST on 429: err=%v hits=%d role=%+v", err, n429, pr)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n int
	mux.HandleFunc("GET /api/v1/users/5", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"Record not found"}`))
	})
	_, _, err := c.Users.Get(context.Background(), "5")
	if !errors.Is(err, ErrNotFound) || n != 1 {
		t.Errorf("err=%v hits=%d", err, n)
	}
}

func TestRetriesExhaustedReturnsFinal429(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n int
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("X-Ratelimit-Limit", "300")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, resp, err := c.Me(context.Background())
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Limit != 300 || n != fastRetry.MaxRetries+1 || resp == nil {
		t.Errorf("err=%v hits=%d", err, n)
	}
}

func TestRateLimitWaitOverCap(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n int
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	start := time.Now()
	_, _, err := c.Me(context.Background())
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 600*time.Second || n != 1 {
		t.Fatalf("err=%v hits=%d", err, n)
	}
	if time.Since(start) > time.Second {
		t.Error("slept instead of returning the rate-limit error")
	}
}

func TestCancelDuringWait(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n atomic.Int32
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := c.Me(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("returned after %s, not promptly", el)
	}
	time.Sleep(100 * time.Millisecond)
	if n.Load() != 1 {
		t.Errorf("requests = %d, want 1: none may be sent after cancel", n.Load())
	}
	// A cancelled context sends nothing at all.
	if _, _, err := c.Me(ctx); !errors.Is(err, context.Canceled) || n.Load() != 1 {
		t.Errorf("err=%v hits=%d", err, n.Load())
	}
}

func TestLimiterCancelDuringWait(t *testing.T) {
	l, err := NewLimiter(1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Error("limiter wait ignored ctx")
	}
}

func TestLimiterPerMinuteWindow(t *testing.T) {
	l, err := NewLimiter(1000, 5, 5)
	if err != nil {
		t.Fatal(err)
	}
	l.window = 300 * time.Millisecond // scale the minute down
	start := time.Now()
	for range 10 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("10 requests with 5 per window took %s, want at least one window", el)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportErrorRetries(t *testing.T) {
	var gets, posts int
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost {
			posts++
			return nil, errors.New("connection reset")
		}
		gets++
		if gets == 1 {
			return nil, errors.New("connection reset")
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(stringsReader(`{"user":{"id":"1"}}`)), Request: r}, nil
	})
	c, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithTransport(base), WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Me(context.Background()); err != nil || gets != 2 {
		t.Errorf("GET: err=%v attempts=%d", err, gets)
	}
	if _, _, err := c.HistoricalAudits.StartSearch(context.Background(), &HistoricalSearch{}); err == nil || posts != 1 {
		t.Errorf("POST: err=%v attempts=%d, want 1", err, posts)
	}
}

// TestAttemptTimeout: an attempt that gets no headers, or whose body stalls,
// within RetryPolicy.AttemptTimeout is abandoned and retried; when every
// attempt stalls, the call fails with ErrTimeout (not the caller's
// context error) after MaxRetries+1 attempts. A wait in the rate limiter
// does not count against an attempt.
func TestAttemptTimeout(t *testing.T) {
	policy := fastRetry
	policy.AttemptTimeout = 200 * time.Millisecond
	stall := make(chan struct{})
	defer close(stall)
	t.Run("stalls then answers", func(t *testing.T) {
		c, mux, _, _ := setup(t, WithRetryPolicy(policy))
		var n atomic.Int32
		mux.HandleFunc("GET /api/v1/users/7", func(w http.ResponseWriter, r *http.Request) {
			switch n.Add(1) {
			case 1: // no headers
				select {
				case <-stall:
				case <-r.Context().Done():
				}
			case 2: // headers and half a body, then nothing
				w.Header().Set("Content-Length", "100")
				w.Write([]byte(`{"user":{"id":"7",`))
				w.(http.Flusher).Flush()
				select {
				case <-stall:
				case <-r.Context().Done():
				}
			default:
				w.Write([]byte(`{"user":{"id":"7","name":"Seven"}}`))
			}
		})
		u, _, err := c.Users.Get(context.Background(), "7")
		if err != nil || u.Name != "Seven" || n.Load() != 3 {
			t.Fatalf("user=%+v err=%v attempts=%d, want the third attempt's user", u, err, n.Load())
		}
	})
	t.Run("always stalls", func(t *testing.T) {
		c, mux, _, _ := setup(t, WithRetryPolicy(policy))
		var n atomic.Int32
		mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		})
		start := time.Now()
		_, _, err := c.Me(context.Background())
		if !errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrTimeout and not the context's error", err)
		}
		if !strings.Contains(err.Error(), "within 200ms") {
			t.Errorf("error does not say the bound: %v", err)
		}
		if got := n.Load(); got != int32(policy.MaxRetries+1) {
			t.Errorf("attempts = %d, want %d", got, policy.MaxRetries+1)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("took %s", el)
		}
	})
	t.Run("limiter wait not counted", func(t *testing.T) {
		lim, err := NewLimiter(2, 100, 1) // one request every 500 ms
		if err != nil {
			t.Fatal(err)
		}
		p := policy
		p.MaxRetries = 0
		c, mux, _, _ := setup(t, WithRetryPolicy(p), WithRateLimiter(lim))
		mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"user":{"id":"1"}}`))
		})
		for i := range 3 {
			if _, _, err := c.Me(context.Background()); err != nil {
				t.Fatalf("call %d after a limiter wait longer than the attempt timeout: %v", i, err)
			}
		}
	})
}
