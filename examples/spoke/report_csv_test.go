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

// csvJSONRows are the JSON report's rows a CSV file of -format csv holds:
// run.csv the top-level object; resolved.csv the reclaim's resolved
// attempts (of every profile in a -config run); the others the list of
// the same name.
func csvJSONRows(generic map[string]any, file string) []any {
	key := strings.TrimSuffix(file, ".csv")
	switch key {
	case "run":
		return []any{generic}
	case "resolved":
		var out []any
		blocks := []any{generic["reclaim"]}
		for _, p := range asList(generic["profiles"]) {
			blocks = append(blocks, p.(map[string]any)["reclaim"])
		}
		for _, b := range blocks {
			if m, ok := b.(map[string]any); ok {
				out = append(out, asList(m["resolved"])...)
			}
		}
		return out
	}
	return asList(generic[key])
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestCSVReport checks every cell of every CSV file against the JSON report
// of the same run: headers are JSON names, and values (ids, money as decimal
// strings, times) are the JSON's. Every JSON field is in a file.
func TestCSVReport(t *testing.T) {
	t.Parallel()
	// Above the cap: every action is listed, none is applied (no writes, fast).
	// -reclaim needs -now within minutes of the clock: the clock says the same.
	args := []string{"-now", "2026-12-01T00:00:00Z", "-reclaim", "-quiet", "-max-reclaim", "2", "-inactive-days", "300"}
	e := env{clock: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	for _, run := range []struct {
		name string
		args []string
	}{{"reclaim above the cap", args}, {"dry run", []string{"-now", "2026-12-01T00:00:00Z", "-quiet", "-inactive-days", "300"}}} {
		t.Run(run.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			code, _, errs := spokeRun(t, e, append(run.args, "-format", "csv", "-o", dir))
			if code != 0 {
				t.Fatalf("csv: exit %d:\n%s", code, errs)
			}
			code, js, errs := spokeRun(t, e, append(run.args, "-format", "json"))
			if code != 0 {
				t.Fatalf("json: exit %d:\n%s", code, errs)
			}
			r := checkCSVAgainstJSON(t, dir, js)
			if len(r.Candidates) == 0 || (!r.DryRun && (len(r.Actions) == 0 || r.Reclaim == nil || !r.Reclaim.CapExceeded)) {
				t.Errorf("the demo run should have candidates, and with -reclaim actions and a capped reclaim: %d, %d, %+v",
					len(r.Candidates), len(r.Actions), r.Reclaim)
			}
		})
	}
}

// checkCSVAgainstJSON checks the CSV files in dir cell by cell against the
// JSON report js of the same run, and returns that report.
func checkCSVAgainstJSON(t *testing.T, dir, js string) *Report {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var generic map[string]any
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	r := decodeTestReport(t, js)
	// The lists with a file of their own.
	ownFile := map[string]bool{}
	for _, table := range csvTables(r) {
		ownFile[strings.TrimSuffix(table.file, ".csv")] = true
	}
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
			rows := csvJSONRows(generic, table.file)
			if len(records) != len(rows)+1 {
				t.Fatalf("%d records, want a header and %d rows", len(records), len(rows))
			}
			if reflect.ValueOf(table.rows).Len() != len(rows) {
				t.Fatalf("typed and generic reports disagree on %s", table.file)
			}
			header := records[0]
			for i, row := range rows {
				obj := row.(map[string]any)
				for j, h := range header {
					v, ok := lookup(obj, h)
					if !ok && !strings.Contains(h, ".") {
						t.Errorf("row %d: column %s is not a JSON field", i+1, h)
					}
					if got, want := records[i+1][j], jsonCell(v); got != want {
						t.Errorf("row %d, %s: %q, want %q", i+1, h, got, want)
					}
				}
				for k := range obj {
					if table.file == "run.csv" && ownFile[k] {
						continue // a list with a file of its own
					}
					if !containsPrefix(header, k) {
						t.Errorf("JSON field %s has no CSV column", k)
					}
				}
			}
		})
	}
	return r
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
