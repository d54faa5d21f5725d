package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

// progressFake serves a 120-user account in pages of 50, with one 429 on
// the second page of users.
func progressFake(t *testing.T, limit bool) (srvURL, token string) {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	token = "tok-" + hex.EncodeToString(b)
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 120, Audits: 300, Seed: 7, Now: cfgNow})
	faults := ahatest.NewFaults()
	if limit {
		faults.On("GET /users", 2, ahatest.RateLimited(time.Second))
	}
	start := time.Now()
	srv := ahatest.NewServer(acct, ahatest.WithToken(token), ahatest.WithMaxPerPage(50), ahatest.WithFaults(faults),
		ahatest.WithClock(func() time.Time { return cfgNow.Add(time.Since(start)) }))
	t.Cleanup(srv.Close)
	return srv.URL, token
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		args     []string
		want     []string // in stderr; none: stderr must be empty
		notWant  []string
	}{
		{name: "terminal", terminal: true, want: []string{"reading users, page 1 of 3", "page 3 of 3 (120 users)", "waiting 1s for Aha!'s rate limit", "reading audit log"}},
		{name: "not a terminal", terminal: false},
		{name: "quiet terminal", terminal: true, args: []string{"-quiet"}},
		{name: "verbose", terminal: true, args: []string{"-v"},
			want:    []string{"level=DEBUG msg=\"spoke: request\" method=GET path=\"/api/v1/users?page=2&per_page=", "status=429", "status=200"},
			notWant: []string{"page 1 of 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each has its own fake; the 1 s rate-limit waits overlap
			srvURL, token := progressFake(t, len(tt.want) > 0)
			base := []string{"-aha-url", srvURL, "-now", cfgNow.Format(time.RFC3339), "-format", "json"}
			e := envOf(map[string]string{"AHA_TOKEN": token})
			e.terminal = func() bool { return tt.terminal }
			e.renderEveryUpdate = true
			code, out, errs := spokeRun(t, e, append(append([]string{}, base...), tt.args...), token)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, errs)
			}
			if !strings.HasPrefix(out, "{") {
				t.Errorf("stdout is not the JSON report alone: %.80q", out)
			}
			if len(tt.want) == 0 && errs != "" {
				t.Errorf("stderr = %q, want nothing", errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errs, w) {
					t.Errorf("stderr has %q", w)
				}
			}
		})
	}
}

func TestRedactedPath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://a.aha.io/api/v1/users?page=2&per_page=200", "/api/v1/users?page=2&per_page=200"},
		{"https://a.aha.io/api/v1/users?access_token=s3cr3t&page=1", "/api/v1/users?access_token=REDACTED&page=1"},
		{"https://a.aha.io/oauth/token?Code=abc&client_secret=xyz", "/oauth/token?Code=REDACTED&client_secret=REDACTED"},
		{"https://a.aha.io/api/v1/me", "/api/v1/me"},
	} {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redactedPath(u); got != tt.want {
			t.Errorf("redactedPath(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
