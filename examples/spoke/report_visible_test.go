package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestVisible(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"ann@example.com", "ann@example.com"},
		{"café ñ 日本語 👍 e\u0301 עברית", "café ñ 日本語 👍 e\u0301 עברית"}, // every script, wide and combining characters kept
		{"carter\nFAKE LINE: all good\r\u202eevil@example.com", `carter\nFAKE LINE: all good\r\u202eevil@example.com`},
		{"\x1b[31mred\x1b[0m@example.com", `\x1b[31mred\x1b[0m@example.com`},
		{"a\tb\x00c\x7f", `a\tb\x00c\x7f`},
		{"next\u0085line", `next\u0085line`},                                                               // C1
		{"\u2066iso\u2069 \u202alre\u202c \u200fx\u200e", `\u2066iso\u2069 \u202alre\u202c \u200fx\u200e`}, // bidi isolates, embeddings, marks
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"tag\U000e0041\U000e007f", `tag\U000e0041\U000e007f`}, // tag characters hide text
		{"line\u2028para\u2029", `line\u2028para\u2029`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{`a\nb`, `a\nb`}, // a backslash typed in Aha! stays
	} {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Hostile strings an Aha! user can set as their email or name, and that
// reach the reports: a forged line, terminal escapes, a bidi override, and
// wide and combining characters that must not shift the columns.
const (
	forged = "carter\nFAKE LINE: all good\r\u202eevil@example.com"
	red    = "\x1b[31mred\x1b[0m@example.com"
	isoled = "\u2067moc.elpmaxe@nimda\u2069\u200b"
	wide   = "日本語@example.com"
	accent = "jose\u0301@example.com"
)

// hostileReport is a report after a reclaim whose every string field
// holds one of the hostile strings.
func hostileReport() *Report {
	cur := "USD"
	zero := "0.00"
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	emails := []string{forged, red, isoled, wide, accent, "plain@example.com"}
	r := &Report{
		RunHeader: RunHeader{AsOf: at, Cutoff: at.AddDate(0, 0, -60), Profile: "acme\x1b[2J", Account: "acme.aha.io\r\nAccount: forged", ThresholdDays: 60,
			ReclaimMode: "disable", Journal: "/tmp/j\n.jsonl"},
		Positions:       []position{{Profile: "acme", Model: "Aha! Roadmaps", RightsOwned: 3, RightsUsed: 5, Status: "not_compliant", Currency: &cur, TrueUpCost: &zero}},
		PositionsBefore: []position{{Profile: "acme", Model: "Aha! Roadmaps", RightsOwned: 3, RightsUsed: 6, Status: "not_compliant", Currency: &cur, TrueUpCost: &zero}},
		Reclaim: &reclaimBlock{Mode: "disable", Planned: 1, Freed: []string{"1"}, Unresolved: []string{"9\n9"},
			Resolved: []action{{Profile: "acme", ExternalUserID: "8", Email: forged, Action: "disable", Outcome: "canceled", Reason: "back: " + red, Models: []string{}}}},
	}
	for i, e := range emails {
		id := string(rune('1' + i))
		r.Candidates = append(r.Candidates, candidate{Profile: "acme", ExternalUserID: id, Email: e, Model: "Aha! Roadmaps",
			Reason: "no activity; " + e, State: "ready"})
		r.Protected = append(r.Protected, protected{Profile: "acme", ExternalUserID: id, Email: e, Reason: "excluded"})
		r.Actions = append(r.Actions, action{Profile: "acme", ExternalUserID: id, Email: e, Action: "disable", Outcome: "failed",
			Error: "500: " + e, Models: []string{"Aha! Roadmaps"}})
		r.Subscriptions = append(r.Subscriptions, subscription{Profile: "acme", ExternalUserID: id, Email: e, Model: "Aha! Roadmaps", Activity: "never"})
		r.Warnings = append(r.Warnings, warning{Profile: "acme", Code: "note", Message: "protect entry " + e + " matches no user"})
	}
	return r
}

// checkNoRawControls fails on any character visible would have escaped,
// but the line breaks (and, where the format has them, tabs) of its own
// layout.
func checkNoRawControls(t *testing.T, what, out string, allowed string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s is not valid UTF-8", what)
	}
	for i, r := range out {
		if needsEscape(r) && !strings.ContainsRune(allowed, r) {
			t.Errorf("%s holds a raw %U at byte %d: %q", what, r, i, out[max(0, i-30):min(len(out), i+30)])
			return
		}
	}
}

// TestTextReportHostileStrings: in the text report, one row stays one line,
// no control or bidi character reaches the terminal, and the columns stay
// aligned by display width.
func TestTextReportHostileStrings(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	var b strings.Builder
	if err := writeText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkNoRawControls(t, "the text report", out, "\n")
	for _, forgedLine := range []string{"FAKE LINE", "Account: forged", ".jsonl"} {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), forgedLine) {
				t.Errorf("a string forged the line %q", line)
			}
		}
	}
	lines := strings.Split(out, "\n")
	// Each candidate is one line, its email escaped, and the Model and
	// State columns start at the same screen column on every line.
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Reclamation candidates:") })
	if start < 0 {
		t.Fatalf("no candidates table:\n%s", out)
	}
	rows := lines[start+1 : start+2+len(r.Candidates)]
	if !strings.HasPrefix(rows[0], "User id") {
		t.Fatalf("candidates header %q", rows[0])
	}
	col := func(line, s string) int {
		i := strings.Index(line, s)
		if i < 0 {
			t.Fatalf("%q not in %q", s, line)
		}
		return displayWidth(line[:i])
	}
	modelCol, stateCol := col(rows[0], "Model"), col(rows[0], "State")
	for i, c := range r.Candidates {
		row := rows[i+1]
		if !strings.HasPrefix(row, c.ExternalUserID+" ") || !strings.Contains(row, visible(c.Email)) {
			t.Errorf("candidate %s: line %q, want its id and email %q", c.ExternalUserID, row, visible(c.Email))
		}
		if got := col(row, "Aha! Roadmaps"); got != modelCol {
			t.Errorf("candidate %s: Model at column %d, want %d:\n%s\n%s", c.ExternalUserID, got, modelCol, rows[0], row)
		}
		if got := col(row, "ready"); got != stateCol {
			t.Errorf("candidate %s: State at column %d, want %d:\n%s\n%s", c.ExternalUserID, got, stateCol, rows[0], row)
		}
	}
	for _, s := range []string{`Account:   acme.aha.io\r\nAccount: forged (profile "acme\x1b[2J")`, `journal /tmp/j\n.jsonl`,
		`Settled from an earlier run: 8 (carter\nFAKE LINE`, `: 9\n9`, `  - protect entry \x1b[31mred`} {
		if !strings.Contains(out, s) {
			t.Errorf("text report lacks %q:\n%s", s, out)
		}
	}
}

// TestCSVHostileStrings: in the CSV files, no control or bidi character is
// written raw (a record never spans lines), and each cell is the escaped
// string, with the formula guard.
func TestCSVHostileStrings(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	r.Candidates[5].Email = "=cmd|'/C calc'!A0\x1b"
	dir := t.TempDir()
	if err := writeCSVDir(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, table := range csvTables(r) {
		raw, err := os.ReadFile(filepath.Join(dir, table.file))
		if err != nil {
			t.Fatal(err)
		}
		checkNoRawControls(t, table.file, string(raw), "\n")
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", table.file, err)
		}
		if n := strings.Count(string(raw), "\n"); n != len(recs) {
			t.Errorf("%s: %d lines for %d records: a record spans lines", table.file, n, len(recs))
		}
	}
	f, err := os.Open(filepath.Join(dir, "candidates.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for i, c := range r.Candidates {
		got = append(got, recs[i+1][2])
		want = append(want, visible(c.Email))
	}
	want[5] = `'=cmd|'/C calc'!A0\x1b`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("candidates.csv emails (-want +got):\n%s", diff)
	}
}

// TestHTMLHostileStrings: the HTML page shows every hostile string escaped
// as text: no control or bidi character can hide or reorder what the
// reader sees.
func TestHTMLHostileStrings(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	var b bytes.Buffer
	if err := writeHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	checkNoRawControls(t, "the HTML page", raw, "\n")
	doc, err := html.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc, raw)
	var got, want []string
	for i, row := range tableRows(t, doc, "candidates") {
		got = append(got, row[1])
		want = append(want, visible(r.Candidates[i].Email))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("candidates table emails (-want +got):\n%s", diff)
	}
	if !strings.Contains(raw, `carter\nFAKE LINE: all good\r\u202eevil@example.com`) {
		t.Error("the forged email is not shown escaped")
	}
}

// TestJSONKeepsExactStrings: the JSON report is the machine format: it
// keeps every string exactly (encoding/json escapes the controls).
func TestJSONKeepsExactStrings(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	var b bytes.Buffer
	if err := writeJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\r") {
		t.Error("the JSON holds a raw control character")
	}
	back := decodeTestReport(t, b.String())
	if diff := cmp.Diff(r.Candidates, back.Candidates); diff != "" {
		t.Errorf("candidates after a JSON round trip (-want +got):\n%s", diff)
	}
	if back.Account != r.Account || back.Warnings[0].Message != r.Warnings[0].Message {
		t.Errorf("account %q, warning %q: not exact", back.Account, back.Warnings[0].Message)
	}
}

// FuzzVisible: whatever the input, the output is valid UTF-8 with no
// character left to escape, one line, and text needing no escape is
// kept as is.
func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "ann@example.com", forged, red, isoled, wide, accent, "bad \xff", "\U000e0041", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := visible(s)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, needsEscape) {
			t.Fatalf("visible(%q) = %q: not valid UTF-8, or a character left to escape", s, got)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, needsEscape) && got != s {
			t.Fatalf("visible(%q) = %q, want it unchanged", s, got)
		}
	})
}
