package sam

import (
	"fmt"
	"strings"
	"time"
)

// Period is the billing period a unit cost is quoted for.
type Period string

// Billing periods.
const (
	Monthly   Period = "monthly"
	Quarterly Period = "quarterly"
	Annual    Period = "annual"
	// Term is a price for the whole term of the entitlement (start to end).
	Term Period = "term"
)

// Valid reports whether p is a known period.
func (p Period) Valid() bool {
	switch p {
	case Monthly, Quarterly, Annual, Term:
		return true
	}
	return false
}

// MaxRights bounds the rights of one entitlement; more is taken as a typo
// (use Unlimited for an unlimited licence).
const MaxRights = 10_000_000

// Entitlement records rights bought for a software model.
type Entitlement struct {
	// ID optionally names the entitlement (a contract or PO number).
	ID string `json:"id,omitempty"`
	// Model is the software model's name, e.g. "Aha! Roadmaps".
	Model string `json:"model"`
	// Profile optionally limits the entitlement to one integration
	// profile; empty means it counts for every profile.
	Profile string `json:"profile,omitempty"`
	// Rights is the number of rights bought; ignored when Unlimited.
	Rights int64 `json:"rights"`
	// Unlimited is an explicit unlimited licence: always compliant.
	Unlimited bool `json:"unlimited,omitempty"`
	// UnitCost is the price of one right per Period; nil when unknown.
	UnitCost *Decimal `json:"unit_cost,omitempty"`
	Currency string   `json:"currency,omitempty"`
	Period   Period   `json:"period,omitempty"`
	// Start is the first day the entitlement counts.
	Start Date `json:"start"`
	// End is the last day it counts (inclusive); zero means open-ended.
	End        Date   `json:"end,omitzero"`
	CostCenter string `json:"cost_center,omitempty"`
	// Source says where the entitlement was recorded, e.g.
	// "entitlements.json record 3"; [LoadEntitlements] sets it, and
	// warnings use it to name an entitlement without an ID. It is not
	// part of the JSON form.
	Source string `json:"-"`
}

// CountsOn reports whether the entitlement counts at instant t: start ≤ t
// and, when it has an end, t is before the end of the end day (UTC).
func (e Entitlement) CountsOn(t time.Time) bool {
	t = t.UTC()
	if t.Before(e.Start.Start()) {
		return false
	}
	return e.End.IsZero() || t.Before(e.End.End())
}

// Validate checks the entitlement and returns an error naming the first bad
// field.
func (e Entitlement) Validate() error {
	switch {
	case e.Model == "":
		return &FieldError{Field: "model", Msg: "is required"}
	case e.Unlimited && e.Rights != 0:
		return &FieldError{Field: "rights", Msg: "must be omitted when unlimited is true"}
	case !e.Unlimited && e.Rights < 0:
		return &FieldError{Field: "rights", Msg: fmt.Sprintf("is %d; it cannot be negative", e.Rights)}
	case !e.Unlimited && e.Rights > MaxRights:
		return &FieldError{Field: "rights", Msg: fmt.Sprintf("is %d, more than %d; use \"unlimited\": true for an unlimited licence", e.Rights, MaxRights)}
	case e.Start.IsZero():
		return &FieldError{Field: "start", Msg: "is required (YYYY-MM-DD)"}
	case !e.End.IsZero() && e.End.Before(e.Start):
		return &FieldError{Field: "end", Msg: fmt.Sprintf("%s is before start %s", e.End, e.Start)}
	}
	if e.UnitCost != nil {
		if e.UnitCost.Sign() < 0 {
			return &FieldError{Field: "unit_cost", Msg: "cannot be negative"}
		}
		if err := CheckCurrency(e.Currency); err != nil {
			return &FieldError{Field: "currency", Msg: strings.TrimPrefix(err.Error(), "sam: ")}
		}
		if !e.Period.Valid() {
			return &FieldError{Field: "period", Msg: fmt.Sprintf("is %q; want monthly, quarterly, annual or term", e.Period)}
		}
		if e.Period == Term && e.End.IsZero() {
			return &FieldError{Field: "end", Msg: "is required when period is \"term\" (the price covers start to end)"}
		}
	} else if e.Currency != "" {
		if err := CheckCurrency(e.Currency); err != nil {
			return &FieldError{Field: "currency", Msg: strings.TrimPrefix(err.Error(), "sam: ")}
		}
	}
	return nil
}

// AnnualUnitCost returns the unit cost for one year: ×12 monthly, ×4
// quarterly, as is annual, and for a term price, scaled by 365 / the term's
// length in days. ok is false when the entitlement has no price.
func (e Entitlement) AnnualUnitCost() (cost Decimal, ok bool) {
	if e.UnitCost == nil {
		return Decimal{}, false
	}
	switch e.Period {
	case Monthly:
		return e.UnitCost.MulInt(12), true
	case Quarterly:
		return e.UnitCost.MulInt(4), true
	case Annual:
		return *e.UnitCost, true
	case Term:
		if e.End.IsZero() {
			return Decimal{}, false
		}
		days := int64(e.End.End().Sub(e.Start.Start()) / (24 * time.Hour))
		return e.UnitCost.MulInt(365).QuoInt(days), true
	}
	return Decimal{}, false
}

// FieldError reports a bad field of a record. Record and File are filled in
// by whoever knows them (a file loader, for example).
type FieldError struct {
	File   string // the file, when the record came from one
	Record int    // the record's 1-based position, 0 when unknown
	Field  string // the JSON field name; empty when the whole record or file is at fault
	Msg    string
	err    error // the underlying cause, if any
}

// Unwrap returns the underlying cause (a read error), if any.
func (e *FieldError) Unwrap() error { return e.err }

// Error formats "file: record N: field "x": msg"; parts that are unknown
// are left out.
func (e *FieldError) Error() string {
	s := ""
	if e.File != "" {
		s += e.File + ": "
	}
	if e.Record > 0 {
		s += fmt.Sprintf("record %d: ", e.Record)
	}
	if e.Field == "" {
		return s + e.Msg
	}
	return s + fmt.Sprintf("field %q: %s", e.Field, e.Msg)
}
