package oauthflow_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

func TestFileStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "aha-token.json")
	s := &oauthflow.FileStore{Path: path}
	tests := []*oauth2.Token{
		{AccessToken: randomSecret(t), TokenType: "bearer", RefreshToken: randomSecret(t),
			Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{AccessToken: randomSecret(t)}, // non-expiring, no refresh token
	}
	for _, want := range tests {
		if err := s.Save(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(oauth2.Token{})); diff != "" {
			t.Errorf("round trip mismatch (-want +got):\n%s", diff)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode = %04o; want 0600", fi.Mode().Perm())
		}
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("token directory mode = %v, %v; want 0700", di.Mode(), err)
	}
	// Atomic replace leaves no temporary files behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only the token file", len(entries))
	}
}

func TestFileStoreSaveTightensExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tok.json")
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &oauthflow.FileStore{Path: path}
	if err := s.Save(t.Context(), &oauth2.Token{AccessToken: randomSecret(t)}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after Save = %04o; want 0600", fi.Mode().Perm())
	}
}

func TestFileStoreLoadErrors(t *testing.T) {
	secret := randomSecret(t)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		check   func(t *testing.T, path string, err error)
	}{
		{"loose permissions", `{"access_token":"` + secret + `"}`, 0o644, func(t *testing.T, path string, err error) {
			var pe *oauthflow.PermissionError
			if !errors.As(err, &pe) || pe.Path != path || pe.Mode != 0o644 {
				t.Fatalf("error = %v; want *PermissionError for %s mode 0644", err, path)
			}
			if msg := err.Error(); !strings.Contains(msg, "chmod 600 "+path) || !strings.Contains(msg, "0644") {
				t.Errorf("message %q should name the mode and tell the user to chmod 600 the file", msg)
			}
		}},
		{"group readable", `{"access_token":"` + secret + `"}`, 0o640, func(t *testing.T, path string, err error) {
			var pe *oauthflow.PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v; want *PermissionError", err)
			}
		}},
		{"empty", " \n", 0o600, func(t *testing.T, path string, err error) {
			var fe *oauthflow.TokenFileError
			if !errors.As(err, &fe) || fe.Path != path || fe.Reason != "is empty" {
				t.Fatalf("error = %v; want *TokenFileError is empty", err)
			}
		}},
		{"malformed", `{"access_token":"` + secret, 0o600, func(t *testing.T, path string, err error) {
			var fe *oauthflow.TokenFileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), path) || !strings.Contains(fe.Reason, "not valid JSON") {
				t.Fatalf("error = %v; want *TokenFileError naming the file", err)
			}
		}},
		{"wrong type", `{"access_token":12}`, 0o600, func(t *testing.T, path string, err error) {
			var fe *oauthflow.TokenFileError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v; want *TokenFileError", err)
			}
		}},
		{"no access token", `{"refresh_token":"` + secret + `"}`, 0o600, func(t *testing.T, path string, err error) {
			var fe *oauthflow.TokenFileError
			if !errors.As(err, &fe) || fe.Reason != "has no access_token" {
				t.Fatalf("error = %v; want *TokenFileError has no access_token", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // umask-proof
				t.Fatal(err)
			}
			tok, err := (&oauthflow.FileStore{Path: path}).Load(t.Context())
			if tok != nil {
				t.Fatalf("Load returned a token with error %v", err)
			}
			tt.check(t, path, err)
			assertNoSecrets(t, []string{secret}, err.Error())
		})
	}
}

func TestFileStoreMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.json")
	_, err := (&oauthflow.FileStore{Path: path}).Load(t.Context())
	if !errors.Is(err, oauthflow.ErrNoToken) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v; want ErrNoToken naming the path", err)
	}
}

func TestFileStoreRefusesEmptyTokenAndCancelledContext(t *testing.T) {
	s := &oauthflow.FileStore{Path: filepath.Join(t.TempDir(), "tok.json")}
	if err := s.Save(t.Context(), &oauth2.Token{}); err == nil {
		t.Error("saved a token without an access token")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Save(ctx, &oauth2.Token{AccessToken: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with cancelled context = %v", err)
	}
}

func TestDefaultTokenPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg-home")
	t.Setenv("HOME", "/tmp/home")
	p, err := oauthflow.DefaultTokenPath()
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.UserConfigDir()
	if want := filepath.Join(dir, "samspoke", "aha-token.json"); p != want {
		t.Errorf("DefaultTokenPath() = %q; want %q", p, want)
	}
}

// TestFileStoreRefusesDirectoryTarget: a token path that names a directory
// (say -token-file /tmp) is refused by Save and CheckWritable with a
// *TokenPathError naming it, and nothing is written, not even a temporary
// file beside it.
func TestFileStoreRefusesDirectoryTarget(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "tokens")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &oauthflow.FileStore{Path: dir}
	for name, err := range map[string]error{
		"Save":          s.Save(t.Context(), &oauth2.Token{AccessToken: randomSecret(t)}),
		"CheckWritable": s.CheckWritable(),
	} {
		var pe *oauthflow.TokenPathError
		if !errors.As(err, &pe) || pe.Path != dir {
			t.Fatalf("%s = %v; want *TokenPathError for %s", name, err, dir)
		}
		want := "oauthflow: token file " + dir + " is a directory; give a file path such as " + filepath.Join(dir, "aha-token.json")
		if err.Error() != want {
			t.Errorf("%s error = %q; want %q", name, err, want)
		}
	}
	for _, d := range []string{parent, dir} {
		if entries, _ := os.ReadDir(d); len(entries) != map[string]int{parent: 1, dir: 0}[d] {
			t.Errorf("%s holds %d entries after the refusals; want nothing written", d, len(entries))
		}
	}
}

func TestFileStoreCheckWritable(t *testing.T) {
	t.Run("missing directories are created 0700, nothing left behind", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "aha-token.json")
		if err := (&oauthflow.FileStore{Path: path}).CheckWritable(); err != nil {
			t.Fatal(err)
		}
		di, err := os.Stat(filepath.Dir(path))
		if err != nil || di.Mode().Perm() != 0o700 {
			t.Fatalf("directory: %v, %v; want mode 0700", di, err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
			t.Errorf("the probe left %d entries", len(entries))
		}
	})
	t.Run("existing token file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tok.json")
		if err := os.WriteFile(path, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := (&oauthflow.FileStore{Path: path}).CheckWritable(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "{}" {
			t.Errorf("CheckWritable changed the file: %q", b)
		}
	})
	base := t.TempDir()
	file := filepath.Join(base, "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"parent is a file", filepath.Join(file, "tok.json"), "cannot be written: its directory " + file + " cannot be created: not a directory"},
		{"trailing separator", base + "/new/", "ends with a path separator; give a file path such as " + filepath.Join(base, "new", "aha-token.json")},
		{"empty", "", `"" is empty`},
		{"device", os.DevNull, "is not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := (&oauthflow.FileStore{Path: tt.path}).CheckWritable()
			var pe *oauthflow.TokenPathError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckWritable(%q) = %v; want *TokenPathError containing %q", tt.path, err, tt.want)
			}
			if err := (&oauthflow.FileStore{Path: tt.path}).Save(t.Context(), &oauth2.Token{AccessToken: "x"}); !errors.As(err, &pe) {
				t.Errorf("Save(%q) = %v; want *TokenPathError", tt.path, err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(base, "new")); err == nil {
		t.Error("a path with a trailing separator created a directory")
	}
	if os.Geteuid() != 0 { // root writes anywhere
		t.Run("read-only directory", func(t *testing.T) {
			ro := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(ro, 0o500); err != nil {
				t.Fatal(err)
			}
			err := (&oauthflow.FileStore{Path: filepath.Join(ro, "tok.json")}).CheckWritable()
			if !strings.Contains(fmt.Sprint(err), "cannot be written: no file can be created in "+ro) {
				t.Fatalf("CheckWritable = %v", err)
			}
		})
	}
}
