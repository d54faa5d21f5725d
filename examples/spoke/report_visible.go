package main

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// visible returns s with every character that could forge, hide or reorder
// text on a reader's screen written as a visible escape: the C0 controls
// and DEL (\n, \r, \t, else \xHH: a line break, a carriage return or a
// terminal escape sequence cannot start a line of its own or recolour the
// terminal), the C1 controls (\u0085), the format characters (Unicode
// category Cf: bidi overrides and isolates such as \u202e, zero-width
// characters, tag characters as \U000e0041), the line and paragraph
// separators (\u2028, \u2029), and invalid UTF-8 bytes (\xHH). Everything
// else, accents and scripts of every language included, is kept. A
// backslash is kept as is, so "\n" may also be a backslash and an n typed
// in Aha!: the escapes show that something is there, never hide it.
//
// Every string the text, CSV and HTML reports show goes through visible;
// the JSON report keeps the exact strings (it escapes controls itself).
func visible(s string) string {
	i := strings.IndexFunc(s, needsEscape)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether visible escapes r.
func needsEscape(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f:
		return true // C1 controls
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// displayWidth is the number of terminal columns s takes: 2 for a wide
// (East Asian) character or an emoji, 0 for a combining mark.
func displayWidth(s string) int { return uniseg.StringWidth(s) }

// visibleReport returns a deep copy of r whose every string has gone
// through [visible]; r is not changed. The text and HTML writers render
// this copy, so no string from the account (an email, a reason quoting
// one, a warning, a profile or account name, an id) reaches the reader
// raw, whatever field it comes in.
func visibleReport(r *Report) *Report {
	out := visibleCopy(reflect.ValueOf(r).Elem())
	p, _ := out.Addr().Interface().(*Report)
	return p
}

// visibleCopy returns a new value equal to v with its strings, at any
// depth, made visible. Unexported fields (a time's internals) are copied
// as they are.
func visibleCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.String:
		out.SetString(visible(v.String()))
	case reflect.Pointer:
		if !v.IsNil() {
			out.Set(visibleCopy(v.Elem()).Addr())
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(visibleCopy(v.Index(i)))
			}
		}
	case reflect.Struct:
		out.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(visibleCopy(v.Field(i)))
			}
		}
	default:
		out.Set(v)
	}
	return out
}
