package aha

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Timestamp is an optional point in time from Aha!, always in UTC.
//
// Aha! writes timestamps as "2019-01-01T00:00:00.000Z"; some payloads omit
// the milliseconds. A JSON null, a missing field and an empty string all
// leave the Timestamp without a time: it is not Valid and IsZero reports
// true, so it is never mistaken for the zero date. Null tells a JSON null
// apart, which some fields give a meaning: for User.AccessedAt, "never".
type Timestamp struct {
	// Time is the instant in UTC; meaningless unless Valid.
	Time time.Time
	// Valid is true when the payload carried a time.
	Valid bool
	// Null is true when the payload carried an explicit JSON null, as
	// opposed to a missing field or an empty string. Aha! documents null
	// for accessed_at as "never", while a missing or empty value says
	// nothing; callers that care (the spoke) can tell them apart.
	Null bool
}

// NewTimestamp returns a valid Timestamp for t, converted to UTC.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{Time: t.UTC(), Valid: true} }

// IsZero reports whether the timestamp is unknown. It lets encoding/json's
// omitzero skip unknown timestamps.
func (t Timestamp) IsZero() bool { return !t.Valid }

// Ptr returns a pointer to the time, or nil when unknown.
func (t Timestamp) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// String formats the time as RFC 3339 with milliseconds, or "unknown".
func (t Timestamp) String() string {
	if !t.Valid {
		return "unknown"
	}
	return t.Time.Format(timeLayout)
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// UnmarshalJSON accepts an RFC 3339 string with or without fractional
// seconds, a bare date (midnight UTC), null or "".
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = Timestamp{Null: true}
		return nil
	}
	if len(b) == 0 {
		*t = Timestamp{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("aha: timestamp must be a string or null, got %s", truncate(string(b), 40))
	}
	v, err := parseTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes the time in Aha!'s format, or null when unknown.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if !t.Valid {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(t.Time.UTC().Format(timeLayout))), nil
}

func parseTime(s string) (Timestamp, error) {
	if s == "" {
		return Timestamp{}, nil
	}
	// time.RFC3339 also parses fractional seconds when present.
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		return Timestamp{}, fmt.Errorf("aha: cannot parse timestamp %q", truncate(s, 40))
	}
	// An offset can push 9999-12-31 into year 10000 in UTC, which no
	// RFC 3339 writer (a JSON report, a journal) can express.
	if y := v.UTC().Year(); y < 0 || y > 9999 {
		return Timestamp{}, fmt.Errorf("aha: timestamp %q is out of range in UTC", truncate(s, 40))
	}
	return NewTimestamp(v), nil
}

// flexInt decodes an integer sent as a JSON number or a string of digits
// (Aha! sends current_page as a string on one endpoint). null and "" are 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("aha: expected an integer, got %q", truncate(s, 40))
	}
	*n = flexInt(v)
	return nil
}
