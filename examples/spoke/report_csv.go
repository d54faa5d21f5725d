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
func csvTables(r *Report) []struct {
	file string
	rows any
} {
	return []struct {
		file string
		rows any
	}{
		{"positions.csv", r.Positions},
		{"candidates.csv", r.Candidates},
		{"protected.csv", r.Protected},
		{"subscriptions.csv", r.Subscriptions},
		{"actions.csv", r.Actions},
		{"warnings.csv", r.Warnings},
	}
}

// writeCSVDir writes one CSV file per table of r into dir (created when
// missing), each atomically. Headers are the JSON report's field names
// (nested ones joined with a dot, like activity_spread.0_30); money is the
// same decimal string as in the JSON, and an unknown value is an empty cell.
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

// nested reports whether a field's value is a struct whose fields become
// columns of their own.
func nested(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != timeType
}

func csvHeader(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		if nested(f.Type) {
			out = append(out, csvHeader(f.Type, prefix+name+".")...)
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
		if jsonName(f) == "" {
			continue
		}
		fv := v.Field(i)
		if nested(f.Type) {
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
