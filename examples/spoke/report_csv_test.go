package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsonCell formats a value decoded from the JSON report the way the CSV
// must show it.
func jsonCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return defuseFormula(visible(x))
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jsonCell(e)
		}
		return strings.Join(parts, ";")
	default:
		return fmt.Sprintf("unexpected %T", v)
	}
}

// lookup follows a dotted header (activity_spread.0_30) into a JSON object.
func lookup(obj map[string]any, header string) (any, bool) {
	first, rest, nested := strings.Cut(header, ".")
	v, ok := obj[first]
	if !ok || !nested {
		return v, ok
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	return lookup(m, rest)
}

// TestCSVReport checks every cell of every CSV file against the JSON report
// of the same run: headers are JSON names, and values (ids, money as decimal
// strings, times) are the JSON's.
func TestCSVReport(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	// Above the cap: every action is listed, none is applied (no writes, fast).
	// -reclaim needs -now within minutes of the clock: the clock says the same.
	args := []string{"-now", "2026-12-01T00:00:00Z", "-reclaim", "-quiet", "-max-reclaim", "2", "-inactive-days", "300"}
	e := env{clock: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	code, _, errs := spokeRun(t, e, append(args, "-format", "csv", "-o", dir))
	if code != 0 {
		t.Fatalf("csv: exit %d:\n%s", code, errs)
	}
	code, js, errs := spokeRun(t, e, append(args, "-format", "json"))
	if code != 0 {
		t.Fatalf("json: exit %d:\n%s", code, errs)
	}
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var generic map[string]any
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	r := decodeTestReport(t, js)
	for _, table := range csvTables(r) {
		t.Run(table.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, table.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			records, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			key := strings.TrimSuffix(table.file, ".csv")
			rows, _ := generic[key].([]any)
			if len(records) != len(rows)+1 {
				t.Fatalf("%d records, want a header and %d rows", len(records), len(rows))
			}
			if reflect.ValueOf(table.rows).Len() != len(rows) {
				t.Fatalf("typed and generic reports disagree on %s", key)
			}
			header := records[0]
			for i, row := range rows {
				obj := row.(map[string]any)
				for j, h := range header {
					v, ok := lookup(obj, h)
					if !ok && !strings.Contains(h, ".") {
						// omitempty fields are absent from the JSON, empty in the CSV.
						v = ""
					}
					if got, want := records[i+1][j], jsonCell(v); got != want {
						t.Errorf("row %d, %s: %q, want %q", i+1, h, got, want)
					}
				}
				for k := range obj {
					if !containsPrefix(header, k) {
						t.Errorf("JSON field %s has no CSV column", k)
					}
				}
			}
		})
	}
	if len(r.Actions) == 0 || len(r.Candidates) == 0 {
		t.Errorf("the demo run should have candidates and actions: %d, %d", len(r.Candidates), len(r.Actions))
	}
}

func containsPrefix(header []string, k string) bool {
	for _, h := range header {
		if h == k || strings.HasPrefix(h, k+".") {
			return true
		}
	}
	return false
}

func TestCSVNeedsDirectory(t *testing.T) {
	code, _, errs := spokeRun(t, env{}, []string{"-format", "csv"})
	if code != 2 || !strings.Contains(errs, "-o DIR") {
		t.Errorf("exit %d, stderr %q; want a usage error asking for -o DIR", code, errs)
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	rows := []warning{
		{Code: "note", Message: "=HYPERLINK(\"http://x\")"},
		{Code: "-12.50", Message: "+1 then"},
		{Code: "@SUM(A1)", Message: "plain, with a comma and \"quotes\""},
	}
	if err := writeCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"profile", "code", "message", "model", "external_user_id"},
		{"", "note", "'=HYPERLINK(\"http://x\")", "", ""},
		{"", "-12.50", "'+1 then", "", ""},
		{"", "'@SUM(A1)", "plain, with a comma and \"quotes\"", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("csv (-want +got):\n%s", diff)
	}
}
