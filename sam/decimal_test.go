package sam_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/samspoke/samspoke/sam"
)

// TestDecimalScale: a Decimal is written with the places it was parsed
// with or rounded to, so that money rounded to cents reads "126.00" as the
// CLI prints it; computed values are written in their shortest exact form,
// and the scale never changes the value.
func TestDecimalScale(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    sam.Decimal
		want string
	}{
		{"parsed with cents", sam.MustDecimal("59.00"), "59.00"},
		{"parsed whole", sam.MustDecimal("1000"), "1000"},
		{"parsed negative", sam.MustDecimal("-0.50"), "-0.50"},
		{"parsed beyond 12 places stays exact", sam.MustDecimal("0.0000000000001"), "0.0000000000001"},
		{"computed: shortest exact", sam.MustDecimal("59.00").MulInt(12), "708"},
		{"computed quotient: 12 places", sam.DecimalFromInt(1).QuoInt(3), "0.333333333333"},
		{"whole rounded to cents", sam.DecimalFromInt(126).Round(2), "126.00"},
		{"zero rounded to cents", sam.Decimal{}.Round(2), "0.00"},
		{"rounded half away from zero", sam.MustDecimal("1216.666").Round(2), "1216.67"},
		{"rounded to yen", sam.MustDecimal("1234.5").Round(0), "1235"},
		{"rounded to fils", sam.MustDecimal("2.5").Round(3), "2.500"},
		{"rounded, then computed", sam.DecimalFromInt(126).Round(2).MulInt(2), "252"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.want)
		}
		b, err := json.Marshal(tt.d)
		if err != nil || string(b) != `"`+tt.want+`"` {
			t.Errorf("%s: MarshalJSON = %s, %v; want %q", tt.name, b, err, tt.want)
		}
		var back sam.Decimal
		if err := json.Unmarshal(b, &back); err != nil || back.String() != tt.want {
			t.Errorf("%s: round trip through %s = %q, %v", tt.name, b, back.String(), err)
		}
	}
	if a, b := sam.MustDecimal("126.00"), sam.DecimalFromInt(126); !a.Equal(b) || a.Cmp(b) != 0 {
		t.Error("126.00 and 126 differ; the scale must not change the value")
	}
}

// TestUnitCostErrorsSayWhy: an entitlements file's bad unit_cost is
// refused with the parser's own reason, naming the file, record and field.
func TestUnitCostErrorsSayWhy(t *testing.T) {
	long := strings.Repeat("1", 79)
	for _, tt := range []struct{ cost, want string }{
		{long, `ents.json: record 1: field "unit_cost": "` + long[:32] + `…" is longer than 64 characters (79); want a decimal string such as "59.00"`},
		{"59,00", `ents.json: record 1: field "unit_cost": "59,00" is not a decimal number; want a decimal string such as "59.00"`},
		{"1e5", `ents.json: record 1: field "unit_cost": "1e5" is not a decimal number; want a decimal string such as "59.00"`},
		{"", `ents.json: record 1: field "unit_cost": "" is empty; want a decimal string such as "59.00"`},
	} {
		file := `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"` + tt.cost + `","currency":"USD","period":"annual","start":"2026-01-01"}]`
		_, err := sam.DecodeEntitlements([]byte(file), "ents.json", nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("unit_cost %.20q: error\n  %v\nwant\n  %s", tt.cost, err, tt.want)
		}
	}
	// ParseDecimal says the same reasons.
	for s, want := range map[string]string{
		long:    "is longer than 64 characters (79)",
		"59,00": `"59,00" is not a decimal number (want digits`,
		"":      "empty decimal",
	} {
		if _, err := sam.ParseDecimal(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDecimal(%.20q) = %v, want it to say %q", s, err, want)
		}
	}
}
