package aha

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// secretToken returns a fresh random token; no secret is committed.
func secretToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "tok_" + hex.EncodeToString(b)
}

var fastRetry = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 4 * time.Millisecond, MaxRateLimitWait: 5 * time.Second}

func fastLimiter(t testing.TB) *Limiter {
	l, err := NewLimiter(10000, 1000000, 100)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// setup starts a test server with a fresh mux and a client for it.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux, *httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tok := secretToken(t)
	all := append([]Option{WithBaseURL(srv.URL), WithToken(tok), WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)), withJitter(func() float64 { return 0.5 })}, opts...)
	c, err := NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mux, srv, tok
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
