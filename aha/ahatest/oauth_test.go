package ahatest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type oauthFixture struct {
	*fixture
	app   OAuthApp
	clock *time.Time
	mu    *sync.Mutex
}

func newOAuthFixture(t *testing.T, o OAuthOptions, opts ...Option) *oauthFixture {
	app := OAuthApp{ClientID: secret(t), ClientSecret: secret(t), RedirectURI: "http://127.0.0.1:8400/callback"}
	clock := testNow
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s := NewServer(DemoAccount(testNow), append([]Option{WithOAuthApp(app, o), WithClock(now), WithRateLimit(0, 0)}, opts...)...)
	t.Cleanup(s.Close)
	return &oauthFixture{fixture: &fixture{t: t, s: s}, app: app, clock: &clock, mu: &mu}
}

func (o *oauthFixture) advance(d time.Duration) {
	o.mu.Lock()
	*o.clock = o.clock.Add(d)
	o.mu.Unlock()
}

// authorize follows GET /oauth/authorize without following the redirect and
// returns the redirect's query.
func (o *oauthFixture) authorize(extra url.Values) url.Values {
	o.t.Helper()
	q := url.Values{"client_id": {o.app.ClientID}, "redirect_uri": {o.app.RedirectURI}, "response_type": {"code"}}
	for k, v := range extra {
		q[k] = v
	}
	c := *o.s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(o.s.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		o.t.Fatalf("authorize: %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), o.app.RedirectURI+"?") {
		o.t.Fatalf("redirected to %q, want %s", loc, o.app.RedirectURI)
	}
	return loc.Query()
}

type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	CreatedAt    int64  `json:"created_at"`
	ExpiresIn    *int64 `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

func (o *oauthFixture) token(form url.Values) (int, tokenReply) {
	o.t.Helper()
	form.Set("client_id", o.app.ClientID)
	form.Set("client_secret", o.app.ClientSecret)
	resp, err := o.s.Client().PostForm(o.s.URL+"/oauth/token", form)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r tokenReply
	if err := json.Unmarshal(b, &r); err != nil {
		o.t.Fatalf("token reply not JSON: %v", err)
	}
	return resp.StatusCode, r
}

func (o *oauthFixture) exchange(code string, extra url.Values) (int, tokenReply) {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.app.RedirectURI}}
	for k, v := range extra {
		f[k] = v
	}
	return o.token(f)
}

func (o *oauthFixture) meStatus(token string) int {
	g := *o.fixture
	g.token = token
	resp, _ := g.do("GET", "/me", nil)
	return resp.StatusCode
}

func TestOAuthCodeFlow(t *testing.T) {
	o := newOAuthFixture(t, OAuthOptions{})
	state := secret(t)
	q := o.authorize(url.Values{"state": {state}})
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect query %v: want the state echoed and a code", q.Encode() != "")
	}
	if o.meStatus("anything") != 401 {
		t.Error("an unknown token was accepted")
	}
	st, tok := o.exchange(q.Get("code"), nil)
	if st != 200 || tok.AccessToken == "" || tok.TokenType != "bearer" || tok.CreatedAt != testNow.Unix() || tok.ExpiresIn != nil || tok.RefreshToken != "" {
		t.Fatalf("exchange: %d %+v", st, tok.TokenType)
	}
	if o.meStatus(tok.AccessToken) != 200 {
		t.Error("issued token refused by the API")
	}
	if st, r := o.exchange(q.Get("code"), nil); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("reused code: %d %q, want 400 invalid_grant", st, r.Error)
	}
	if st, r := o.exchange("not-a-code", nil); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("unknown code: %d %q", st, r.Error)
	}
	q = o.authorize(nil)
	if _, ok := q["state"]; ok {
		t.Error("state sent back although none was given")
	}
	if st, r := o.exchange(q.Get("code"), url.Values{"redirect_uri": {"http://127.0.0.1:9/other"}}); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("wrong redirect_uri: %d %q", st, r.Error)
	}
	bad := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {o.app.RedirectURI}}
	o.app.ClientSecret = "wrong"
	if st, r := o.token(bad); st != 401 || r.Error != "invalid_client" {
		t.Errorf("wrong secret: %d %q", st, r.Error)
	}
	o.s.RevokeAccessTokens()
	if o.meStatus(tok.AccessToken) != 401 {
		t.Error("revoked access token still accepted")
	}
}

func TestOAuthPKCE(t *testing.T) {
	o := newOAuthFixture(t, OAuthOptions{})
	verifier := secret(t) + secret(t)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	pk := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	q := o.authorize(pk)
	if st, r := o.exchange(q.Get("code"), url.Values{"code_verifier": {"wrong" + verifier}}); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("wrong verifier: %d %q", st, r.Error)
	}
	q = o.authorize(pk)
	if st, _ := o.exchange(q.Get("code"), nil); st != 400 {
		t.Errorf("missing verifier: %d, want 400", st)
	}
	q = o.authorize(pk)
	if st, r := o.exchange(q.Get("code"), url.Values{"code_verifier": {verifier}}); st != 200 || r.AccessToken == "" {
		t.Errorf("right verifier: %d", st)
	}
}

func TestOAuthRefreshRotationExpiryRevocation(t *testing.T) {
	o := newOAuthFixture(t, OAuthOptions{AccessTTL: time.Hour, IssueRefresh: true, RotateRefresh: true})
	_, tok := o.exchange(o.authorize(nil).Get("code"), nil)
	if tok.ExpiresIn == nil || *tok.ExpiresIn != 3600 || tok.RefreshToken == "" {
		t.Fatalf("token: expires_in %v, refresh set %v", tok.ExpiresIn, tok.RefreshToken != "")
	}
	o.advance(time.Hour)
	if o.meStatus(tok.AccessToken) != 401 {
		t.Error("expired access token accepted")
	}
	st, next := o.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if st != 200 || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || o.meStatus(next.AccessToken) != 200 {
		t.Fatalf("refresh: %d, rotated %v", st, next.RefreshToken != tok.RefreshToken)
	}
	if st, r := o.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("rotated-out refresh token: %d %q", st, r.Error)
	}
	o.s.RevokeRefreshTokens()
	if st, r := o.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}}); st != 400 || r.Error != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %q", st, r.Error)
	}

	// Without rotation the reply has no refresh_token and the old one stays valid.
	o2 := newOAuthFixture(t, OAuthOptions{IssueRefresh: true})
	_, t2 := o2.exchange(o2.authorize(nil).Get("code"), nil)
	for range 2 {
		st, r := o2.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t2.RefreshToken}})
		if st != 200 || r.RefreshToken != "" {
			t.Errorf("non-rotating refresh: %d, refresh_token present %v", st, r.RefreshToken != "")
		}
	}
}

func TestOAuthDenied(t *testing.T) {
	o := newOAuthFixture(t, OAuthOptions{}, WithFaults(NewFaults().On("GET /oauth/authorize", 1, AuthorizeError("access_denied"))))
	q := o.authorize(url.Values{"state": {"s1"}})
	if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "s1" {
		t.Errorf("fault: %v", q)
	}
	if q = o.authorize(nil); q.Get("code") == "" {
		t.Errorf("second authorization: %v", q)
	}
	o.s.SetOAuthDeny(true)
	if q = o.authorize(nil); q.Get("error") != "access_denied" {
		t.Errorf("deny option: %v", q)
	}
}
