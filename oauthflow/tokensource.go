package oauthflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// expiryDelta is how long before its expiry a token is treated as expired,
// so that a request does not leave with a token that dies on the way.
const expiryDelta = 30 * time.Second

// ConnectCommand is the command that authorizes again and stores a new
// token, as run from a checkout of github.com/samspoke/samspoke. The
// module's own examples name it in their messages; this package's errors,
// which reach programs elsewhere, say where it lives.
const ConnectCommand = "go run ./examples/connect"

// connectHint is how this package's errors say where a person can
// authorize again. It names the repository, since a program outside this
// module has no ./examples/connect of its own; programs that authorize
// their own way catch [*ReauthorizeError] and [*TokenFileError] with
// errors.As and say so instead.
const connectHint = "authorize again, for example with " + ConnectCommand + " in a checkout of github.com/samspoke/samspoke"

// ErrNoAPIKey is returned by the [StaticToken] source of an empty API key.
var ErrNoAPIKey = errors.New("oauthflow: the Aha! API key is empty")

// ReauthorizeError means the stored authorization can no longer be used and
// a person has to authorize again: no token is stored, the refresh token was
// revoked or expired (invalid_grant), or the access token expired and Aha!
// issued no refresh token. Detect it with errors.As.
type ReauthorizeError struct {
	Reason string // why, without any secret
	Err    error  // the underlying error, if any
}

// Error says why, and how to authorize again.
func (e *ReauthorizeError) Error() string {
	return "oauthflow: Aha! must be authorized again (" + e.Reason + "): " + connectHint
}

// Unwrap returns the underlying error.
func (e *ReauthorizeError) Unwrap() error { return e.Err }

// TokenError is a failed request to Aha!'s token endpoint. Its text carries
// the HTTP status and the RFC 6749 error code and description, never the
// response body or a secret.
type TokenError struct {
	Op          string // "exchange the authorization code" or "refresh the token"
	StatusCode  int    // HTTP status; 0 when no response arrived
	Code        string // RFC 6749 error code, such as "invalid_grant"
	Description string // error_description, cleaned and redacted
	Err         error  // transport error when no response arrived
	msg         string // Err's text with secrets removed
}

// Error reports the operation, HTTP status and RFC 6749 error.
func (e *TokenError) Error() string {
	s := "oauthflow: could not " + e.Op
	if e.StatusCode != 0 {
		s += fmt.Sprintf(": Aha! answered HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		s += ": " + e.Code
		if e.Description != "" {
			s += " (" + e.Description + ")"
		}
	}
	if e.msg != "" {
		s += ": " + e.msg
	}
	return s
}

// Unwrap returns the transport error, if any (for errors.Is with
// context.DeadlineExceeded and the like).
func (e *TokenError) Unwrap() error { return e.Err }

// Temporary reports whether asking again may succeed: no answer arrived
// (a network failure), or Aha! answered 429 or 5xx. A refusal such as
// invalid_client or invalid_grant is not temporary; aha's client does not
// retry it.
func (e *TokenError) Temporary() bool {
	return e.StatusCode == 0 && e.Code == "" || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// newTokenError converts an x/oauth2 error, whose text may include the
// response body, into a [*TokenError] free of the given secrets.
func newTokenError(op string, err error, secrets ...string) *TokenError {
	te := &TokenError{Op: op}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		te.Code = redact(clean(re.ErrorCode), secrets...)
		te.Description = redact(clean(re.ErrorDescription), secrets...)
		if te.Code == "" && te.StatusCode == 0 {
			te.msg = "malformed reply from the token endpoint"
		}
		return te
	}
	te.Err = err
	te.msg = redact(clean(err.Error()), secrets...)
	return te
}

// fixExpiry recomputes Expiry from the wire lifetime with the injected clock.
func (c *Config) fixExpiry(t *oauth2.Token) {
	if t != nil && t.ExpiresIn > 0 {
		t.Expiry = c.clock().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t != nil && !t.Expiry.IsZero() {
		t.Expiry = t.Expiry.UTC()
	}
}

func expiryAttr(t *oauth2.Token) slog.Value {
	if t.Expiry.IsZero() {
		return slog.StringValue("never")
	}
	return slog.TimeValue(t.Expiry)
}

// TokenSource returns an [oauth2.TokenSource] backed by store. It loads the
// stored token on first use, and when the token has expired it refreshes it
// through cfg's token endpoint:
//
//   - at most one refresh runs at a time; concurrent callers wait for it and
//     share its result, so two goroutines cause one refresh request;
//   - every token Aha! returns is saved to store before it is handed out,
//     including a rotated refresh token; if the reply has no refresh token
//     the previous one is kept;
//   - a token without expiry is valid for ever and needs no refresh token;
//   - invalid_grant, or an expired token with no refresh token, is a
//     [*ReauthorizeError].
//
// ctx is used for the refresh requests and the store, for the life of the
// source. cfg may be nil when the stored token never expires.
func TokenSource(ctx context.Context, cfg *Config, store TokenStore) oauth2.TokenSource {
	return &storeSource{ctx: ctx, cfg: cfg, store: store}
}

type storeSource struct {
	ctx   context.Context
	cfg   *Config
	store TokenStore

	mu      sync.Mutex // serialises loads, refreshes and saves
	tok     *oauth2.Token
	unsaved bool // tok was refreshed but saving it failed
}

func (s *storeSource) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.cfg.clock().Add(expiryDelta).Before(t.Expiry)
}

// Token returns a valid token, refreshing and saving it when needed.
func (s *storeSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.unsaved {
		if err := s.store.Save(s.ctx, s.tok); err != nil {
			return nil, fmt.Errorf("oauthflow: a refreshed token could not be saved: %w", err)
		}
		s.unsaved = false
	}
	if s.tok == nil {
		t, err := s.load()
		if err != nil {
			return nil, err
		}
		s.tok = t
	}
	if s.valid(s.tok) {
		return copyToken(s.tok), nil
	}
	// Another process may have refreshed and saved a newer token.
	if t, err := s.store.Load(s.ctx); err == nil && t.AccessToken != s.tok.AccessToken {
		s.tok = t
		if s.valid(t) {
			return copyToken(t), nil
		}
	}
	return s.refresh()
}

func (s *storeSource) load() (*oauth2.Token, error) {
	t, err := s.store.Load(s.ctx)
	if errors.Is(err, ErrNoToken) {
		return nil, &ReauthorizeError{Reason: "no Aha! token is stored", Err: err}
	}
	return t, err
}

func (s *storeSource) refresh() (*oauth2.Token, error) {
	old := s.tok
	if old.RefreshToken == "" {
		return nil, &ReauthorizeError{Reason: "the access token expired and Aha! issued no refresh token"}
	}
	if s.cfg == nil {
		return nil, &ReauthorizeError{Reason: "the access token expired and no OAuth application is configured to refresh it"}
	}
	// A fresh x/oauth2 source per refresh: ours does the caching and locking.
	src := s.cfg.oauth.TokenSource(s.cfg.context(s.ctx), &oauth2.Token{RefreshToken: old.RefreshToken})
	t, err := src.Token()
	if err != nil {
		te := newTokenError("refresh the token", err, old.RefreshToken, old.AccessToken, s.cfg.oauth.ClientSecret)
		if te.Code == "invalid_grant" {
			s.cfg.debug("oauthflow: refresh token rejected", "error", te.Code)
			return nil, &ReauthorizeError{Reason: "Aha! rejected the refresh token (invalid_grant): it was revoked or has expired", Err: te}
		}
		return nil, te
	}
	s.cfg.fixExpiry(t)
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	t = copyToken(t) // drop x/oauth2's raw reply
	s.tok = t
	if err := s.store.Save(s.ctx, t); err != nil {
		s.unsaved = true
		return nil, fmt.Errorf("oauthflow: a refreshed token could not be saved: %w", err)
	}
	s.cfg.debug("oauthflow: token refreshed", "expires", expiryAttr(t),
		"refresh_token_rotated", t.RefreshToken != old.RefreshToken)
	return copyToken(t), nil
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
}

// StaticToken returns the token source of an Aha! personal API key. Aha!
// accepts an API key as a bearer token exactly like an OAuth2 access token,
// so a client built on [oauth2.TokenSource] takes either. The source never
// prints the key.
func StaticToken(apiKey string) oauth2.TokenSource {
	return apiKeySource{key: apiKey}
}

type apiKeySource struct{ key string }

func (s apiKeySource) Token() (*oauth2.Token, error) {
	if s.key == "" {
		return nil, ErrNoAPIKey
	}
	return &oauth2.Token{AccessToken: s.key, TokenType: "Bearer"}, nil
}

func (s apiKeySource) String() string   { return "oauthflow.StaticToken(" + redacted + ")" }
func (s apiKeySource) GoString() string { return s.String() }

func (s *storeSource) String() string   { return fmt.Sprintf("oauthflow.TokenSource(%v)", s.store) }
func (s *storeSource) GoString() string { return s.String() }
