package oauthflow_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

// TestNoSecretInAnyOutput drives the flow through success and failure with
// debug logging on, and searches every error, log record, browser page and
// String form for the client secret, the codes and the tokens.
func TestNoSecretInAnyOutput(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, cfg, l := setup(t, 5*time.Second, oauthflow.WithLogger(logger))
	srv.Update(func(s *oauthflowtest.Server) { s.ExpiresIn = time.Hour; s.Rotate = true })
	var outputs []string
	record := func(v ...any) {
		for _, x := range v {
			switch x := x.(type) {
			case nil:
			case error:
				outputs = append(outputs, x.Error(), fmt.Sprintf("%+v %#v", x, x))
			default:
				outputs = append(outputs, fmt.Sprint(x), fmt.Sprintf("%+v %#v", x, x))
			}
		}
	}

	// Success over the loopback listener, keeping the browser's page.
	flow := cfg.Begin()
	page := make(chan string, 1)
	go func() {
		resp, err := http.Get(flow.AuthURL())
		if err != nil {
			page <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page <- string(b)
	}()
	tok, err := flow.WaitLoopback(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, <-page)
	record(cfg, flow)

	// Reused code, in the same and in another flow.
	code := authorize(t, srv, cfg.Begin())
	f2 := cfg.Begin()
	_, err = f2.Callback(t.Context(), url.Values{"code": {code}, "state": {stateOf(t, f2)}})
	record(err)
	_, err = f2.Callback(t.Context(), url.Values{"code": {code}, "state": {stateOf(t, f2)}})
	record(err)
	_, err = f2.Callback(t.Context(), url.Values{"code": {code}, "state": {"x"}})
	record(err)

	// Wrong client secret at the token endpoint.
	bad, err := oauthflow.NewConfig(srv.URL, srv.ClientID, "wrong-"+randomSecret(t), cfg.RedirectURI(), oauthflow.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	f3 := bad.Begin()
	_, err = f3.Callback(t.Context(), url.Values{"code": {authorize(t, srv, f3)}, "state": {stateOf(t, f3)}})
	var te *oauthflow.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Fatalf("wrong secret: %v; want invalid_client", err)
	}
	record(err)

	// Refresh, then a revoked refresh token.
	store := &oauthflow.FileStore{Path: filepath.Join(t.TempDir(), "tok.json")}
	tok.Expiry = time.Now().Add(-time.Hour)
	if err := store.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	ts := oauthflow.TokenSource(t.Context(), cfg, store)
	fresh, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	record(ts, store)
	srv.Revoke(fresh.RefreshToken)
	fresh.Expiry = time.Now().Add(-time.Hour)
	if err := store.Save(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	_, err = oauthflow.TokenSource(t.Context(), cfg, store).Token()
	record(err)

	// Validate with a revoked access token, and an unreachable token endpoint.
	srv.Revoke(fresh.AccessToken)
	_, err = oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), oauth2.StaticTokenSource(fresh)), cfg.APIBaseURL())
	record(err)
	srv.Close()
	fresh.Expiry = time.Now().Add(-time.Hour)
	_ = store.Save(t.Context(), fresh)
	_, err = oauthflow.TokenSource(t.Context(), cfg, store).Token()
	record(err)

	outputs = append(outputs, logs.String())
	if len(srv.Secrets()) < 6 {
		t.Fatalf("only %d secrets issued; the test did not exercise the flow", len(srv.Secrets()))
	}
	assertNoSecrets(t, append(srv.Secrets(), bad.OAuth2().ClientSecret), outputs...)
}

func TestFlowStringHidesState(t *testing.T) {
	_, cfg, _ := setup(t, time.Second)
	flow := cfg.Begin()
	assertNoSecrets(t, []string{stateOf(t, flow)}, fmt.Sprintf("%v %+v %#v %s", flow, flow, flow, flow))
}
