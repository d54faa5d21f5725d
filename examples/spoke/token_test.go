package main

import (
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
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"missing", filepath.Join(dir, "none.json"), []string{"none.json", "go run ./examples/connect"}},
		{"malformed", write("bad.json", "not an object", 0o600), []string{"bad.json", "go run ./examples/connect"}},
		{"readable by others", write("loose.json", map[string]string{"access_token": access}, 0o644), []string{"loose.json", "chmod 600"}},
		{"expired, refreshable", write("exp.json", map[string]string{"access_token": access, "refresh_token": refresh, "expiry": expired}, 0o600),
			[]string{"exp.json", "expired", "AHA_CLIENT_ID and AHA_CLIENT_SECRET", "go run ./examples/connect"}},
		{"expired, no refresh token", write("exp2.json", map[string]string{"access_token": access, "expiry": expired}, 0o600),
			[]string{"exp2.json", "expired", "no refresh token", "go run ./examples/connect"}},
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
