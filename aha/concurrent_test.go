package aha_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/sam"
)

// Aha!'s limits, which the fake enforces and the client is told.
const (
	ahaPerSecond = 20
	ahaPerMinute = 300
)

var benchNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchClock is a clock that starts at benchNow and runs in real time: the
// fake's rate windows need time to pass, its audit retention a fixed date.
func benchClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return benchNow.Add(time.Since(start)) }
}

// scaledSpoke returns a spoke for srv whose limiter matches Aha!'s limits
// on a clock scale times faster (the server's WithTimeScale).
func scaledSpoke(t testing.TB, srv *ahatest.Server, tok string, lim *aha.Limiter) *aha.Spoke {
	t.Helper()
	c, err := aha.NewClient(aha.WithBaseURL(srv.APIURL()), aha.WithToken(tok), aha.WithRateLimiter(lim))
	if err != nil {
		t.Fatal(err)
	}
	return aha.NewSpoke(c)
}

func scaledLimiter(t testing.TB, perSecond, perMinute int, scale float64) *aha.Limiter {
	t.Helper()
	lim, err := aha.NewScaledLimiter(float64(perSecond), perMinute, 1, scale)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

// yearWindow asks for the year before benchNow; PullActivity covers it
// from 2025-02-01 (Aha!'s retention, claimed conservatively).
func yearWindow() sam.Window {
	return sam.Window{Since: benchNow.AddDate(0, -12, 0), Until: benchNow}
}

// requestBound is issue 8's budget for a whole download.
func requestBound(users, audits int) int64 {
	return int64((users+199)/200 + (audits+199)/200 + 5)
}

// TestDownloadRequestBudgetAndPoliteness is the mid-size account of issue
// 8: a whole download stays within ceil(U/200)+ceil(A/200)+5 requests and
// gets no 429, with the client's limiter matching the server's limits (on a
// clock 20 times faster, so the test takes a fraction of a second).
func TestDownloadRequestBudgetAndPoliteness(t *testing.T) {
	const users, audits, scale = 3000, 5000, 20
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: users, Audits: audits, Seed: 8, Now: benchNow})
	tok := randomToken(t)
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(ahaPerSecond, ahaPerMinute),
		ahatest.WithTimeScale(scale), ahatest.WithLatency(2*time.Millisecond), ahatest.WithClock(benchClock()))
	t.Cleanup(srv.Close)
	sp := scaledSpoke(t, srv, tok, scaledLimiter(t, ahaPerSecond, ahaPerMinute, scale))

	d, pull, err := sp.Download(context.Background(), yearWindow())
	if err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	if bound := requestBound(users, audits); st.Requests > bound {
		t.Errorf("requests = %d (%v), want at most %d", st.Requests, st.ByRoute, bound)
	}
	if st.RateLimited != 0 {
		t.Errorf("server sent %d 429s, want none", st.RateLimited)
	}
	if len(d.Users) != users {
		t.Errorf("downloaded %d users, want %d", len(d.Users), users)
	}
	want, n := latestByUser(acct, pull.Covered)
	if pull.Records != n || n < audits*3/4 {
		t.Errorf("audit records = %d, want %d (each exactly once)", pull.Records, n)
	}
	if got := pull.Latest; !cmp.Equal(got, want) {
		t.Errorf("latest activity differs from the account's audits:\n%s", cmp.Diff(want, got))
	}
}

// latestByUser is the expected PullActivity result for window w, and the
// number of audits in it.
func latestByUser(acct *ahatest.Account, w sam.Window) (map[string]time.Time, int) {
	want, n := map[string]time.Time{}, 0
	for _, a := range acct.Audits {
		if a.CreatedAt.Before(w.Since) || !a.CreatedAt.Before(w.Until) {
			continue
		}
		n++
		if a.CreatedAt.After(want[a.UserID]) {
			want[a.UserID] = a.CreatedAt.UTC()
		}
	}
	return want, n
}

// TestSharedLimiterTwoClients runs two clients of one account at once, one
// limiter between them, with a minute budget small enough to bind: the
// server sees no 429.
func TestSharedLimiterTwoClients(t *testing.T) {
	const users, audits, scale = 2000, 2000, 40
	const perMinute = 30 // 40 requests per client: the minute window binds
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: users, Audits: audits, Seed: 9, Now: benchNow})
	tok := randomToken(t)
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(ahaPerSecond, perMinute),
		ahatest.WithTimeScale(scale), ahatest.WithLatency(time.Millisecond), ahatest.WithClock(benchClock()))
	t.Cleanup(srv.Close)
	lim := scaledLimiter(t, ahaPerSecond, perMinute, scale)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		sp := scaledSpoke(t, srv, tok, lim)
		wg.Go(func() { _, _, errs[i] = sp.Download(context.Background(), yearWindow()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	st := srv.Stats()
	if st.RateLimited != 0 {
		t.Errorf("server sent %d 429s to two clients sharing one limiter, want none", st.RateLimited)
	}
	if bound := 2 * requestBound(users, audits); st.Requests > bound {
		t.Errorf("requests = %d, want at most %d", st.Requests, bound)
	}
}

// TestPullActivityWalksMatchOneWalk checks the split walk against a single
// cursor walk for several numbers of sub-windows, including more walks
// than pages.
func TestPullActivityWalksMatchOneWalk(t *testing.T) {
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 300, Audits: 1234, Seed: 3, Now: benchNow})
	tok := randomToken(t)
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(0, 0), ahatest.WithClock(benchClock()))
	t.Cleanup(srv.Close)
	want, n := latestByUser(acct, sam.Window{Since: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), Until: benchNow})
	for _, tc := range []struct {
		walks, perPage int
	}{{1, 200}, {2, 200}, {5, 200}, {5, 50}, {16, 100}, {5, 2000}} {
		srv.ResetStats()
		sp := scaledSpoke(t, srv, tok, scaledLimiter(t, 1000, 100000, 1))
		sp.AuditWalks, sp.PerPage = tc.walks, tc.perPage
		pull, err := sp.PullActivity(context.Background(), yearWindow())
		if err != nil {
			t.Fatalf("walks %d: %v", tc.walks, err)
		}
		if pull.Records != n {
			t.Errorf("walks %d per page %d: %d records, want %d", tc.walks, tc.perPage, pull.Records, n)
		}
		if diff := cmp.Diff(want, pull.Latest); diff != "" {
			t.Errorf("walks %d per page %d: latest differs (-want +got):\n%s", tc.walks, tc.perPage, diff)
		}
		per := min(max(tc.perPage, 1), aha.MaxPerPage)
		if got, bound := srv.Stats().Requests, int64((n+per-1)/per+tc.walks-1); got > bound {
			t.Errorf("walks %d per page %d: %d requests, want at most %d", tc.walks, tc.perPage, got, bound)
		}
	}
}

// TestPullActivityEmptyAndSmallWindows: an empty window costs one request,
// a one-page window one request, and a larger one at most
// ceil(A/200)+AuditWalks-1.
func TestPullActivityEmptyAndSmallWindows(t *testing.T) {
	for _, tc := range []struct {
		audits int
		want   int64
	}{{0, 1}, {150, 1}, {200, 1}, {201, 2}, {1000, 5 + aha.DefaultAuditWalks - 1}} {
		acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 50, Audits: 2*tc.audits + 10, Seed: 4, Now: benchNow})
		// Keep exactly tc.audits, all in the covered window.
		acct.Audits = slices.DeleteFunc(acct.Audits, func(a *ahatest.Audit) bool { return a.CreatedAt.Before(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) })
		acct.Audits = acct.Audits[len(acct.Audits)-tc.audits:]
		tok := randomToken(t)
		srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(0, 0), ahatest.WithClock(benchClock()))
		sp := scaledSpoke(t, srv, tok, scaledLimiter(t, 1000, 100000, 1))
		pull, err := sp.PullActivity(context.Background(), yearWindow())
		srv.Close()
		if err != nil {
			t.Fatalf("%d audits: %v", tc.audits, err)
		}
		if _, n := latestByUser(acct, pull.Covered); pull.Records != n {
			t.Errorf("%d audits: %d records, want %d", tc.audits, pull.Records, n)
		}
		if got := srv.Stats().Requests; got > tc.want || (tc.audits <= 200 && got != tc.want) {
			t.Errorf("%d audits: %d requests, want at most %d", tc.audits, got, tc.want)
		}
	}
}

func TestNewScaledLimiterRejects(t *testing.T) {
	for _, scale := range []float64{0, -1} {
		if _, err := aha.NewScaledLimiter(20, 300, 1, scale); err == nil {
			t.Errorf("scale %v accepted", scale)
		}
	}
	if _, err := aha.NewScaledLimiter(0, 300, 1, 2); err == nil {
		t.Error("perSecond 0 accepted")
	}
}

// TestPullActivityAnyAuditOrder: whether the server lists audits newest
// first and whether it honours after_id (neither is documented), the pull
// finds every user's latest activity and reads each record once.
func TestPullActivityAnyAuditOrder(t *testing.T) {
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 300, Audits: 1234, Seed: 5, Now: benchNow})
	want, n := latestByUser(acct, sam.Window{Since: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), Until: benchNow})
	for _, order := range []ahatest.AuditOrder{ahatest.AuditsByID, ahatest.AuditsNewestFirst, ahatest.AuditsIgnoreAfterID, ahatest.AuditsNewestFirstIgnoreAfterID} {
		for _, walks := range []int{1, 5} {
			t.Run(fmt.Sprintf("order=%d/walks=%d", order, walks), func(t *testing.T) {
				tok := randomToken(t)
				srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(0, 0), ahatest.WithClock(benchClock()), ahatest.WithAuditOrder(order))
				t.Cleanup(srv.Close)
				sp := scaledSpoke(t, srv, tok, scaledLimiter(t, 1000, 100000, 1))
				sp.AuditWalks = walks
				pull, err := sp.PullActivity(context.Background(), yearWindow())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, pull.Latest); diff != "" {
					t.Errorf("latest differs (-want +got):\n%s", diff)
				}
				if pull.Records != n {
					t.Errorf("%d records read, want %d", pull.Records, n)
				}
			})
		}
	}
}
