package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

// TestNowWithReclaim checks that -reclaim refuses a -now far from the
// clock (a -now in the future would make everyone inactive, and the
// reclaim disables them today), with no write to Aha!, and accepts one
// within minutes of it.
func TestNowWithReclaim(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	tests := []struct {
		name string
		now  time.Time
		code int
		want string
	}{
		{"years ahead", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 2, "is 1309 days ahead of the clock"},
		{"days behind", testNow.Add(-3 * 24 * time.Hour), 2, "is 3 days behind the clock"},
		{"hours ahead", testNow.Add(5 * time.Hour), 2, "is 5 hours ahead of the clock"},
		{"minutes ahead", testNow.Add(11 * time.Minute), 2, "is 11 minutes ahead of the clock, more than the 10 minutes -reclaim allows"},
		// The tester's case: "11 minutes ahead" by the shell's clock is a
		// little less by the time the run reads it; it must not read as
		// "10 minutes", the limit.
		{"just past the limit", testNow.Add(10*time.Minute + time.Second), 2, "is 10 minutes 1 second ahead of the clock, more than the 10 minutes -reclaim allows"},
		{"an hour behind", testNow.Add(-61*time.Minute - 30*time.Second), 2, "is 61 minutes 30 seconds behind the clock"},
		{"within tolerance", testNow.Add(-9 * time.Minute), 0, ""},
	}
	for _, tt := range tests {
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		// -max-reclaim 1: the plan is above the cap, so a run that gets
		// through applies nothing either way.
		r := runSpoke(t, nil, []string{"-aha-url", f.srv.URL, "-now", tt.now.Format(time.RFC3339), "-reclaim", "-max-reclaim", "1",
			"-journal", journal, "-quiet", "-format", "json"}, map[string]string{"AHA_TOKEN": f.token}, f.wire, f.token)
		if r.code != tt.code {
			t.Errorf("%s: exit %d, want %d:\n%s", tt.name, r.code, tt.code, r.stderr)
		}
		if tt.code == 2 {
			for _, s := range []string{tt.want, "-reclaim acts on the account as it is now", "drop -now or the -reclaim"} {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("%s: stderr lacks %q:\n%s", tt.name, s, r.stderr)
				}
			}
		}
	}
	if p := f.wire.puts(); len(p) > 0 {
		t.Errorf("users written: %v", p)
	}
}

// TestNowRange checks that -now accepts only the years 2000 to 2199: the
// zero time 0001-01-01 no longer means "now", and year 9999 no longer
// fails deep in the run.
func TestNowRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		now string
		ok  bool
	}{
		{"0001-01-01T00:00:00Z", false},
		{"1999-12-31T23:59:59Z", false},
		{"2000-01-01T00:00:00Z", true},
		{"2199-12-31T23:59:59Z", true},
		{"2200-01-01T00:00:00Z", false},
		{"9999-12-31T23:59:59Z", false},
	} {
		_, err := parseFlags([]string{"-now", tt.now}, func(string) string { return "" }, nil)
		var ue *usageError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &ue) || !strings.Contains(err.Error(), "2000 to 2199"))) {
			t.Errorf("-now %s: error %v, want ok=%v (a usage error naming the range)", tt.now, err, tt.ok)
		}
	}
}
