package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// demoReports runs the demo in process with a fixed -now and -reclaim, once
// as JSON and once in format (written to -o out), and returns the JSON
// report. The demo is deterministic for a given -now.
func demoReports(t *testing.T, format, out string, extra ...string) *Report {
	t.Helper()
	// -reclaim needs -now within minutes of the clock: the clock says the same.
	args := append([]string{"-now", "2026-12-01T00:00:00Z", "-reclaim", "-quiet"}, extra...)
	e := env{clock: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	code, js, errs := spokeRun(t, e, append(args, "-format", "json"))
	if code != 0 {
		t.Fatalf("json: exit %d:\n%s", code, errs)
	}
	code, _, errs = spokeRun(t, e, append(args, "-format", format, "-o", out))
	if code != 0 {
		t.Fatalf("%s: exit %d:\n%s", format, code, errs)
	}
	return decodeTestReport(t, js)
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, c string) bool {
	v, _ := attr(n, "class")
	for _, f := range strings.Fields(v) {
		if f == c {
			return true
		}
	}
	return false
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func byTag(tag string) func(*html.Node) bool { return func(n *html.Node) bool { return n.Data == tag } }

// tableRows returns the cell texts of the body rows of the table with id.
func tableRows(t *testing.T, doc *html.Node, id string) [][]string {
	t.Helper()
	tables := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return n.Data == "table" && v == id })
	if len(tables) != 1 {
		t.Fatalf("%d tables with id %q, want 1", len(tables), id)
	}
	var rows [][]string
	for _, tb := range findAll(tables[0], byTag("tbody")) {
		for _, tr := range findAll(tb, byTag("tr")) {
			var cells []string
			for _, td := range findAll(tr, byTag("td")) {
				cells = append(cells, text(td))
			}
			rows = append(rows, cells)
		}
	}
	return rows
}

// checkSelfContained fails on anything the page would load from elsewhere
// and on any script.
func checkSelfContained(t *testing.T, doc *html.Node, raw string) {
	t.Helper()
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "base":
			t.Errorf("the page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if k == "src" || k == "href" || k == "xlink:href" || k == "action" || k == "srcset" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s> has attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	for _, bad := range []string{"@import", "url(", "http://", "https://"} {
		if strings.Contains(raw, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

func TestHTMLReport(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "report.html")
	// A plan above the cap applies nothing but lists every action.
	r := demoReports(t, "html", out, "-max-reclaim", "2")
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc, string(raw))

	cards := findAll(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "model") })
	if len(cards) != len(r.Positions) || len(r.Positions) == 0 {
		t.Fatalf("%d model cards, want one per position (%d)", len(cards), len(r.Positions))
	}
	for i, p := range r.Positions {
		c := cards[i]
		got := map[string]string{}
		for _, k := range []string{"data-model", "data-owned", "data-used"} {
			got[k], _ = attr(c, k)
		}
		want := map[string]string{"data-model": p.Model, "data-owned": itoa64(p.RightsOwned), "data-used": itoa64(p.RightsUsed)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("card %d (-want +got):\n%s", i, diff)
		}
		// The bars: the larger figure is full width, the other in proportion.
		scale := max(p.RightsOwned, p.RightsUsed)
		for class, n := range map[string]int64{"owned": p.RightsOwned, "used": p.RightsUsed} {
			rects := findAll(c, func(x *html.Node) bool { return x.Data == "rect" && hasClass(x, class) })
			if len(rects) != 1 {
				t.Fatalf("%s: %d %s bars", p.Model, len(rects), class)
			}
			w, _ := attr(rects[0], "width")
			if want := pct(n, scale); w != want {
				t.Errorf("%s: %s bar width %q, want %q (%d of %d)", p.Model, class, w, want, n, scale)
			}
			if class == "used" && p.RightsUsed > p.RightsOwned && !hasClass(rects[0], "over") {
				t.Errorf("%s: more used than owned, but the used bar is not marked over", p.Model)
			}
		}
		var counts []string
		for _, x := range findAll(c, func(x *html.Node) bool { _, ok := attr(x, "data-count"); return x.Data == "rect" && ok }) {
			v, _ := attr(x, "data-count")
			counts = append(counts, v)
		}
		s := p.Spread
		wantCounts := []string{itoa64(s.Days0To30), itoa64(s.Days30To60), itoa64(s.Days60To90), itoa64(s.Days90Plus), itoa64(s.Never), itoa64(s.Unknown)}
		if diff := cmp.Diff(wantCounts, counts); diff != "" {
			t.Errorf("%s: activity spread (-want +got):\n%s", p.Model, diff)
		}
		for class, v := range map[string]*string{"true-up": p.TrueUpCost, "over-licensed": p.OverLicensedCost, "savings": p.PotentialSavings} {
			dd := findAll(c, func(x *html.Node) bool { return x.Data == "dd" && hasClass(x, class) })
			if len(dd) != 1 || text(dd[0]) != orDash(v) {
				t.Errorf("%s: %s shows %v, want %q", p.Model, class, dd, orDash(v))
			}
		}
	}

	var wantCands [][]string
	for _, c := range r.Candidates {
		row := []string{c.ExternalUserID, c.Email, c.Model, strconv.Itoa(c.InactiveDays), timeOrDash(c.LastActivity), c.Reason}
		if !r.DryRun {
			row = append(row, c.State) // after a reclaim, where each candidate ended
		}
		wantCands = append(wantCands, row)
	}
	if diff := cmp.Diff(wantCands, tableRows(t, doc, "candidates")); diff != "" {
		t.Errorf("candidates table (-want +got):\n%s", diff)
	}
	var wantProt [][]string
	for _, p := range r.Protected {
		wantProt = append(wantProt, []string{p.ExternalUserID, p.Email, p.Reason})
	}
	if diff := cmp.Diff(wantProt, tableRows(t, doc, "protected")); diff != "" {
		t.Errorf("protected table (-want +got):\n%s", diff)
	}
	var wantActs [][]string
	for _, a := range r.Actions {
		detail := a.Error
		if detail == "" {
			detail = a.Reason
		}
		wantActs = append(wantActs, []string{a.ExternalUserID, a.Email, a.Action, a.Outcome, detail})
	}
	if len(wantActs) == 0 {
		t.Fatal("the demo reclaim applied no action")
	}
	if diff := cmp.Diff(wantActs, tableRows(t, doc, "actions")); diff != "" {
		t.Errorf("actions table (-want +got):\n%s", diff)
	}
}

// TestHTMLEscapes renders data an attacker could put in Aha! (names,
// emails) and checks it shows as text, never as markup.
func TestHTMLEscapes(t *testing.T) {
	evil := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	cur := "USD"
	r := &Report{
		RunHeader:  RunHeader{AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Profile: evil, Account: evil, ThresholdDays: 60, DryRun: true},
		Positions:  []position{{Model: evil, RightsOwned: 3, RightsUsed: 5, Status: "not_compliant", Currency: &cur}},
		Candidates: []candidate{{ExternalUserID: "1", Email: evil, Model: evil, Reason: evil}},
		Protected:  []protected{{ExternalUserID: "2", Email: evil, Reason: evil}},
		Actions:    []action{{ExternalUserID: "3", Email: evil, Action: "disable", Outcome: "failed", Error: evil}},
		Warnings:   []warning{{Code: "note", Message: evil}},
	}
	var b bytes.Buffer
	if err := writeHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc, b.String())
	if got := tableRows(t, doc, "candidates"); len(got) != 1 || got[0][1] != evil {
		t.Errorf("candidate row %q, want the email shown as text", got)
	}
	if n := len(findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "data-model"); return v == evil })); n != 1 {
		t.Errorf("%d cards carry the model name as an attribute value, want 1", n)
	}
}

func TestPct(t *testing.T) {
	for _, tt := range []struct {
		part, whole int64
		want        string
	}{{0, 10, "0"}, {5, 0, "0"}, {10, 10, "100.00"}, {1, 3, "33.33"}, {97, 105, "92.38"}} {
		if got := pct(tt.part, tt.whole); got != tt.want {
			t.Errorf("pct(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}
