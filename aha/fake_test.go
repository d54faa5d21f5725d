package aha_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
)

// fakeNow is the generated accounts' reference time.
func fakeNow() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

var fastPolicy = aha.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond, MaxRateLimitWait: 5 * time.Second}

func fakeClient(t *testing.T, srv *ahatest.Server, opts ...aha.Option) *aha.Client {
	t.Helper()
	c, err := aha.NewClient(append([]aha.Option{aha.WithBaseURL(srv.URL), aha.WithToken("fake-account-token"), aha.WithRetryPolicy(fastPolicy)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAgainstFakeAccount downloads a generated account through the fake's
// wire variants and checks counts, exact ids and the request budget.
func TestAgainstFakeAccount(t *testing.T) {
	t.Parallel()
	encodings := map[string]ahatest.Encoding{
		"documented":          {},
		"numeric ids, no key": {IDs: ahatest.IDsAsNumbers, NeverAccess: ahatest.NullAsMissing, NoMillis: true},
		"empty timestamps":    {NeverAccess: ahatest.NullAsEmpty},
	}
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 1234, Audits: 650, Seed: 7})
			srv := ahatest.NewServer(acct, ahatest.WithEncoding(enc), ahatest.WithClock(fakeNow))
			defer srv.Close()
			c := fakeClient(t, srv)
			ctx := context.Background()
			users, err := c.Users.ListAll(ctx, &aha.ListUsersOptions{ListOptions: aha.ListOptions{Concurrency: 3}})
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != len(acct.Users) {
				t.Fatalf("users = %d, want %d", len(users), len(acct.Users))
			}
			never := 0
			for i, u := range users {
				if string(u.ID) != acct.Users[i].ID {
					t.Fatalf("user %d id %s, want %s", i, u.ID, acct.Users[i].ID)
				}
				if !u.AccessedAt.Valid {
					never++
				}
			}
			if never == 0 || never == len(users) {
				t.Errorf("never-accessed users = %d: unknown timestamps were not kept apart", never)
			}
			n := 0
			for _, err := range c.Audits.All(ctx, aha.AuditWindow{}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != 650 {
				t.Errorf("audits = %d, want 650", n)
			}
			st := srv.Stats()
			if st.ByRoute["GET /users"] != 7 || st.ByRoute["GET /audits"] > 5 || st.RateLimited != 0 {
				t.Errorf("requests by route %v, 429s %d", st.ByRoute, st.RateLimited)
			}
		})
	}
}

// TestFakeSharedLimiterNo429 runs two clients of one account sharing a
// Limiter at the fake's real limits (20/s, 300/min): no request is refused.
func TestFakeSharedLimiterNo429(t *testing.T) {
	t.Parallel()
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 360, Seed: 3})
	srv := ahatest.NewServer(acct)
	defer srv.Close()
	lim := aha.NewDefaultLimiter()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		c := fakeClient(t, srv, aha.WithRateLimiter(lim))
		wg.Go(func() {
			_, errs[i] = c.Users.ListAll(context.Background(), &aha.ListUsersOptions{ListOptions: aha.ListOptions{PerPage: 30, Concurrency: 4}})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.RateLimited != 0 || st.Requests != 24 {
		t.Errorf("requests %d, 429s %d", st.Requests, st.RateLimited)
	}
}

func TestFakeFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault ahatest.Fault
		check func(t *testing.T, err error)
	}{
		{"429 retry-after", ahatest.RateLimited(time.Second), func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"429 rate headers", ahatest.RateLimitedHeaders(time.Second), func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"503", ahatest.ErrorStatus(503), func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"connection reset", ahatest.ResetConnection(), func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"html 401", ahatest.HTMLStatus(401), func(t *testing.T, err error) {
			if !errors.Is(err, aha.ErrUnauthorized) {
				t.Errorf("err = %v", err)
			}
		}},
		{"repeated page", ahatest.RepeatPage(), func(t *testing.T, err error) {
			var lc *aha.ListChangedError
			if !errors.Is(err, aha.ErrPagingLoop) && !errors.As(err, &lc) {
				t.Errorf("err = %v", err)
			}
		}},
		{"oversized", ahatest.Oversized(2 << 20), func(t *testing.T, err error) {
			var bt *aha.BodyTooLargeError
			if !errors.As(err, &bt) {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 450, Seed: 5})
			srv := ahatest.NewServer(acct, ahatest.WithFaults(ahatest.NewFaults().On("GET /users", 2, tt.fault)))
			defer srv.Close()
			c := fakeClient(t, srv, aha.WithMaxBodyBytes(1<<20))
			users, err := c.Users.ListAll(context.Background(), nil)
			if err == nil && len(users) != 450 {
				t.Errorf("users = %d, want 450", len(users))
			}
			tt.check(t, err)
		})
	}
}
