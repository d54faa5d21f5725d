package main

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHelp checks that -h lists every flag with its default, and examples.
func TestHelp(t *testing.T) {
	code, out, errs := spokeRun(t, env{}, []string{"-h"})
	if code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	help := out + errs
	for _, want := range []string{"Examples:", "go run ./examples/spoke -format html -o report.html", "-config accounts.json", `"token_env"`,
		"AHA_REDIRECT_URI", "at most 8 MiB", "not with -quiet", "not with -v", "skipped_cap and exits 0"} {
		if !strings.Contains(help, want) {
			t.Errorf("-h lacks %q", want)
		}
	}
	flagsPart := help[strings.Index(help, "\nFlags:\n"):]
	blocks := regexp.MustCompile(`(?m)^  -`).Split(flagsPart, -1)[1:]
	names := map[string]bool{}
	for _, b := range blocks {
		name := strings.Fields(b)[0]
		names[name] = true
		if !strings.Contains(b, "(default") {
			t.Errorf("-%s: no default in its help:\n%s", name, b)
		}
	}
	for _, want := range []string{"aha-url", "config", "entitlements", "format", "inactive-days", "journal", "max-reclaim", "now", "o",
		"profile", "protect", "protect-file", "quiet", "rate", "rate-per-minute", "reclaim", "reclaim-mode", "token-file", "v"} {
		if !names[want] {
			t.Errorf("-h does not list -%s", want)
		}
	}
}

// TestFlagValues checks flag values that must be usage errors (exit 2,
// one line naming the flag) and the edge values that must be accepted.
func TestFlagValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // "" when the flags are accepted
	}{
		{[]string{"-profile", "../../../../tmp/pwned"}, "-profile"},
		{[]string{"-profile", ".hidden"}, "not starting with '.'"},
		{[]string{"-profile", ""}, "-profile"},
		{[]string{"-profile", "a/b"}, "-profile"},
		{[]string{"-profile", strings.Repeat("p", 65)}, "1 to 64"},
		{[]string{"-profile", strings.Repeat("p", 64)}, ""},
		{[]string{"-profile", "acme-prod_2.eu"}, ""},
		{[]string{"-profile", "_x"}, ""},
		{[]string{"-rate", "NaN"}, "-rate"},
		{[]string{"-rate", "Inf"}, "-rate"},
		{[]string{"-rate", "-Inf"}, "-rate"},
		{[]string{"-rate", "-1"}, "-rate"},
		{[]string{"-rate", "20.5"}, "-rate"},
		{[]string{"-rate", "0"}, ""},
		{[]string{"-rate", "20"}, ""},
		{[]string{"-rate", "1"}, ""},
		{[]string{"-rate", "2.5"}, ""},
		{[]string{"-rate", "0.5"}, "want 1 to 20 requests a second"},
		{[]string{"-rate", "0.001"}, "want 1 to 20 requests a second"},
		{[]string{"-rate-per-minute", "-1"}, "want 10 to 300 requests a minute (Aha! allows 300), or 0 for the default 280"},
		{[]string{"-rate-per-minute", "9"}, "want 10 to 300"},
		{[]string{"-rate-per-minute", "301"}, "want 10 to 300"},
		{[]string{"-rate-per-minute", "10"}, ""},
		{[]string{"-rate-per-minute", "300"}, ""},
		{[]string{"-rate-per-minute", "0"}, ""},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, func(string) string { return "" }, nil)
		var ue *usageError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", tt.args, err)
		case tt.want != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want a usage error saying %q", tt.args, err, tt.want)
		}
	}
	// The message for -rate says the range and what 0 means, not
	// "at most" alone for a value below the range.
	_, err := parseFlags([]string{"-rate", "-1"}, func(string) string { return "" }, nil)
	if err == nil || err.Error() != "-rate -1 is out of range: want 1 to 20 requests a second (Aha! allows 20), or 0 for the default 18" {
		t.Errorf("-rate -1: %v", err)
	}
}

// TestProfileNameSafe checks that a profile derived from the account URL
// is always a safe journal file name.
func TestProfileNameSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://acme.aha.io":          "acme",
		"http://127.0.0.1:8080":        "local-127.0.0.1-8080",
		"http://[::1]:8080":            "local----1--8080",
		"https://xn--bcher-kva.aha.io": "xn--bcher-kva",
	} {
		got := profileName(in)
		if got != want || !profileNameRE.MatchString(got) {
			t.Errorf("profileName(%q) = %q, want %q (matching the profile name rule)", in, got, want)
		}
	}
}

// TestREADMEFlagTable checks that the README's flag table lists exactly
// the flags -h prints.
func TestREADMEFlagTable(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip(err)
	}
	readme := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `-([a-z-]+)[ `]").FindAllStringSubmatch(string(data), -1) {
		readme[m[1]] = true
	}
	flags := map[string]bool{}
	code, out, errs := spokeRun(t, env{}, []string{"-h"})
	if code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(out+errs, -1) {
		flags[m[1]] = true
	}
	if diff := cmp.Diff(flags, readme); diff != "" {
		t.Errorf("README flag table vs -h (-h +README):\n%s", diff)
	}
}

// TestAccountURL checks -aha-url's normalisation, the one of
// examples/connect (oauthflow.NormalizeAccountURL): a lower-case host,
// scheme and host only, the API's base URL taken for the account.
func TestAccountURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ACME":                         "https://acme.aha.io",
		"acme":                         "https://acme.aha.io",
		" Acme.EUW4.aha.io ":           "https://acme.euw4.aha.io",
		"https://ACME.aha.io/":         "https://acme.aha.io",
		"https://acme.aha.io/api/v1/":  "https://acme.aha.io",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"http://LOCALHOST:8080/api/v1": "http://localhost:8080",
	} {
		got, err := accountURL(in)
		if err != nil || got != want {
			t.Errorf("accountURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err == nil && in == "ACME" && profileName(got) != "acme" {
			t.Errorf("profile of %q: %q, want acme", in, profileName(got))
		}
	}
	for in, want := range map[string]string{
		"https://acme.aha.io/other": "scheme and host",
		"http://acme.aha.io":        "plain http",
		"ftp://acme.aha.io":         `scheme "ftp"`,
		"acme_corp":                 "not a valid host name",
		"user:s3cret@acme.aha.io":   "user name or password",
		"https://u:s3cret@acme":     "user name or password",
	} {
		_, err := accountURL(in)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "-aha-url ") {
			t.Errorf("accountURL(%q): %v; want a usage error saying %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("accountURL(%q): the password shows: %v", in, err)
		}
	}
}
