package oauthflow_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/samspoke/samspoke/oauthflow"
)

// FuzzNormalizeAccountURL checks that any accepted account URL is scheme and
// host only, https unless the host is a loopback, and normalises to itself.
func FuzzNormalizeAccountURL(f *testing.F) {
	for _, s := range []string{"acme", "acme.aha.io", "https://acme.euw4.aha.io/", "http://127.0.0.1:80",
		"http://evil.com@127.0.0.1", "https://[::1]", "HTTP://LOCALHOST:1", "javascript:alert(1)", "//acme", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := oauthflow.NormalizeAccountURL(in)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			t.Fatalf("NormalizeAccountURL(%q) = %q: not scheme and host only", in, got)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "localhost" || strings.HasPrefix(u.Hostname(), "127.") || u.Hostname() == "::1")) {
			t.Fatalf("NormalizeAccountURL(%q) = %q: plain http off loopback", in, got)
		}
		again, err := oauthflow.NormalizeAccountURL(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}
