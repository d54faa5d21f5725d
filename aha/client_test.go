package aha

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewClientOptions(t *testing.T) {
	tok := WithToken(secretToken(t))
	tests := []struct {
		name    string
		opts    []Option
		wantURL string
		wantErr string
	}{
		{"account", []Option{WithAccount("acme"), tok}, "https://acme.aha.io/api/v1/", ""},
		{"regional host", []Option{WithAccount("acme.euw4.aha.io"), tok}, "https://acme.euw4.aha.io/api/v1/", ""},
		{"base url no path", []Option{WithBaseURL("https://acme.aha.io"), tok}, "https://acme.aha.io/api/v1/", ""},
		{"base url with path", []Option{WithBaseURL("https://acme.aha.io/api/v1"), tok}, "https://acme.aha.io/api/v1/", ""},
		{"loopback http", []Option{WithBaseURL("http://127.0.0.1:8080"), tok}, "http://127.0.0.1:8080/api/v1/", ""},
		{"localhost http", []Option{WithBaseURL("http://localhost:8080/"), tok}, "http://localhost:8080/api/v1/", ""},
		{"ipv6 loopback", []Option{WithBaseURL("http://[::1]:9/"), tok}, "http://[::1]:9/api/v1/", ""},
		{"plain http refused", []Option{WithBaseURL("http://acme.aha.io"), tok}, "", "plain http"},
		{"private http refused", []Option{WithBaseURL("http://10.0.0.1"), tok}, "", "plain http"},
		{"relative url", []Option{WithBaseURL("acme.aha.io"), tok}, "", "absolute"},
		{"userinfo", []Option{WithBaseURL("https://u:p@acme.aha.io"), tok}, "", "credentials"},
		{"bad account", []Option{WithAccount("ac me"), tok}, "", "invalid account"},
		{"foreign host", []Option{WithAccount("evil.example.com"), tok}, "", "not an aha.io host"},
		{"no account", []Option{tok}, "", "no account"},
		{"no token", []Option{WithAccount("acme")}, "", "no credentials"},
		{"empty token", []Option{WithAccount("acme"), WithToken("")}, "", "empty token"},
		{"two tokens", []Option{WithAccount("acme"), tok, WithTokenSource(nil)}, "", "nil token source"},
		{"both accounts", []Option{WithAccount("acme"), WithBaseURL("https://b.aha.io"), tok}, "", "both given"},
		{"client and transport", []Option{WithAccount("acme"), tok, WithHTTPClient(&http.Client{}), WithTransport(http.DefaultTransport)}, "", "both given"},
		{"bad retry", []Option{WithAccount("acme"), tok, WithRetryPolicy(RetryPolicy{MaxRetries: -1})}, "", "MaxRetries"},
		{"bad body cap", []Option{WithAccount("acme"), tok, WithMaxBodyBytes(0)}, "", "max body"},
		{"bad ua", []Option{WithAccount("acme"), tok, WithUserAgent("a\nb")}, "", "user agent"},
		{"nil limiter", []Option{WithAccount("acme"), tok, WithRateLimiter(nil)}, "", "nil limiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL().String(); got != tt.wantURL {
				t.Errorf("base = %s, want %s", got, tt.wantURL)
			}
		})
	}
}

func TestNewLimiterValidation(t *testing.T) {
	for _, tt := range []struct {
		ps    float64
		pm, b int
		ok    bool
	}{{18, 280, 1, true}, {0, 280, 1, false}, {18, 0, 1, false}, {18, 280, 0, false}, {18, 2, 3, false}} {
		_, err := NewLimiter(tt.ps, tt.pm, tt.b)
		if (err == nil) != tt.ok {
			t.Errorf("NewLimiter(%v,%d,%d) err = %v", tt.ps, tt.pm, tt.b, err)
		}
	}
}

func TestHeadersAndAuth(t *testing.T) {
	c, mux, _, tok := setup(t, WithUserAgent("test-agent/1"))
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+tok {
			t.Errorf("Authorization header missing or wrong")
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "test-agent/1" {
			t.Errorf("headers: %v", r.Header)
		}
		w.Header().Set("X-Ratelimit-Limit", "300")
		w.Header().Set("X-Ratelimit-Remaining", "299")
		w.Header().Set("X-Historical-Tokens-Available", "42")
		w.Write([]byte(`{"user":{"id":"7","name":"Me","email":"me@example.com"}}`))
	})
	m, resp, err := c.Users.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "7" || resp.Rate.Limit != 300 || resp.Rate.Remaining != 299 || resp.HistoricalTokensAvailable == nil || *resp.HistoricalTokensAvailable != 42 {
		t.Errorf("me=%+v rate=%+v", m, resp.Rate)
	}
}

// TestNewClientNoNetworkNoMutation: building a client sends nothing, and
// the *http.Client given with WithHTTPClient is left as it was.
func TestNewClientNoNetworkNoMutation(t *testing.T) {
	var calls int
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return nil, http.ErrHandlerTimeout
	})
	hc := &http.Client{Transport: base, Timeout: time.Minute}
	if _, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithHTTPClient(hc)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithTransport(base), nil); err != nil {
		t.Fatalf("a nil option: %v", err)
	}
	if calls != 0 {
		t.Errorf("NewClient sent %d requests", calls)
	}
	if hc.Timeout != time.Minute || hc.CheckRedirect != nil || hc.Jar != nil {
		t.Errorf("the caller's http.Client was changed: %+v", hc)
	}
	if _, ok := hc.Transport.(rtFunc); !ok {
		t.Errorf("the caller's http.Client transport was replaced by %T", hc.Transport)
	}
}
