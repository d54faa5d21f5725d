package ahatest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Server, as Aha! documents them.
const (
	DefaultPerPage   = 30
	DefaultMaxPage   = 200
	DefaultPerSecond = 20
	DefaultPerMinute = 300
)

// Option configures a Server.
type Option func(*Server)

// WithToken requires the bearer token token, which acts as the account's
// SelfID. Without WithToken and without WithOAuthApp, any non-empty bearer
// token is accepted as SelfID; a missing one is always a 401.
func WithToken(token string) Option {
	return func(s *Server) { s.tokens[token] = tokenInfo{userID: ""}; s.open = false }
}

// WithRateLimit sets the account-wide limits per second and per minute
// (default 20 and 300). Zero or negative disables that window.
func WithRateLimit(perSecond, perMinute int) Option {
	return func(s *Server) { s.perSec, s.perMin = perSecond, perMinute }
}

// WithTimeScale divides the rate-limit windows by scale (a 1 s window becomes
// 1/scale s), so benchmarks can run at scale times Aha!'s rate with the same
// burst shape. Retry-After is still whole seconds (at least 1).
func WithTimeScale(scale float64) Option { return func(s *Server) { s.scale = scale } }

// WithRateHeaders selects the rate-limit headers sent (default
// SendRetryAfter|SendRateLimit).
func WithRateHeaders(h RateHeaders) Option { return func(s *Server) { s.rateHeaders = h } }

// WithLatency delays every response by d, to simulate the round trip.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithMaxPerPage sets the largest per_page honoured (default 200); larger
// values are clamped.
func WithMaxPerPage(n int) Option { return func(s *Server) { s.maxPerPage = n } }

// WithClock sets the server's clock (default time.Now), used for rate
// limiting, token expiry, audit retention and updated_at.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithFaults installs a fault script.
func WithFaults(f *Faults) Option { return func(s *Server) { s.faults = f } }

// WithEncoding sets the wire encoding of ids and never-set timestamps.
func WithEncoding(e Encoding) Option { return func(s *Server) { s.enc = e } }

// WithListDisabled sets whether GET /users lists disabled users (default
// true). Aha! does not document it; clients must handle both.
func WithListDisabled(list bool) Option { return func(s *Server) { s.listDisabled = list } }

// AuditOrder is how GET /audits orders and pages its records. Aha!
// documents neither the order nor how every server treats after_id, so a
// client has to walk any of them completely.
type AuditOrder int

const (
	// AuditsByID lists audits in increasing id order and honours after_id
	// (the default).
	AuditsByID AuditOrder = iota
	// AuditsNewestFirst lists audits newest first unless after_id is given,
	// then in increasing id order after it.
	AuditsNewestFirst
	// AuditsIgnoreAfterID lists audits in increasing id order and ignores
	// after_id: only page numbers page.
	AuditsIgnoreAfterID
	// AuditsNewestFirstIgnoreAfterID lists audits newest first and ignores
	// after_id.
	AuditsNewestFirstIgnoreAfterID
)

// WithAuditOrder sets how GET /audits orders its records and whether it
// honours after_id (default AuditsByID).
func WithAuditOrder(o AuditOrder) Option { return func(s *Server) { s.auditOrder = o } }

// WithHistoricalTokens sets the historical audit token budget (default
// 1000); each search costs HistoricalSearchCost.
func WithHistoricalTokens(n int) Option { return func(s *Server) { s.histTokens = n } }

// HistoricalSearchCost is the token cost of one historical audit search.
const HistoricalSearchCost = 10

type tokenInfo struct {
	userID  string    // "" means the account's SelfID
	expires time.Time // zero: never
	oauth   bool
}

// Stats counts what the server saw since it started or since ResetStats.
type Stats struct {
	Requests      int64            // all requests
	ByRoute       map[string]int64 // per route, e.g. "GET /users"; unknown paths under "unmatched"
	ByStatus      map[int]int64    // per status code sent (connection resets count as 0)
	RateLimited   int64            // 429s sent by the limiter (not injected ones)
	Faults        int64            // requests that got an injected fault
	MaxConcurrent int64            // most requests in flight at once
}

// Server is a fake Aha! account served over HTTP on loopback.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:PORT; the API is under
	// URL+"/api/v1" and OAuth under URL+"/oauth".
	URL string

	ts   *httptest.Server
	acct *Account

	// configuration
	clock        func() time.Time
	perSec       int
	perMin       int
	scale        float64
	rateHeaders  RateHeaders
	latency      time.Duration
	maxPerPage   int
	faults       *Faults
	enc          Encoding
	listDisabled bool
	auditOrder   AuditOrder
	lim          *limiter
	oauth        *oauthState

	mu         sync.Mutex
	open       bool // any bearer token is accepted
	tokens     map[string]tokenInfo
	histTokens int
	searches   map[string]*histSearch
	nextSearch uint64

	statsMu  sync.Mutex
	stats    Stats
	inFlight atomic.Int64
}

// NewServer starts a server for acct on a loopback port. Close it when done.
func NewServer(acct *Account, opts ...Option) *Server {
	s := &Server{
		acct:         acct,
		clock:        time.Now,
		perSec:       DefaultPerSecond,
		perMin:       DefaultPerMinute,
		scale:        1,
		rateHeaders:  SendRetryAfter | SendRateLimit,
		maxPerPage:   DefaultMaxPage,
		listDisabled: true,
		open:         true,
		tokens:       make(map[string]tokenInfo),
		histTokens:   1000,
		searches:     make(map[string]*histSearch),
		nextSearch:   6776881151000000000,
	}
	for _, o := range opts {
		o(s)
	}
	if s.oauth != nil {
		s.open = false
	}
	s.lim = newLimiter(s.perSec, s.perMin, s.scale)
	s.stats = Stats{ByRoute: map[string]int64{}, ByStatus: map[int]int64{}}
	acct.mu.Lock()
	acct.reindexLocked()
	acct.mu.Unlock()
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// APIURL returns the base of the REST API: URL + "/api/v1".
func (s *Server) APIURL() string { return s.URL + "/api/v1" }

// Client returns an HTTP client configured for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Account returns the account being served.
func (s *Server) Account() *Account { return s.acct }

// Close shuts the server down and waits for its requests to end.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// AddToken makes token valid for the user userID ("" means SelfID). Use it
// for a second credential, or one of a non-administrator user.
func (s *Server) AddToken(token, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = tokenInfo{userID: userID}
	s.open = false
}

// RevokeAccessTokens revokes every bearer token: API keys from WithToken and
// AddToken and OAuth access tokens. Later requests get 401 until a new token
// is added or issued.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.open = false
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	c := s.stats
	c.ByRoute = maps.Clone(s.stats.ByRoute)
	c.ByStatus = maps.Clone(s.stats.ByStatus)
	return c
}

// ResetStats zeroes the counters and forgets the rate limiter's history.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	s.stats = Stats{ByRoute: map[string]int64{}, ByStatus: map[int]int64{}}
	s.statsMu.Unlock()
	s.lim.reset()
}

func (s *Server) now() time.Time { return s.clock().UTC() }

// response is what a handler produces; the pipeline writes it, applying faults.
type response struct {
	status int
	body   []byte
	ctype  string
	header http.Header
}

// reqCtx is what a handler gets.
type reqCtx struct {
	r      *http.Request
	params map[string]string
	enc    Encoding
	userID string // the token's user
	now    time.Time
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "encoding failed")
	}
	return response{status: status, body: b, ctype: "application/json; charset=utf-8"}
}

func errorResponse(status int, msg string) response {
	return jsonResponse(status, map[string]string{"error": msg})
}

func notFound() response { return errorResponse(http.StatusNotFound, "Not found") }

// ServeHTTP implements http.Handler: stats → latency → faults → rate limit →
// authentication → handler → fault-shaped write.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	rt, params := matchRoute(r.Method, r.URL.Path)
	name := "unmatched"
	if rt != nil {
		name = rt.name
	}
	s.statsMu.Lock()
	s.stats.Requests++
	s.stats.ByRoute[name]++
	s.stats.MaxConcurrent = max(s.stats.MaxConcurrent, cur)
	s.statsMu.Unlock()

	if !sleepCtx(r.Context(), s.latency) {
		return
	}
	f := s.faults.match(name, r)
	if f != nil {
		s.count(func(st *Stats) { st.Faults++ })
		if f.Before != nil {
			f.Before(s.acct)
		}
		if f.Delay > 0 && r.Body != nil && r.Body != http.NoBody {
			// Read the body first: net/http notices a client that went
			// away (and cancels r.Context) only once the body is consumed.
			data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
		if !sleepCtx(r.Context(), f.Delay) {
			return
		}
	}
	resp := s.serve(r, rt, params, f, name)
	s.write(w, resp, f)
}

func (s *Server) count(fn func(*Stats)) {
	s.statsMu.Lock()
	fn(&s.stats)
	s.statsMu.Unlock()
}

func (s *Server) serve(r *http.Request, rt *route, params map[string]string, f *Fault, name string) response {
	now := s.now()
	if f != nil && f.replaces() {
		return s.injected(f, now)
	}
	if rt == nil {
		return notFound()
	}
	rc := &reqCtx{r: r, params: params, enc: s.enc, now: now}
	if f != nil {
		if f.Encoding != nil {
			rc.enc = *f.Encoding
		}
		if f.Repeat {
			q := r.URL.Query()
			q.Del("page")
			q.Del("after_id")
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = q.Encode()
			rc.r = r2
		}
	}
	if rt.oauth {
		return s.serveOAuth(rc, name, f)
	}
	v := s.lim.allow(now)
	if !v.ok {
		s.count(func(st *Stats) { st.RateLimited++ })
		resp := errorResponse(http.StatusTooManyRequests, "Rate limit exceeded")
		resp.header = http.Header{}
		if s.rateHeaders&SendRetryAfter != 0 {
			secs := int64((v.wait + time.Second - 1) / time.Second)
			resp.header.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		}
		if s.rateHeaders&SendRateLimit != 0 {
			setRateHeaders(resp.header, v.limit, 0, v.reset)
		}
		return resp
	}
	uid, resp, ok := s.authenticate(r, now)
	if !ok {
		return resp
	}
	rc.userID = uid
	if rt.admin {
		if u := s.acct.User(uid); u == nil || !u.Administrator || !u.Enabled {
			return errorResponse(http.StatusForbidden, "You must be an account administrator")
		}
	}
	resp = rt.h(s, rc)
	if s.rateHeaders&SendRateLimitOnSuccess != 0 {
		if resp.header == nil {
			resp.header = http.Header{}
		}
		setRateHeaders(resp.header, v.limit, v.remaining, v.reset)
	}
	return resp
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Time) {
	h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset.Add(time.Second-1).Unix(), 10))
}

// authenticate returns the token's user (SelfID resolved).
func (s *Server) authenticate(r *http.Request, now time.Time) (string, response, bool) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "bearer ")
	}
	token = strings.TrimSpace(token)
	s.mu.Lock()
	ti, known := s.tokens[token]
	open := s.open
	s.mu.Unlock()
	switch {
	case !ok || token == "":
	case known && (ti.expires.IsZero() || now.Before(ti.expires)):
		if ti.userID == "" {
			return s.acct.selfID(), response{}, true
		}
		return ti.userID, response{}, true
	case !known && open:
		return s.acct.selfID(), response{}, true
	}
	resp := errorResponse(http.StatusUnauthorized, "Unauthorized")
	resp.header = http.Header{"Www-Authenticate": {`Bearer realm="Aha!"`}}
	return "", resp, false
}

func (a *Account) selfID() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.SelfID
}

// injected builds the response of a replacing fault.
func (s *Server) injected(f *Fault, now time.Time) response {
	status := f.Status
	if f.Revoke {
		s.RevokeAccessTokens()
		if status == 0 {
			status = http.StatusUnauthorized
		}
	}
	var resp response
	switch {
	case f.HTML:
		body := f.Body
		if body == "" {
			body = "<!DOCTYPE html>\n<html><head><title>" + http.StatusText(status) + "</title></head><body><h1>" +
				strconv.Itoa(status) + " " + http.StatusText(status) + "</h1></body></html>\n"
		}
		resp = response{status: status, body: []byte(body), ctype: "text/html; charset=utf-8"}
	case f.Body != "":
		resp = response{status: status, body: []byte(f.Body), ctype: "application/json; charset=utf-8"}
	default:
		resp = errorResponse(status, http.StatusText(status))
	}
	resp.header = http.Header{}
	maps.Copy(resp.header, f.Header)
	if status == http.StatusTooManyRequests {
		if f.RetryAfter > 0 {
			resp.header.Set("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
		}
		if !f.RetryAt.IsZero() {
			resp.header.Set("Retry-After", f.RetryAt.UTC().Format(http.TimeFormat))
		}
		if f.RateReset > 0 {
			setRateHeaders(resp.header, s.perMin, 0, now.Add(f.RateReset))
		}
	}
	return resp
}

// write sends resp, shaped by f.
func (s *Server) write(w http.ResponseWriter, resp response, f *Fault) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.ctype != "" {
		h.Set("Content-Type", resp.ctype)
	}
	h.Set("Date", s.now().Format(http.TimeFormat))
	body := resp.body
	var pad int64
	if f != nil {
		pad = f.Pad
		if f.Truncate {
			body = body[:len(body)/2]
		}
	}
	status := resp.status
	if f != nil && f.Reset {
		status = 0
	}
	s.count(func(st *Stats) { st.ByStatus[status]++ })
	if resp.status == http.StatusNoContent || resp.status == http.StatusFound {
		w.WriteHeader(resp.status)
		if len(body) > 0 && resp.status != http.StatusNoContent {
			w.Write(body)
		}
		return
	}
	h.Set("Content-Length", strconv.FormatInt(pad+int64(len(body)), 10))
	w.WriteHeader(resp.status)
	if pad > 0 {
		spaces := []byte(strings.Repeat(" ", 32<<10))
		for left := pad; left > 0; {
			n := min(left, int64(len(spaces)))
			if _, err := w.Write(spaces[:n]); err != nil {
				return
			}
			left -= n
		}
	}
	if f != nil && f.Reset {
		w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST rather than FIN
				}
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // no hijacker: abort the response the standard way
	}
	w.Write(body)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// route is one endpoint.
type route struct {
	method string
	segs   []string // "{x}" segments are parameters
	name   string   // "GET /users/{id}"
	h      func(*Server, *reqCtx) response
	admin  bool // the token's user must be an enabled administrator
	oauth  bool
}

var routes []*route

func init() {
	add := func(method, path string, admin bool, h func(*Server, *reqCtx) response) {
		full := "/api/v1" + path
		oauth := strings.HasPrefix(path, "/oauth/")
		if oauth {
			full = path
		}
		routes = append(routes, &route{method: method, segs: strings.Split(strings.Trim(full, "/"), "/"),
			name: method + " " + path, h: h, admin: admin, oauth: oauth})
	}
	add("GET", "/users", false, (*Server).listUsers)
	add("GET", "/users/{id}", false, (*Server).getUser)
	add("PUT", "/users/{id}", true, (*Server).putUser)
	add("GET", "/users/{id}/product_roles", false, (*Server).listProductRoles)
	add("POST", "/users/{id}/product_roles", true, (*Server).postProductRole)
	add("DELETE", "/users/{id}/product_roles/{product_id}", true, (*Server).deleteProductRole)
	add("GET", "/products/{product_id}/users", false, (*Server).listProjectUsers)
	add("GET", "/me", false, (*Server).me)
	add("GET", "/audits", false, (*Server).listAudits)
	add("GET", "/historical_audits", true, (*Server).historicalIndex)
	add("POST", "/historical_audits", true, (*Server).startHistoricalSearch)
	add("GET", "/historical_audits/{id}", true, (*Server).historicalResults)
	add("GET", "/paid_seat_groups", false, (*Server).listPaidSeatGroups)
	add("POST", "/paid_seat_groups/{id}/modify_user", true, (*Server).modifyPaidSeatGroup)
	add("GET", "/oauth/authorize", false, nil)
	add("POST", "/oauth/token", false, nil)
}

// Routes returns the names of every route the server serves, as Stats and
// Faults name them.
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.name
	}
	return out
}

func matchRoute(method, path string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range routes {
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		var params map[string]string
		ok := true
		for i, p := range rt.segs {
			if strings.HasPrefix(p, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				if params == nil {
					params = map[string]string{}
				}
				params[strings.Trim(p, "{}")] = v
			} else if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}
