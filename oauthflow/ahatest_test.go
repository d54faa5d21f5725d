package oauthflow_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

// TestFlowAgainstFakeAccount drives the package over HTTP against the
// project's fake Aha! account (aha/ahatest, which serves /oauth/authorize
// and /oauth/token beside the API), with an HTTP client as the browser: a
// stale tab's callback with a wrong state is refused and the wait goes on,
// the genuine one is exchanged once, a replayed code is refused, a denied
// authorization is reported, an expired token is refreshed once for four
// goroutines with its rotated refresh token saved, and a revoked refresh
// token asks for re-authorization. No secret reaches any error text.
func TestFlowAgainstFakeAccount(t *testing.T) {
	// The listener first: the fake needs the exact redirect URI.
	l, err := oauthflow.ListenLoopback(t.Context(), "http://127.0.0.1:0/callback", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	app := ahatest.OAuthApp{ClientID: "samspoke-" + randomSecret(t)[:6], ClientSecret: randomSecret(t), RedirectURI: l.RedirectURI()}
	acct := ahatest.DemoAccount(time.Now())
	srv := ahatest.NewServer(acct, ahatest.WithOAuthApp(app, ahatest.OAuthOptions{
		AccessTTL: time.Hour, IssueRefresh: true, RotateRefresh: true,
	}))
	t.Cleanup(srv.Close)
	cfg, err := oauthflow.NewConfig(srv.URL, app.ClientID, app.ClientSecret, l.RedirectURI())
	if err != nil {
		t.Fatal(err)
	}
	tokenRequests := func() int64 { return srv.Stats().ByRoute["POST /oauth/token"] }
	var errText []string

	// Happy path, after a stale tab's callback.
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
	resp, err := http.Get(l.RedirectURI() + "?code=stale&state=" + randomSecret(t))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a wrong state was answered %d; want 400", resp.StatusCode)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, l.RedirectURI()+"?") || !strings.Contains(callback, "state="+stateOf(t, flow)) {
		t.Fatal("Aha! did not redirect to the redirect URI with the state echoed")
	}
	if resp, err = http.Get(callback); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-done
	if r.err != nil || r.tok.AccessToken == "" || r.tok.RefreshToken == "" || r.tok.Expiry.IsZero() {
		t.Fatalf("WaitLoopback = %v; want a token with a refresh token and an expiry", r.err)
	}
	if n := tokenRequests(); n != 1 {
		t.Errorf("token requests = %d; want 1 (the stale callback's code never exchanged)", n)
	}
	store := &oauthflow.FileStore{Path: filepath.Join(t.TempDir(), "aha-token.json")}
	if err := store.Save(t.Context(), r.tok); err != nil {
		t.Fatal(err)
	}
	st, err := oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), oauthflow.TokenSource(t.Context(), cfg, store)), srv.APIURL())
	if err != nil || st.UserID != acct.SelfID || !st.IsAccountAdministrator() {
		t.Fatalf("Validate = %+v, %v; want the account's administrator %s", st, err, acct.SelfID)
	}

	// The code is single-use: replayed in another flow, Aha! refuses it.
	code := callbackCode(t, callback)
	other := cfg.Begin()
	_, err = other.Callback(t.Context(), url.Values{"code": {code}, "state": {stateOf(t, other)}})
	var te *oauthflow.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Errorf("replayed code = %v; want *TokenError invalid_grant", err)
	}
	errText = append(errText, errString(err))

	// Denied.
	srv.SetOAuthDeny(true)
	denied := cfg.Begin()
	if resp, err = noFollow.Get(denied.AuthURL()); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = denied.Callback(t.Context(), queryOf(t, resp.Header.Get("Location")))
	var ae *oauthflow.AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "access_denied" {
		t.Errorf("denied authorization = %v; want *AuthorizationError access_denied", err)
	}
	errText = append(errText, errString(err))
	srv.SetOAuthDeny(false)

	// Expired: four goroutines, one refresh, the rotated refresh token saved
	// before the new access token is used.
	stored, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stored.Expiry = time.Now().Add(-time.Minute)
	if err := store.Save(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	before := tokenRequests()
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	toks := make([]*oauth2.Token, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range toks {
		wg.Go(func() { <-start; toks[i], errs[i] = ts.Token() })
	}
	close(start)
	wg.Wait()
	if n := tokenRequests() - before; n != 1 {
		t.Errorf("refresh requests = %d; want 1", n)
	}
	saved, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range toks {
		if errs[i] != nil || toks[i].AccessToken != saved.AccessToken {
			t.Fatalf("goroutine %d: %v, or a token other than the saved one", i, errs[i])
		}
	}
	if saved.RefreshToken == "" || saved.RefreshToken == stored.RefreshToken || saved.AccessToken == stored.AccessToken {
		t.Error("the refresh's new access token and rotated refresh token were not saved")
	}
	if _, err := oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), ts), srv.APIURL()); err != nil {
		t.Errorf("the refreshed token is refused: %v", err)
	}

	// Revoked: a typed request to authorize again.
	srv.RevokeRefreshTokens()
	saved.Expiry = time.Now().Add(-time.Minute)
	if err := store.Save(t.Context(), saved); err != nil {
		t.Fatal(err)
	}
	_, err = oauthflow.TokenSource(t.Context(), cfg, store).Token()
	var re *oauthflow.ReauthorizeError
	if !errors.As(err, &re) {
		t.Errorf("after revocation: %v; want *ReauthorizeError", err)
	}
	errText = append(errText, errString(err))

	assertNoSecrets(t, []string{app.ClientSecret, code, r.tok.AccessToken, r.tok.RefreshToken, saved.AccessToken, saved.RefreshToken}, errText...)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func queryOf(t *testing.T, location string) url.Values {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func callbackCode(t *testing.T, location string) string {
	t.Helper()
	c := queryOf(t, location).Get("code")
	if c == "" {
		t.Fatalf("a redirect carries no code")
	}
	return c
}
