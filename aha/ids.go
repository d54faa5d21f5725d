package aha

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ID is an exact Aha! record id.
//
// Aha! sends most ids as JSON strings of up to 19 digits, but some
// (auditable_id, associated_id, role_id, scope.id, old paid_seat_group.id)
// as JSON numbers, which can exceed 2^53. ID keeps every digit whichever
// form arrives: it never passes through float64. It marshals as a JSON
// string. The zero value "" means "no id".
type ID string

// String returns the id's digits.
func (id ID) String() string { return string(id) }

// IsZero reports whether the id is empty.
func (id ID) IsZero() bool { return id == "" }

// UnmarshalJSON accepts a JSON string, a JSON number (kept digit for digit)
// or null (leaving the id empty).
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("aha: decoding id: %w", err)
		}
		*id = ID(strings.TrimSpace(s))
		return nil
	default:
		// A JSON number: json.Number validates the grammar without
		// converting, so 19-digit ids survive intact.
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return fmt.Errorf("aha: decoding id %q: %w", truncate(string(b), 40), err)
		}
		s := n.String()
		if strings.ContainsAny(s, ".eE") {
			return fmt.Errorf("aha: id %q is not an integer", truncate(s, 40))
		}
		*id = ID(s)
		return nil
	}
}

// MarshalJSON writes the id as a JSON string, or null when empty.
func (id ID) MarshalJSON() ([]byte, error) {
	if id == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(id))
}

// compareIDs orders two numeric ids without converting them to a number:
// a shorter digit string is smaller; equal lengths compare lexically.
// Non-numeric ids fall back to plain string order after the length rule.
func compareIDs(a, b ID) int {
	as := strings.TrimLeft(string(a), "0")
	bs := strings.TrimLeft(string(b), "0")
	if len(as) != len(bs) {
		if len(as) < len(bs) {
			return -1
		}
		return 1
	}
	return strings.Compare(as, bs)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
