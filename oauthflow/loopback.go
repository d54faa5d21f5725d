package oauthflow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// ErrTimeout means no authorization callback arrived within the loopback
// listener's timeout. The returned error also matches
// context.DeadlineExceeded.
var ErrTimeout = errors.New("oauthflow: timed out waiting for the authorization redirect")

// Loopback is a listener bound to a loopback redirect URI, for command-line
// programs that receive one authorization callback (RFC 8252 section 7.3).
// Create it with [ListenLoopback] before printing the authorization URL, so
// that an early redirect is not refused, then call [Flow.WaitLoopback].
type Loopback struct {
	ln       net.Listener
	redirect *url.URL
	timeout  time.Duration
}

// ListenLoopback listens on the host and port of redirectURI, which must be
// http on a loopback host ("http://127.0.0.1:8400/callback"). Port 0 picks
// a free port; [Loopback.RedirectURI] then reports the real one. timeout
// bounds [Flow.WaitLoopback]; zero or less means no limit but ctx.
func ListenLoopback(ctx context.Context, redirectURI string, timeout time.Duration) (*Loopback, error) {
	fail := func(reason string) (*Loopback, error) {
		return nil, &ConfigError{Field: "redirect URI", Reason: fmt.Sprintf("%q: %s", redirectURI, reason)}
	}
	u, err := url.Parse(redirectURI)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fail("it must be an absolute URL such as http://127.0.0.1:8400/callback")
	}
	if u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
		return fail("a loopback listener needs http on a loopback host such as 127.0.0.1")
	}
	if u.Port() == "" {
		return fail("it must name a port, such as http://127.0.0.1:8400/callback")
	}
	if u.User != nil || u.Fragment != "" {
		return fail("it must not carry user information or a fragment")
	}
	host := u.Hostname()
	if host == "localhost" {
		// Bind one definite address; the browser resolves localhost too.
		host = "127.0.0.1"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, u.Port()))
	if err != nil {
		return nil, fmt.Errorf("oauthflow: listen for the authorization redirect: %w", err)
	}
	if u.Port() == "0" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return &Loopback{ln: ln, redirect: u, timeout: timeout}, nil
}

// RedirectURI returns the redirect URI with the port actually bound.
func (l *Loopback) RedirectURI() string { return l.redirect.String() }

// Close stops listening. [Flow.WaitLoopback] closes the listener itself;
// Close is for giving up before waiting.
func (l *Loopback) Close() error {
	err := l.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// WaitLoopback serves f's callback on l until ONE callback has been handled,
// the timeout passes or ctx ends, answers the browser with a short page, then
// shuts the listener down. A callback whose state is not f's (a stale
// browser tab) is answered 400 and ignored: the wait goes on. It returns
// the token or the reason the authorization failed: [*AuthorizationError],
// [*TokenError], or [ErrTimeout]. f's redirect URI must be l's.
func (f *Flow) WaitLoopback(ctx context.Context, l *Loopback) (*oauth2.Token, error) {
	defer l.Close()
	if f.RedirectURI() != l.RedirectURI() {
		return nil, &ConfigError{Field: "redirect URI", Reason: fmt.Sprintf(
			"the flow redirects to %q but the listener is at %q; build the Config with Loopback.RedirectURI()",
			f.RedirectURI(), l.RedirectURI())}
	}
	mux := http.NewServeMux()
	mux.Handle(l.redirect.Path, f.Handler())
	if l.redirect.Path != "/" {
		mux.Handle("/", http.NotFoundHandler())
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() { _ = srv.Serve(l.ln) }() // ErrServerClosed after Shutdown; any other failure leaves the wait below to its timeout or ctx
	defer func() {
		// Let the browser receive its page, but do not hang on it.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()

	wctx := ctx
	if l.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, l.timeout)
		defer cancel()
	}
	tok, err := f.Wait(wctx)
	if err != nil && wctx.Err() != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("%w after %s at %s: %w", ErrTimeout, l.timeout, l.RedirectURI(), context.DeadlineExceeded)
	}
	return tok, err
}
