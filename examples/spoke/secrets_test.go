package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

// Secrets are planted at run time (never committed): an API key, an OAuth
// app's client secret, and, from a real authorization against the fake, an
// authorization code, an access token and a refresh token. The job then runs
// with -v under every fault of the suite, and every byte it wrote (stdout,
// stderr with the request log, the report file, the journal) is searched
// for each secret and for a 16-character piece of it.
//
// What else keeps tokens safe is tested where it lives:
//   - the token goes only to the configured host, and a redirect to another
//     host drops it: aha's TestRedirectToOtherHostDropsToken;
//   - plain http is refused except for loopback: aha's TestNewClient and, for
//     -aha-url, TestBadInput here;
//   - token files are owner-only (0600, refused when group- or
//     world-readable): oauthflow's FileStore tests, and the -token-file
//     cases of TestBadInput here.

// relOAuthApp is the OAuth app of the secrets test.
type relOAuth struct {
	clientID, clientSecret, redirect string
	code, access, refresh            string
}

// authorize runs the authorization-code flow against the fake by hand and
// returns the code and the tokens it issued.
func (f *relFake) authorize(t *testing.T, app *relOAuth) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {app.clientID}, "redirect_uri": {app.redirect}, "response_type": {"code"}, "state": {"s1"}}
	resp, err := hc.Get(f.srv.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: status %d, no code in the redirect", resp.StatusCode)
	}
	app.code = loc.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {app.code}, "redirect_uri": {app.redirect},
		"client_id": {app.clientID}, "client_secret": {app.clientSecret}}
	resp, err = hc.PostForm(f.srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token exchange: status %d, err %v", resp.StatusCode, err)
	}
	app.access, app.refresh = tok.AccessToken, tok.RefreshToken
}

// writeTokenFile writes an owner-only token file whose access token has
// expired, so that the job refreshes it with the client secret.
func writeTokenFile(t *testing.T, path string, app *relOAuth) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"access_token": app.access, "token_type": "Bearer",
		"refresh_token": app.refresh, "expiry": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// secretPieces returns each secret and a 16-character piece of its random
// part, so that a truncated or partly redacted leak is caught too.
func secretPieces(secrets map[string]string) map[string]string {
	out := map[string]string{}
	for name, s := range secrets {
		if s == "" {
			continue
		}
		out[name] = s
		if len(s) >= 24 {
			out[name+" (piece)"] = s[len(s)-16:]
		}
	}
	return out
}

// TestSecretsNeverLeak runs the job with -v under every kind of fault of
// the suite, alternating between an API key (AHA_TOKEN) and an OAuth token file
// refreshed with the client secret, plus reclaim runs whose PUTs fail, and
// searches everything written for the planted secrets.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	// Every kind of fault once: the status and 429 cases repeated at other
	// places in the suite add nothing here.
	var cases []faultCase
	for _, tc := range faultCases() {
		if strings.Contains(tc.name, "once on audits page") ||
			(strings.HasPrefix(tc.name, "429 ") && strings.Contains(tc.name, " on GET ") && !strings.Contains(tc.name, "GET /users #1")) {
			continue
		}
		cases = append(cases, tc)
	}
	// Reclaim runs, whose journal and action errors are written too.
	cases = append(cases,
		faultCase{name: "reclaim: PUT 500 on every action", script: from(rPut, 1, ahatest.ErrorStatus(500)), want: failsNaming},
		faultCase{name: "reclaim: token revoked at the first PUT", script: on(rPut, 1, ahatest.Fault{Revoke: true, HTML: true}), want: failsNaming},
		faultCase{name: "reclaim: re-check 403", script: from(rUser, 1, ahatest.ErrorStatus(403)), want: failsNaming},
	)
	type leak struct{ name, where string }
	leaks := make([][]leak, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		oauthMode := i%2 == 0
		app := &relOAuth{clientID: relSecret(t, "cid-"), clientSecret: relSecret(t, "csecret-"), redirect: "http://127.0.0.1:8400/callback"}
		f := newRelFake(t, nil, nil, ahatest.WithOAuthApp(ahatest.OAuthApp{ClientID: app.clientID, ClientSecret: app.clientSecret, RedirectURI: app.redirect},
			ahatest.OAuthOptions{AccessTTL: time.Hour, IssueRefresh: true, RotateRefresh: true}))
		f.url = f.srv.URL // the token refresh goes to the fake's /oauth/token
		args := append([]string{"-v", "-o", filepath.Join(f.dir, "report.json")}, relArgs...)
		envs := map[string]string{"AHA_CLIENT_ID": app.clientID, "AHA_CLIENT_SECRET": app.clientSecret}
		if oauthMode {
			f.authorize(t, app)
			tokenFile := filepath.Join(f.dir, "token.json")
			writeTokenFile(t, tokenFile, app)
			args = append(args, "-token-file", tokenFile)
		}
		if strings.HasPrefix(tc.name, "reclaim: ") {
			args = append(args, "-reclaim", "-max-reclaim", "0", "-journal", filepath.Join(f.dir, "journal.jsonl"))
		}
		if tc.timeout == 0 {
			tc.timeout = 20 * time.Second
		}
		tc.script(f)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			r := f.run(ctx, envs, args...)
			if el := time.Since(start); el > 15*time.Second {
				leaks[i] = append(leaks[i], leak{"(slow)", fmt.Sprintf("run took %s (exit %d): %.300s", el, r.code, r.stderr)})
			}
			if tc.want == sameReport && r.code != 0 {
				leaks[i] = append(leaks[i], leak{"(failed)", fmt.Sprintf("run exit %d, want 0: %.500s", r.code, r.stderr)})
			}
			secrets := map[string]string{"API key": f.token, "client secret": app.clientSecret,
				"authorization code": app.code, "access token": app.access, "refresh token": app.refresh}
			// The refreshed tokens, as the job saved them.
			if data, err := os.ReadFile(filepath.Join(f.dir, "token.json")); err == nil {
				var saved struct {
					AccessToken  string `json:"access_token"`
					RefreshToken string `json:"refresh_token"`
				}
				if json.Unmarshal(data, &saved) == nil {
					if saved.AccessToken == app.access && r.code == 0 {
						leaks[i] = append(leaks[i], leak{"(no refresh)", "the expired access token was not refreshed"})
					}
					secrets["refreshed access token"] = saved.AccessToken
					secrets["refreshed refresh token"] = saved.RefreshToken
				}
			}
			outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
			for _, name := range []string{"report.json", "journal.jsonl"} {
				if data, err := os.ReadFile(filepath.Join(f.dir, name)); err == nil {
					outputs[name] = string(data)
				}
			}
			if r.stderr == "" {
				leaks[i] = append(leaks[i], leak{"(nothing)", "stderr is empty: -v logged nothing"})
			}
			for name, s := range secretPieces(secrets) {
				for where, text := range outputs {
					if strings.Contains(text, s) {
						leaks[i] = append(leaks[i], leak{name, where})
					}
				}
			}
		})
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, l := range leaks[i] {
				if strings.HasPrefix(l.name, "(") {
					t.Errorf("%s %s", l.name, l.where)
					continue
				}
				t.Errorf("%s found in %s", l.name, l.where)
			}
		})
	}
}
