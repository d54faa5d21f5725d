package ahatest

import (
	"math"
	"sync"
	"time"
)

// RateHeaders selects which rate-limit headers the server sends. Aha! does
// not document which it sends, so clients must cope with each.
type RateHeaders uint8

const (
	// SendRetryAfter sends Retry-After (whole seconds, at least 1) on 429.
	SendRetryAfter RateHeaders = 1 << iota
	// SendRateLimit sends X-Ratelimit-Limit, X-Ratelimit-Remaining and
	// X-Ratelimit-Reset (Unix seconds) on 429.
	SendRateLimit
	// SendRateLimitOnSuccess also sends the X-Ratelimit-* headers on every
	// response that passed the limiter.
	SendRateLimitOnSuccess
)

// limiter enforces two sliding windows (a second and a minute, divided by
// the time scale) over the requests it accepted.
type limiter struct {
	mu       sync.Mutex
	perSec   int
	perMin   int
	secWin   time.Duration
	minWin   time.Duration
	accepted []time.Time // accepted requests within the last minute window, ascending
}

func newLimiter(perSec, perMin int, scale float64) *limiter {
	if scale <= 0 {
		scale = 1
	}
	return &limiter{
		perSec: perSec,
		perMin: perMin,
		secWin: time.Duration(float64(time.Second) / scale),
		minWin: time.Duration(float64(time.Minute) / scale),
	}
}

// verdict is the limiter's answer for one request.
type verdict struct {
	ok        bool
	wait      time.Duration // until a request would be accepted (when !ok)
	limit     int           // the per-minute limit
	remaining int           // requests left in the tighter window
	reset     time.Time     // when the tighter window frees a slot
}

// allow records a request at now when both windows have room.
func (l *limiter) allow(now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The caller read the clock before taking the lock, so concurrent
	// requests can arrive here out of order; keep the record ascending.
	if n := len(l.accepted); n > 0 && now.Before(l.accepted[n-1]) {
		now = l.accepted[n-1]
	}
	// Drop requests that left the minute window.
	k := 0
	for k < len(l.accepted) && !l.accepted[k].After(now.Add(-l.minWin)) {
		k++
	}
	if k > 0 {
		l.accepted = append(l.accepted[:0], l.accepted[k:]...)
	}
	n := len(l.accepted)
	inSec := 0
	for i := n - 1; i >= 0 && l.accepted[i].After(now.Add(-l.secWin)); i-- {
		inSec++
	}
	v := verdict{limit: l.perMin}
	var secWait, minWait time.Duration
	if l.perSec > 0 && inSec >= l.perSec {
		secWait = l.accepted[n-inSec+(inSec-l.perSec)].Add(l.secWin).Sub(now)
	}
	if l.perMin > 0 && n >= l.perMin {
		minWait = l.accepted[n-l.perMin].Add(l.minWin).Sub(now)
	}
	if secWait > 0 || minWait > 0 {
		v.wait = max(secWait, minWait)
		v.reset = now.Add(v.wait)
		return v
	}
	l.accepted = append(l.accepted, now)
	v.ok = true
	v.remaining = l.perMin - n - 1
	if l.perMin <= 0 {
		v.remaining = math.MaxInt32
	}
	if l.perSec > 0 {
		v.remaining = min(v.remaining, l.perSec-inSec-1)
	}
	v.reset = now.Add(l.secWin)
	return v
}

// reset forgets all recorded requests.
func (l *limiter) reset() {
	l.mu.Lock()
	l.accepted = nil
	l.mu.Unlock()
}
