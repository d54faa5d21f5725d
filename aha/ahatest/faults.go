package ahatest

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// AnyRoute matches every route in a Faults rule.
const AnyRoute = "*"

// Fault describes what the server does wrong for one request. Fields combine:
// for example Delay with Status delays, then sends the status. The zero Fault
// changes nothing. The constructors (ErrorStatus, RateLimited, ResetConnection,
// ...) build the common cases.
type Fault struct {
	// Status, when non-zero, replaces the response with this status code and
	// Body (default: {"error":"<status text>"}), without touching the account.
	Status int
	// Body is the body sent with Status.
	Body string
	// HTML sends Body (default: a small HTML page) as text/html. With Revoke
	// it makes the 401 an HTML page.
	HTML bool
	// Header holds extra headers for the replaced response.
	Header http.Header

	// RetryAfter, with Status 429, sends Retry-After in whole seconds.
	RetryAfter time.Duration
	// RetryAt, with Status 429, sends Retry-After as an HTTP date.
	RetryAt time.Time
	// RateReset, with Status 429, sends X-Ratelimit-Limit, -Remaining (0) and
	// -Reset (Unix seconds of now+RateReset).
	RateReset time.Duration

	// Delay sleeps before answering (ending early if the client goes away).
	Delay time.Duration
	// Before runs against the account before the request is served: use it to
	// add, remove or move users between two page requests.
	Before func(a *Account)
	// Encoding overrides the server's wire encoding for this response.
	Encoding *Encoding
	// Repeat ignores page and after_id, so the first page comes back forever.
	Repeat bool
	// Truncate sends only the first half of the body (with a matching
	// Content-Length): well-formed HTTP carrying broken JSON.
	Truncate bool
	// Reset announces the full Content-Length, sends half the body, then
	// resets the connection.
	Reset bool
	// Pad prefixes the JSON body with this many bytes of whitespace: valid
	// JSON, oversized body.
	Pad int64
	// Revoke revokes every access token (API keys and OAuth tokens) and
	// answers 401: the token was revoked in the middle of a run.
	Revoke bool
	// OAuthError makes GET /oauth/authorize redirect with error=OAuthError
	// (e.g. "access_denied") instead of a code.
	OAuthError string
}

// replaces reports whether f answers instead of the normal handler.
func (f *Fault) replaces() bool { return f.Status != 0 || f.Revoke }

// ErrorStatus returns a fault answering code with a JSON body {"error": ...}.
func ErrorStatus(code int) Fault { return Fault{Status: code} }

// HTMLStatus returns a fault answering code with an HTML page, as proxies
// and Aha!'s own 401 pages do.
func HTMLStatus(code int) Fault { return Fault{Status: code, HTML: true} }

// RateLimited returns a 429 fault with Retry-After in whole seconds.
func RateLimited(after time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: after}
}

// RateLimitedUntil returns a 429 fault with Retry-After as an HTTP date.
func RateLimitedUntil(t time.Time) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAt: t}
}

// RateLimitedHeaders returns a 429 fault with only the X-Ratelimit-* headers,
// the reset reset from now.
func RateLimitedHeaders(reset time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RateReset: reset}
}

// ResetConnection returns a fault that resets the connection mid-body.
func ResetConnection() Fault { return Fault{Reset: true} }

// TruncatedBody returns a fault that cuts the JSON body in half.
func TruncatedBody() Fault { return Fault{Truncate: true} }

// Slow returns a fault that delays the response by d.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Oversized returns a fault that pads the body with n bytes of whitespace.
func Oversized(n int64) Fault { return Fault{Pad: n} }

// RepeatPage returns a fault that serves the first page whatever page or
// after_id was asked for.
func RepeatPage() Fault { return Fault{Repeat: true} }

// RevokeToken returns a fault that revokes every token and answers 401.
func RevokeToken() Fault { return Fault{Revoke: true} }

// BeforeServe returns a fault that runs fn on the account, then serves the
// request normally.
func BeforeServe(fn func(a *Account)) Fault { return Fault{Before: fn} }

// Encoded returns a fault that serves the response with encoding e.
func Encoded(e Encoding) Fault { return Fault{Encoding: &e} }

// AuthorizeError returns a fault for GET /oauth/authorize that redirects
// with error=code (e.g. "access_denied").
func AuthorizeError(code string) Fault { return Fault{OAuthError: code} }

// rule is one scripted fault.
type rule struct {
	route string
	pred  func(r *http.Request, n int) bool
	fault Fault
}

// Faults scripts faults per route and per request number. Routes are named
// as Server.Stats names them: "GET /users", "PUT /users/{id}",
// "GET /oauth/authorize", or AnyRoute. A request's number n counts the
// requests to its route seen by the Faults, from 1 (for AnyRoute rules, all
// requests). The first matching rule wins; when none matches, the random
// rule (see Random) may inject one. A Faults is safe for concurrent use and
// rules may be added while a server uses it.
type Faults struct {
	mu       sync.Mutex
	rules    []rule
	counts   map[string]int
	total    int
	injected int

	rng       *rand.Rand
	rate      float64
	randoms   []Fault
	randRoute func(route string) bool
}

// NewFaults returns an empty fault script.
func NewFaults() *Faults { return &Faults{counts: make(map[string]int)} }

// On injects fault into the nth request (from 1) to route.
func (f *Faults) On(route string, nth int, fault Fault) *Faults {
	return f.When(route, func(_ *http.Request, n int) bool { return n == nth }, fault)
}

// Always injects fault into every request to route.
func (f *Faults) Always(route string, fault Fault) *Faults {
	return f.When(route, func(*http.Request, int) bool { return true }, fault)
}

// When injects fault into the requests to route for which pred returns true;
// n is the request's number on that route.
func (f *Faults) When(route string, pred func(r *http.Request, n int) bool, fault Fault) *Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{route: route, pred: pred, fault: fault})
	return f
}

// Random injects, into each API request (not /oauth) that no rule matched, one
// of faults chosen at random, with probability rate (0–1), from a generator
// seeded with seed. With no faults given it uses 503, 429 (Retry-After 1s)
// and a connection reset.
func (f *Faults) Random(seed uint64, rate float64, faults ...Fault) *Faults {
	if len(faults) == 0 {
		faults = []Fault{ErrorStatus(http.StatusServiceUnavailable), RateLimited(time.Second), ResetConnection()}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rng = rand.New(rand.NewPCG(seed, 0xfa17))
	f.rate = rate
	f.randoms = faults
	f.randRoute = func(route string) bool { return !strings.Contains(route, "/oauth/") }
	return f
}

// Clear removes every rule and the random rule, and resets the counters.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.rng, f.randoms = nil, nil, nil
	f.counts = make(map[string]int)
	f.total, f.injected = 0, 0
}

// Injected returns how many requests got a fault.
func (f *Faults) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// match counts r on route and returns the fault for it, or nil.
func (f *Faults) match(route string, r *http.Request) *Fault {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	f.counts[route]++
	f.total++
	n, total := f.counts[route], f.total
	rules := f.rules
	f.mu.Unlock()
	// Predicates run without the lock: they may be slow or call back.
	for i := range rules {
		ru := &rules[i]
		num := n
		switch ru.route {
		case AnyRoute:
			num = total
		case route:
		default:
			continue
		}
		if ru.pred(r, num) {
			f.mu.Lock()
			f.injected++
			f.mu.Unlock()
			fault := ru.fault
			return &fault
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng != nil && f.randRoute(route) && f.rng.Float64() < f.rate {
		f.injected++
		fault := f.randoms[f.rng.IntN(len(f.randoms))]
		return &fault
	}
	return nil
}
