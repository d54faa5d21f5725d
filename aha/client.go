// Package aha is a typed client for the Aha! REST API v1, covering what
// seat management needs: users, workspace roles, workspace users, /me,
// audits, historical audits and paid seat groups.
//
// A Client is built with NewClient and validating options; services hang
// off it as fields (client.Users, client.Audits, …), in the style of
// go-github. Every call takes a context first and returns a *Response with
// the pagination and rate figures. Requests pass, outermost first, through
// a retry loop, a shareable rate Limiter, an auth layer that sends the
// bearer token to the configured host only, and a deadline per attempt
// (RetryPolicy.AttemptTimeout).
package aha

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/oauth2"
)

// DefaultMaxBodyBytes caps a response body unless WithMaxBodyBytes says
// otherwise.
const DefaultMaxBodyBytes int64 = 32 << 20

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "samspoke-aha-go/1"

// Client talks to one Aha! account. It is safe for concurrent use.
type Client struct {
	client    *http.Client
	baseURL   *url.URL
	userAgent string
	logger    *slog.Logger
	maxBody   int64

	common service

	// Users: users, their workspace roles, and /me.
	Users *UsersService
	// Audits: the last 12 months of record changes.
	Audits *AuditsService
	// HistoricalAudits: asynchronous searches of older audits.
	HistoricalAudits *HistoricalAuditsService
	// Products: workspaces (called products or projects by Aha!).
	Products *ProductsService
	// PaidSeatGroups: groups of paid seats and their members.
	PaidSeatGroups *PaidSeatGroupsService
}

type service struct{ client *Client }

// Option configures a Client; NewClient reports the first invalid one.
type Option func(*config) error

type config struct {
	baseURL    *url.URL
	baseSet    bool
	source     oauth2.TokenSource
	httpClient *http.Client
	transport  http.RoundTripper
	userAgent  string
	retry      RetryPolicy
	limiter    *Limiter
	logger     *slog.Logger
	maxBody    int64
	jitter     func() float64
}

var accountLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// WithAccount points the client at https://<account>.aha.io/api/v1/. It
// accepts a bare subdomain ("acme") or a full Aha! host, such as a regional
// one ("acme.euw4.aha.io").
func WithAccount(account string) Option {
	return func(c *config) error {
		a := strings.ToLower(strings.TrimSpace(account))
		host := a + ".aha.io"
		if strings.Contains(a, ".") {
			if !strings.HasSuffix(a, ".aha.io") {
				return fmt.Errorf("aha: account host %q is not an aha.io host; use WithBaseURL for others", account)
			}
			host = a
		}
		for _, label := range strings.Split(host, ".") {
			if !accountLabel.MatchString(label) {
				return fmt.Errorf("aha: invalid account %q: expected a subdomain like \"acme\" or a host like \"acme.aha.io\"", account)
			}
		}
		if c.baseSet {
			return errors.New("aha: WithAccount and WithBaseURL both given; use one")
		}
		c.baseURL = &url.URL{Scheme: "https", Host: host, Path: "/api/v1/"}
		c.baseSet = true
		return nil
	}
}

// WithBaseURL points the client at a full URL such as "https://acme.aha.io"
// (the path /api/v1/ is added when the URL has none). Plain http is refused
// unless the host is loopback (127.0.0.0/8, ::1, localhost), for tests.
func WithBaseURL(raw string) Option {
	return func(c *config) error {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("aha: invalid base URL: %w", err)
		}
		switch {
		case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			return fmt.Errorf("aha: base URL %q must be absolute, like https://acme.aha.io", redactURL(u))
		case u.User != nil:
			return errors.New("aha: base URL must not carry credentials; use WithToken")
		case u.RawQuery != "" || u.Fragment != "":
			return fmt.Errorf("aha: base URL %q must not have a query or fragment", redactURL(u))
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			return fmt.Errorf("aha: plain http is allowed only for loopback hosts, not %q; use https", u.Hostname())
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/api/v1/"
		} else if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		u.RawPath = ""
		u.Host = strings.ToLower(u.Host)
		if c.baseSet {
			return errors.New("aha: WithAccount and WithBaseURL both given; use one")
		}
		c.baseURL = u
		c.baseSet = true
		return nil
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithToken authenticates with a static bearer token: an Aha! API key or
// an OAuth2 access token.
func WithToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("aha: empty token")
		}
		if strings.ContainsAny(token, " \r\n\t") {
			return errors.New("aha: token contains whitespace")
		}
		if c.source != nil {
			return errors.New("aha: WithToken and WithTokenSource both given; use one")
		}
		c.source = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
		return nil
	}
}

// WithTokenSource authenticates with tokens from ts, for example an
// oauth2.Config's refreshing source. Token is called per request; wrap ts in
// oauth2.ReuseTokenSource if it is expensive.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("aha: nil token source")
		}
		if c.source != nil {
			return errors.New("aha: WithToken and WithTokenSource both given; use one")
		}
		c.source = ts
		return nil
	}
}

// WithHTTPClient uses hc's Transport as the base transport, and its
// Timeout, Jar and CheckRedirect. hc itself is not modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("aha: nil http.Client")
		}
		if c.transport != nil {
			return errors.New("aha: WithHTTPClient and WithTransport both given; use one")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTransport sets the base transport under the retry, limiter and auth
// layers (default http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("aha: nil transport")
		}
		if c.httpClient != nil {
			return errors.New("aha: WithHTTPClient and WithTransport both given; use one")
		}
		c.transport = rt
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("aha: invalid user agent")
		}
		c.userAgent = ua
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy().
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithRateLimiter sets the client-side limiter; share one between all
// clients of an account. Without it each client gets its own default
// Limiter (18/s, 280/min).
func WithRateLimiter(l *Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("aha: nil limiter")
		}
		c.limiter = l
		return nil
	}
}

// WithLogger logs retries and failed calls (never headers, bodies or
// tokens). Logging is off without it.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("aha: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithMaxBodyBytes caps response bodies (default DefaultMaxBodyBytes). A
// larger body fails with *BodyTooLargeError; nothing is decoded from it.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("aha: max body bytes must be positive, got %d", n)
		}
		c.maxBody = n
		return nil
	}
}

// withJitter fixes the backoff jitter (tests).
func withJitter(f func() float64) Option {
	return func(c *config) error { c.jitter = f; return nil }
}

// NewClient builds a Client. It needs an account (WithAccount or
// WithBaseURL) and credentials (WithToken or WithTokenSource). It makes no
// network call.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{userAgent: DefaultUserAgent, retry: DefaultRetryPolicy(), maxBody: DefaultMaxBodyBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.baseURL == nil {
		return nil, errors.New("aha: no account: use WithAccount(\"acme\") or WithBaseURL(\"https://acme.aha.io\")")
	}
	if cfg.source == nil {
		return nil, errors.New("aha: no credentials: use WithToken (API key or access token) or WithTokenSource")
	}
	if cfg.limiter == nil {
		cfg.limiter = NewDefaultLimiter()
	}
	base := cfg.transport
	hc := &http.Client{}
	if cfg.httpClient != nil {
		base = cfg.httpClient.Transport
		hc.Timeout = cfg.httpClient.Timeout
		hc.Jar = cfg.httpClient.Jar
		hc.CheckRedirect = cfg.httpClient.CheckRedirect
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if cfg.retry.AttemptTimeout > 0 {
		base = &timeoutTransport{next: base, timeout: cfg.retry.AttemptTimeout}
	}
	var rt http.RoundTripper = &authTransport{source: cfg.source, scheme: cfg.baseURL.Scheme, host: cfg.baseURL.Host, next: base}
	rt = &limitTransport{limiter: cfg.limiter, next: rt}
	rt = &retryTransport{next: rt, policy: cfg.retry, logger: cfg.logger, jitter: cfg.jitter, maxBody: cfg.maxBody}
	hc.Transport = rt

	c := &Client{client: hc, baseURL: cfg.baseURL, userAgent: cfg.userAgent, logger: cfg.logger, maxBody: cfg.maxBody}
	c.common.client = c
	c.Users = (*UsersService)(&c.common)
	c.Audits = (*AuditsService)(&c.common)
	c.HistoricalAudits = (*HistoricalAuditsService)(&c.common)
	c.Products = (*ProductsService)(&c.common)
	c.PaidSeatGroups = (*PaidSeatGroupsService)(&c.common)
	return c, nil
}

// BaseURL returns a copy of the API root, ending in "/".
func (c *Client) BaseURL() *url.URL {
	u := *c.baseURL
	return &u
}

// HTTPClient returns the *http.Client carrying the retry, limiter and auth
// layers, for calls this package does not wrap.
func (c *Client) HTTPClient() *http.Client { return c.client }

// NewRequest builds a request for path, relative to the base URL (no
// leading slash), with body encoded as JSON when non-nil. path is used as
// given: escape each id placed in it with url.PathEscape, and refuse ids
// such as "" or ".." that would address another resource, as the
// services do (they return *ArgumentError).
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	if strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("aha: path %q must be relative to the base URL", path)
	}
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("aha: invalid path %q: %w", path, err)
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("aha: encoding request body: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("aha: building request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// Response is an Aha! response with its pagination and rate figures.
type Response struct {
	*http.Response

	// CurrentPage, TotalPages and TotalRecords come from the body's
	// "pagination" object; zero when absent.
	CurrentPage  int
	TotalPages   int // pages in the listing (0 when empty)
	TotalRecords int // records in the listing
	// NextPage is CurrentPage+1 while pages remain, else 0.
	NextPage int
	// HasPagination reports whether the body carried "pagination".
	HasPagination bool

	// Rate holds the X-Ratelimit-* headers.
	Rate Rate
	// HistoricalTokensAvailable is X-Historical-Tokens-Available, nil
	// when absent.
	HistoricalTokensAvailable *int64
}

type pagination struct {
	TotalRecords flexInt `json:"total_records"`
	TotalPages   flexInt `json:"total_pages"`
	CurrentPage  flexInt `json:"current_page"`
}

func newResponse(r *http.Response) *Response {
	resp := &Response{Response: r, Rate: parseRate(r.Header)}
	if v := strings.TrimSpace(r.Header.Get("X-Historical-Tokens-Available")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			resp.HistoricalTokensAvailable = &n
		}
	}
	return resp
}

func (r *Response) readPagination(data []byte) {
	if !bytes.Contains(data, []byte(`"pagination"`)) {
		return
	}
	var env struct {
		Pagination *pagination `json:"pagination"`
	}
	if json.Unmarshal(data, &env) != nil || env.Pagination == nil {
		return
	}
	p := env.Pagination
	r.HasPagination = true
	r.CurrentPage, r.TotalPages, r.TotalRecords = int(p.CurrentPage), int(p.TotalPages), int(p.TotalRecords)
	if r.CurrentPage < r.TotalPages {
		r.NextPage = r.CurrentPage + 1
	}
}

// Do sends req, checks the status with CheckResponse and decodes a JSON
// body into v (when v is non-nil and the body non-empty). The body is read
// whole but never beyond the client's cap. Errors never carry the token
// and name the URL with secrets redacted.
func (c *Client) Do(req *http.Request, v any) (*Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hr, err := c.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var rl *RateLimitError
		if errors.As(err, &rl) {
			stripAuth(rl.Response)
			return newResponse(rl.Response), rl
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = &url.Error{Op: ue.Op, URL: redactURL(req.URL), Err: ue.Err}
		}
		c.log(ctx, req, 0, err)
		return nil, err
	}
	defer hr.Body.Close()
	stripAuth(hr)
	resp := newResponse(hr)
	data, err := io.ReadAll(io.LimitReader(hr.Body, c.maxBody+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return resp, ctxErr
		}
		return resp, fmt.Errorf("aha: %s %s: reading body: %w", req.Method, redactURL(req.URL), err)
	}
	if int64(len(data)) > c.maxBody {
		err := &BodyTooLargeError{Method: req.Method, URL: redactURL(req.URL), Limit: c.maxBody}
		c.log(ctx, req, hr.StatusCode, err)
		return resp, err
	}
	hr.Body = io.NopCloser(bytes.NewReader(data))
	if err := CheckResponse(hr); err != nil {
		c.log(ctx, req, hr.StatusCode, err)
		return resp, err
	}
	resp.readPagination(data)
	if v != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, v); err != nil {
			return resp, fmt.Errorf("aha: %s %s: decoding response: %w", req.Method, redactURL(req.URL), err)
		}
	}
	return resp, nil
}

// stripAuth removes the bearer token from the request recorded in r, so
// that errors carrying the response never carry the token.
func stripAuth(r *http.Response) {
	if r == nil || r.Request == nil || r.Request.Header.Get("Authorization") == "" {
		return
	}
	c := *r.Request
	c.Header = r.Request.Header.Clone()
	c.Header.Del("Authorization")
	r.Request = &c
}

func (c *Client) log(ctx context.Context, req *http.Request, status int, err error) {
	if c.logger == nil {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "aha: request failed",
		slog.String("method", req.Method), slog.String("url", redactURL(req.URL)),
		slog.Int("status", status), slog.String("error", err.Error()))
}

// get is the common GET-and-decode helper.
func (c *Client) get(ctx context.Context, path string, v any) (*Response, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req, v)
}

// send is the common helper for requests with a body.
func (c *Client) send(ctx context.Context, method, path string, body, v any) (*Response, error) {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	return c.Do(req, v)
}

// decodeMaybeWrapped decodes data into v whether Aha! sent the object bare
// or wrapped as {"<key>": {...}}.
func decodeMaybeWrapped(data json.RawMessage, key string, v any) error {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("aha: decoding %s: %w", key, err)
	}
	if inner, ok := env[key]; ok && len(inner) > 0 && inner[0] == '{' {
		data = inner
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("aha: decoding %s: %w", key, err)
	}
	return nil
}

// ArgumentError reports an argument the client refuses before sending
// anything: an id that cannot name an Aha! record, an option out of range,
// or a window that ends before it starts. No request was sent. Detect it
// with errors.As.
type ArgumentError struct {
	// Arg names the argument, e.g. "user id", "ListOptions.PerPage" or
	// "window".
	Arg string
	// Value is the value given, quoted where it is a string.
	Value string
	// Reason says what is wrong and what is accepted.
	Reason string
}

// Error names the argument, its value and what is accepted.
func (e *ArgumentError) Error() string {
	return fmt.Sprintf("aha: invalid %s %s: %s; no request was sent", e.Arg, e.Value, e.Reason)
}

// segment is one value placed in a request path: a record id (digits only)
// or a key such as a workspace reference ("PRJ1").
type segment struct {
	arg     string // what the value is, for the error: "user id", …
	value   string
	numeric bool // Aha! record ids are digit strings
}

// idSegment is a record id, which Aha! writes as digits.
func idSegment(arg string, id ID) segment { return segment{arg: arg, value: string(id), numeric: true} }

// keySegment is an id or a reference key ("PRJ1"), escaped as it is.
func keySegment(arg, key string) segment { return segment{arg: arg, value: key} }

// apiPath fills each "{}" of tmpl with the next segment, escaped with
// url.PathEscape. It is the one place where ids enter a URL, so it refuses
// what would address another resource than the one named: an empty
// segment, "." or "..", one holding a slash, backslash or control
// character (which a server that decodes %2F would split), and, for record
// ids, anything but digits.
func apiPath(tmpl string, segs ...segment) (string, error) {
	parts := strings.Split(tmpl, "{}")
	if len(parts) != len(segs)+1 {
		panic("aha: apiPath: " + tmpl + " wants " + strconv.Itoa(len(parts)-1) + " segments") // a bug in this package
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for i, sg := range segs {
		if err := sg.check(); err != nil {
			return "", err
		}
		b.WriteString(url.PathEscape(sg.value))
		b.WriteString(parts[i+1])
	}
	return b.String(), nil
}

func (sg segment) check() error {
	fail := func(reason string) error {
		return &ArgumentError{Arg: sg.arg, Value: strconv.Quote(truncate(sg.value, 40)), Reason: reason}
	}
	v := sg.value
	switch {
	case v == "":
		return fail("it is empty")
	case sg.numeric:
		for _, r := range v {
			if r < '0' || r > '9' {
				return fail("Aha! record ids are digits only")
			}
		}
	case v == "." || v == "..":
		return fail("a path segment cannot be . or ..")
	case strings.ContainsAny(v, "/\\") || strings.ContainsFunc(v, unicode.IsControl):
		return fail("it holds a slash, backslash or control character")
	}
	return nil
}
