package sam_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

func ahaCatalog(t testing.TB) *sam.Catalog {
	t.Helper()
	cat, err := sam.NewCatalog(
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Roadmaps", Identifiers: []sam.Identifier{"roadmaps_seat"}},
		sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Develop", Identifiers: []sam.Identifier{"develop_seat"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func dec(s string) *sam.Decimal { d := sam.MustDecimal(s); return &d }

func TestLoadEntitlements(t *testing.T) {
	in := `[
	 {"model":"Aha! Roadmaps","rights":25,"unit_cost":"59.00","currency":"USD","period":"monthly","start":"2026-01-01","end":"2026-12-31","id":"PO-1","profile":"acme","cost_center":"R&D"},
	 {"model":"Aha! Develop","unlimited":true,"start":"2025-07-01"},
	 {"model":"Aha! Develop","rights":0,"start":"2025-07-01","end":null}
	]`
	got, err := sam.LoadEntitlements(strings.NewReader(in), "entitlements.json", ahaCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []sam.Entitlement{
		{ID: "PO-1", Model: "Aha! Roadmaps", Profile: "acme", Rights: 25, UnitCost: dec("59"), Currency: "USD", Period: sam.Monthly,
			Start: sam.Date{Year: 2026, Month: 1, Day: 1}, End: sam.Date{Year: 2026, Month: 12, Day: 31}, CostCenter: "R&D", Source: "entitlements.json record 1"},
		{Model: "Aha! Develop", Unlimited: true, Start: sam.Date{Year: 2025, Month: 7, Day: 1}, Source: "entitlements.json record 2"},
		{Model: "Aha! Develop", Start: sam.Date{Year: 2025, Month: 7, Day: 1}, Source: "entitlements.json record 3"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entitlements (-want +got):\n%s", d)
	}
}

func TestLoadEntitlementsErrors(t *testing.T) {
	const ok = `{"model":"Aha! Roadmaps","rights":1,"start":"2026-01-01"}`
	tests := []struct {
		name, in   string
		record     int
		field, msg string
	}{
		{"negative rights", `[` + ok + `,` + ok + `,{"model":"Aha! Roadmaps","rights":-2,"start":"2026-01-01"}]`, 3, "rights",
			`entitlements.json: record 3: field "rights": is -2; it cannot be negative`},
		{"rights as string", `[{"model":"Aha! Roadmaps","rights":"5","start":"2026-01-01"}]`, 1, "rights", "not a string"},
		{"rights fraction", `[{"model":"Aha! Roadmaps","rights":1.5,"start":"2026-01-01"}]`, 1, "rights", "is 1.5; it must be a whole number"},
		{"rights exponent", `[{"model":"Aha! Roadmaps","rights":1e3,"start":"2026-01-01"}]`, 1, "rights", "whole number"},
		{"rights huge", `[{"model":"Aha! Roadmaps","rights":99999999999999999999999,"start":"2026-01-01"}]`, 1, "rights", "unlimited"},
		{"rights over max", `[{"model":"Aha! Roadmaps","rights":10000001,"start":"2026-01-01"}]`, 1, "rights", "more than 10000000"},
		{"rights missing", `[{"model":"Aha! Roadmaps","start":"2026-01-01"}]`, 1, "rights", "is required"},
		{"rights with unlimited", `[{"model":"Aha! Roadmaps","rights":3,"unlimited":true,"start":"2026-01-01"}]`, 1, "rights", "omitted"},
		{"unit cost number", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":59.0,"currency":"USD","period":"annual","start":"2026-01-01"}]`, 1, "unit_cost", "decimal string"},
		{"unit cost bad", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"59,00","currency":"USD","period":"annual","start":"2026-01-01"}]`, 1, "unit_cost", `"59,00"`},
		{"unit cost negative", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"-1","currency":"USD","period":"annual","start":"2026-01-01"}]`, 1, "unit_cost", "negative"},
		{"currency lower", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","currency":"usd","period":"annual","start":"2026-01-01"}]`, 1, "currency", "upper case"},
		{"currency unknown", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","currency":"XYZ","period":"annual","start":"2026-01-01"}]`, 1, "currency", "unknown currency"},
		{"currency missing", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","period":"annual","start":"2026-01-01"}]`, 1, "currency", "required"},
		{"period bad", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","currency":"EUR","period":"weekly","start":"2026-01-01"}]`, 1, "period", "weekly"},
		{"term without end", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","currency":"EUR","period":"term","start":"2026-01-01"}]`, 1, "end", "term"},
		{"end before start", `[{"model":"Aha! Roadmaps","rights":1,"start":"2026-01-01","end":"2025-12-31"}]`, 1, "end", "before start"},
		{"bad date", `[{"model":"Aha! Roadmaps","rights":1,"start":"2026-02-30"}]`, 1, "start", "YYYY-MM-DD"},
		{"start missing", `[{"model":"Aha! Roadmaps","rights":1}]`, 1, "start", "required"},
		{"unknown model", `[{"model":"Aha! Ideas","rights":1,"start":"2026-01-01"}]`, 1, "model", "not a known software model"},
		{"unknown field", `[{"model":"Aha! Roadmaps","rights":1,"start":"2026-01-01","seats":3}]`, 1, "seats", "not a known field"},
		{"repeated field", `[{"model":"Aha! Roadmaps","rights":1,"rights":2,"start":"2026-01-01"}]`, 1, "rights", "twice"},
		{"model number", `[{"model":7,"rights":1,"start":"2026-01-01"}]`, 1, "model", "must be a string"},
		{"unlimited string", `[{"model":"Aha! Roadmaps","unlimited":"yes","start":"2026-01-01"}]`, 1, "unlimited", "true or false"},
		{"not an array", `{"model":"Aha! Roadmaps"}`, 0, "", "JSON array"},
		{"record not object", `[` + ok + `,3]`, 2, "", "JSON object"},
		{"truncated", `[` + ok + `,{"model":`, 2, "model", "unexpected end"},
		{"trailing data", `[` + ok + `] x`, 0, "", "after the closing"},
		{"invalid utf8", "[{\"model\":\"Aha! \xff\",\"rights\":1,\"start\":\"2026-01-01\"}]", 0, "", "UTF-8"},
		{"empty", ``, 0, "", "not JSON"},
		{"duplicate id", `[{"id":"PO-1","model":"Aha! Roadmaps","rights":1,"start":"2026-01-01"},{"id":"PO-1","model":"Aha! Develop","rights":1,"start":"2026-01-01"}]`, 2, "id", "already used by record 1"},
		{"currency message without package prefix", `[{"model":"Aha! Roadmaps","rights":1,"unit_cost":"1","currency":"XYZ","period":"annual","start":"2026-01-01"}]`, 1, "currency",
			`entitlements.json: record 1: field "currency": unknown currency code "XYZ"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sam.LoadEntitlements(strings.NewReader(tt.in), "entitlements.json", ahaCatalog(t))
			if got != nil {
				t.Errorf("got %d entitlements, want none (all or nothing)", len(got))
			}
			var fe *sam.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *sam.FieldError", err, err)
			}
			if fe.File != "entitlements.json" || fe.Record != tt.record || fe.Field != tt.field {
				t.Errorf("error at (%q, %d, %q), want (entitlements.json, %d, %q): %v", fe.File, fe.Record, fe.Field, tt.record, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestLoadEntitlementsByteOrderMark(t *testing.T) {
	got, err := sam.LoadEntitlements(strings.NewReader("\ufeff"+`[{"model":"Aha! Roadmaps","rights":4,"start":"2026-01-01"}]`), "bom.json", ahaCatalog(t))
	if err != nil {
		t.Fatalf("a file starting with a UTF-8 byte order mark: %v", err)
	}
	if len(got) != 1 || got[0].Rights != 4 {
		t.Errorf("got %+v, want one entitlement of 4 rights", got)
	}
}

func TestLoadEntitlementsSizeCap(t *testing.T) {
	big := bytes.Repeat([]byte(" "), sam.MaxEntitlementsFileSize+1)
	_, err := sam.LoadEntitlements(bytes.NewReader(big), "huge.json", nil)
	var fe *sam.FieldError
	if !errors.As(err, &fe) || fe.File != "huge.json" || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a size error naming huge.json", err)
	}
}

// FuzzLoadEntitlements checks that the decoder never panics, that what it
// accepts is valid, and that what it accepts survives a JSON round trip.
func FuzzLoadEntitlements(f *testing.F) {
	f.Add([]byte(`[{"model":"Aha! Roadmaps","rights":25,"unit_cost":"59.00","currency":"USD","period":"monthly","start":"2026-01-01","end":"2026-12-31"}]`))
	f.Add([]byte(`[{"model":"Aha! Develop","unlimited":true,"start":"2025-07-01"}]`))
	f.Add([]byte(`[{"model":"Aha! Roadmaps","rights":-2,"start":"2026-01-01"}]`))
	f.Add([]byte(`[]`))
	cat := ahaCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := sam.DecodeEntitlements(data, "fuzz.json", cat)
		if err != nil {
			var fe *sam.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *sam.FieldError", err, err)
			}
			if got != nil {
				t.Fatal("partial result with an error")
			}
			return
		}
		for i, e := range got {
			if err := e.Validate(); err != nil {
				t.Fatalf("record %d accepted but invalid: %v", i+1, err)
			}
		}
		b, err := jsonMarshal(got)
		if err != nil {
			t.Fatal(err)
		}
		// The same name: Source ("fuzz.json record N") is not in the JSON.
		again, err := sam.DecodeEntitlements(b, "fuzz.json", cat)
		if err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Fatalf("round trip changed entitlements (-first +second):\n%s", d)
		}
	})
}
