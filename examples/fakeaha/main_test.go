package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/oauthflow"
)

// syncBuffer is a bytes.Buffer safe for the command and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var exportLine = regexp.MustCompile(`(?m)^export (AHA_[A-Z_]+)=(\S+)$`)

// fake is a running fakeaha: its printed variables and how to stop it.
type fake struct {
	env            map[string]string // the export lines printed
	stdout, stderr *syncBuffer
	stop           func() int // cancels the context and returns the exit code
}

// start runs fakeaha in process with args and environment env until the
// test stops it (or ends), and waits for its export lines.
func start(t *testing.T, env map[string]string, args ...string) *fake {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &fake{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, f.stdout, f.stderr) }()
	var once sync.Once
	code := -1
	f.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(5 * time.Second):
				t.Error("fakeaha did not stop within 5 s of its context's end")
			}
		})
		return code
	}
	t.Cleanup(func() { f.stop() })
	deadline := time.After(5 * time.Second)
	for !strings.Contains(f.stderr.String(), "serving ") {
		select {
		case c := <-done:
			t.Fatalf("fakeaha ended (%d) before serving: %s", c, f.stderr.String())
		case <-deadline:
			t.Fatalf("fakeaha did not start: %s", f.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	f.env = map[string]string{}
	for _, m := range exportLine.FindAllStringSubmatch(f.stdout.String(), -1) {
		f.env[m[1]] = m[2]
	}
	return f
}

func get(t *testing.T, u, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func client(t *testing.T, f *fake, token string) *aha.Client {
	t.Helper()
	c, err := aha.NewClient(aha.WithBaseURL(f.env["AHA_URL"]+"/api/v1"), aha.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFakeAhaServesDemo: the printed URL is on loopback, the API requires
// the printed token, what one client changes another sees later (the
// account persists while the program runs), the entitlements file is the
// demo's, and cancelling (Ctrl-C) stops it cleanly: exit 0, port closed.
func TestFakeAhaServesDemo(t *testing.T) {
	ents := filepath.Join(t.TempDir(), "ents.json")
	f := start(t, nil, "-entitlements", ents)
	u, tok := f.env["AHA_URL"], f.env["AHA_TOKEN"]
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(u) || len(tok) != 64 {
		t.Fatalf("stdout %q: want export AHA_URL=http://127.0.0.1:PORT and a 64-digit AHA_TOKEN", f.stdout.String())
	}
	if n := strings.Count(f.stdout.String(), tok); n != 1 {
		t.Errorf("the token is printed %d times; want once", n)
	}
	if strings.Contains(f.stderr.String(), tok) {
		t.Error("the token is on stderr")
	}
	for _, c := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"wrong-" + tok[:8], http.StatusUnauthorized}, {tok, http.StatusOK}} {
		if got := get(t, u+"/api/v1/me", c.token); got != c.want {
			t.Errorf("GET /me with token %q: %d; want %d", c.token, got, c.want)
		}
	}

	// A user disabled by one client is disabled for the next.
	ctx := t.Context()
	users, err := client(t, f, tok).Users.ListAll(ctx, nil)
	if err != nil || len(users) != 230 {
		t.Fatalf("users: %d, %v; want the demo's 230", len(users), err)
	}
	var victim aha.ID
	for _, usr := range users {
		if usr.Enabled && !usr.Administrator {
			victim = usr.ID
			break
		}
	}
	if _, _, err := client(t, f, tok).Users.Disable(ctx, victim); err != nil {
		t.Fatal(err)
	}
	again, _, err := client(t, f, tok).Users.Get(ctx, victim)
	if err != nil || again.Enabled {
		t.Fatalf("user %s after Disable, from a new client: %+v, %v; want disabled", victim, again, err)
	}

	data, err := os.ReadFile(ents)
	var list []map[string]any
	if err != nil || json.Unmarshal(data, &list) != nil || len(list) == 0 {
		t.Fatalf("entitlements file: %v, %q", err, data)
	}

	if code := f.stop(); code != 0 || !strings.HasSuffix(f.stderr.String(), "fakeaha: stopped\n") {
		t.Fatalf("exit %d, stderr %q", code, f.stderr.String())
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("still listening after the stop")
	}
}

// TestFakeAhaTokenFromEnv: an AHA_TOKEN from the environment is the one
// required, and is never printed (it may be a real one).
func TestFakeAhaTokenFromEnv(t *testing.T) {
	tok := "env-token-" + time.Now().Format("150405.000000000")
	f := start(t, map[string]string{"AHA_TOKEN": tok}, "-users", "40", "-seed", "3")
	if strings.Contains(f.stdout.String()+f.stderr.String(), tok) {
		t.Fatalf("the token from the environment was printed:\n%s%s", f.stdout.String(), f.stderr.String())
	}
	if _, ok := f.env["AHA_TOKEN"]; ok || f.env["AHA_URL"] == "" {
		t.Fatalf("stdout %q: want only export AHA_URL", f.stdout.String())
	}
	if got := get(t, f.env["AHA_URL"]+"/api/v1/me", "other"); got != http.StatusUnauthorized {
		t.Errorf("another token: %d; want 401", got)
	}
	users, err := client(t, f, tok).Users.ListAll(t.Context(), nil)
	if err != nil || len(users) != 40 {
		t.Fatalf("users: %d, %v; want the 40 generated", len(users), err)
	}
}

// TestFakeAhaOAuth: with -oauth, the printed client id and secret complete
// the authorization-code flow, and the token issued calls the API.
func TestFakeAhaOAuth(t *testing.T) {
	redirect := "http://127.0.0.1:9/callback" // never called: the test reads the redirect
	f := start(t, nil, "-oauth", "-redirect", redirect)
	id, secret := f.env["AHA_CLIENT_ID"], f.env["AHA_CLIENT_SECRET"]
	if id != "fakeaha" || len(secret) != 64 {
		t.Fatalf("stdout %q: want AHA_CLIENT_ID=fakeaha and a 64-digit AHA_CLIENT_SECRET", f.stdout.String())
	}
	cfg, err := oauthflow.NewConfig(f.env["AHA_URL"], id, secret, redirect)
	if err != nil {
		t.Fatal(err)
	}
	flow := cfg.Begin()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := flow.Callback(t.Context(), loc.Query())
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, f.env["AHA_URL"]+"/api/v1/me", tok.AccessToken); got != http.StatusOK {
		t.Errorf("GET /me with the OAuth token: %d", got)
	}
	if got := get(t, f.env["AHA_URL"]+"/api/v1/me", f.env["AHA_TOKEN"]); got != http.StatusOK {
		t.Errorf("GET /me with the API token: %d", got)
	}
}

func TestFakeAhaUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"not loopback", []string{"-addr", "0.0.0.0:0"}, `-addr "0.0.0.0:0" is not a loopback address`},
		{"a host name", []string{"-addr", "example.com:80"}, "is not a loopback address"},
		{"no port", []string{"-addr", "127.0.0.1"}, "is not host:port"},
		{"no users", []string{"-users", "0"}, "-users 0 is out of range"},
		{"too many users", []string{"-users", "200001"}, "-users 200001 is out of range"},
		{"seed alone", []string{"-seed", "4"}, "-seed needs -users"},
		{"client id without oauth", []string{"-client-id", "x"}, "need -oauth"},
		{"negative ttl", []string{"-oauth", "-access-ttl", "-1s"}, "-access-ttl must not be negative"},
		{"extra argument", []string{"now"}, `unexpected argument "now"`},
		{"unknown flag", []string{"-token", "x"}, "flag provided but not defined: -token"},
		{"entitlements in a missing directory", []string{"-entitlements", filepath.Join(t.TempDir(), "no", "e.json")}, "-entitlements: open "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q; want nothing", stdout.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, func(string) string { return "" }, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "-reclaim -max-reclaim 0") || !strings.Contains(stdout.String(), "-addr") {
		t.Errorf("-h: exit %d, stdout %q", code, stdout.String())
	}
}
