package sam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// MaxEntitlementsFileSize bounds what [LoadEntitlements] reads (8 MiB).
const MaxEntitlementsFileSize = 8 << 20

// entitlementFields lists the fields an entitlement record may have.
var entitlementFields = []string{"id", "model", "profile", "rights", "unlimited", "unit_cost", "currency", "period", "start", "end", "cost_center"}

// LoadEntitlements reads a JSON array of entitlements from r, as written in
// an entitlements file:
//
//	[{"model": "Aha! Roadmaps", "rights": 25, "unit_cost": "59.00",
//	  "currency": "USD", "period": "monthly", "start": "2026-01-01",
//	  "end": "2026-12-31", "id": "PO-1", "profile": "acme", "cost_center": "R&D"}]
//
// rights is a whole number, or "unlimited": true stands instead; unit_cost
// is a decimal string (never a JSON number); dates are "YYYY-MM-DD"; end is
// inclusive. name is the file's name, used in errors and in each
// entitlement's Source ("NAME record N"). When cat is not nil, every model
// must be in it.
//
// Decoding is strict and all or nothing: unknown or repeated fields, wrong
// types, invalid values, invalid UTF-8 and input larger than
// [MaxEntitlementsFileSize] are errors, and on the first error nothing is
// returned. Errors are [*FieldError]s naming the file, the 1-based record
// and the field, e.g.
//
//	entitlements.json: record 3: field "rights": is -2; it cannot be negative
func LoadEntitlements(r io.Reader, name string, cat *Catalog) ([]Entitlement, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxEntitlementsFileSize+1))
	if err != nil {
		return nil, &FieldError{File: name, Msg: "cannot be read: " + err.Error(), err: err}
	}
	if len(data) > MaxEntitlementsFileSize {
		return nil, &FieldError{File: name, Msg: fmt.Sprintf("is larger than %d bytes; an entitlements file is expected to be far smaller", MaxEntitlementsFileSize)}
	}
	return DecodeEntitlements(data, name, cat)
}

// DecodeEntitlements is [LoadEntitlements] for data already in memory.
func DecodeEntitlements(data []byte, name string, cat *Catalog) ([]Entitlement, error) {
	fail := func(rec int, field, msg string) ([]Entitlement, error) {
		return nil, &FieldError{File: name, Record: rec, Field: field, Msg: msg}
	}
	if len(data) > MaxEntitlementsFileSize {
		return fail(0, "", fmt.Sprintf("is larger than %d bytes", MaxEntitlementsFileSize))
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		line := bytes.Count(data[:off], []byte("\n")) + 1
		return fail(0, "", fmt.Sprintf("is not valid UTF-8 (the first invalid byte is on line %d, byte %d of the file)", line, off+1))
	}
	// Editors on some systems start UTF-8 files with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fail(0, "", "is not JSON: "+jsonMsg(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fail(0, "", "must hold a JSON array of entitlements [{…}, …]")
	}
	var out []Entitlement
	ids := map[string]int{}
	for rec := 1; dec.More(); rec++ {
		e, ferr := decodeEntitlement(dec, cat)
		if ferr != nil {
			ferr.File, ferr.Record = name, rec
			return nil, ferr
		}
		if e.ID != "" {
			if first, dup := ids[e.ID]; dup {
				return fail(rec, "id", fmt.Sprintf("%q is already used by record %d; ids name one entitlement each", e.ID, first))
			}
			ids[e.ID] = rec
		}
		e.Source = fmt.Sprintf("%s record %d", name, rec)
		out = append(out, e)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return fail(0, "", "is not valid JSON: "+jsonMsg(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(0, "", "has data after the closing ']'")
	}
	if out == nil {
		out = []Entitlement{}
	}
	return out, nil
}

func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", trimJSON(se.Error()), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input"
	}
	return trimJSON(err.Error())
}

func trimJSON(s string) string {
	if len(s) > 6 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}

// decodeEntitlement reads one record object from dec, field by field, so
// that errors name the field and repeated fields are caught.
func decodeEntitlement(dec *json.Decoder, cat *Catalog) (Entitlement, *FieldError) {
	bad := func(field, msg string) (Entitlement, *FieldError) {
		return Entitlement{}, &FieldError{Field: field, Msg: msg}
	}
	tok, err := dec.Token()
	if err != nil {
		return bad("", "is not valid JSON: "+jsonMsg(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return bad("", "must be a JSON object {…}")
	}
	raw := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("", "is not valid JSON: "+jsonMsg(err))
		}
		key, _ := tok.(string)
		if !knownField(key) {
			return bad(truncate(key, 64), "is not a known field (want one of id, model, profile, rights, unlimited, unit_cost, currency, period, start, end, cost_center)")
		}
		if _, dup := raw[key]; dup {
			return bad(key, "appears twice")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return bad(key, "is not valid JSON: "+jsonMsg(err))
		}
		raw[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return bad("", "is not valid JSON: "+jsonMsg(err))
	}

	var e Entitlement
	var ferr *FieldError
	str := func(field string, required bool) string {
		v, ok := raw[field]
		if !ok || string(v) == "null" {
			if required && ferr == nil {
				ferr = &FieldError{Field: field, Msg: "is required"}
			}
			return ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			if ferr == nil {
				ferr = &FieldError{Field: field, Msg: "must be a string, not " + jsonKind(v)}
			}
			return ""
		}
		return s
	}
	date := func(field string, required bool) Date {
		s := str(field, required)
		if s == "" {
			if _, present := raw[field]; present && ferr == nil && string(raw[field]) != "null" {
				ferr = &FieldError{Field: field, Msg: "is empty; want a date YYYY-MM-DD"}
			}
			return Date{}
		}
		d, err := ParseDate(s)
		if err != nil && ferr == nil {
			ferr = &FieldError{Field: field, Msg: fmt.Sprintf("is %q; want a date YYYY-MM-DD", truncate(s, 32))}
		}
		return d
	}

	e.ID = str("id", false)
	e.Model = str("model", true)
	e.Profile = str("profile", false)
	e.CostCenter = str("cost_center", false)
	e.Currency = str("currency", false)
	e.Period = Period(str("period", false))
	e.Start = date("start", true)
	e.End = date("end", false)
	if ferr != nil {
		return Entitlement{}, ferr
	}
	if v, ok := raw["unlimited"]; ok && string(v) != "null" {
		switch string(v) {
		case "true":
			e.Unlimited = true
		case "false":
		default:
			return bad("unlimited", "must be true or false, not "+jsonKind(v))
		}
	}
	if v, ok := raw["rights"]; ok && string(v) != "null" {
		n, msg := wholeNumber(v)
		if msg != "" {
			return bad("rights", msg)
		}
		e.Rights = n
	} else if !e.Unlimited {
		return bad("rights", "is required (a whole number), unless \"unlimited\": true")
	}
	if v, ok := raw["unit_cost"]; ok && string(v) != "null" {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return bad("unit_cost", fmt.Sprintf("must be a decimal string such as \"59.00\", not %s %s", jsonKind(v), truncate(string(v), 24)))
		}
		d, problem := parseDecimal(s)
		if problem != "" {
			// The parser's reason, after the value as written (cut short).
			return bad("unit_cost", fmt.Sprintf("%q %s; want a decimal string such as \"59.00\"", truncate(s, 32), problem))
		}
		e.UnitCost = &d
		if e.Currency == "" {
			return bad("currency", "is required with unit_cost")
		}
		if e.Period == "" {
			return bad("period", "is required with unit_cost (monthly, quarterly, annual or term)")
		}
	}
	if e.UnitCost == nil && e.Period != "" && !e.Period.Valid() {
		return bad("period", fmt.Sprintf("is %q; want monthly, quarterly, annual or term", truncate(string(e.Period), 32)))
	}
	if err := e.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Entitlement{}, &FieldError{Field: fe.Field, Msg: fe.Msg}
		}
		return bad("", err.Error())
	}
	if cat != nil {
		if _, ok := cat.ByName(e.Model); !ok {
			return bad("model", fmt.Sprintf("%q is not a known software model (known: %s)", truncate(e.Model, 64), modelNames(cat)))
		}
	}
	return e, nil
}

func knownField(k string) bool {
	for _, f := range entitlementFields {
		if f == k {
			return true
		}
	}
	return false
}

func modelNames(cat *Catalog) string {
	s := ""
	for i, m := range cat.Models() {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(m.Name())
	}
	if s == "" {
		return "none"
	}
	return s
}

// wholeNumber parses a JSON number that must be a whole, non-negative number
// no larger than MaxRights, and says why not otherwise.
func wholeNumber(v json.RawMessage) (int64, string) {
	s := string(v)
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return 0, "must be a whole number, not " + jsonKind(v)
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if !allDigits(digits) || digits == "" {
		return 0, fmt.Sprintf("is %s; it must be a whole number", truncate(s, 24))
	}
	if len(digits) > 18 {
		return 0, fmt.Sprintf("is %s, more than %d; use \"unlimited\": true for an unlimited licence", truncate(s, 24), MaxRights)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Sprintf("is %s; it must be a whole number", truncate(s, 24))
	}
	if n < 0 {
		return 0, fmt.Sprintf("is %d; it cannot be negative", n)
	}
	if n > MaxRights {
		return 0, fmt.Sprintf("is %d, more than %d; use \"unlimited\": true for an unlimited licence", n, MaxRights)
	}
	return n, ""
}

func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
