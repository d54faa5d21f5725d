// Package oauthflowtest is a minimal fake of Aha!'s OAuth2 endpoints and
// /api/v1/me, for hermetic tests of package oauthflow and the programs that
// use it. It issues random codes and tokens at run time, so no secret is
// ever written to a fixture.
package oauthflowtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// User is the account user /api/v1/me describes.
type User struct {
	ID                string // digits, sent as a JSON string
	Name              string // the user's name
	Email             string // the user's email address
	Administrator     bool   // sent as "administrator"
	AdministerAccount bool   // sent as administrator_roles.administer_account
	// OmitAdminFromMe leaves the administrator flags out of /me, as Aha!'s
	// documented /me example does; /users/{id} still carries them.
	OmitAdminFromMe bool
}

// Server is a fake Aha! account serving /oauth/authorize, /oauth/token,
// /api/v1/me and /api/v1/users/{id}. Set its exported fields before use;
// they are read under the server's lock.
type Server struct {
	*httptest.Server

	ClientID     string // random unless set by the caller of NewServer
	ClientSecret string // random unless set by the caller of NewServer

	mu sync.Mutex
	// ExpiresIn is the access-token lifetime sent as expires_in; 0 sends none
	// (a non-expiring token).
	ExpiresIn time.Duration
	// IssueRefresh makes the token endpoint return refresh tokens.
	IssueRefresh bool
	// Rotate replaces the refresh token on every refresh, revoking the old one.
	Rotate bool
	// RefreshDelay slows refresh requests, to make concurrent refreshes overlap.
	RefreshDelay time.Duration
	// Deny makes /oauth/authorize redirect with error=Deny.
	Deny string
	// User is the token owner.
	User User

	codes     map[string]grant
	access    map[string]bool
	refresh   map[string]bool
	refreshes int
	exchanges int
	issued    []string // every secret handed out
}

type grant struct{ redirect, challenge string }

// NewServer starts a fake account with a random client id and secret and an
// administrator user. Close it when done.
func NewServer() *Server {
	s := &Server{
		ClientID:     "client-" + rand.Text()[:8],
		ClientSecret: "secret-" + rand.Text(),
		IssueRefresh: true,
		User: User{ID: "1020675218", Name: "Mary Humpty", Email: "mary@example.com",
			Administrator: true, AdministerAccount: true},
		codes:   map[string]grant{},
		access:  map[string]bool{},
		refresh: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", s.authorize)
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /api/v1/me", s.me)
	mux.HandleFunc("GET /api/v1/users/{id}", s.user)
	s.Server = httptest.NewServer(mux)
	return s
}

// Update runs f under the server's lock, to change settings safely while
// requests may be in flight.
func (s *Server) Update(f func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Refreshes returns how many refresh_token requests arrived.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Exchanges returns how many authorization_code requests arrived.
func (s *Server) Exchanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exchanges
}

// Secrets returns the client secret and every code and token issued so far,
// for tests that assert none of them leaked.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{s.ClientSecret}, s.issued...)
}

// IssueToken mints a valid access token (and a refresh token when rt) outside
// the authorization flow, as if a previous run had stored them.
func (s *Server) IssueToken(rt bool) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access = s.newSecret("access-")
	s.access[access] = true
	if rt {
		refresh = s.newSecret("refresh-")
		s.refresh[refresh] = true
	}
	return access, refresh
}

// Revoke invalidates a refresh or access token.
func (s *Server) Revoke(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refresh, tok)
	delete(s.access, tok)
}

func (s *Server) newSecret(prefix string) string {
	v := prefix + rand.Text()
	s.issued = append(s.issued, v)
	return v
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("client_id") != s.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "unknown client or response type", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE S256 expected", http.StatusBadRequest)
		return
	}
	out := redirect.Query()
	if s.Deny != "" {
		out.Set("error", s.Deny)
		out.Set("error_description", "The resource owner denied the request.")
	} else {
		code := s.newSecret("code-")
		s.codes[code] = grant{redirect: redirect.String(), challenge: q.Get("code_challenge")}
		out.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		out.Set("state", st)
	}
	redirect.RawQuery = out.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "form expected")
		return
	}
	f := r.PostForm
	if _, _, basic := r.BasicAuth(); basic {
		oauthError(w, http.StatusBadRequest, "invalid_request", "client credentials belong in the form")
		return
	}
	s.mu.Lock()
	if f.Get("client_id") != s.ClientID || f.Get("client_secret") != s.ClientSecret {
		s.mu.Unlock()
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.exchanges++
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use
		if !ok || g.redirect != f.Get("redirect_uri") || pkce(f.Get("code_verifier")) != g.challenge {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid, expired, or already used.")
			return
		}
		s.issue(w, "")
	case "refresh_token":
		s.refreshes++
		delay := s.RefreshDelay
		s.mu.Unlock()
		time.Sleep(delay)
		s.mu.Lock()
		rt := f.Get("refresh_token")
		if !s.refresh[rt] {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or revoked.")
			return
		}
		s.issue(w, rt)
	default:
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// issue answers a token request; s.mu is held and released here.
func (s *Server) issue(w http.ResponseWriter, oldRefresh string) {
	body := map[string]any{"token_type": "bearer"}
	at := s.newSecret("access-")
	s.access[at] = true
	body["access_token"] = at
	if s.ExpiresIn > 0 {
		body["expires_in"] = int(s.ExpiresIn / time.Second)
	}
	switch {
	case oldRefresh == "" && s.IssueRefresh:
		rt := s.newSecret("refresh-")
		s.refresh[rt] = true
		body["refresh_token"] = rt
	case oldRefresh != "" && s.Rotate:
		delete(s.refresh, oldRefresh)
		rt := s.newSecret("refresh-")
		s.refresh[rt] = true
		body["refresh_token"] = rt
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(body)
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.access[tok] {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("<html><body>You need to sign in.</body></html>"))
		return User{}, false
	}
	return s.User, true
}

func userJSON(u User, admin bool) map[string]any {
	m := map[string]any{"id": u.ID, "name": u.Name, "email": u.Email,
		"created_at": "2019-01-01T00:00:00.000Z", "updated_at": "2019-01-01T00:00:00.000Z"}
	if admin {
		m["administrator"] = u.Administrator
		m["administrator_roles"] = map[string]bool{
			"administer_account":       u.AdministerAccount,
			"administer_billing":       u.AdministerAccount,
			"administer_configuration": u.Administrator,
		}
	}
	return m
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorized(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"user": userJSON(u, !u.OmitAdminFromMe)})
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorized(w, r)
	if !ok {
		return
	}
	if r.PathValue("id") != u.ID {
		http.Error(w, `{"error":"Record not found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"user": userJSON(u, true)})
}
