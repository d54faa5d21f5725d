package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestConfigCompanyWidePool runs the tester's case: -config with two
// accounts, acme without entitlements of its own and acme-eu with its own
// file, plus a company-wide -entitlements file. The report must agree with
// itself: every position has shared_rights (the pool a profile's row draws
// on, which the shared_entitlement warning names); each total owns the
// profiles' own rights plus the pool once; acme's Roadmaps row, which owns
// nothing of its own, says it draws on the pool; and no overlap is
// reported, since the pool and acme-eu's rights never add up in one row.
func TestConfigCompanyWidePool(t *testing.T) {
	t.Parallel()
	a, b := newCfgAccount(t, 31, 40), newCfgAccount(t, 32, 40)
	dir := t.TempDir()
	company := writeTestFile(t, dir, "company.json",
		`[{"model": "Aha! Roadmaps", "rights": 50, "unit_cost": "59.00", "currency": "USD", "period": "monthly", "start": "2026-01-01"}]`)
	writeTestFile(t, dir, "ents2.json", `[
 {"model": "Aha! Roadmaps", "rights": 200, "unit_cost": "59.00", "currency": "USD", "period": "monthly", "start": "2026-01-01"},
 {"model": "Aha! Develop", "rights": 100, "unit_cost": "500", "currency": "EUR", "period": "annual", "start": "2026-01-01"}]`)
	cfg := writeTestFile(t, dir, "accounts.json", `[
  {"name": "acme", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN"},
  {"name": "acme-eu", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN", "inactive_days": 90, "entitlements": "ents2.json"}
]`)
	code, out, errs := spokeRun(t, envOf(map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}),
		[]string{"-config", cfg, "-entitlements", company, "-now", cfgNow.Format(time.RFC3339), "-format", "json"}, a.token, b.token)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	r := decodeTestReport(t, out)

	// Every position row carries shared_rights, so the warning that
	// names it points at something real.
	var raw struct {
		Positions []map[string]any `json:"positions"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for i, p := range raw.Positions {
		if _, ok := p["shared_rights"]; !ok {
			t.Errorf("positions[%d] has no shared_rights: %v", i, p)
		}
	}

	type key struct{ profile, model string }
	rows := map[key]position{}
	for _, p := range r.Positions {
		rows[key{p.Profile, p.Model}] = p
	}
	const rm, dev = "Aha! Roadmaps", "Aha! Develop"
	for _, c := range []struct {
		profile, model string
		owned, shared  int64
	}{
		{"acme", rm, 0, 50}, {"acme-eu", rm, 200, 50}, {"", rm, 250, 0},
		{"acme", dev, 0, 0}, {"acme-eu", dev, 100, 0}, {"", dev, 100, 0},
	} {
		p, ok := rows[key{c.profile, c.model}]
		if !ok {
			t.Errorf("no %s row for profile %q", c.model, c.profile)
			continue
		}
		if p.RightsOwned != c.owned || p.SharedRights != c.shared {
			t.Errorf("%s [%s]: rights_owned %d, shared_rights %d; want %d, %d", c.model, c.profile, p.RightsOwned, p.SharedRights, c.owned, c.shared)
		}
		if p.RightsUsed == 0 {
			t.Errorf("%s [%s]: no users; the fake accounts must hold both models", c.model, c.profile)
		}
		if want := p.RightsOwned - (p.RightsUsed - p.RightsCovered); !p.Unlimited && p.Available != want {
			t.Errorf("%s [%s]: available %d, want owned − (used − covered) = %d", c.model, c.profile, p.Available, want)
		}
	}
	acme := rows[key{"acme", rm}]
	if acme.Status != "not_compliant" || acme.RightsNeeded != acme.RightsUsed || acme.PricePerRight != nil {
		t.Errorf("acme's Roadmaps row = %+v, want its users measured against its own 0 rights, no price of its own", acme)
	}

	type wkey struct{ code, profile, model string }
	warns := map[wkey]string{}
	for _, w := range r.Warnings {
		if w.Code == "overlapping_entitlements" {
			t.Errorf("overlap reported, yet no two entitlements add up in one row: %+v", w)
		}
		warns[wkey{w.Code, w.Profile, w.Model}] = w.Message
	}
	if m := warns[wkey{"shared_entitlement", "", rm}]; !strings.Contains(m, "hold 50 rights shared by profiles acme, acme-eu") || !strings.Contains(m, "shared_rights") {
		t.Errorf("shared_entitlement for Roadmaps = %q, want the pool of 50 and shared_rights named", m)
	}
	if m := warns[wkey{"draws_on_shared_pool", "acme", rm}]; !strings.Contains(m, `profile "acme" has no entitlement of its own for "Aha! Roadmaps"`) ||
		!strings.Contains(m, "company-wide pool of 50 rights") {
		t.Errorf("acme's Roadmaps: draws_on_shared_pool = %q, want it to say acme owns none and draws on the pool of 50", m)
	}
	if _, ok := warns[wkey{"no_entitlement", "acme", dev}]; !ok {
		t.Errorf("acme's Develop has users and no entitlement anywhere, yet no no_entitlement warning: %v", r.Warnings)
	}
	for k := range warns {
		if k.profile == "acme-eu" && k.code != "note" {
			t.Errorf("acme-eu owns more than it uses, yet is warned: %s %s", k.code, warns[k])
		}
	}
}
