package oauthflow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

// sourceSetup returns a fake account, a Config for it, and a FileStore
// holding a token the fake issued, expired (with a refresh token when rt).
func sourceSetup(t *testing.T, rt bool, opts ...oauthflow.ConfigOption) (*oauthflowtest.Server, *oauthflow.Config, *oauthflow.FileStore, *oauth2.Token) {
	t.Helper()
	srv := oauthflowtest.NewServer()
	t.Cleanup(srv.Close)
	cfg, err := oauthflow.NewConfig(srv.URL, srv.ClientID, srv.ClientSecret, "http://127.0.0.1:8400/callback", opts...)
	if err != nil {
		t.Fatal(err)
	}
	at, ref := srv.IssueToken(rt)
	tok := &oauth2.Token{AccessToken: at, TokenType: "bearer", RefreshToken: ref, Expiry: time.Now().Add(-time.Minute).UTC()}
	store := &oauthflow.FileStore{Path: filepath.Join(t.TempDir(), "tok.json")}
	if err := store.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	return srv, cfg, store, tok
}

func TestTokenSourceRefreshWithRotation(t *testing.T) {
	srv, cfg, store, old := sourceSetup(t, true)
	srv.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
	ts := oauthflow.TokenSource(t.Context(), cfg, store)

	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == old.AccessToken || tok.RefreshToken == old.RefreshToken || tok.RefreshToken == "" {
		t.Fatal("refresh did not return a new access token and a rotated refresh token")
	}
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour+time.Minute {
		t.Errorf("expiry in %s; want about an hour", d)
	}
	saved, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if saved.AccessToken != tok.AccessToken || saved.RefreshToken != tok.RefreshToken || !saved.Expiry.Equal(tok.Expiry) {
		t.Fatal("the rotated token was not saved before being returned")
	}
	// Cached: no further refresh while valid.
	if _, err := ts.Token(); err != nil || srv.Refreshes() != 1 {
		t.Fatalf("second Token: %v, refreshes = %d; want 1", err, srv.Refreshes())
	}
	// A new process (new source) refreshes with the rotated token once expired.
	saved.Expiry = time.Now().Add(-time.Second)
	if err := store.Save(t.Context(), saved); err != nil {
		t.Fatal(err)
	}
	if _, err := oauthflow.TokenSource(t.Context(), cfg, store).Token(); err != nil {
		t.Fatalf("refresh with the rotated refresh token: %v", err)
	}
	if n := srv.Refreshes(); n != 2 {
		t.Errorf("refreshes = %d; want 2", n)
	}
}

func TestTokenSourceKeepsRefreshTokenWhenReplyHasNone(t *testing.T) {
	srv, cfg, store, old := sourceSetup(t, true)
	srv.Update(func(s *oauthflowtest.Server) { s.Rotate = false; s.ExpiresIn = time.Hour })
	tok, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := store.Load(t.Context())
	if tok.RefreshToken != old.RefreshToken || saved.RefreshToken != old.RefreshToken {
		t.Fatal("the old refresh token was dropped although the reply carried none")
	}
}

func TestTokenSourceConcurrentRefreshOnce(t *testing.T) {
	srv, cfg, store, _ := sourceSetup(t, true)
	srv.Update(func(s *oauthflowtest.Server) {
		s.Rotate = true
		s.ExpiresIn = time.Hour
		s.RefreshDelay = 50 * time.Millisecond
	})
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			tok, err := ts.Token()
			errs[i] = err
			if tok != nil {
				got[i] = tok.AccessToken
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("goroutines received different tokens")
		}
	}
	if r := srv.Refreshes(); r != 1 {
		t.Fatalf("refresh requests = %d; want exactly 1", r)
	}
}

func TestTokenSourceRevokedRefreshToken(t *testing.T) {
	srv, cfg, store, old := sourceSetup(t, true)
	srv.Revoke(old.RefreshToken)
	_, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
	var re *oauthflow.ReauthorizeError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v; want *ReauthorizeError", err)
	}
	var te *oauthflow.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Errorf("error = %v; want it to wrap *TokenError invalid_grant", err)
	}
	if !strings.Contains(err.Error(), "authorize again, for example with go run ./examples/connect in a checkout of github.com/samspoke/samspoke") {
		t.Errorf("message %q should say where to authorize again", err)
	}
	assertNoSecrets(t, srv.Secrets(), err.Error())
}

// TestLibraryErrorsNameTheRepository: the errors that ask a person to
// authorize again reach programs outside this module, which have no
// ./examples/connect: they say where that command lives instead of
// telling the user to run it in their own module.
func TestLibraryErrorsNameTheRepository(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "token.json")
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, fileErr := (&oauthflow.FileStore{Path: bad}).Load(t.Context())
	var fe *oauthflow.TokenFileError
	if !errors.As(fileErr, &fe) {
		t.Fatalf("Load of a malformed file: %v, want *TokenFileError", fileErr)
	}
	_, noTokenErr := oauthflow.TokenSource(t.Context(), nil, &oauthflow.FileStore{Path: filepath.Join(dir, "none.json")}).Token()
	var re *oauthflow.ReauthorizeError
	if !errors.As(noTokenErr, &re) {
		t.Fatalf("Token with no stored token: %v, want *ReauthorizeError", noTokenErr)
	}
	for _, err := range []error{fileErr, noTokenErr, &oauthflow.ReauthorizeError{Reason: "revoked"}} {
		msg := err.Error()
		if !strings.Contains(msg, "github.com/samspoke/samspoke") || !strings.Contains(msg, "authorize again") {
			t.Errorf("%q does not say where to authorize again", msg)
		}
		if strings.Contains(msg, "run "+oauthflow.ConnectCommand) {
			t.Errorf("%q tells the user to run a command of another module as if it were theirs", msg)
		}
	}
}

func TestTokenSourceNonExpiringWithoutRefreshToken(t *testing.T) {
	srv, cfg, store, _ := sourceSetup(t, false)
	at, _ := srv.IssueToken(false)
	if err := store.Save(t.Context(), &oauth2.Token{AccessToken: at, TokenType: "bearer"}); err != nil {
		t.Fatal(err)
	}
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	for range 3 {
		tok, err := ts.Token()
		if err != nil || tok.AccessToken != at || !tok.Expiry.IsZero() {
			t.Fatalf("Token = %v, %v; want the stored non-expiring token", tok != nil, err)
		}
	}
	// And through an HTTP client, against /me.
	st, err := oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), ts), cfg.APIBaseURL())
	if err != nil || !st.IsAccountAdministrator() {
		t.Fatalf("Validate = %+v, %v", st, err)
	}
	if srv.Refreshes() != 0 {
		t.Error("a non-expiring token was refreshed")
	}
	// Without a Config as well.
	if _, err := oauthflow.TokenSource(t.Context(), nil, store).Token(); err != nil {
		t.Fatalf("nil Config: %v", err)
	}
}

func TestTokenSourceNeedsReauthorization(t *testing.T) {
	t.Run("expired without refresh token", func(t *testing.T) {
		srv, cfg, store, _ := sourceSetup(t, false)
		_, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
		var re *oauthflow.ReauthorizeError
		if !errors.As(err, &re) || srv.Refreshes() != 0 {
			t.Fatalf("error = %v, refreshes %d; want *ReauthorizeError and no request", err, srv.Refreshes())
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		_, cfg, _, _ := sourceSetup(t, false)
		store := &oauthflow.FileStore{Path: filepath.Join(t.TempDir(), "none.json")}
		_, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
		var re *oauthflow.ReauthorizeError
		if !errors.As(err, &re) || !errors.Is(err, oauthflow.ErrNoToken) {
			t.Fatalf("error = %v; want *ReauthorizeError wrapping ErrNoToken", err)
		}
	})
	t.Run("loose file permissions are not hidden", func(t *testing.T) {
		_, cfg, store, _ := sourceSetup(t, true)
		if err := chmod(store.Path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
		var pe *oauthflow.PermissionError
		if !errors.As(err, &pe) {
			t.Fatalf("error = %v; want *PermissionError", err)
		}
	})
}

func TestTokenSourceUsesInjectedClock(t *testing.T) {
	srv, _, store, old := sourceSetup(t, true)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old.Expiry = now.Add(-time.Second)
	if err := store.Save(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	cfg, err := oauthflow.NewConfig(srv.URL, srv.ClientID, srv.ClientSecret, "http://127.0.0.1:8400/callback",
		oauthflow.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	srv.Update(func(s *oauthflowtest.Server) { s.ExpiresIn = 2 * time.Hour })
	tok, err := oauthflow.TokenSource(t.Context(), cfg, store).Token()
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(2 * time.Hour); !tok.Expiry.Equal(want) || tok.Expiry.Location() != time.UTC {
		t.Errorf("Expiry = %v; want %v in UTC", tok.Expiry, want)
	}
}

// failingStore saves nothing until fixed.
type failingStore struct {
	mu    sync.Mutex
	tok   *oauth2.Token
	fail  bool
	saves int
}

func (s *failingStore) Load(context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *s.tok
	return &cp, nil
}

func (s *failingStore) Save(_ context.Context, t *oauth2.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	s.saves++
	cp := *t
	s.tok = &cp
	return nil
}

func TestTokenSourceDoesNotHandOutUnsavedToken(t *testing.T) {
	srv, cfg, _, old := sourceSetup(t, true)
	srv.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
	store := &failingStore{tok: old, fail: true}
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	if tok, err := ts.Token(); err == nil || tok != nil {
		t.Fatal("a refreshed token was returned although saving it failed")
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("after the store recovered: %v", err)
	}
	// The rotated token from the first refresh was kept and saved, not lost.
	if srv.Refreshes() != 1 || store.tok.RefreshToken != tok.RefreshToken || tok.RefreshToken == old.RefreshToken {
		t.Fatalf("refreshes = %d; the rotated refresh token must be saved on retry", srv.Refreshes())
	}
}

func TestTokenSourceLogsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, cfg, store, _ := sourceSetup(t, true, oauthflow.WithLogger(logger))
	srv.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
	if _, err := oauthflow.TokenSource(t.Context(), cfg, store).Token(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "token refreshed") {
		t.Fatalf("no debug record of the refresh: %q", logs.String())
	}
	assertNoSecrets(t, srv.Secrets(), logs.String())
}

// TestTokenSourceLogsRefreshRequest: with WithLogger, a refresh logs its
// request to the token endpoint (method, host, path, status, duration) in
// one record, with no secret; so does a token source whose Config has no
// logger, when its context carries an oauth2.HTTPClient built on
// LogRequests.
func TestTokenSourceLogsRefreshRequest(t *testing.T) {
	t.Parallel()
	requests := func(t *testing.T, logs string) []string {
		t.Helper()
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			if strings.Contains(line, `msg="oauthflow: request"`) {
				out = append(out, line)
			}
		}
		return out
	}
	check := func(t *testing.T, srv *oauthflowtest.Server, logs string) {
		t.Helper()
		lines := requests(t, logs)
		if len(lines) != 1 {
			t.Fatalf("%d request records, want 1:\n%s", len(lines), logs)
		}
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"method=POST", "host=" + u.Host, "path=/oauth/token", "status=200", "took="} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("the record lacks %s: %s", want, lines[0])
			}
		}
		assertNoSecrets(t, srv.Secrets(), logs)
	}
	t.Run("WithLogger", func(t *testing.T) {
		t.Parallel()
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		srv, cfg, store, _ := sourceSetup(t, true, oauthflow.WithLogger(logger))
		srv.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
		if _, err := oauthflow.TokenSource(t.Context(), cfg, store).Token(); err != nil {
			t.Fatal(err)
		}
		check(t, srv, logs.String())
	})
	t.Run("context client", func(t *testing.T) {
		t.Parallel()
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		srv, cfg, store, _ := sourceSetup(t, true)
		srv.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
		ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: oauthflow.LogRequests(logger, nil)})
		if _, err := oauthflow.TokenSource(ctx, cfg, store).Token(); err != nil {
			t.Fatal(err)
		}
		check(t, srv, logs.String())
	})
	t.Run("transport error", func(t *testing.T) {
		t.Parallel()
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		rt := oauthflow.LogRequests(logger, roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}))
		req, err := http.NewRequest(http.MethodGet, "https://acme.aha.io/oauth/authorize?client_id=cid&state=s3cr3t-state", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.RoundTrip(req); err == nil {
			t.Fatal("no error")
		}
		lines := requests(t, logs.String())
		if len(lines) != 1 || !strings.Contains(lines[0], "connection refused") || strings.Contains(lines[0], "s3cr3t") || strings.Contains(lines[0], "client_id") {
			t.Errorf("records %q: want one naming the failure without the query", lines)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStaticToken(t *testing.T) {
	key := randomSecret(t)
	ts := oauthflow.StaticToken(key)
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != key || tok.Type() != "Bearer" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	assertNoSecrets(t, []string{key}, fmt.Sprintf("%v %+v %#v %s", ts, ts, ts, ts))
	if _, err := oauthflow.StaticToken("").Token(); !errors.Is(err, oauthflow.ErrNoAPIKey) {
		t.Fatalf("empty key: %v", err)
	}
}

// TestTokenErrorTemporary: only a failure that may mend (no answer, or
// Aha! answering 429 or 5xx) is temporary; a refusal is final, so the
// client does not resend the same credentials.
func TestTokenErrorTemporary(t *testing.T) {
	for _, tt := range []struct {
		e    oauthflow.TokenError
		want bool
	}{
		{oauthflow.TokenError{Op: "refresh the token", Err: errors.New("dial tcp: connection refused")}, true},
		{oauthflow.TokenError{Op: "refresh the token", StatusCode: 503}, true},
		{oauthflow.TokenError{Op: "refresh the token", StatusCode: 429}, true},
		{oauthflow.TokenError{Op: "refresh the token", StatusCode: 401, Code: "invalid_client"}, false},
		{oauthflow.TokenError{Op: "refresh the token", StatusCode: 400, Code: "invalid_grant"}, false},
	} {
		if got := tt.e.Temporary(); got != tt.want {
			t.Errorf("%v: Temporary() = %v, want %v", &tt.e, got, tt.want)
		}
	}
}
