package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/oauthflow"
)

// TestTokenFileMessages checks the -token-file messages: bad input exits 2
// before any request, says how to fix it once, and an expired token with
// no OAuth app configured says it expired and what refreshing needs.
func TestTokenFileMessages(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	dir := t.TempDir()
	write := func(name string, v any, mode os.FileMode) string {
		t.Helper()
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	access, refresh := secret(t), secret(t)
	expired := testNow.Add(-time.Hour).Format(time.RFC3339)
	soon := testNow.Add(26 * time.Second).Format(time.RFC3339)
	tests := []struct {
		name string
		path string
		want []string
		not  []string
	}{
		{"missing", filepath.Join(dir, "none.json"), []string{"none.json", "go run ./examples/connect"}, nil},
		{"malformed", write("bad.json", "not an object", 0o600), []string{"bad.json", "go run ./examples/connect"}, nil},
		{"readable by others", write("loose.json", map[string]string{"access_token": access}, 0o644), []string{"loose.json", "chmod 600"}, nil},
		{"expired, refreshable", write("exp.json", map[string]string{"access_token": access, "refresh_token": refresh, "expiry": expired}, 0o600),
			[]string{"exp.json", "expired at " + expired, "AHA_CLIENT_ID and AHA_CLIENT_SECRET", "go run ./examples/connect"}, nil},
		{"expired, no refresh token", write("exp2.json", map[string]string{"access_token": access, "expiry": expired}, 0o600),
			[]string{"exp2.json", "expired", "no refresh token", "go run ./examples/connect"}, nil},
		{"expires within the margin", write("soon.json", map[string]string{"access_token": access, "refresh_token": refresh, "expiry": soon}, 0o600),
			[]string{"soon.json", "expires at " + soon + " (in 26 s), too soon to finish a run", "AHA_CLIENT_ID and AHA_CLIENT_SECRET"}, []string{"expired"}},
	}
	for _, tt := range tests {
		r := runSpoke(t, nil, []string{"-aha-url", f.srv.URL, "-now", testNow.Format(time.RFC3339), "-token-file", tt.path},
			map[string]string{}, f.wire, access, refresh)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%s: exit %d, want 2 and no report:\n%s", tt.name, r.code, r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, r.stderr)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr says %q:\n%s", tt.name, w, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "examples/connect"); n > 1 {
			t.Errorf("%s: the hint is given %d times:\n%s", tt.name, n, r.stderr)
		}
		if strings.Contains(r.stderr, "could not obtain an access token") {
			t.Errorf("%s: the generic token message:\n%s", tt.name, r.stderr)
		}
	}
	if st := f.srv.Stats(); st.Requests != 0 {
		t.Errorf("the fake saw %d requests; a bad token file must stop the run first", st.Requests)
	}
}

// TestExplainReauthorize checks the message of a token that expires
// mid-run with no OAuth app configured: it says why and what refreshing
// needs, not aha's generic "could not obtain an access token".
func TestExplainReauthorize(t *testing.T) {
	t.Parallel()
	err := explain("reading user activity", &aha.TokenError{Err: &oauthflow.ReauthorizeError{
		Reason: "the access token expired and no OAuth application is configured to refresh it"}})
	msg := err.Error()
	for _, w := range []string{"expired", "AHA_CLIENT_ID and AHA_CLIENT_SECRET", "go run ./examples/connect"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "could not obtain") || strings.Count(msg, "examples/connect") != 1 {
		t.Errorf("message:\n%s", msg)
	}
	var re *oauthflow.ReauthorizeError
	if !errors.As(err, &re) {
		t.Error("the error no longer wraps the ReauthorizeError")
	}
}

// TestTokenFileExpiresSoon: a token file whose access token is still valid
// but expires within 15 minutes, with no OAuth app to refresh it, runs, and
// is warned of up front on stderr and in the report's warnings.
func TestTokenFileExpiresSoon(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	for _, tc := range []struct {
		name    string
		refresh string
		fix     string
	}{
		{"refreshable", secret(t), "set AHA_CLIENT_ID and AHA_CLIENT_SECRET"},
		{"no refresh token", "", "no refresh token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The token source judges expiry by the real clock: so does this run.
			expiry := time.Now().UTC().Add(10 * time.Minute).Truncate(time.Second)
			path := filepath.Join(t.TempDir(), "token.json")
			tok := map[string]string{"access_token": f.token, "expiry": expiry.Format(time.RFC3339)}
			if tc.refresh != "" {
				tok["refresh_token"] = tc.refresh
			}
			data, err := json.Marshal(tok)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			secrets := []string{f.token}
			if tc.refresh != "" {
				secrets = append(secrets, tc.refresh)
			}
			code, out, errs := spokeRun(t, env{clock: time.Now, transport: f.wire},
				[]string{"-aha-url", f.srv.URL, "-token-file", path, "-format", "json"}, secrets...)
			if code != 0 {
				t.Fatalf("exit %d, want 0 (the token is still valid):\n%s", code, errs)
			}
			want := []string{"warning", path, "expires at " + expiry.Format(time.RFC3339) + " (in ", " min)", "401", tc.fix}
			for _, w := range want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			if strings.Contains(errs, "expired") {
				t.Errorf("stderr says the valid token expired:\n%s", errs)
			}
			r := decodeTestReport(t, out)
			var found bool
			for _, w := range r.Warnings {
				if w.Code == warnTokenExpiresSoon && strings.Contains(w.Message, "expires at") {
					found = true
				}
			}
			if !found {
				t.Errorf("the report's warnings lack %s: %+v", warnTokenExpiresSoon, r.Warnings)
			}
		})
	}
}

// TestRefreshRefusedClient: refreshing a -token-file token with a wrong
// AHA_CLIENT_SECRET (or another app's AHA_CLIENT_ID) fails with Aha!'s
// OAuth error code and the hint to check the OAuth app or connect again,
// not "check the account URL and the network", and never a secret.
func TestRefreshRefusedClient(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, id, secret string }{
		{"wrong secret", "", relSecret(t, "wrong-")},
		{"unknown client id", relSecret(t, "other-cid-"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := &relOAuth{clientID: relSecret(t, "cid-"), clientSecret: relSecret(t, "csecret-"), redirect: "http://127.0.0.1:8400/callback"}
			f := newRelFake(t, nil, nil, ahatest.WithOAuthApp(ahatest.OAuthApp{ClientID: app.clientID, ClientSecret: app.clientSecret, RedirectURI: app.redirect},
				ahatest.OAuthOptions{AccessTTL: time.Hour, IssueRefresh: true}))
			f.url = f.srv.URL
			f.authorize(t, app)
			tokenFile := filepath.Join(f.dir, "token.json")
			writeTokenFile(t, tokenFile, app)
			id, secret := app.clientID, app.clientSecret
			if tt.id != "" {
				id = tt.id
			}
			if tt.secret != "" {
				secret = tt.secret
			}
			r := f.run(context.Background(), map[string]string{"AHA_CLIENT_ID": id, "AHA_CLIENT_SECRET": secret}, "-token-file", tokenFile)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
			}
			for _, w := range []string{"refreshing the token file's access token failed: Aha! answered HTTP 401: invalid_client", "check AHA_CLIENT_ID and AHA_CLIENT_SECRET", oauthflow.ConnectCommand} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "network") || strings.Contains(r.stderr, "could not obtain an access token") {
				t.Errorf("stderr hides the cause:\n%s", r.stderr)
			}
			for _, s := range []string{secret, app.clientSecret, app.access, app.refresh, f.token} {
				if strings.Contains(r.stderr, s) || strings.Contains(r.stdout, s) {
					t.Errorf("a secret shows in the output:\n%s", r.stderr)
				}
			}
		})
	}
}

// TestExplainTokenError: a refresh that fails other than for the client
// says the cause and the hint that fits it.
func TestExplainTokenError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		te   *oauthflow.TokenError
		want string
	}{
		{&oauthflow.TokenError{Op: "refresh the token", Err: errors.New("dial tcp: connection refused")}, "check the account URL and the network"},
		{&oauthflow.TokenError{Op: "refresh the token", StatusCode: 503}, "run again later"},
		{&oauthflow.TokenError{Op: "refresh the token", StatusCode: 400, Code: "invalid_scope"}, "run " + oauthflow.ConnectCommand + " again"},
		{&oauthflow.TokenError{Op: "refresh the token", StatusCode: 400, Code: "unauthorized_client"}, "check AHA_CLIENT_ID and AHA_CLIENT_SECRET"},
	} {
		msg := explain("downloading the account's users", &aha.TokenError{Err: tt.te}).Error()
		if !strings.Contains(msg, "refreshing the token file's access token failed") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "could not obtain") {
			t.Errorf("%+v: %q; want the cause and %q", tt.te, msg, tt.want)
		}
	}
}
