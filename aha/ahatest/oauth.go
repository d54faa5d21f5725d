package ahatest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// OAuthApp is the OAuth2 application registered in the fake account.
type OAuthApp struct {
	ClientID     string // the app's client_id
	ClientSecret string // the app's client_secret, checked at the token endpoint
	RedirectURI  string // must equal the redirect_uri of requests exactly
}

// OAuthOptions sets how the fake issues tokens (Aha! does not document its
// token lifetime or refresh behaviour, so clients must handle every mix).
type OAuthOptions struct {
	AccessTTL     time.Duration // access token lifetime; 0: no expiry and no expires_in
	IssueRefresh  bool          // issue refresh tokens
	RotateRefresh bool          // each refresh returns a new refresh token and retires the old one
	// Deny makes every authorization redirect with error=access_denied.
	Deny bool
}

// WithOAuthApp serves /oauth/authorize and /oauth/token for app. Access
// tokens it issues are accepted by the API as the account's SelfID. With it
// (and no WithToken) other bearer tokens are refused.
func WithOAuthApp(app OAuthApp, opts OAuthOptions) Option {
	return func(s *Server) {
		s.oauth = &oauthState{app: app, opts: opts, codes: map[string]*authCode{}, refresh: map[string]string{}}
	}
}

// codeTTL bounds how long an authorization code may wait for its exchange.
const codeTTL = 10 * time.Minute

type authCode struct {
	redirectURI string
	challenge   string
	method      string
	userID      string
	expires     time.Time
}

type oauthState struct {
	app  OAuthApp
	opts OAuthOptions

	mu      sync.Mutex
	codes   map[string]*authCode
	refresh map[string]string // refresh token → user id
}

// randomToken returns 32 random bytes, hex-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// RevokeRefreshTokens revokes every refresh token issued so far.
func (s *Server) RevokeRefreshTokens() {
	if s.oauth == nil {
		return
	}
	s.oauth.mu.Lock()
	clear(s.oauth.refresh)
	s.oauth.mu.Unlock()
}

// SetOAuthDeny switches whether authorizations are denied (error=access_denied).
func (s *Server) SetOAuthDeny(deny bool) {
	if s.oauth == nil {
		return
	}
	s.oauth.mu.Lock()
	s.oauth.opts.Deny = deny
	s.oauth.mu.Unlock()
}

func oauthError(status int, code, desc string) response {
	return jsonResponse(status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) serveOAuth(rc *reqCtx, name string, f *Fault) response {
	if s.oauth == nil {
		return notFound()
	}
	if name == "GET /oauth/authorize" {
		return s.authorize(rc, f)
	}
	return s.token(rc)
}

func redirect(to string, q url.Values) response {
	u, _ := url.Parse(to) // validated: it equals the registered URI
	v := u.Query()
	for k, vs := range q {
		v[k] = vs
	}
	u.RawQuery = v.Encode()
	return response{status: http.StatusFound, header: http.Header{"Location": {u.String()}}}
}

// authorize auto-approves as the account's SelfID and redirects with a
// single-use code and the state.
func (s *Server) authorize(rc *reqCtx, f *Fault) response {
	o := s.oauth
	q := rc.r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("client_id")), []byte(o.app.ClientID)) != 1 {
		return oauthError(http.StatusBadRequest, "invalid_client", "Client authentication failed due to unknown client.")
	}
	if q.Get("redirect_uri") != o.app.RedirectURI {
		return oauthError(http.StatusBadRequest, "invalid_redirect_uri", "The requested redirect uri is malformed or doesn't match client redirect URI.")
	}
	back := url.Values{}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	o.mu.Lock()
	deny := o.opts.Deny
	o.mu.Unlock()
	switch {
	case f != nil && f.OAuthError != "":
		back.Set("error", f.OAuthError)
		return redirect(o.app.RedirectURI, back)
	case deny:
		back.Set("error", "access_denied")
		return redirect(o.app.RedirectURI, back)
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
		return redirect(o.app.RedirectURI, back)
	}
	method := q.Get("code_challenge_method")
	challenge := q.Get("code_challenge")
	if challenge != "" && method == "" {
		method = "plain"
	}
	if challenge != "" && method != "S256" && method != "plain" {
		back.Set("error", "invalid_request")
		return redirect(o.app.RedirectURI, back)
	}
	code := randomToken()
	o.mu.Lock()
	o.codes[code] = &authCode{redirectURI: q.Get("redirect_uri"), challenge: challenge, method: method,
		userID: s.acct.selfID(), expires: rc.now.Add(codeTTL)}
	o.mu.Unlock()
	back.Set("code", code)
	return redirect(o.app.RedirectURI, back)
}

// token serves POST /oauth/token for the authorization_code and
// refresh_token grants.
func (s *Server) token(rc *reqCtx) response {
	o := s.oauth
	r := rc.r
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(o.app.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(o.app.ClientSecret)) != 1 {
		return oauthError(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	}
	var userID string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		o.mu.Lock()
		c := o.codes[code]
		delete(o.codes, code) // single use, even when the exchange fails
		o.mu.Unlock()
		if c == nil || !rc.now.Before(c.expires) {
			return oauthError(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid, expired or already used.")
		}
		if r.PostForm.Get("redirect_uri") != c.redirectURI {
			return oauthError(http.StatusBadRequest, "invalid_grant", "The redirect uri does not match the one of the authorization request.")
		}
		if c.challenge != "" && !pkceOK(c, r.PostForm.Get("code_verifier")) {
			return oauthError(http.StatusBadRequest, "invalid_grant", "The code verifier does not match the code challenge.")
		}
		userID = c.userID
	case "refresh_token":
		if !o.opts.IssueRefresh {
			return oauthError(http.StatusBadRequest, "unsupported_grant_type", "Refresh tokens are not issued.")
		}
		rt := r.PostForm.Get("refresh_token")
		o.mu.Lock()
		uid, ok := o.refresh[rt]
		if ok && o.opts.RotateRefresh {
			delete(o.refresh, rt)
		}
		o.mu.Unlock()
		if !ok {
			return oauthError(http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or revoked.")
		}
		userID = uid
		return s.issue(rc, userID, !o.opts.RotateRefresh)
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported.")
	}
	return s.issue(rc, userID, false)
}

// issue creates an access token (and a refresh token when configured and
// keepRefresh is false) and answers the token JSON.
func (s *Server) issue(rc *reqCtx, userID string, keepRefresh bool) response {
	o := s.oauth
	access := randomToken()
	ti := tokenInfo{userID: userID, oauth: true}
	body := map[string]any{"access_token": access, "token_type": "bearer", "created_at": rc.now.Unix()}
	if o.opts.AccessTTL > 0 {
		ti.expires = rc.now.Add(o.opts.AccessTTL)
		body["expires_in"] = int64(o.opts.AccessTTL / time.Second)
	}
	s.mu.Lock()
	s.tokens[access] = ti
	s.mu.Unlock()
	if o.opts.IssueRefresh && !keepRefresh {
		rt := randomToken()
		o.mu.Lock()
		o.refresh[rt] = userID
		o.mu.Unlock()
		body["refresh_token"] = rt
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.header = http.Header{"Cache-Control": {"no-store"}, "Pragma": {"no-cache"}}
	return resp
}

func pkceOK(c *authCode, verifier string) bool {
	if verifier == "" {
		return false
	}
	want := verifier
	if c.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) == 1
}
