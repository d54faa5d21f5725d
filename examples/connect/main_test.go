package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
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

var authURLLine = regexp.MustCompile(`(?m)^  (http://\S+/oauth/authorize\S+)$`)

type result struct {
	code           int
	stdout, stderr string
	tokenFile      string
}

// runConnect runs the command against srv, plays the browser when browse is
// set, and returns what the command printed.
func runConnect(t *testing.T, srv *oauthflowtest.Server, browse bool, extra ...string) result {
	t.Helper()
	return runConnectSecret(t, srv, srv.ClientSecret, browse, extra...)
}

func runConnectSecret(t *testing.T, srv *oauthflowtest.Server, secret string, browse bool, extra ...string) result {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "cfg", "aha-token.json")
	args := append([]string{"-aha-url", srv.URL, "-client-id", srv.ClientID,
		"-redirect", "http://127.0.0.1:0/callback", "-token-file", tokenFile, "-timeout", "5s"}, extra...)
	env := func(k string) string {
		if k == "AHA_CLIENT_SECRET" {
			return secret
		}
		return ""
	}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() { done <- run(ctx, args, env, &stdout, &stderr) }()

	if browse {
		var authURL string
		for authURL == "" {
			select {
			case code := <-done:
				t.Fatalf("command ended (%d) before printing the URL: %s %s", code, stdout.String(), stderr.String())
			case <-time.After(5 * time.Millisecond):
			}
			if m := authURLLine.FindStringSubmatch(stdout.String()); m != nil {
				authURL = m[1]
			}
		}
		resp, err := http.Get(authURL) // follows the redirect to the loopback listener
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	code := <-done
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), tokenFile: tokenFile}
}

func assertNoSecrets(t *testing.T, srv *oauthflowtest.Server, r result) {
	t.Helper()
	for _, sec := range srv.Secrets() {
		if strings.Contains(r.stdout, sec) || strings.Contains(r.stderr, sec) {
			t.Errorf("a secret was printed:\nstdout: %s\nstderr: %s",
				strings.ReplaceAll(r.stdout, sec, "<SECRET>"), strings.ReplaceAll(r.stderr, sec, "<SECRET>"))
		}
	}
}

func TestConnectAdministrator(t *testing.T) {
	srv := oauthflowtest.NewServer()
	defer srv.Close()
	srv.Update(func(s *oauthflowtest.Server) { s.ExpiresIn = time.Hour })
	r := runConnect(t, srv, true)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	for _, want := range []string{
		"Token saved to " + r.tokenFile,
		"Connected to " + srv.URL + " as Mary Humpty <mary@example.com> (user 1020675218).",
		"Account administrator: yes",
		// What to run next, the secret left for the user to fill in.
		"AHA_CLIENT_ID=" + srv.ClientID + " AHA_CLIENT_SECRET=... go run ./examples/spoke -aha-url " + srv.URL + " -token-file " + r.tokenFile,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	fi, err := os.Stat(r.tokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
	}
	tok, err := (&oauthflow.FileStore{Path: r.tokenFile}).Load(t.Context())
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("stored token incomplete: %v", err)
	}
	assertNoSecrets(t, srv, r)
}

func TestConnectNotAdministrator(t *testing.T) {
	srv := oauthflowtest.NewServer()
	defer srv.Close()
	srv.Update(func(s *oauthflowtest.Server) {
		s.User = oauthflowtest.User{ID: "42", Name: "Bob", Email: "bob@example.com"}
	})
	r := runConnect(t, srv, true)
	if r.code != 1 || !strings.Contains(r.stdout, "Account administrator: no") ||
		!strings.Contains(r.stderr, "Bob is not an Aha! account administrator (missing: administrator, administrator_roles.administer_account)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr is not one line: %q", r.stderr)
	}
	assertNoSecrets(t, srv, r)
}

func TestConnectFailures(t *testing.T) {
	t.Run("denied", func(t *testing.T) {
		srv := oauthflowtest.NewServer()
		defer srv.Close()
		srv.Update(func(s *oauthflowtest.Server) { s.Deny = "access_denied" })
		r := runConnect(t, srv, true)
		if r.code != 1 || !strings.Contains(r.stderr, "access_denied") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		if _, err := os.Stat(r.tokenFile); !os.IsNotExist(err) {
			t.Error("a token file was written after a refusal")
		}
		assertNoSecrets(t, srv, r)
	})
	t.Run("timeout", func(t *testing.T) {
		srv := oauthflowtest.NewServer()
		defer srv.Close()
		r := runConnect(t, srv, false, "-timeout", "50ms")
		if r.code != 1 || !strings.Contains(r.stderr, "timed out") || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		srv := oauthflowtest.NewServer()
		defer srv.Close()
		wrong := "wrong-" + srv.ClientSecret[:10]
		r := runConnectSecret(t, srv, wrong, true)
		if strings.Contains(r.stdout+r.stderr, wrong) {
			t.Error("the wrong client secret was printed")
		}
		if r.code != 1 || !strings.Contains(r.stderr, "invalid_client") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		assertNoSecrets(t, srv, r)
	})
}

func TestConnectUsage(t *testing.T) {
	secret := "s3cr3t-" + time.Now().Format("150405.000000000")
	env := func(set bool) func(string) string {
		return func(k string) string {
			if set && k == "AHA_CLIENT_SECRET" {
				return secret
			}
			return ""
		}
	}
	tests := []struct {
		name   string
		args   []string
		secret bool
		want   string
	}{
		{"no account", []string{"-client-id", "id"}, true, "-aha-url is required"},
		{"no client id", []string{"-aha-url", "acme"}, true, "-client-id is required"},
		{"no secret", []string{"-aha-url", "acme", "-client-id", "id"}, false, "AHA_CLIENT_SECRET is not set"},
		{"secret as a flag", []string{"-aha-url", "acme", "-client-id", "id", "-client-secret", secret}, true, "flag provided but not defined: -client-secret"},
		{"http account", []string{"-aha-url", "http://acme.aha.io", "-client-id", "id"}, true, "plain http is allowed only for a loopback host"},
		{"https redirect", []string{"-aha-url", "acme", "-client-id", "id", "-redirect", "https://example.com/cb"}, true, "loopback"},
		{"bad timeout", []string{"-aha-url", "acme", "-client-id", "id", "-timeout", "0s"}, true, "-timeout must be positive"},
		{"extra argument", []string{"-aha-url", "acme", "-client-id", "id", "now"}, true, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, env(tt.secret), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stdout.String()+stderr.String(), secret) && tt.name != "secret as a flag" {
				t.Error("the client secret was printed")
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, env(false), &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("-h: exit %d, stderr %q", code, stderr.String())
	}
	// Every flag with its default, and an example to copy.
	for _, want := range []string{"-aha-url", "-client-id", "-redirect", `(default "http://127.0.0.1:8400/callback")`,
		"-timeout", "(default 5m0s)", "-token-file", "aha-token.json)",
		"Example:", "go run ./examples/connect -aha-url https://acme.aha.io -client-id "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, stdout.String())
		}
	}
}

var waitingLine = regexp.MustCompile(`(?m)^Waiting up to \S+ for Aha! to redirect to (http://\S+) \.\.\.$`)

// TestConnectIgnoresStaleCallback: a callback with a wrong state (a stale
// browser tab) is answered 400 with a page that says so, and connect keeps
// waiting for the genuine redirect, which then succeeds.
func TestConnectIgnoresStaleCallback(t *testing.T) {
	srv := oauthflowtest.NewServer()
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "aha-token.json")
	args := []string{"-aha-url", srv.URL, "-client-id", srv.ClientID,
		"-redirect", "http://127.0.0.1:0/callback", "-token-file", tokenFile, "-timeout", "5s"}
	env := func(k string) string {
		if k == "AHA_CLIENT_SECRET" {
			return srv.ClientSecret
		}
		return ""
	}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() { done <- run(ctx, args, env, &stdout, &stderr) }()

	var authURL, redirect string
	for authURL == "" || redirect == "" {
		select {
		case code := <-done:
			t.Fatalf("command ended (%d) before waiting: %s %s", code, stdout.String(), stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if m := authURLLine.FindStringSubmatch(stdout.String()); m != nil {
			authURL = m[1]
		}
		if m := waitingLine.FindStringSubmatch(stdout.String()); m != nil {
			redirect = m[1]
		}
	}
	resp, err := http.Get(redirect + "?code=abc&state=WRONG")
	if err != nil {
		t.Fatalf("stale tab: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "did not match") {
		t.Fatalf("stale callback answered %d:\n%s", resp.StatusCode, body)
	}
	select {
	case code := <-done:
		t.Fatalf("connect ended (%d) on a stale callback: %s", code, stderr.String())
	case <-time.After(50 * time.Millisecond):
	}
	resp, err = http.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the genuine callback answered %d", resp.StatusCode)
	}
	if code := <-done; code != 0 || stderr.String() != "" || !strings.Contains(stdout.String(), "Token saved to "+tokenFile) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if n := srv.Exchanges(); n != 1 {
		t.Errorf("exchanges = %d; want 1 (the stale code is never exchanged)", n)
	}
	assertNoSecrets(t, srv, result{stdout: stdout.String(), stderr: stderr.String()})
}

// TestConnectTokenFileCheckedFirst: a -token-file that cannot be written is a
// usage error (exit 2, one line naming the path) before any URL is printed,
// so the user never authorizes in the browser for nothing, and nothing is
// written beside it (the tester's -token-file /tmp wrote a temporary file
// in / and failed only after the browser said "connected").
func TestConnectTokenFileCheckedFirst(t *testing.T) {
	srv := oauthflowtest.NewServer()
	defer srv.Close()
	base := t.TempDir()
	dir := filepath.Join(base, "dir")
	file := filepath.Join(base, "file")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "AHA_CLIENT_SECRET" {
			return srv.ClientSecret
		}
		return ""
	}
	for _, tt := range []struct{ name, path, want string }{
		{"a directory", dir, "connect: -token-file: token file " + dir + " is a directory; give a file path such as " + filepath.Join(dir, "aha-token.json") + " (run with -h for usage)\n"},
		{"under a file", filepath.Join(file, "tok.json"), "connect: -token-file: token file " + filepath.Join(file, "tok.json") + " cannot be written: its directory " + file + " cannot be created: not a directory (run with -h for usage)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"-aha-url", srv.URL, "-client-id", srv.ClientID,
				"-redirect", "http://127.0.0.1:0/callback", "-token-file", tt.path, "-timeout", "5s"}
			code := run(t.Context(), args, env, &stdout, &stderr)
			if code != 2 || stderr.String() != tt.want {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("the flow started before the check: %q", stdout.String())
			}
			if entries, _ := os.ReadDir(base); len(entries) != 2 {
				t.Errorf("%s holds %d entries; want only dir and file", base, len(entries))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%s holds %d entries; want none", dir, len(entries))
			}
		})
	}
	if n := srv.Exchanges(); n != 0 {
		t.Errorf("exchanges = %d; want 0", n)
	}
}
