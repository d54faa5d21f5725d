package aha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestCheckResponseShapes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   *ErrorResponse
		is     error
	}{
		{"error string", 404, "application/json", `{"error":"Record not found"}`,
			&ErrorResponse{Status: 404, Message: "Record not found"}, ErrNotFound},
		{"field errors", 422, "application/json", `{"errors":{"email":["is invalid","is taken"],"name":["blank"]}}`,
			&ErrorResponse{Status: 422, Errors: []string{"email: is invalid", "email: is taken", "name: blank"},
				FieldErrors: map[string][]string{"email": {"is invalid", "is taken"}, "name": {"blank"}}}, nil},
		{"error list", 400, "application/json", `{"errors":["bad page","bad per_page"]}`,
			&ErrorResponse{Status: 400, Errors: []string{"bad page", "bad per_page"}}, nil},
		{"error objects", 400, "application/json", `{"errors":[{"message":"Role is invalid"}]}`,
			&ErrorResponse{Status: 400, Errors: []string{"Role is invalid"}}, nil},
		{"message", 403, "application/json", `{"message":"Administrator required"}`,
			&ErrorResponse{Status: 403, Message: "Administrator required"}, ErrForbidden},
		{"html 401", 401, "text/html; charset=utf-8", `<html><body>You need to sign in</body></html>`,
			&ErrorResponse{Status: 401, Message: "non-JSON error body (text/html)"}, ErrUnauthorized},
		{"empty 500", 500, "", ``, &ErrorResponse{Status: 500}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://acme.aha.io/api/v1/users?access_token=SECRETVALUE&page=2", nil)
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.ctype}}, Body: io.NopCloser(strings.NewReader(tt.body)), Request: req}
			err := CheckResponse(resp)
			var er *ErrorResponse
			if !errors.As(err, &er) {
				t.Fatalf("err = %T %v", err, err)
			}
			tt.want.Method, tt.want.URL, tt.want.Response = "GET", "https://acme.aha.io/api/v1/users?access_token=REDACTED&page=2", resp
			if diff := cmp.Diff(tt.want, er, cmp.Comparer(func(a, b *http.Response) bool { return a == b })); diff != "" {
				t.Error(diff)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v) false", tt.is)
			}
			for _, s := range []error{ErrNotFound, ErrUnauthorized, ErrForbidden} {
				if !errors.Is(tt.is, s) && errors.Is(err, s) {
					t.Errorf("wrongly matches %v", s)
				}
			}
			if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "<html") {
				t.Errorf("error leaks: %s", err)
			}
		})
	}
	if CheckResponse(&http.Response{StatusCode: 204}) != nil {
		t.Error("204 is not an error")
	}
}

func TestBodyCap(t *testing.T) {
	c, mux, _, _ := setup(t, WithMaxBodyBytes(1000))
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"users":[`)
		for i := range 50 {
			if i > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"id":"%d","name":"someone with a long name"}`, i)
		}
		fmt.Fprint(w, `]}`)
	})
	us, _, err := c.Users.List(context.Background(), nil)
	var bt *BodyTooLargeError
	if !errors.As(err, &bt) || bt.Limit != 1000 || us != nil {
		t.Errorf("users=%d err=%v", len(us), err)
	}
}

func TestRedirectToOtherHostDropsToken(t *testing.T) {
	var otherAuth, sameAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth = append(otherAuth, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"user":{"id":"9"}}`)
	}))
	defer other.Close()
	// Reach the other server as "localhost" while the client's host is
	// 127.0.0.1: a different host on loopback.
	ou, _ := url.Parse(other.URL)
	otherURL := "http://localhost:" + ou.Port()
	c, mux, _, tok := setup(t)
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/api/v1/me", http.StatusFound)
	})
	mux.HandleFunc("GET /api/v1/users/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/v1/users/2", http.StatusFound)
	})
	mux.HandleFunc("GET /api/v1/users/2", func(w http.ResponseWriter, r *http.Request) {
		sameAuth = append(sameAuth, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"user":{"id":"2"}}`)
	})
	if _, _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(otherAuth) != 1 || otherAuth[0] != "" {
		t.Errorf("other host got Authorization %q", otherAuth)
	}
	if _, _, err := c.Users.Get(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	if len(sameAuth) != 1 || sameAuth[0] != "Bearer "+tok {
		t.Error("same-host redirect lost the token")
	}
}

type failingSource struct{ secret string }

func (f failingSource) Token() (*oauth2.Token, error) {
	return nil, fmt.Errorf("oauth2: cannot fetch token: refresh_token=%s client_secret=%s", f.secret, f.secret)
}

// TestRedaction plants a random token and looks for it in every error
// string and every log line the client produces across failure paths.
func TestRedaction(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mux, srv, tok := setup(t, WithLogger(logger))
	mux.HandleFunc("GET /api/v1/users/401", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(401)
		fmt.Fprintf(w, "<html>bad token %s</html>", r.Header.Get("Authorization"))
	})
	mux.HandleFunc("GET /api/v1/users/422", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	})
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "9999")
		w.WriteHeader(429)
	})
	var errs []error
	ctx := context.Background()
	_, _, err := c.Users.Get(ctx, "401")
	errs = append(errs, err)
	_, _, err = c.Users.Get(ctx, "422")
	errs = append(errs, err)
	_, _, err = c.Me(ctx)
	errs = append(errs, err)
	req, _ := c.NewRequest(ctx, "GET", "users?api_key="+tok, nil)
	_, err = c.Do(req, nil)
	errs = append(errs, err)
	srv.Close() // transport errors
	_, _, err = c.Users.Get(ctx, "1")
	errs = append(errs, err)

	secret := secretToken(t)
	c2, err := NewClient(WithAccount("acme"), WithTokenSource(failingSource{secret}), WithRetryPolicy(fastRetry), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c2.Me(ctx)
	var te *TokenError
	if !errors.As(err, &te) {
		t.Errorf("token source failure: %v", err)
	}
	errs = append(errs, err)
	_, err = NewClient(WithAccount("acme"), WithToken(tok+" x"))
	errs = append(errs, err)

	for i, err := range errs {
		var er *ErrorResponse
		var rl *RateLimitError
		if errors.As(err, &er) && er.Response.Request.Header.Get("Authorization") != "" ||
			errors.As(err, &rl) && rl.Response.Request.Header.Get("Authorization") != "" {
			t.Errorf("case %d: error's response still carries the Authorization header", i)
		}
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, s := range []string{tok, secret} {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
				t.Errorf("case %d leaks a secret: %v", i, err)
			}
		}
	}
	if logs.Len() == 0 {
		t.Error("logger saw nothing")
	}
	if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), secret) {
		t.Errorf("logs leak a secret:\n%s", logs.String())
	}
}

// countingSource fails every call with err and counts the calls.
type countingSource struct {
	calls atomic.Int32
	err   error
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	s.calls.Add(1)
	return nil, s.err
}

// temporaryErr is a token source error that says whether it may mend.
type temporaryErr bool

func (e temporaryErr) Error() string   { return "token endpoint failed" }
func (e temporaryErr) Temporary() bool { return bool(e) }

// TestTokenSourceRefusalNotRetried: a refusal from the token endpoint
// (invalid_client, a revoked grant) is final, so the client asks the
// token source once instead of resending the same credentials on every
// retry; a failure that may mend (it says so, a 5xx, a network error) is
// retried like any transport error.
func TestTokenSourceRefusalNotRetried(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		wantCalls int32
	}{
		{"refused (says not temporary)", temporaryErr(false), 1},
		{"oauth2 RetrieveError 401", &oauth2.RetrieveError{Response: &http.Response{StatusCode: http.StatusUnauthorized}, ErrorCode: "invalid_client"}, 1},
		{"plain error", errors.New("no token stored"), 1},
		{"says temporary", temporaryErr(true), 1 + int32(fastRetry.MaxRetries)},
		{"oauth2 RetrieveError 503", &oauth2.RetrieveError{Response: &http.Response{StatusCode: http.StatusServiceUnavailable}}, 1 + int32(fastRetry.MaxRetries)},
		{"network error", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, 1 + int32(fastRetry.MaxRetries)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingSource{err: tt.err}
			c, err := NewClient(WithAccount("acme"), WithTokenSource(src), WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Me(context.Background())
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TokenError", err)
			}
			if got := src.calls.Load(); got != tt.wantCalls {
				t.Errorf("token source asked %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}
