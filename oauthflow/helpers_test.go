package oauthflow_test

import (
	"crypto/rand"
	"os"
	"strings"
	"testing"
)

// randomSecret returns a fresh secret, so that no fixture holds one.
func randomSecret(t testing.TB) string {
	t.Helper()
	return strings.ToLower(rand.Text())
}

// assertNoSecrets fails t if any output contains any secret.
func assertNoSecrets(t testing.TB, secrets []string, outputs ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, out := range outputs {
			if strings.Contains(out, sec) {
				t.Errorf("a secret leaked into output: %q", strings.ReplaceAll(out, sec, "<SECRET>"))
			}
		}
	}
}

func chmod(path string, mode os.FileMode) error { return os.Chmod(path, mode) }
