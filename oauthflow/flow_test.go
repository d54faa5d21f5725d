package oauthflow_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

// setup starts a fake Aha! account and a loopback listener on a free port,
// and returns a Config wired to both.
func setup(t *testing.T, timeout time.Duration, opts ...oauthflow.ConfigOption) (*oauthflowtest.Server, *oauthflow.Config, *oauthflow.Loopback) {
	t.Helper()
	srv := oauthflowtest.NewServer()
	t.Cleanup(srv.Close)
	l, err := oauthflow.ListenLoopback(t.Context(), "http://127.0.0.1:0/callback", timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg, err := oauthflow.NewConfig(srv.URL, srv.ClientID, srv.ClientSecret, l.RedirectURI(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, cfg, l
}

// browse plays the browser: it opens the authorization URL and follows the
// redirect to the loopback listener, returning the final status.
func browse(t *testing.T, authURL string) int {
	t.Helper()
	resp, err := http.Get(authURL)
	if err != nil {
		t.Errorf("browser: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFlowHappyPathLoopback(t *testing.T) {
	srv, cfg, l := setup(t, 5*time.Second)
	flow := cfg.Begin()

	u, err := url.Parse(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/oauth/authorize" || q.Get("client_id") != srv.ClientID || q.Get("redirect_uri") != l.RedirectURI() ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		len(q.Get("code_challenge")) < 43 || len(q.Get("state")) < 26 {
		t.Fatalf("AuthURL() = %s; missing or wrong parameters", u)
	}
	if other := cfg.Begin(); other.AuthURL() == flow.AuthURL() {
		t.Fatal("two flows share a state and challenge")
	}

	status := make(chan int, 1)
	go func() { status <- browse(t, flow.AuthURL()) }()
	tok, err := flow.WaitLoopback(t.Context(), l)
	if err != nil {
		t.Fatalf("WaitLoopback: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token lacks access or refresh token")
	}
	if got := <-status; got != http.StatusOK {
		t.Errorf("browser saw HTTP %d; want 200", got)
	}
	if n := srv.Exchanges(); n != 1 {
		t.Errorf("exchanges = %d; want 1", n)
	}
	// The listener is gone once the callback is handled.
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimSuffix(l.RedirectURI(), "/callback"), "http://"), time.Second); err == nil {
		c.Close()
		t.Error("loopback listener still accepts connections after the callback")
	}
}

func TestFlowProviderErrorLoopback(t *testing.T) {
	srv, cfg, l := setup(t, 5*time.Second)
	srv.Update(func(s *oauthflowtest.Server) { s.Deny = "access_denied" })
	flow := cfg.Begin()
	status := make(chan int, 1)
	go func() { status <- browse(t, flow.AuthURL()) }()
	_, err := flow.WaitLoopback(t.Context(), l)
	var ae *oauthflow.AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description == "" {
		t.Fatalf("WaitLoopback error = %v; want *AuthorizationError access_denied with description", err)
	}
	if got := <-status; got != http.StatusBadRequest {
		t.Errorf("browser saw HTTP %d; want 400", got)
	}
	if srv.Exchanges() != 0 {
		t.Error("token endpoint called after a refusal")
	}
}

func TestFlowTimeout(t *testing.T) {
	_, cfg, l := setup(t, 50*time.Millisecond)
	start := time.Now()
	_, err := cfg.Begin().WaitLoopback(t.Context(), l)
	if !errors.Is(err, oauthflow.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v; want ErrTimeout and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %s", d)
	}
}

func TestFlowContextCancelled(t *testing.T) {
	_, cfg, l := setup(t, time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := cfg.Begin().WaitLoopback(ctx, l)
	if !errors.Is(err, context.Canceled) || errors.Is(err, oauthflow.ErrTimeout) {
		t.Fatalf("error = %v; want context.Canceled", err)
	}
}

// TestFlowWrongState: a callback with another state (a stale tab, a forged
// request) is refused without its code reaching the token endpoint, and
// the flow goes on waiting for its own callback.
func TestFlowWrongState(t *testing.T) {
	srv, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	code := authorize(t, srv, flow)
	for _, q := range []url.Values{
		{"code": {code}, "state": {"forged-state"}},
		{"code": {code}},
		{"error": {"access_denied"}, "state": {"forged-state"}},
	} {
		if _, err := flow.Callback(t.Context(), q); !errors.Is(err, oauthflow.ErrStateMismatch) {
			t.Fatalf("callback %v = %v; want ErrStateMismatch", q, err)
		}
	}
	select {
	case <-flow.Done():
		t.Fatal("the flow ended on a callback with another state")
	default:
	}
	if srv.Exchanges() != 0 {
		t.Error("a code with a forged state reached the token endpoint")
	}
	tok, err := flow.Callback(t.Context(), url.Values{"code": {code}, "state": {stateOf(t, flow)}})
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("the genuine callback after a forged one = %v, %v", tok, err)
	}
	if tok, err := flow.Wait(t.Context()); err != nil || tok.AccessToken == "" {
		t.Fatalf("Wait = %v, %v", tok, err)
	}
	if srv.Exchanges() != 1 {
		t.Errorf("exchanges = %d; want 1", srv.Exchanges())
	}
}

// TestWaitLoopbackIgnoresWrongState: a stale tab's callback is answered 400
// with a page saying the state did not match, and the wait goes on until the
// genuine callback.
func TestWaitLoopbackIgnoresWrongState(t *testing.T) {
	srv, cfg, l := setup(t, 5*time.Second)
	flow := cfg.Begin()
	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := flow.WaitLoopback(t.Context(), l)
		done <- result{tok, err}
	}()
	resp, err := http.Get(l.RedirectURI() + "?code=abc&state=WRONG")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "did not match") || !strings.Contains(string(body), "still waiting") {
		t.Fatalf("wrong state answered %d:\n%s", resp.StatusCode, body)
	}
	select {
	case r := <-done:
		t.Fatalf("the wait ended on a wrong state: %v", r.err)
	case <-time.After(50 * time.Millisecond):
	}
	if code := browse(t, flow.AuthURL()); code != http.StatusOK {
		t.Fatalf("the genuine callback answered %d", code)
	}
	r := <-done
	if r.err != nil || r.tok.AccessToken == "" {
		t.Fatalf("WaitLoopback = %v, %v", r.tok, r.err)
	}
	if srv.Exchanges() != 1 {
		t.Errorf("exchanges = %d; want 1", srv.Exchanges())
	}
}

// TestHandlerFailurePage: the page of a failed callback reads as
// sentences.
func TestHandlerFailurePage(t *testing.T) {
	_, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	rec := httptest.NewRecorder()
	flow.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/callback?error=access_denied", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusBadRequest || !strings.Contains(body, "access_denied") || !strings.Contains(body, ". You can close this tab") || strings.Contains(body, "oauthflow:") {
		t.Fatalf("answered %d:\n%s", rec.Code, body)
	}
}

func TestFlowMissingState(t *testing.T) {
	srv, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	code := authorize(t, srv, flow)
	if _, err := flow.Callback(t.Context(), url.Values{"code": {code}}); !errors.Is(err, oauthflow.ErrStateMismatch) {
		t.Fatalf("error = %v; want ErrStateMismatch", err)
	}
}

func TestFlowReusedCode(t *testing.T) {
	srv, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	code := authorize(t, srv, flow)
	q := url.Values{"code": {code}, "state": {stateOf(t, flow)}}
	if _, err := flow.Callback(t.Context(), q); err != nil {
		t.Fatalf("first callback: %v", err)
	}
	// The same flow refuses a second callback without asking Aha!.
	if _, err := flow.Callback(t.Context(), q); !errors.Is(err, oauthflow.ErrCallbackUsed) {
		t.Fatalf("second callback = %v; want ErrCallbackUsed", err)
	}
	if n := srv.Exchanges(); n != 1 {
		t.Fatalf("exchanges = %d; want 1", n)
	}
	// Replaying the code in another flow: Aha! refuses a used code.
	other := cfg.Begin()
	_, err := other.Callback(t.Context(), url.Values{"code": {code}, "state": {stateOf(t, other)}})
	var te *oauthflow.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed code = %v; want *TokenError invalid_grant 400", err)
	}
	assertNoSecrets(t, srv.Secrets(), err.Error())
}

func TestFlowProviderErrorWithoutState(t *testing.T) {
	_, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	_, err := flow.Callback(t.Context(), url.Values{"error": {"server_error"}, "error_description": {"Try\nlater"}})
	var ae *oauthflow.AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "server_error" || ae.Description != "Trylater" {
		t.Fatalf("error = %#v; want *AuthorizationError server_error with control characters dropped", err)
	}
}

func TestFlowHandler(t *testing.T) {
	srv, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	mux := http.NewServeMux()
	mux.Handle("/callback", flow.Handler())
	app := &http.Server{Handler: mux}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })
	base := "http://" + ln.Addr().String() + "/callback"

	// Not a callback: answered, ignored.
	if resp, err := http.Get(base); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("GET without parameters: %v %v", resp, err)
	}
	if resp, err := http.Post(base, "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %v %v", resp, err)
	}
	select {
	case <-flow.Done():
		t.Fatal("flow finished on a request that was not a callback")
	default:
	}

	code := authorize(t, srv, flow)
	resp, err := http.Get(base + "?" + url.Values{"code": {code}, "state": {stateOf(t, flow)}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback answered %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	tok, err := flow.Wait(t.Context())
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("Wait = %v, %v", tok, err)
	}
}

func TestWaitLoopbackRedirectMismatch(t *testing.T) {
	srv, _, l := setup(t, time.Second)
	cfg, err := oauthflow.NewConfig(srv.URL, "id", "secret", "http://127.0.0.1:1/other")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Begin().WaitLoopback(t.Context(), l)
	var ce *oauthflow.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v; want *ConfigError", err)
	}
}

func TestListenLoopbackRejects(t *testing.T) {
	for _, uri := range []string{
		"https://127.0.0.1:8400/callback",
		"http://example.com:8400/callback",
		"http://127.0.0.1/callback",
		"callback",
	} {
		_, err := oauthflow.ListenLoopback(t.Context(), uri, time.Second)
		var ce *oauthflow.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("ListenLoopback(%q) error = %v; want *ConfigError", uri, err)
		}
	}
}

// authorize asks the fake for a code the way a browser would, without
// following the redirect.
func authorize(t *testing.T, srv *oauthflowtest.Server, flow *oauthflow.Flow) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d without a code", resp.StatusCode)
	}
	return loc.Query().Get("code")
}

func stateOf(t *testing.T, flow *oauthflow.Flow) string {
	t.Helper()
	u, err := url.Parse(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestWithHTTPClientCarriesTokenRequests(t *testing.T) {
	rt := &countingTransport{}
	srv, cfg, _ := setup(t, time.Second, oauthflow.WithHTTPClient(&http.Client{Transport: rt}))
	flow := cfg.Begin()
	if _, err := flow.Callback(t.Context(), url.Values{"code": {authorize(t, srv, flow)}, "state": {stateOf(t, flow)}}); err != nil {
		t.Fatal(err)
	}
	if rt.n != 1 {
		t.Fatalf("token requests through the configured client = %d; want 1", rt.n)
	}
}
