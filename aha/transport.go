package aha

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// RetryPolicy says when and how long the client waits before resending a
// request. GET, HEAD, PUT and DELETE are retried after transport errors and
// on 429, 502, 503 and 504; POST (not idempotent) only on 429, which means
// the request was not processed. Other 4xx are never retried. Each retry
// resends the identical body.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0
	// disables retries.
	MaxRetries int
	// MinWait is the first backoff; it doubles with each attempt.
	MinWait time.Duration
	// MaxWait caps one backoff wait when the server gives no delay.
	MaxWait time.Duration
	// MaxRateLimitWait caps a wait the server asks for on 429
	// (Retry-After, X-Ratelimit-Reset). A longer demand is not slept
	// through: the call returns *RateLimitError carrying the delay.
	MaxRateLimitWait time.Duration
	// AttemptTimeout bounds one attempt, from the moment the rate limiter
	// lets it go until its whole body has arrived; 0 means no bound. An
	// attempt that runs out is abandoned and, like a transport error,
	// retried for idempotent methods; the last one fails with ErrTimeout.
	// Without it, a server that stops answering holds a call until the
	// caller's context ends.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy returns the policy used when WithRetryPolicy is not
// given: 4 retries, backoff from 500ms to 30s, server-demanded waits of up
// to 2 minutes, and 2 minutes for one attempt. (A function, not a
// variable: no mutable package state.)
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:       4,
		MinWait:          500 * time.Millisecond,
		MaxWait:          30 * time.Second,
		MaxRateLimitWait: 2 * time.Minute,
		AttemptTimeout:   2 * time.Minute,
	}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0:
		return fmt.Errorf("aha: RetryPolicy.MaxRetries must not be negative, got %d", p.MaxRetries)
	case p.MinWait < 0 || p.MaxWait < 0 || p.MaxRateLimitWait < 0 || p.AttemptTimeout < 0:
		return fmt.Errorf("aha: RetryPolicy waits must not be negative")
	case p.MaxWait < p.MinWait:
		return fmt.Errorf("aha: RetryPolicy.MaxWait %s is below MinWait %s", p.MaxWait, p.MinWait)
	}
	return nil
}

// retryTransport is a hand-rolled retry loop rather than
// hashicorp/go-retryablehttp, because retryablehttp cannot express three of
// Aha!'s rules: its CheckRetry does not see the method on a transport error
// (so "POST only on 429" needs context tricks), it measures an HTTP-date
// Retry-After against the local clock instead of the response's Date, and
// it has no "refuse a wait longer than the cap with a typed error".
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
	logger *slog.Logger
	jitter func() float64 // in [0,1)
	// maxBody bounds how much of a body is buffered; 0 disables buffering.
	maxBody int64
}

// buffer reads the body (at most maxBody+1 bytes, so Do can still see that
// the cap was passed) inside the retry loop: a connection reset mid-body
// then counts as a transport error and an idempotent request is retried,
// instead of surfacing as a failed read after the response was accepted.
func (t *retryTransport) buffer(resp *http.Response) error {
	if t.maxBody <= 0 || resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	getBody := req.GetBody
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		// Buffer a body we cannot rewind so every retry resends it whole.
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := req.Clone(ctx)
		if getBody != nil {
			b, err := getBody()
			if err != nil {
				return nil, err
			}
			r.Body = b
		}
		resp, err := t.next.RoundTrip(r)
		if err == nil {
			err = t.buffer(resp)
			if err != nil {
				resp = nil
			}
		}
		retry, wait, rlErr := t.decide(req, resp, err, attempt)
		if !retry || attempt >= t.policy.MaxRetries {
			return resp, err
		}
		if resp != nil {
			drain(resp.Body)
		}
		if rlErr != nil {
			return nil, rlErr
		}
		if t.logger != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.logger.LogAttrs(ctx, slog.LevelInfo, "aha: retrying request",
				slog.String("method", req.Method), slog.String("path", req.URL.Path),
				slog.Int("status", status), slog.Int("attempt", attempt+1), slog.Duration("wait", wait))
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// permanent reports transport errors that no retry can mend: a host name
// that does not exist, or a TLS certificate that does not verify.
func permanent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return true
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify)
}

// temporaryTokenError reports whether a token source's failure may mend
// on its own: one that says so (a Temporary method, as oauthflow's
// TokenError and net errors have), an x/oauth2 refresh answered 429 or
// 5xx, or a network failure. A refusal (invalid_client, invalid_grant, a
// revoked authorization) is final: asking again would only resend the
// same credentials.
func temporaryTokenError(err error) bool {
	var ne net.Error // before Temporary: net errors' own is deprecated and narrow
	if errors.As(err, &ne) {
		return true
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) {
		return tmp.Temporary()
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode == http.StatusTooManyRequests || re.Response.StatusCode >= 500
	}
	return false
}

// decide says whether to retry, after how long, and whether the server's
// demanded wait exceeds the cap (then rlErr is set).
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, attempt int) (bool, time.Duration, error) {
	if err != nil {
		if req.Context().Err() != nil || !idempotent(req.Method) || permanent(err) {
			return false, 0, nil
		}
		if te := (*TokenError)(nil); errors.As(err, &te) && !temporaryTokenError(te.Err) {
			return false, 0, nil
		}
		return true, t.backoff(attempt), nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		if d, ok := serverDelay(resp, time.Now()); ok {
			if d > t.policy.MaxRateLimitWait {
				return true, 0, &RateLimitError{
					Response: resp, Method: req.Method, URL: redactURL(req.URL),
					RetryAfter: d, Rate: parseRate(resp.Header),
					Message: fmt.Sprintf("wait exceeds the client's cap of %s", t.policy.MaxRateLimitWait),
				}
			}
			return true, d, nil
		}
		return true, t.backoff(attempt), nil
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !idempotent(req.Method) {
			return false, 0, nil
		}
		if d, ok := serverDelay(resp, time.Now()); ok && d <= t.policy.MaxWait {
			return true, d, nil
		}
		return true, t.backoff(attempt), nil
	}
	return false, 0, nil
}

// backoff is exponential from MinWait, capped at MaxWait, with jitter in
// [d/2, d) so that clients sharing a limit do not retry in step.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.MinWait
	for i := 0; i < attempt && d < t.policy.MaxWait; i++ {
		d *= 2
	}
	if d > t.policy.MaxWait {
		d = t.policy.MaxWait
	}
	j := t.jitter
	if j == nil {
		j = rand.Float64
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

func drain(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, b, 64<<10)
	b.Close()
}

// timeoutTransport gives each attempt its own deadline, started once the
// limiter above it has let the attempt go, and covering the body too: the
// body is read under the attempt's context, which its Close ends.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timedOut := t.timedOut(parent, ctx)
		cancel()
		if timedOut != nil {
			return nil, timedOut
		}
		return nil, err
	}
	resp.Body = &timeoutBody{ReadCloser: resp.Body, t: t, parent: parent, ctx: ctx, cancel: cancel}
	return resp, nil
}

// timedOut returns the ErrTimeout error when the attempt's own deadline,
// not the caller's context, ended it.
func (t *timeoutTransport) timedOut(parent, attempt context.Context) error {
	if parent.Err() == nil && errors.Is(attempt.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (no complete answer within %s)", ErrTimeout, t.timeout)
	}
	return nil
}

// timeoutBody ends the attempt's context when the body is closed, and
// reports a read cut short by the attempt's deadline as ErrTimeout.
type timeoutBody struct {
	io.ReadCloser
	t           *timeoutTransport
	parent, ctx context.Context
	cancel      context.CancelFunc
}

func (b *timeoutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		if te := b.t.timedOut(b.parent, b.ctx); te != nil {
			return n, te
		}
	}
	return n, err
}

func (b *timeoutBody) Close() error {
	defer b.cancel()
	return b.ReadCloser.Close()
}

// authTransport adds "Authorization: Bearer" to requests for the
// configured scheme and host only. A redirect to any other host (or to
// plain http) goes out without it, and an Authorization header set by a
// caller is removed there too.
type authTransport struct {
	source oauth2.TokenSource
	scheme string
	host   string // lower-case host[:port]
	next   http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if strings.EqualFold(req.URL.Scheme, t.scheme) && strings.EqualFold(req.URL.Host, t.host) {
		tok, err := t.source.Token()
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, &TokenError{Err: err}
		}
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	} else {
		r.Header.Del("Authorization")
	}
	return t.next.RoundTrip(r)
}
