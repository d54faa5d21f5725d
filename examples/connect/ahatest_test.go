package main

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

// freeRedirect returns a loopback redirect URI on a port that was free a
// moment ago: ahatest needs the exact redirect URI before the command runs.
func freeRedirect(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String() + "/callback"
}

// TestConnectAgainstAhatest drives the whole command over HTTP against the
// shared fake Aha! account: authorize redirect → loopback listener → token
// exchange → file store → /me, then refreshes with rotation through the
// stored token, and a revoked refresh token asks for re-authorization.
func TestConnectAgainstAhatest(t *testing.T) {
	redirect := freeRedirect(t)
	app := ahatest.OAuthApp{ClientID: "samspoke-" + rand.Text()[:6], ClientSecret: rand.Text(), RedirectURI: redirect}
	acct := ahatest.DemoAccount(time.Now())
	srv := ahatest.NewServer(acct, ahatest.WithOAuthApp(app, ahatest.OAuthOptions{
		AccessTTL: time.Hour, IssueRefresh: true, RotateRefresh: true,
	}))
	defer srv.Close()

	tokenFile := filepath.Join(t.TempDir(), "aha-token.json")
	args := []string{"-aha-url", srv.URL, "-client-id", app.ClientID, "-redirect", redirect,
		"-token-file", tokenFile, "-timeout", "5s"}
	env := func(k string) string {
		if k == "AHA_CLIENT_SECRET" {
			return app.ClientSecret
		}
		return ""
	}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() { done <- run(ctx, args, env, &stdout, &stderr) }()
	var authURL string
	for authURL == "" {
		select {
		case code := <-done:
			t.Fatalf("command ended (%d) early: %s", code, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if m := authURLLine.FindStringSubmatch(stdout.String()); m != nil {
			authURL = m[1]
		}
	}
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	self := acct.User(acct.SelfID)
	if want := "(user " + acct.SelfID + ")."; !strings.Contains(stdout.String(), want) ||
		!strings.Contains(stdout.String(), self.Name) || !strings.Contains(stdout.String(), "Account administrator: yes") {
		t.Fatalf("stdout:\n%s", stdout.String())
	}

	// A later run: the stored token has expired; concurrent callers cause one
	// refresh, and the rotated refresh token is saved.
	store := &oauthflow.FileStore{Path: tokenFile}
	stored, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stored.Expiry = time.Now().Add(-time.Minute)
	if err := store.Save(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	cfg, err := oauthflow.NewConfig(srv.URL, app.ClientID, app.ClientSecret, redirect)
	if err != nil {
		t.Fatal(err)
	}
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	var wg sync.WaitGroup
	toks := make([]*oauth2.Token, 4)
	for i := range toks {
		wg.Go(func() { toks[i], _ = ts.Token() })
	}
	wg.Wait()
	for _, tok := range toks {
		if tok == nil || tok.AccessToken != toks[0].AccessToken {
			t.Fatal("concurrent callers did not share one refreshed token")
		}
	}
	saved, err := store.Load(t.Context())
	if err != nil || saved.RefreshToken == stored.RefreshToken || saved.AccessToken != toks[0].AccessToken {
		t.Fatalf("rotated token not saved: %v", err)
	}
	st, err := oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), ts), srv.APIURL())
	if err != nil || !st.IsAccountAdministrator() || st.UserID != acct.SelfID {
		t.Fatalf("Validate = %+v, %v", st, err)
	}

	// Revoked: the next refresh asks for re-authorization.
	srv.RevokeRefreshTokens()
	saved.Expiry = time.Now().Add(-time.Minute)
	if err := store.Save(t.Context(), saved); err != nil {
		t.Fatal(err)
	}
	_, err = oauthflow.TokenSource(t.Context(), cfg, store).Token()
	var re *oauthflow.ReauthorizeError
	if !errors.As(err, &re) {
		t.Fatalf("after revocation: %v; want *ReauthorizeError", err)
	}

	secrets := []string{app.ClientSecret, stored.AccessToken, stored.RefreshToken, saved.AccessToken, saved.RefreshToken}
	for _, out := range []string{stdout.String(), stderr.String(), err.Error()} {
		for _, sec := range secrets {
			if strings.Contains(out, sec) {
				t.Errorf("a secret was printed: %q", strings.ReplaceAll(out, sec, "<SECRET>"))
			}
		}
	}
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode: %v %v", fi, err)
	}
}
