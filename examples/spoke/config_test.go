package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
)

var cfgNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// cfgAccount is one fake Aha! account for the -config tests.
type cfgAccount struct {
	srv   *ahatest.Server
	token string
}

func newCfgAccount(t *testing.T, seed int64, users int) cfgAccount {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	tok := "tok-" + hex.EncodeToString(b)
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: users, Audits: users * 6, Seed: seed, Now: cfgNow, InactivePercent: 30})
	start := time.Now()
	clock := func() time.Time { return cfgNow.Add(time.Since(start)) }
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithClock(clock))
	t.Cleanup(srv.Close)
	return cfgAccount{srv: srv, token: tok}
}

// spokeRun runs the command in process; it fails the test when a secret
// shows in any output.
func spokeRun(t *testing.T, e env, args []string, secrets ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	e.stderr = &errb
	if e.clock == nil {
		e.clock = func() time.Time { return cfgNow }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, e, &out)
	for _, s := range secrets {
		if strings.Contains(out.String(), s) || strings.Contains(errb.String(), s) {
			t.Errorf("run %q: a token appears in the output", args)
		}
	}
	return code, out.String(), errb.String()
}

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(vars map[string]string) env {
	return env{getenv: func(k string) string { return vars[k] }}
}

func decodeTestReport(t *testing.T, s string) *Report {
	t.Helper()
	var r Report
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, s)
	}
	return &r
}

const entsA = `[{"model":"Aha! Roadmaps","rights":20,"unit_cost":"59.00","currency":"USD","period":"monthly","start":"2026-01-01"},
 {"model":"Aha! Develop","rights":5,"unit_cost":"39.00","currency":"USD","period":"monthly","start":"2026-01-01"}]`
const entsB = `[{"model":"Aha! Roadmaps","rights":30,"unit_cost":"708.00","currency":"USD","period":"annual","start":"2026-01-01"}]`

// TestConfigTwoAccounts runs two fake accounts through one -config run and
// checks each profile's rows against a single-account run of the same
// account, and the totals against the profiles' rows.
func TestConfigTwoAccounts(t *testing.T) {
	t.Parallel()
	a, b := newCfgAccount(t, 11, 60), newCfgAccount(t, 22, 60)
	dir := t.TempDir()
	writeTestFile(t, dir, "a.json", entsA)
	writeTestFile(t, dir, "b.json", entsB)

	// A single run of A finds the email to protect in the -config run.
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}
	single := func(acct cfgAccount, name, ents string, days int, extra ...string) *Report {
		t.Helper()
		v := map[string]string{"AHA_TOKEN": acct.token}
		code, out, errs := spokeRun(t, envOf(v), append([]string{"-aha-url", acct.srv.URL, "-profile", name, "-now", cfgNow.Format(time.RFC3339),
			"-entitlements", filepath.Join(dir, ents), "-inactive-days", strconv.Itoa(days), "-format", "json"}, extra...), acct.token)
		if code != 0 {
			t.Fatalf("single run of %s: exit %d:\n%s", name, code, errs)
		}
		return decodeTestReport(t, out)
	}
	ra, rb := single(a, "alpha", "a.json", 30), single(b, "beta", "b.json", 90)
	if len(ra.Candidates) < 2 || len(rb.Candidates) == 0 {
		t.Fatalf("the fake accounts need candidates: alpha %d, beta %d", len(ra.Candidates), len(rb.Candidates))
	}
	protect := ra.Candidates[0].Email
	ra = single(a, "alpha", "a.json", 30, "-protect", protect)

	cfg := `[
  {"name": "alpha", "aha_url": "` + a.srv.URL + `", "token_env": "A_TOKEN", "inactive_days": 30, "entitlements": "a.json", "protect": ["` + protect + `"]},
  {"name": "beta", "aha_url": "` + b.srv.URL + `", "token_env": "B_TOKEN", "inactive_days": 90, "entitlements": "b.json"}
]`
	cfgPath := writeTestFile(t, dir, "accounts.json", cfg)
	code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-now", cfgNow.Format(time.RFC3339), "-format", "json"}, a.token, b.token)
	if code != 0 {
		t.Fatalf("-config run: exit %d:\n%s", code, errs)
	}
	if errs != "" {
		t.Errorf("stderr is not a terminal, yet the run wrote:\n%s", errs)
	}
	r := decodeTestReport(t, out)

	var names []string
	for _, p := range r.Profiles {
		names = append(names, p.Name+"/"+strconv.Itoa(p.ThresholdDays))
	}
	if diff := cmp.Diff([]string{"alpha/30", "beta/90"}, names); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}

	// Each profile's positions are those of a single run of its account.
	byProfile := map[string][]position{}
	for _, p := range r.Positions {
		byProfile[p.Profile] = append(byProfile[p.Profile], p)
	}
	if diff := cmp.Diff(ra.Positions, byProfile["alpha"]); diff != "" {
		t.Errorf("alpha's positions differ from a single run (-single +config):\n%s", diff)
	}
	if diff := cmp.Diff(rb.Positions, byProfile["beta"]); diff != "" {
		t.Errorf("beta's positions differ from a single run (-single +config):\n%s", diff)
	}

	// The totals: rights owned add up; a person (by email) is counted once.
	used := map[string]map[string]bool{}
	for _, s := range r.Subscriptions {
		if s.Active && s.Model != "" {
			if used[s.Model] == nil {
				used[s.Model] = map[string]bool{}
			}
			used[s.Model][strings.ToLower(s.Email)] = true
		}
	}
	if len(byProfile[""]) == 0 {
		t.Fatal("no cross-profile totals in the report")
	}
	for _, tot := range byProfile[""] {
		var owned int64
		for _, p := range r.Positions {
			if p.Profile != "" && p.Model == tot.Model {
				owned += p.RightsOwned
			}
		}
		if tot.RightsOwned != owned {
			t.Errorf("%s total: rights_owned %d, want %d (the profiles' sum)", tot.Model, tot.RightsOwned, owned)
		}
		if tot.RightsUsed != int64(len(used[tot.Model])) {
			t.Errorf("%s total: rights_used %d, want %d distinct people", tot.Model, tot.RightsUsed, len(used[tot.Model]))
		}
	}

	// Candidates: each profile's own threshold and protect list.
	cands := func(cs []candidate, profile string, drop string) []string {
		var out []string
		for _, c := range cs {
			if (profile == "" || c.Profile == profile) && c.Email != drop {
				out = append(out, c.ExternalUserID+" "+c.Model)
			}
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff(cands(ra.Candidates, "", ""), cands(r.Candidates, "alpha", "")); diff != "" {
		t.Errorf("alpha's candidates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cands(rb.Candidates, "", ""), cands(r.Candidates, "beta", "")); diff != "" {
		t.Errorf("beta's candidates (-want +got):\n%s", diff)
	}
	found := false
	for _, p := range r.Protected {
		if p.Profile == "alpha" && p.Email == protect && p.Reason == "excluded" {
			found = true
		}
	}
	if !found {
		t.Errorf("%s, listed in alpha's protect, is not protected as excluded in alpha: %+v", protect, r.Protected)
	}
}

// TestConfigReclaim applies the plan per profile: each account disables its
// own candidates, and one journal keeps both, keyed by profile.
func TestConfigReclaim(t *testing.T) {
	t.Parallel()
	a, b := newCfgAccount(t, 31, 20), newCfgAccount(t, 32, 20)
	dir := t.TempDir()
	cfgPath := writeTestFile(t, dir, "accounts.json", `[
  {"name": "alpha", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN"},
  {"name": "beta", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN"}]`)
	journal := filepath.Join(dir, "journal.jsonl")
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}
	code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-now", cfgNow.Format(time.RFC3339),
		"-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json"}, a.token, b.token)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	r := decodeTestReport(t, out)
	applied := map[string]int{}
	for _, act := range r.Actions {
		if act.Outcome == "applied" {
			applied[act.Profile]++
		}
	}
	for _, p := range r.Profiles {
		if p.Reclaim == nil {
			t.Fatalf("profile %s: no reclaim block", p.Name)
		}
		if p.Reclaim.Counts.Applied == 0 || p.Reclaim.Counts.Applied != applied[p.Name] {
			t.Errorf("profile %s: %d applied in its block, %d actions applied", p.Name, p.Reclaim.Counts.Applied, applied[p.Name])
		}
	}
	if r.PositionsBefore == nil {
		t.Error("positions_before is missing after a reclaim")
	}
	// The CSV files carry the same: profiles.csv each profile's reclaim.
	csvDir := filepath.Join(dir, "csv")
	if err := writeCSVDir(csvDir, r); err != nil {
		t.Fatal(err)
	}
	checkCSVAgainstJSON(t, csvDir, out)

	f, err := os.Open(journal)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	profiles := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct {
			Profile string `json:"profile"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		profiles[e.Profile] = true
	}
	if diff := cmp.Diff(map[string]bool{"alpha": true, "beta": true}, profiles); diff != "" {
		t.Errorf("journal profiles (-want +got):\n%s", diff)
	}

	// A second run finds nothing more to do in either account.
	code, out, errs = spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-now", cfgNow.Format(time.RFC3339),
		"-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json"}, a.token, b.token)
	if code != 0 {
		t.Fatalf("second run: exit %d:\n%s", code, errs)
	}
	if r2 := decodeTestReport(t, out); len(r2.Candidates) != 0 {
		t.Errorf("second run: %d candidates left, want 0", len(r2.Candidates))
	}
}

func TestConfigErrors(t *testing.T) {
	a := newCfgAccount(t, 41, 10)
	dir := t.TempDir()
	good := writeTestFile(t, dir, "good.json", `[{"name":"alpha","aha_url":"`+a.srv.URL+`","token_env":"A_TOKEN"}]`)
	// p wraps profile fields (JSON members) into a one-profile file.
	p := func(fields string) string { return `[{"name":"x","aha_url":"https://x.aha.io",` + fields + `}]` }
	tests := []struct {
		name   string
		config string // written to FILE; empty: use good
		args   []string
		vars   map[string]string
		code   int
		// want is in stderr; for a config written to FILE, it follows
		// "FILE: ".
		want string
	}{
		{name: "with -aha-url", args: []string{"-aha-url", "https://acme.aha.io"}, code: 2, want: "-config and -aha-url"},
		{name: "with -token-file", args: []string{"-token-file", "x.json"}, code: 2, want: "-config and -token-file"},
		{name: "empty file", config: " \n", code: 2, want: "is empty; want a JSON array of profiles like"},
		{name: "not JSON", config: "[{name: x}]", code: 2, want: "profile 1: is not valid JSON: invalid character 'n' (at byte 2)"},
		{name: "truncated", config: `[{"name":"x"`, code: 2, want: "profile 1: is not valid JSON: unexpected end of input"},
		{name: "not an array", config: `{"name":"x"}`, code: 2, want: "want a JSON array of profiles"},
		{name: "not an object", config: `["x"]`, code: 2, want: "profile 1: must be a JSON object"},
		{name: "data after", config: p(`"token_env":"T"`) + ` []`, code: 2, want: "has data after the array of profiles"},
		{name: "a token in the file", config: `[{"name":"x","aha_url":"https://x.aha.io","token_env":"T"},{"name":"y","aha_url":"https://y.aha.io","token":"abc-123-secret"}]`,
			code: 2, want: `profile 2: field "token": is not a known field: a token never goes in the config file`},
		{name: "unknown field", config: p(`"token_env":"T","seats":3`), code: 2, want: `profile 1: field "seats": is not a known field (want one of name, aha_url,`},
		{name: "repeated field", config: p(`"token_env":"T","token_env":"U"`), code: 2, want: `profile 1: field "token_env": appears twice`},
		{name: "empty", config: `[]`, code: 2, want: "lists no profile"},
		{name: "duplicate names", config: `[{"name":"x","aha_url":"https://x.aha.io","token_env":"T"},{"name":"X","aha_url":"https://y.aha.io","token_env":"U"}]`,
			code: 2, want: `profile 2 ("X"): field "name": is already the name of profile 1 ("x")`},
		{name: "one account twice", config: `[{"name":"a","aha_url":"https://acme.aha.io","token_env":"T"},{"name":"b","aha_url":"ACME","token_env":"U"}]`,
			code: 2, want: `profile 2 ("b"): field "aha_url": https://acme.aha.io is already the account of profile 1 ("a"): two profiles on one account would count its seats twice`},
		{name: "one account twice, as the API URL", config: `[{"name":"a","aha_url":"https://Acme.aha.io","token_env":"T"},{"name":"b","aha_url":"https://acme.aha.io/api/v1/","token_env":"U"}]`,
			code: 2, want: `profile 2 ("b"): field "aha_url": https://acme.aha.io is already the account of profile 1 ("a")`},
		{name: "no name", config: `[{"aha_url":"https://x.aha.io","token_env":"T"}]`, code: 2, want: `profile 1: field "name": is missing`},
		{name: "bad name", config: `[{"name":"../x","aha_url":"https://x.aha.io","token_env":"T"}]`, code: 2, want: `profile 1: field "name": "../x": want 1 to 64`},
		{name: "name not a string", config: `[{"name":7,"aha_url":"https://x.aha.io","token_env":"T"}]`, code: 2, want: `profile 1: field "name": must be a string, not a number`},
		{name: "no aha_url", config: `[{"name":"x","token_env":"T"}]`, code: 2, want: `profile 1 ("x"): field "aha_url": is missing`},
		{name: "no credential", config: p(`"inactive_days":30`), code: 2, want: `profile 1 ("x"): field "token_env": is missing: no credential`},
		{name: "both credentials", config: p(`"token_env":"T","token_file":"t.json"`), code: 2, want: `profile 1 ("x"): field "token_file": give token_env or token_file, not both`},
		{name: "token as env name", config: p(`"token_env":"abc-123-secret"`), code: 2, want: `profile 1 ("x"): field "token_env": "abc-123-…" is not an environment variable name`},
		{name: "plain http", config: `[{"name":"x","aha_url":"http://acme.aha.io","token_env":"T"}]`, code: 2, want: `profile 1 ("x"): field "aha_url": uses plain http`},
		{name: "inactive_days as a string", config: p(`"token_env":"T","inactive_days":"60"`), code: 2, want: `profile 1 ("x"): field "inactive_days": must be a whole number of days (1 to 3650), not a string`},
		{name: "inactive_days 0", config: p(`"token_env":"T","inactive_days":0`), code: 2, want: `profile 1 ("x"): field "inactive_days": is 0; want 1 to 3650`},
		{name: "inactive_days negative", config: p(`"token_env":"T","inactive_days":-5`), code: 2, want: `profile 1 ("x"): field "inactive_days": is -5; want 1 to 3650`},
		{name: "inactive_days fractional", config: p(`"token_env":"T","inactive_days":60.5`), code: 2, want: `profile 1 ("x"): field "inactive_days": is 60.5; want a whole number`},
		{name: "threshold", config: p(`"token_env":"T","inactive_days":9999`), code: 2, want: `profile 1 ("x"): field "inactive_days": is 9999; want 1 to 3650`},
		{name: "protect not a list", config: p(`"token_env":"T","protect":"ceo@x.com"`), code: 2, want: `profile 1 ("x"): field "protect": must be an array of emails or user ids, not a string`},
		{name: "protect entry not a string", config: p(`"token_env":"T","protect":["ceo@x.com",5]`), code: 2, want: `profile 1 ("x"): field "protect": entry 2 must be a string`},
		{name: "protect entry not an email", config: p(`"token_env":"T","protect":["ceo@x.com","not an email"]`), code: 2, want: `profile 1 ("x"): field "protect": entry 2 "not an email" is not one email or user id`},
		{name: "invalid UTF-8", config: "[{\"name\":\"x\",\n\"aha_url\":\"\xff\"}]", code: 2, want: "is not valid UTF-8 (the first invalid byte is on line 2)"},
		{name: "missing entitlements", config: p(`"token_env":"T","entitlements":"nope.json"`), vars: map[string]string{"T": "x"}, code: 2, want: "nope.json"},
		{name: "unset token variable", vars: map[string]string{}, code: 2, want: `profile "alpha": no credential`},
		{name: "refused token", vars: map[string]string{"A_TOKEN": "wrong-token"}, code: 1, want: `profile "alpha": downloading`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, want := good, tt.want
			if tt.config != "" {
				path = writeTestFile(t, t.TempDir(), "c.json", tt.config)
				if tt.code == 2 && !strings.Contains(tt.want, ".json") {
					want = path + ": " + tt.want
				}
			}
			vars := tt.vars
			if vars == nil {
				vars = map[string]string{"A_TOKEN": a.token}
			}
			code, _, errs := spokeRun(t, envOf(vars), append([]string{"-config", path, "-now", cfgNow.Format(time.RFC3339)}, tt.args...), a.token, "abc-123-secret")
			if code != tt.code || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, want)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 1 {
				t.Errorf("want a short message, got:\n%s", errs)
			}
			if strings.Contains(errs, "Go struct") || strings.Contains(errs, " json: ") || strings.Contains(errs, "configProfile") || strings.HasSuffix(strings.TrimSpace(errs), "EOF") {
				t.Errorf("the message shows Go internals: %q", errs)
			}
		})
	}
}

func TestParseConfigPaths(t *testing.T) {
	specs, err := parseConfig([]byte(`[{"name":"a","aha_url":"acme","token_file":"tok.json","entitlements":"e/ents.json","protect":[" x@example.com ",""]},
		{"name":"b","aha_url":"https://b.aha.io/api/v1/","token_env":"B","entitlements":"/abs/e.json","inactive_days":5}]`), "/etc/spoke/accounts.json", 60)
	if err != nil {
		t.Fatal(err)
	}
	want := []accountSpec{
		{name: "a", url: "https://acme.aha.io", tokenFile: "/etc/spoke/tok.json", inactiveDays: 60, entitlements: "/etc/spoke/e/ents.json", protect: []string{"x@example.com"}},
		{name: "b", url: "https://b.aha.io", tokenEnv: "B", inactiveDays: 5, entitlements: "/abs/e.json"},
	}
	if diff := cmp.Diff(want, specs, cmp.AllowUnexported(accountSpec{})); diff != "" {
		t.Errorf("specs (-want +got):\n%s", diff)
	}
}

// TestConfigTextWarningsNameProfile: in a -config run's text report, a
// warning about one profile says which; a warning about the whole run
// does not.
func TestConfigTextWarningsNameProfile(t *testing.T) {
	t.Parallel()
	a, b := newCfgAccount(t, 51, 10), newCfgAccount(t, 52, 10)
	dir := t.TempDir()
	cfgPath := writeTestFile(t, dir, "accounts.json", `[
  {"name": "alpha", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN", "protect": ["typo-alpha@example.com"]},
  {"name": "beta", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN"}]`)
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token}
	code, out, errs := spokeRun(t, envOf(vars), []string{"-config", cfgPath, "-now", cfgNow.Format(time.RFC3339),
		"-protect", "typo-all@example.com"}, a.token, b.token)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	var lines []string
	for l := range strings.Lines(out) {
		if strings.Contains(l, "typo-") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	want := []string{
		`- [alpha] protect entry "typo-alpha@example.com" (the config's protect list) matches no user of the account: check it for a typo; it protects no one`,
		`- protect entry "typo-all@example.com" (-protect or -protect-file) matches no user of the account: check it for a typo; it protects no one`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("warning lines (-want +got):\n%s\n%s", diff, out)
	}
}

// FuzzParseConfig checks that any -config file is either refused with one
// line naming the file, or read into profiles with valid names, distinct
// accounts, thresholds in range and protect entries that follow the rule.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"", "[]", `[{"name":"a","aha_url":"acme","token_env":"T","inactive_days":30,"protect":["ceo@acme.com"]}]`,
		`[{"name":"a","aha_url":"https://ACME.aha.io","token_file":"t.json"},{"name":"b","aha_url":"acme","token_env":"U"}]`,
		`[{"name":"a","aha_url":"acme","token_env":"T","inactive_days":"60"}]`, `[{"token":"x"}]`, `{"a":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := parseConfig(data, "c.json", 60)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "c.json: ") || strings.Contains(err.Error(), "\n") ||
				strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), " json: ") {
				t.Fatalf("error %q: want a one-line usage error naming the file", err)
			}
			return
		}
		urls := map[string]bool{}
		for _, s := range specs {
			if !profileNameRE.MatchString(s.name) || urls[s.url] || s.inactiveDays < 1 || s.inactiveDays > 3650 || (s.tokenEnv == "") == (s.tokenFile == "") {
				t.Fatalf("profile accepted: %+v", s)
			}
			if again, msg := normalizeAccount(s.url); msg != "" || again != s.url {
				t.Fatalf("account %q is not normalised: %q %s", s.url, again, msg)
			}
			urls[s.url] = true
			for _, p := range s.protect {
				if protectEntryProblem(p) != "" {
					t.Fatalf("protect entry %q accepted", p)
				}
			}
		}
	})
}
