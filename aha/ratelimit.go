package aha

import (
	"context"
	"fmt"
	"math"
	"net/http"
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
// paces requests evenly, and a sliding window over the times requests
// really started: at most max(burst, ⌊perSecond⌋) start in any one-second
// window, however late the goroutines waiting for the bucket wake up. The
// per-minute
// budget is a sliding window of start times, exact over any 60 seconds: a
// token bucket would either allow twice the budget in the first minute or
// throttle to perMinute/60 from the start.
type Limiter struct {
	sec       *rate.Limiter
	perMinute int
	window    time.Duration
	// secCap requests may start in any secWindow, counted on the times
	// requests really started: the token bucket paces reservations, and a
	// goroutine woken late (a busy machine) would otherwise start close
	// behind the next one and put one request too many in the server's
	// one-second window.
	secCap    int
	secWindow time.Duration

	mu      sync.Mutex
	sent    []time.Time // start times within the window, ascending
	pending int         // minute slots held by waiters of the second bucket
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
func (l *Limiter) Wait(ctx context.Context) error {
	if err := l.takeMinuteSlot(ctx); err != nil {
		return err
	}
	if err := l.sec.Wait(ctx); err != nil {
		l.mu.Lock()
		l.pending--
		l.mu.Unlock()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		// rate.Limiter refuses a wait that would pass ctx's deadline.
		return fmt.Errorf("aha: rate limiter: %w", err)
	}
	return l.startInSecond(ctx)
}

// startInSecond records the start once fewer than secCap requests started
// in the last secWindow, releasing the minute slot held as pending.
func (l *Limiter) startInSecond(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		if n := len(l.sent); n < l.secCap || now.Sub(l.sent[n-l.secCap]) >= l.secWindow {
			l.pending--
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return nil
		}
		wait := l.sent[len(l.sent)-l.secCap].Add(l.secWindow).Sub(now)
		l.mu.Unlock()
		if err := sleepCtx(ctx, wait); err != nil {
			l.mu.Lock()
			l.pending--
			l.mu.Unlock()
			return err
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
		cut := 0
		// Keep what either window still counts (the second window is the
		// shorter one except in odd configurations).
		keep := max(l.window, l.secWindow)
		for cut < len(l.sent) && now.Sub(l.sent[cut]) >= keep {
			cut++
		}
		if cut > 0 {
			l.sent = append(l.sent[:0], l.sent[cut:]...)
		}
		if len(l.sent)+l.pending < l.perMinute {
			l.pending++
			l.mu.Unlock()
			return nil
		}
		wait := 20 * time.Millisecond // all slots pending: they finish soon
		if len(l.sent) > 0 {
			wait = l.sent[0].Add(l.window).Sub(now)
		}
		l.mu.Unlock()
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
	}
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
	if err := t.limiter.Wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
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
