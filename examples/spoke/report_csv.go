package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// csvTables names the files of -format csv and the report list each holds.
// Every file is written in every run, with its header even when it has no
// row, so that a directory reused by several runs never keeps a table of
// an earlier one.
func csvTables(r *Report) []struct {
	file string
	rows any
} {
	return []struct {
		file string
		rows any
	}{
		{"run.csv", []runRow{newRunRow(r)}},
		{"profiles.csv", r.Profiles},
		{"positions.csv", r.Positions},
		{"positions_before.csv", r.PositionsBefore},
		{"candidates.csv", r.Candidates},
		{"protected.csv", r.Protected},
		{"subscriptions.csv", r.Subscriptions},
		{"actions.csv", r.Actions},
		{"resolved.csv", resolvedActions(r)},
		{"warnings.csv", r.Warnings},
	}
}

// runRow is run.csv's one row: the JSON report's top-level fields that are
// not lists, and the reclaim summary (empty cells when no reclaim ran, or
// in a -config run, whose profiles.csv has each profile's).
type runRow struct {
	RunHeader
	Reclaim *reclaimBlock `json:"reclaim"`
}

func newRunRow(r *Report) runRow { return runRow{RunHeader: r.RunHeader, Reclaim: r.Reclaim} }

// resolvedActions gathers reclaim.resolved of the account, or of every
// profile: each row carries its profile.
func resolvedActions(r *Report) []action {
	out := []action{}
	for _, x := range reclaimBlocks(r) {
		out = append(out, x.Resolved...)
	}
	return out
}

// writeCSVDir writes one CSV file per table of r into dir (created when
// missing), each atomically. Headers are the JSON report's field names
// (nested ones joined with a dot, like activity_spread.0_30 or
// reclaim.counts.applied); money is the same decimal string as in the JSON,
// and an unknown value is an empty cell.
func writeCSVDir(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // a report directory is meant to be shared
		return fmt.Errorf("-o %s: %w", dir, pathCause(err))
	}
	for _, t := range csvTables(r) {
		err := writeOutput(filepath.Join(dir, t.file), func(w io.Writer) error { return writeCSV(w, t.rows) })
		if err != nil {
			return err
		}
	}
	return nil
}

// writeCSV writes rows, a slice of report structs, as CSV with a header.
func writeCSV(w io.Writer, rows any) error {
	v := reflect.ValueOf(rows)
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader(v.Type().Elem(), "")); err != nil {
		return err
	}
	for i := range v.Len() {
		if err := cw.Write(csvRecord(v.Index(i), nil)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

var timeType = reflect.TypeFor[time.Time]()

// jsonName is a field's JSON name, or "" for a field JSON skips.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// csvName is a field's column name: its JSON name, or "" for a field JSON
// skips or tagged csv:"-" (a list with a file of its own).
func csvName(f reflect.StructField) string {
	if f.Tag.Get("csv") == "-" {
		return ""
	}
	return jsonName(f)
}

// nested reports whether a field's value is a struct, or a pointer to one,
// whose fields become columns of their own.
func nested(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

// promoted reports whether f is an embedded struct whose fields JSON
// promotes to the level of its own (no name in its tag).
func promoted(f reflect.StructField) bool {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct
}

func csvHeader(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := csvName(f)
		if name == "" {
			continue
		}
		if promoted(f) {
			out = append(out, csvHeader(f.Type, prefix)...)
			continue
		}
		if nested(f.Type) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, csvHeader(ft, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

func csvRecord(v reflect.Value, out []string) []string {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if csvName(f) == "" {
			continue
		}
		fv := v.Field(i)
		if nested(f.Type) {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					// Absent (JSON null): an empty cell per column.
					out = append(out, make([]string, len(csvHeader(f.Type.Elem(), "")))...)
					continue
				}
				fv = fv.Elem()
			}
			out = csvRecord(fv, out)
			continue
		}
		out = append(out, csvCell(fv))
	}
	return out
}

// csvCell formats one value. Text is shown through [visible] (a line
// break, a terminal escape or a bidi override in data from Aha! is written
// as an escape such as \n, \x1b or \u202e), and text that a spreadsheet
// would run as a formula (it starts with = + - @ and is not a number) is
// prefixed with a quote, so data from Aha! cannot run in the reader's
// spreadsheet.
func csvCell(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano) //nolint:forcetypeassert // checked by type above
	}
	switch v.Kind() {
	case reflect.String:
		return defuseFormula(visible(v.String()))
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = csvCell(v.Index(i))
		}
		return strings.Join(parts, ";")
	default:
		return defuseFormula(visible(fmt.Sprint(v.Interface())))
	}
}

func defuseFormula(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '\t' && s[0] != '\r' {
		return s // a number, like a negative decimal
	}
	return "'" + s
}
