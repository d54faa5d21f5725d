package sam

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number for money. It never passes through
// float64. The zero value is 0. Decimals are immutable: every operation
// returns a new value.
//
// A Decimal also carries the number of decimal places it is shown with at
// least (its scale): those of the text [ParseDecimal] read ("59.00": 2),
// or those [Decimal.Round] rounded to, so that a price rounded to cents
// reads "126.00", not "126". The scale changes how the number is written,
// never its value: [Decimal.Equal] and [Decimal.Cmp] ignore it, and the
// result of arithmetic has none (it is written in its shortest exact
// form).
type Decimal struct {
	r      *big.Rat // nil means 0
	places int      // the scale: decimal places String shows at least
}

// maxDecimalLen bounds the text ParseDecimal accepts, so a hostile file
// cannot make it build huge numbers.
const maxDecimalLen = 64

// ParseDecimal parses a plain decimal string such as "12", "-3.5" or
// "1234.5678". Exponents, fractions, separators and surrounding spaces are
// rejected so that a typo never becomes a different price. The result's
// scale is the text's number of decimal places.
func ParseDecimal(s string) (Decimal, error) {
	d, problem := parseDecimal(s)
	switch {
	case problem == "":
		return d, nil
	case s == "":
		return Decimal{}, fmt.Errorf("sam: empty decimal")
	case len(s) > maxDecimalLen:
		return Decimal{}, fmt.Errorf("sam: decimal %.20q… %s", s, problem)
	}
	return Decimal{}, fmt.Errorf("sam: %q %s (want digits with an optional '.' fraction, e.g. \"12.50\")", s, problem)
}

// parseDecimal is ParseDecimal; problem says why s is not a decimal
// (e.g. "is longer than 64 characters"), or is "" when it is one.
func parseDecimal(s string) (d Decimal, problem string) {
	if s == "" {
		return Decimal{}, "is empty"
	}
	if len(s) > maxDecimalLen {
		return Decimal{}, fmt.Sprintf("is longer than %d characters (%d)", maxDecimalLen, len(s))
	}
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || (hasDot && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, "is not a decimal number"
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, "is not a decimal number"
	}
	return Decimal{r: r, places: len(frac)}, ""
}

// MustDecimal is ParseDecimal for constants in tests and examples; it panics
// on malformed input and must not be used on data read at run time.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecimalFromInt returns n as a Decimal.
func DecimalFromInt(n int64) Decimal { return Decimal{r: new(big.Rat).SetInt64(n)} }

func (d Decimal) rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return d.r
}

// Add returns d + e.
func (d Decimal) Add(e Decimal) Decimal { return Decimal{r: new(big.Rat).Add(d.rat(), e.rat())} }

// Sub returns d − e.
func (d Decimal) Sub(e Decimal) Decimal { return Decimal{r: new(big.Rat).Sub(d.rat(), e.rat())} }

// Mul returns d × e.
func (d Decimal) Mul(e Decimal) Decimal { return Decimal{r: new(big.Rat).Mul(d.rat(), e.rat())} }

// MulInt returns d × n.
func (d Decimal) MulInt(n int64) Decimal {
	return Decimal{r: new(big.Rat).Mul(d.rat(), new(big.Rat).SetInt64(n))}
}

// QuoInt returns d ÷ n exactly (as a rational); it panics when n is 0, like
// integer division.
func (d Decimal) QuoInt(n int64) Decimal {
	return Decimal{r: new(big.Rat).Quo(d.rat(), new(big.Rat).SetInt64(n))}
}

// Cmp compares d and e: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int { return d.rat().Cmp(e.rat()) }

// Equal reports whether d and e are the same number ("1.50" equals "1.5").
// go-cmp uses it to compare values holding Decimals.
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.rat().Sign() }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Round returns d rounded to places decimal places, halves away from zero,
// with that scale: String writes exactly places decimal places ("126.00"
// for 126 rounded to 2). Rounding happens once, when a figure is shown.
// A negative places rounds to a whole number.
func (d Decimal) Round(places int) Decimal {
	places = max(places, 0)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(d.rat().Num(), scale)
	den := d.rat().Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den rounds away from zero.
	m2 := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	if m2.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Decimal{r: new(big.Rat).SetFrac(q, scale), places: places}
}

// StringFixed formats d rounded to exactly places decimal places.
func (d Decimal) StringFixed(places int) string {
	return d.Round(places).rat().FloatString(places)
}

// String formats d exactly with at least its scale's places (the text it
// was parsed from, "59.00", or the places it was rounded to) when it has a
// finite decimal expansion of at most max(12, scale) places, and rounded
// to 12 places otherwise (a computed quotient such as 1/3).
func (d Decimal) String() string {
	r := d.rat()
	for p := d.places; p <= max(12, d.places); p++ {
		if r.Cmp(d.Round(p).rat()) == 0 {
			return r.FloatString(p)
		}
	}
	return d.StringFixed(12)
}

// MarshalJSON encodes d as a JSON string, as String writes it, e.g.
// "12.5", or "126.00" for a Decimal rounded to 2 places.
func (d Decimal) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts a JSON string holding a decimal. JSON numbers are
// refused: they invite float64 on the writer's side.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("sam: money must be a decimal string such as \"12.50\", not %s", truncate(string(b), 24))
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
