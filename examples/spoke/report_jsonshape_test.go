package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%T, want an object", v)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestJSONStableShape pins the JSON report's keys, as the README lists
// them: every key is present in a dry run as after -reclaim (null or ""
// when it does not apply), and every row of a list has the same keys.
func TestJSONStableShape(t *testing.T) {
	t.Parallel()
	e := env{clock: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	base := []string{"-now", "2026-12-01T00:00:00Z", "-quiet", "-format", "json", "-protect", "nobody@example.com"}
	top := sorted("as_of", "profile", "account", "threshold_days", "cutoff", "dry_run", "reclaim_mode", "journal",
		"subscriptions", "candidates", "protected", "positions", "positions_before", "reclaim", "actions", "warnings", "profiles")
	rows := map[string][]string{
		"subscriptions": sorted("profile", "external_user_id", "email", "model", "identifier", "active", "administrator", "last_activity", "activity", "inactive_days"),
		"candidates":    sorted("profile", "external_user_id", "email", "model", "reason", "inactive_days", "last_activity", "state"),
		"protected":     sorted("profile", "external_user_id", "email", "reason"),
		"positions": sorted("profile", "model", "rights_owned", "unlimited", "shared_rights", "rights_used", "rights_covered", "available", "rights_needed", "status", "currency",
			"price_per_right", "true_up_cost", "over_licensed_cost", "potential_savings", "assigned", "stale", "percent_unused", "activity_spread"),
		"actions":  sorted("profile", "external_user_id", "email", "action", "outcome", "error", "reason", "models"),
		"warnings": sorted("profile", "code", "message", "model", "external_user_id"),
	}
	rows["positions_before"] = rows["positions"]
	for _, run := range []struct {
		name  string
		extra []string
	}{{"dry run", nil}, {"reclaim", []string{"-reclaim", "-max-reclaim", "0"}}} {
		t.Run(run.name, func(t *testing.T) {
			code, js, errs := spokeRun(t, e, append(base, run.extra...))
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, errs)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(top, keysOf(t, doc)); diff != "" {
				t.Errorf("top-level keys (-want +got):\n%s", diff)
			}
			dry := run.extra == nil
			if doc["journal"] != "" {
				t.Errorf("journal %#v, want \"\" (a dry run, or the demo's temporary journal)", doc["journal"])
			}
			if doc["profiles"] != nil || (dry && (doc["positions_before"] != nil || doc["reclaim"] != nil)) {
				t.Errorf("profiles %v, positions_before %v, reclaim %v: want null where they do not apply", doc["profiles"], doc["positions_before"], doc["reclaim"])
			}
			for list, want := range rows {
				l, _ := doc[list].([]any)
				if len(l) == 0 && (list != "actions" && list != "positions_before" || !dry) {
					t.Errorf("%s is empty; the test needs rows", list)
				}
				for i, row := range l {
					if diff := cmp.Diff(want, keysOf(t, row)); diff != "" {
						t.Errorf("%s[%d] keys (-want +got):\n%s", list, i, diff)
					}
				}
			}
			if !dry {
				want := sorted("mode", "planned", "max_actions", "cap_exceeded", "interrupted", "counts", "freed", "unresolved", "resolved")
				if diff := cmp.Diff(want, keysOf(t, doc["reclaim"])); diff != "" {
					t.Errorf("reclaim keys (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestConfigSharedRights: with -config, company-wide entitlements are shown
// on each profile's row as shared_rights (which the shared_entitlement
// warning names) and counted once in the cross-profile total.
func TestConfigSharedRights(t *testing.T) {
	t.Parallel()
	a, b := newCfgAccount(t, 41, 12), newCfgAccount(t, 42, 12)
	dir := t.TempDir()
	cfgPath := writeTestFile(t, dir, "accounts.json", `[
  {"name": "alpha", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN"},
  {"name": "beta", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN"}]`)
	ents := writeTestFile(t, dir, "company.json", `[{"model": "Aha! Roadmaps", "rights": 7, "start": "2026-01-01"}]`)
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}
	code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-entitlements", ents, "-now", cfgNow.Format(time.RFC3339), "-format", "json"},
		a.token, b.token)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	r := decodeTestReport(t, out)
	got := map[string][2]int64{} // profile: owned, shared
	for _, p := range r.Positions {
		if p.Model == modelRoadmaps {
			got[p.Profile] = [2]int64{p.RightsOwned, p.SharedRights}
		}
	}
	want := map[string][2]int64{"alpha": {0, 7}, "beta": {0, 7}, "": {7, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Roadmaps rights owned, shared per profile (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(r.Warnings, func(w warning) bool {
		return w.Code == "shared_entitlement" && strings.Contains(w.Message, "shared_rights")
	}) {
		t.Errorf("no shared_entitlement warning naming shared_rights: %+v", r.Warnings)
	}
	// The text and HTML reports show the pool beside a profile's own
	// rights too, as the warning says each row does.
	for format, want := range map[string]string{"text": "0 +7 shared", "html": `shared pool <b class="shared-n">7</b>`} {
		code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-entitlements", ents, "-now", cfgNow.Format(time.RFC3339), "-format", format},
			a.token, b.token)
		if code != 0 {
			t.Fatalf("-format %s: exit %d:\n%s", format, code, errs)
		}
		if n := strings.Count(out, want); n != 2 {
			t.Errorf("-format %s shows %q %d times, want once per profile (2)", format, want, n)
		}
	}
}
