package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestHelp checks that -h lists every flag with its default, and examples.
func TestHelp(t *testing.T) {
	code, out, errs := spokeRun(t, env{}, []string{"-h"})
	if code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	help := out + errs
	for _, want := range []string{"Examples:", "go run ./examples/spoke -format html -o report.html", "-config accounts.json", `"token_env"`} {
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
