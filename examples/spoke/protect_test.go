package main

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseProtectFile checks that any protect file is either refused with
// one line naming the file, or read into entries that each follow the
// protect rule.
func FuzzParseProtectFile(f *testing.F) {
	for _, s := range []string{"", "# list\nceo@example.com\n123\n", "a@b.c d@e.f\n", "\ufeffx@example.com\r\n", "\xff\n", "ceo@acme"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseProtectFile(data, "p.txt")
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "p.txt: line ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want a one-line usage error naming the file and line", err)
			}
			return
		}
		for _, e := range entries {
			if msg := protectEntryProblem(e); msg != "" || e != strings.TrimSpace(e) || e == "" {
				t.Fatalf("entry %q accepted: %s", e, msg)
			}
		}
	})
}
