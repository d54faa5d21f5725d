package aha

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIDUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want ID
		bad  bool
	}{
		{`"16338845"`, "16338845", false},
		{`1007868956`, "1007868956", false},
		{`6776881149486782892`, "6776881149486782892", false}, // > 2^53 as number
		{`"6776881149486782892"`, "6776881149486782892", false},
		{`9007199254740993`, "9007199254740993", false}, // 2^53+1 would round via float64
		{`null`, "", false},
		{`"PRJ1"`, "PRJ1", false},
		{`1.5`, "", true},
		{`1e3`, "", true},
		{`true`, "", true},
	}
	for _, tt := range tests {
		var id ID
		err := json.Unmarshal([]byte(tt.in), &id)
		if (err != nil) != tt.bad {
			t.Errorf("%s: err = %v, want bad=%v", tt.in, err, tt.bad)
			continue
		}
		if !tt.bad && id != tt.want {
			t.Errorf("%s: got %q, want %q", tt.in, id, tt.want)
		}
	}
	b, _ := json.Marshal(struct{ ID ID }{"6776881149486782892"})
	if got := string(b); got != `{"ID":"6776881149486782892"}` {
		t.Errorf("marshal = %s", got)
	}
}

func TestCompareIDs(t *testing.T) {
	for _, tt := range []struct {
		a, b ID
		want int
	}{{"9", "10", -1}, {"10", "9", 1}, {"6776881149486782892", "6776881149486782893", -1}, {"5", "5", 0}} {
		if got := compareIDs(tt.a, tt.b); got != tt.want {
			t.Errorf("compareIDs(%s,%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTimestamp(t *testing.T) {
	want := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in    string
		valid bool
		want  time.Time
	}{
		{`{"t":"2019-01-01T00:00:00.000Z"}`, true, want},
		{`{"t":"2019-01-01T00:00:00Z"}`, true, want},
		{`{"t":"2019-01-01T02:00:00+02:00"}`, true, want},
		{`{"t":"2019-01-01"}`, true, want},
		{`{"t":null}`, false, time.Time{}},
		{`{"t":""}`, false, time.Time{}},
		{`{}`, false, time.Time{}},
	}
	for _, tt := range tests {
		var v struct {
			T Timestamp `json:"t"`
		}
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if v.T.Valid != tt.valid || v.T.IsZero() == tt.valid {
			t.Errorf("%s: valid = %v", tt.in, v.T.Valid)
		}
		if tt.valid && (!v.T.Time.Equal(tt.want) || v.T.Time.Location() != time.UTC) {
			t.Errorf("%s: got %v", tt.in, v.T.Time)
		}
	}
	var v struct{ T Timestamp }
	if err := json.Unmarshal([]byte(`{"T":"yesterday"}`), &v); err == nil {
		t.Error("garbage timestamp accepted")
	}
	// In UTC this is year 10000, which a JSON report could not write.
	if err := json.Unmarshal([]byte(`{"T":"9999-12-31T23:59:59.999-23:59"}`), &v); err == nil {
		t.Errorf("timestamp past year 9999 in UTC accepted as %v", v.T)
	}
	b, _ := json.Marshal(struct {
		A Timestamp `json:"a"`
		B Timestamp `json:"b,omitzero"`
	}{A: NewTimestamp(want)})
	if diff := cmp.Diff(`{"a":"2019-01-01T00:00:00.000Z"}`, string(b)); diff != "" {
		t.Error(diff)
	}
}

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]int{`3`: 3, `"3"`: 3, `null`: 0, `""`: 0} {
		var n flexInt
		if err := json.Unmarshal([]byte(in), &n); err != nil || int(n) != want {
			t.Errorf("%s: %d, %v", in, n, err)
		}
	}
	var n flexInt
	if json.Unmarshal([]byte(`"x"`), &n) == nil {
		t.Error("accepted non-number")
	}
}

// FuzzIDUnmarshal decodes arbitrary JSON as an ID (corpus under
// testdata/fuzz/FuzzIDUnmarshal): an accepted number keeps every digit as
// sent, never rounded through float64, and every id survives a round trip.
func FuzzIDUnmarshal(f *testing.F) {
	for _, s := range []string{`"1"`, `1`, `6776881149486782892`, `null`, `1.0`, `"x"`, `-1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var id ID
		if json.Unmarshal([]byte(s), &id) != nil {
			return
		}
		if lit := strings.TrimSpace(s); lit != "" && lit[0] != '"' && lit != "null" && string(id) != lit {
			t.Fatalf("number %s decoded as %q: digits changed", lit, id)
		}
		if strings.ContainsAny(string(id), ".eE") && !strings.HasPrefix(strings.TrimSpace(s), `"`) {
			t.Fatalf("non-integer number %s accepted as id %q", s, id)
		}
		b, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back ID
		if err := json.Unmarshal(b, &back); err != nil || back != id {
			t.Fatalf("round trip %q -> %s -> %q (%v)", id, b, back, err)
		}
	})
}

// FuzzTimestampUnmarshal decodes arbitrary JSON as a Timestamp (corpus
// under testdata/fuzz/FuzzTimestampUnmarshal): an accepted time is in UTC,
// an unknown one is never a zero date passed off as known, and a known one
// survives a round trip to the millisecond.
func FuzzTimestampUnmarshal(f *testing.F) {
	for _, s := range []string{`"2019-01-01T00:00:00.000Z"`, `null`, `""`, `"2019-01-01"`, `1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ts Timestamp
		if json.Unmarshal([]byte(s), &ts) != nil {
			return
		}
		if !ts.Valid {
			if !ts.Time.IsZero() || !ts.IsZero() || ts.Ptr() != nil || ts.String() != "unknown" {
				t.Fatalf("%s: unknown timestamp carries a time: %+v", s, ts)
			}
			if ts.Null != (strings.TrimSpace(s) == "null") {
				t.Fatalf("%s: Null = %v", s, ts.Null)
			}
			return
		}
		if ts.Time.Location() != time.UTC {
			t.Fatalf("not UTC: %v", ts.Time)
		}
		b, err := json.Marshal(ts)
		if err != nil {
			t.Fatalf("%s: marshal: %v", s, err)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Valid || !back.Time.Equal(ts.Time.Truncate(time.Millisecond)) {
			t.Fatalf("round trip %s -> %s -> %+v (%v)", s, b, back, err)
		}
	})
}
