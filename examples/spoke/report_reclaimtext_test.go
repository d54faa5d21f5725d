package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// TestReclaimReportsSayWhatHappened: after -reclaim the text and HTML
// reports head the positions by what the reclaim did (nothing applied
// above the cap; the users freed otherwise), show the positions before it,
// and the reclaim summary.
func TestReclaimReportsSayWhatHappened(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, cap, title, summary string
	}{
		{"above the cap", "2", "License positions (unchanged: the reclaim plan exceeds -max-reclaim, so no action was applied)",
			"above the cap of 2: none was applied"},
		{"applied", "0", "License positions after the reclaim actions (", "applied "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			txt := filepath.Join(dir, "report.txt")
			r := demoReports(t, "text", txt, "-max-reclaim", tt.cap)
			if r.PositionsBefore == nil || r.Reclaim == nil {
				t.Fatalf("no positions before or reclaim block: %+v", r.Reclaim)
			}
			if tt.cap == "0" {
				tt.title += plural(len(r.Reclaim.Freed), "user") + " freed)"
				if len(r.Reclaim.Freed) == 0 {
					t.Fatal("the demo reclaim freed nobody")
				}
			}
			data, err := os.ReadFile(txt)
			if err != nil {
				t.Fatal(err)
			}
			out := string(data)
			lines := strings.Split(out, "\n")
			if !containsLine(lines, tt.title) {
				t.Errorf("text report lacks the line %q:\n%s", tt.title, out)
			}
			if tt.cap == "2" && strings.Contains(out, "after the reclaim") {
				t.Errorf("nothing was applied, yet the text report speaks of after the reclaim:\n%s", out)
			}
			if !containsLine(lines, "License positions before the reclaim actions") || !strings.Contains(out, tt.summary) {
				t.Errorf("text report lacks the positions before the reclaim or %q:\n%s", tt.summary, out)
			}
			// The demo's journal is gone when the report is read: no path.
			if r.Journal != "" || !strings.Contains(out, "the demo's journal was a temporary file, deleted when the run ended") {
				t.Errorf("journal %q; the text report should say the demo's journal is gone:\n%s", r.Journal, out)
			}

			page := filepath.Join(dir, "report.html")
			demoReports(t, "html", page, "-max-reclaim", tt.cap)
			raw, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			h := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == "positions-title" })
			if len(h) != 1 || text(h[0]) != tt.title {
				t.Errorf("HTML positions heading %v, want %q", h, tt.title)
			}
			var want [][]string
			for _, p := range r.PositionsBefore {
				want = append(want, []string{p.Model, itoa64(p.RightsOwned), itoa64(p.RightsUsed), itoa64(p.Available), string(p.Status),
					orDash(p.PricePerRight), orDash(p.TrueUpCost), orDash(p.OverLicensedCost), orDash(p.PotentialSavings), orDash(p.Currency), orDash(p.PercentUnused)})
			}
			if diff := cmp.Diff(want, tableRows(t, doc, "positions-before")); diff != "" {
				t.Errorf("HTML positions before (-want +got):\n%s", diff)
			}
			if !strings.Contains(string(raw), tt.summary) || strings.Contains(string(raw), "applied</span>") {
				t.Errorf("HTML lacks the reclaim summary %q, or claims the reclaim applied", tt.summary)
			}
		})
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
