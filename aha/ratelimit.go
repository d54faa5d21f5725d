package aha

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Default client-side budget, below Aha!'s 20 requests a second and 300 a
// minute per account.
const (
	DefaultPerSecond = 18
	DefaultPerMinute = 280
	DefaultBurst     = 1
)

// Limiter enforces a per-second and a per-minute request budget. Share one
// Limiter (WithRateLimiter) between every client of the same Aha! account,
// since Aha! counts requests per account. It is safe for concurrent use.
//
// The per-second budget is a token bucket (golang.org/x/time/rate), which
// paces requests evenly, and a sliding window: at most max(burst,
// ⌊perSecond⌋) requests in any one-second window. The per-minute budget is
// a sliding window too, exact over any 60 seconds: a token bucket would
// either allow twice the budget in the first minute or throttle to
// perMinute/60 from the start.
//
// The server counts a request when it arrives, which is some time after
// the client sent it and before the answer comes back, by an amount that
// varies with the network and the load of both machines. So a request sent
// through a client holds its place in both windows from when it starts
// until one window after its response arrived: however late it reached
// the server, no request started later can fall into the same server
// window. Requests let through by Wait alone count from their start.
type Limiter struct {
	sec       *rate.Limiter
	perMinute int
	window    time.Duration
	secCap    int
	secWindow time.Duration

	mu      sync.Mutex
	uses    []*use        // requests in flight or ended within the longer window
	pending int           // minute slots held by waiters of the second window
	ended   chan struct{} // closed (and replaced) when a request in flight ends
}

// use is one request's hold on the budgets.
type use struct {
	start time.Time
	end   time.Time // zero while the request is in flight
}

// holds reports whether u still counts in a window of length w at now.
func (u *use) holds(now time.Time, w time.Duration) bool {
	return u.end.IsZero() || now.Sub(u.end) < w
}

// NewLimiter returns a Limiter allowing perSecond requests a second (with
// the given burst) and perMinute requests in any 60 seconds. perSecond and
// perMinute must be positive and finite, burst at least 1, and
// perMinute at least burst.
func NewLimiter(perSecond float64, perMinute int, burst int) (*Limiter, error) {
	switch {
	case math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0:
		return nil, fmt.Errorf("aha: limiter perSecond must be positive, got %v", perSecond)
	case perMinute <= 0:
		return nil, fmt.Errorf("aha: limiter perMinute must be positive, got %d", perMinute)
	case burst < 1:
		return nil, fmt.Errorf("aha: limiter burst must be at least 1, got %d", burst)
	case burst > perMinute:
		return nil, fmt.Errorf("aha: limiter burst %d exceeds perMinute %d", burst, perMinute)
	}
	return &Limiter{
		sec:       rate.NewLimiter(rate.Limit(perSecond), burst),
		perMinute: perMinute,
		window:    time.Minute,
		secCap:    max(burst, int(perSecond)),
		secWindow: time.Second,
		ended:     make(chan struct{}),
	}, nil
}

// NewDefaultLimiter returns a Limiter with DefaultPerSecond, DefaultPerMinute
// and DefaultBurst.
func NewDefaultLimiter() *Limiter {
	l, _ := NewLimiter(DefaultPerSecond, DefaultPerMinute, DefaultBurst)
	return l
}

// Wait blocks until a request may start under both budgets, or ctx ends
// (then it returns ctx's error and consumes nothing of the minute budget).
// The request is counted from now.
func (l *Limiter) Wait(ctx context.Context) error {
	done, err := l.acquire(ctx)
	if err != nil {
		return err
	}
	done()
	return nil
}

// acquire blocks like Wait and returns done, to be called once the
// request's response (or failure) is in: the request counts in both
// windows until one window after that.
func (l *Limiter) acquire(ctx context.Context) (done func(), err error) {
	if err := l.takeMinuteSlot(ctx); err != nil {
		return nil, err
	}
	if err := l.sec.Wait(ctx); err != nil {
		l.mu.Lock()
		l.pending--
		l.mu.Unlock()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		// rate.Limiter refuses a wait that would pass ctx's deadline.
		return nil, fmt.Errorf("aha: rate limiter: %w", err)
	}
	u, err := l.startInSecond(ctx)
	if err != nil {
		return nil, err
	}
	return func() { l.finish(u) }, nil
}

// finish marks u's request ended now and wakes the waiters.
func (l *Limiter) finish(u *use) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !u.end.IsZero() {
		return
	}
	u.end = time.Now()
	close(l.ended)
	l.ended = make(chan struct{})
}

// count returns how many uses hold a place in a window of length w at now,
// and when the next of those that ended stops holding one (zero if none).
// l.mu is held.
func (l *Limiter) count(now time.Time, w time.Duration) (n int, next time.Time) {
	for _, u := range l.uses {
		if !u.holds(now, w) {
			continue
		}
		n++
		if free := u.end.Add(w); !u.end.IsZero() && (next.IsZero() || free.Before(next)) {
			next = free
		}
	}
	return n, next
}

// startInSecond records the start once fewer than secCap requests hold a
// place in the second window, releasing the minute slot held as pending.
func (l *Limiter) startInSecond(ctx context.Context) (*use, error) {
	for {
		l.mu.Lock()
		now := time.Now()
		n, next := l.count(now, l.secWindow)
		if n < l.secCap {
			l.pending--
			u := &use{start: now}
			l.uses = append(l.uses, u)
			l.mu.Unlock()
			return u, nil
		}
		ended := l.ended
		l.mu.Unlock()
		if err := l.sleep(ctx, next, now, ended); err != nil {
			l.mu.Lock()
			l.pending--
			l.mu.Unlock()
			return nil, err
		}
	}
}

func (l *Limiter) takeMinuteSlot(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		now := time.Now()
		// Forget what neither window counts any more.
		keep := max(l.window, l.secWindow)
		l.uses = slices.DeleteFunc(l.uses, func(u *use) bool { return !u.holds(now, keep) })
		n, next := l.count(now, l.window)
		if n+l.pending < l.perMinute {
			l.pending++
			l.mu.Unlock()
			return nil
		}
		ended := l.ended
		l.mu.Unlock()
		if next.IsZero() && n == 0 {
			// Every slot is pending: those requests start soon.
			next = now.Add(20 * time.Millisecond)
		}
		if err := l.sleep(ctx, next, now, ended); err != nil {
			return err
		}
	}
}

// sleep waits until next (if set), until a request in flight ends, or
// until ctx ends.
func (l *Limiter) sleep(ctx context.Context, next, now time.Time, ended <-chan struct{}) error {
	var timer <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(next.Sub(now))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer:
	case <-ended:
	}
	return nil
}

// sleepCtx waits d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type limitTransport struct {
	limiter *Limiter
	next    http.RoundTripper
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	done, err := t.limiter.acquire(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	// The server has counted the request by the time its response (or a
	// failure) is back: the request holds its place until a window after.
	defer done()
	return t.next.RoundTrip(req)
}

// parseRate reads X-Ratelimit-Limit, -Remaining and -Reset.
func parseRate(h http.Header) Rate {
	var r Rate
	r.Limit, _ = strconv.Atoi(strings.TrimSpace(h.Get("X-Ratelimit-Limit")))
	r.Remaining, _ = strconv.Atoi(strings.TrimSpace(h.Get("X-Ratelimit-Remaining")))
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Ratelimit-Reset")), 10, 64); err == nil && v > 1e9 {
		r.Reset = time.Unix(v, 0).UTC()
	}
	return r
}

// serverDelay returns how long the response asks the client to wait:
// Retry-After in seconds, or as an HTTP date taken relative to the
// response's Date header (the server's clock) when present, else to now;
// failing that X-Ratelimit-Reset, as epoch seconds (or, when small, as
// seconds from now). ok is false when no header gives a delay.
func serverDelay(resp *http.Response, now time.Time) (time.Duration, bool) {
	base := now
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		base = d
	}
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if secs, err := strconv.ParseInt(ra, 10, 64); err == nil {
			return clampDelay(time.Duration(secs) * time.Second), true
		}
		if at, err := http.ParseTime(ra); err == nil {
			return clampDelay(at.Sub(base)), true
		}
	}
	if rs := strings.TrimSpace(resp.Header.Get("X-Ratelimit-Reset")); rs != "" {
		if v, err := strconv.ParseInt(rs, 10, 64); err == nil {
			if v > 1e9 {
				return clampDelay(time.Unix(v, 0).Sub(base)), true
			}
			return clampDelay(time.Duration(v) * time.Second), true
		}
	}
	return 0, false
}

func clampDelay(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	// Anything beyond a day is nonsense from a misparsed header.
	if d > 24*time.Hour {
		return 24 * time.Hour
	}
	return d
}
