package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

// TestVerboseLogsTokenRefresh: with -v, refreshing a -token-file's expired
// access token logs its request to Aha!'s token endpoint, as every request
// to Aha! is logged: one line with the method, host, path, status and
// duration, and no secret anywhere in the output.
func TestVerboseLogsTokenRefresh(t *testing.T) {
	t.Parallel()
	app := &relOAuth{clientID: relSecret(t, "cid-"), clientSecret: relSecret(t, "csecret-"), redirect: "http://127.0.0.1:8400/callback"}
	f := newRelFake(t, nil, nil, ahatest.WithOAuthApp(ahatest.OAuthApp{ClientID: app.clientID, ClientSecret: app.clientSecret, RedirectURI: app.redirect},
		ahatest.OAuthOptions{AccessTTL: time.Hour, IssueRefresh: true, RotateRefresh: true}))
	f.url = f.srv.URL // the refresh goes to the fake's /oauth/token
	f.authorize(t, app)
	tokenFile := filepath.Join(f.dir, "token.json")
	writeTokenFile(t, tokenFile, app)

	r := f.run(context.Background(), map[string]string{"AHA_CLIENT_ID": app.clientID, "AHA_CLIENT_SECRET": app.clientSecret},
		append([]string{"-v", "-token-file", tokenFile}, relArgs...)...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	var saved struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	data, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.AccessToken == app.access || saved.RefreshToken == app.refresh {
		t.Fatal("the token file was not refreshed and rotated: the test proves nothing")
	}

	var refreshes []string
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.Contains(line, "/oauth/token") {
			refreshes = append(refreshes, line)
		}
	}
	if len(refreshes) != 1 {
		t.Fatalf("%d log lines name the token endpoint, want 1:\n%s", len(refreshes), r.stderr)
	}
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, want := range []string{"level=DEBUG", `msg="oauthflow: request"`, "method=POST", "host=" + host, "path=/oauth/token", "status=200", "took="} {
		if !strings.Contains(refreshes[0], want) {
			t.Errorf("the refresh's line lacks %s: %s", want, refreshes[0])
		}
	}
	secrets := map[string]string{"client secret": app.clientSecret, "authorization code": app.code,
		"access token": app.access, "refresh token": app.refresh,
		"refreshed access token": saved.AccessToken, "refreshed refresh token": saved.RefreshToken}
	for name, s := range secretPieces(secrets) {
		if strings.Contains(r.stderr, s) || strings.Contains(r.stdout, s) {
			t.Errorf("%s found in the output", name)
		}
	}
}
