package oauthflow

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

var (
	// ErrStateMismatch means a callback carried a state other than the one
	// this [Flow] sent: it was not started by this program, or is stale (an
	// old browser tab). Such a callback is ignored: its code is never
	// exchanged, and the flow goes on waiting for its own callback.
	ErrStateMismatch = errors.New("oauthflow: the callback's state does not match this authorization, so it was ignored")

	// ErrCallbackUsed means a [Flow] already received its callback; a flow
	// exchanges at most one authorization code.
	ErrCallbackUsed = errors.New("oauthflow: this authorization already received its callback; start a new one")

	// ErrMissingCode means a callback carried neither a code nor an error.
	ErrMissingCode = errors.New("oauthflow: the callback carries no authorization code")
)

// AuthorizationError is the provider's refusal, reported through the error,
// error_description and error_uri parameters of the redirect (RFC 6749
// section 4.1.2.1), for example when the user clicks "Deny".
type AuthorizationError struct {
	Code        string // RFC 6749 error code, such as "access_denied"
	Description string // human-readable text from Aha!, if any
	URI         string // page describing the error, if any
}

// Error reports the provider's error code and description.
func (e *AuthorizationError) Error() string {
	s := "oauthflow: Aha! refused the authorization: " + e.Code
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// Flow is one authorization-code flow: it owns a random state and a PKCE
// verifier, produces the URL the user opens, verifies the one callback and
// exchanges its code for a token. Create it with [Config.Begin]. A Flow is
// safe for concurrent use.
type Flow struct {
	cfg      *Config
	state    string
	verifier string

	mu       sync.Mutex
	consumed bool
	done     chan struct{}
	tok      *oauth2.Token
	err      error
}

// Begin starts an authorization-code flow with a fresh random state
// (crypto/rand) and a PKCE S256 verifier.
func (c *Config) Begin() *Flow {
	return &Flow{
		cfg:      c,
		state:    rand.Text(),
		verifier: oauth2.GenerateVerifier(),
		done:     make(chan struct{}),
	}
}

// AuthURL returns the URL the user opens in a browser signed in to Aha!. It
// carries client_id, redirect_uri, response_type=code, state and the PKCE
// challenge (harmless where the server ignores it).
func (f *Flow) AuthURL() string {
	return f.cfg.oauth.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier))
}

// RedirectURI returns the redirect URI the flow sends to Aha!.
func (f *Flow) RedirectURI() string { return f.cfg.redirectURI }

// Done is closed when the flow has received its callback and finished,
// successfully or not; [Flow.Wait] then returns the outcome.
func (f *Flow) Done() <-chan struct{} { return f.done }

// Wait blocks until the flow finishes or ctx ends, and returns the token or
// the reason the authorization failed.
func (f *Flow) Wait(ctx context.Context) (*oauth2.Token, error) {
	select {
	case <-f.done:
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Callback handles the redirect's query parameters: it checks the state in
// constant time, reports a provider error as [*AuthorizationError], and
// exchanges the code (with the PKCE verifier) for a token. A callback whose
// state does not match (a stale tab, a forged request) fails with
// [ErrStateMismatch] and is otherwise ignored: its code never reaches the
// token endpoint and [Flow.Wait] goes on waiting. Only the first callback
// with the flow's state (or a provider error without state, which can only
// abort this flow) is processed; later ones fail with [ErrCallbackUsed] and
// never reach the token endpoint. A failed exchange is a [*TokenError].
func (f *Flow) Callback(ctx context.Context, query url.Values) (*oauth2.Token, error) {
	if !f.stateMatches(query) {
		f.cfg.debug("oauthflow: callback rejected", "reason", "state mismatch")
		return nil, ErrStateMismatch
	}
	f.mu.Lock()
	if f.consumed {
		f.mu.Unlock()
		return nil, ErrCallbackUsed
	}
	f.consumed = true
	f.mu.Unlock()

	tok, err := f.callback(ctx, query)

	f.mu.Lock()
	f.tok, f.err = tok, err
	f.mu.Unlock()
	close(f.done)
	return tok, err
}

// stateMatches reports whether a callback belongs to this flow: its state
// is the flow's (compared in constant time). A provider error without
// state can only abort this flow, so it is taken as this flow's; with a
// state, it must be ours.
func (f *Flow) stateMatches(q url.Values) bool {
	state := q.Get("state")
	if state == "" && q.Get("error") != "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(state), []byte(f.state)) == 1
}

func (f *Flow) callback(ctx context.Context, q url.Values) (*oauth2.Token, error) {
	if code := q.Get("error"); code != "" {
		f.cfg.debug("oauthflow: authorization refused", "error", code)
		return nil, &AuthorizationError{
			Code:        clean(code),
			Description: clean(q.Get("error_description")),
			URI:         clean(q.Get("error_uri")),
		}
	}
	code := q.Get("code")
	if code == "" {
		return nil, ErrMissingCode
	}
	tok, err := f.cfg.oauth.Exchange(f.cfg.context(ctx), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, newTokenError("exchange the authorization code", err, code, f.cfg.oauth.ClientSecret, f.verifier)
	}
	f.cfg.fixExpiry(tok)
	f.cfg.debug("oauthflow: authorization code exchanged",
		"expires", expiryAttr(tok), "refresh_token", tok.RefreshToken != "")
	return tok, nil
}

// Handler returns an http.Handler to mount at the redirect URI's path in a
// program that already serves HTTP. It answers the browser with a short page
// and delivers the outcome to [Flow.Wait]. Requests that carry none of
// code, state or error (a browser's prefetch, say) are answered 400 and
// ignored.
func (f *Flow) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if r.Method != http.MethodGet {
			h.Set("Allow", http.MethodGet)
			writePage(w, http.StatusMethodNotAllowed, "Not an authorization callback", "Use GET.")
			return
		}
		q := r.URL.Query()
		if !q.Has("code") && !q.Has("state") && !q.Has("error") {
			writePage(w, http.StatusBadRequest, "Not an authorization callback", "This address receives Aha!'s authorization redirect.")
			return
		}
		if _, err := f.Callback(r.Context(), q); err != nil {
			if errors.Is(err, ErrStateMismatch) {
				writePage(w, http.StatusBadRequest, "Not this authorization",
					"The state in this callback did not match the authorization the terminal is waiting for (an old browser tab, perhaps), so it was ignored. The terminal is still waiting: finish the authorization in the tab it opened, or start it again there. You can close this tab.")
				return
			}
			msg := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "oauthflow: "), ".")
			writePage(w, http.StatusBadRequest, "Aha! connection failed", msg+". You can close this tab and check the terminal.")
			return
		}
		writePage(w, http.StatusOK, "Aha! connected", "You can close this tab and return to the terminal.")
	})
}

func writePage(w http.ResponseWriter, status int, title, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

// clean bounds text received from the network before it reaches error text:
// control characters dropped, at most 200 runes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// redact removes every non-empty secret from s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// String describes the flow without its state or PKCE verifier.
func (f *Flow) String() string {
	return "oauthflow.Flow{RedirectURI: " + f.cfg.redirectURI + ", State: " + redacted + ", Verifier: " + redacted + "}"
}

// GoString is [Flow.String], so that %#v cannot print the PKCE verifier.
func (f *Flow) GoString() string { return f.String() }
