package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/sam"
)

// TestNowBeforeData checks the warning of a -now earlier than the
// account's data: it counts the users active or created after -now.
func TestNowBeforeData(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	past := testNow.Add(-30 * 24 * time.Hour)
	want := 0
	for _, u := range acct.Clone().Users {
		if lastSeen(u).After(past) || u.CreatedAt.After(past) {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the demo account has no activity in its last 30 days")
	}
	r := runSpoke(t, nil, []string{"-aha-url", f.srv.URL, "-now", past.Format(time.RFC3339), "-format", "json"},
		map[string]string{"AHA_TOKEN": f.token}, f.wire, f.token)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	got := warningsOf(decodeReport(t, r.stdout), warnNowBeforeData)
	wantMsg := fmt.Sprintf("%d users were active or created after it", want)
	if len(got) != 1 || !strings.Contains(got[0], wantMsg) {
		t.Errorf("warnings %s: %q, want one saying %q", warnNowBeforeData, got, wantMsg)
	}
	// -now at the data's end: no such warning.
	r = f.run(nil, "-format", "json")
	if got := warningsOf(decodeReport(t, r.stdout), warnNowBeforeData); len(got) != 0 {
		t.Errorf("-now at the clock: warnings %q", got)
	}
}

func warningsOf(r *jsonReport, code string) []string {
	var out []string
	for _, w := range r.Warnings {
		if w.Code == code {
			out = append(out, w.Message)
		}
	}
	return out
}

// TestProtectUnmatched checks that a protect entry matching no user is
// reported, whether it comes from -protect or -protect-file, and that an
// entry matching a user by id or by email (any case) is not.
func TestProtectUnmatched(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	users := acct.Clone().Users
	byID, byEmail := users[3].ID, strings.ToUpper(" "+users[4].Email)
	file := writeFile(t, "protect.txt", "# safety list\n"+byID+"\ntypo@exampel.com\n")
	r := f.run(nil, "-format", "json", "-protect", "cfo@example.com,"+byEmail, "-protect-file", file)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	got := warningsOf(decodeReport(t, r.stdout), warnProtectUnmatched)
	want := []string{`"cfo@example.com"`, `"typo@exampel.com"`}
	if len(got) != len(want) {
		t.Fatalf("warnings %s: %q, want one for each of %v", warnProtectUnmatched, got, want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %d: %q, want it to name %s", i, got[i], want[i])
		}
	}
}

func TestUnmatchedProtect(t *testing.T) {
	t.Parallel()
	users := [][]sam.User{{{ExternalID: "1", Email: "Ann@Example.com"}}, {{ExternalID: "22"}}}
	got := unmatchedProtect([]string{" ann@example.COM ", "22", "2", "x@y.z", "2", ""}, users...)
	if diff := cmp.Diff([]string{"2", "x@y.z"}, got); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
}

// TestWarningsAfterReclaim: after -reclaim the warnings speak of the
// account as the positions show it, after the actions: a model with users
// and no entitlement counts the users left holding it.
func TestWarningsAfterReclaim(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	ents := writeFile(t, "ents.json", `[{"model":"Aha! Roadmaps","rights":500,"unit_cost":"59.00","currency":"USD","period":"monthly","start":"2026-01-01"}]`)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	r := f.run(nil, "-entitlements", ents, "-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	var before int64
	for _, p := range rep.PositionsBefore {
		if p.Model == modelDevelop {
			before = p.RightsUsed
		}
	}
	after := rep.position(t, modelDevelop).RightsUsed
	if after == before {
		t.Fatalf("the reclaim freed no %s seat (%d used before and after): the test needs one", modelDevelop, after)
	}
	got := warningsOf(rep, "no_entitlement")
	want := fmt.Sprintf("%d user(s) hold %q but no entitlement is recorded", after, modelDevelop)
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("no_entitlement warnings after the reclaim: %q, want one starting %q", got, want)
	}
}

// TestProtectEntryRule pins the one rule -protect, -protect-file and a
// config's protect list share: an Aha! user id (digits) or an email.
func TestProtectEntryRule(t *testing.T) {
	t.Parallel()
	for entry, ok := range map[string]bool{
		"6776836658736381446":         true,
		"1":                           true,
		"ceo@example.com":             true,
		"First.Last+tag@sub.acme.co":  true,
		"jörg@müller.de":              true,
		"not an email":                false,
		"ceo":                         false,
		"ceo@acme":                    false,
		"@example.com":                false,
		"ceo@@example.com":            false,
		"ceo@example..com":            false,
		"ceo@.example.com":            false,
		"ceo@example.com.":            false,
		"a@example.com;b@example.com": false,
		"CEO <ceo@example.com>":       false,
		"123456789012345678901":       false,
		"\xffceo@example.com":         false,
		strings.Repeat("a", 250) + "@example.com": false,
	} {
		if got := protectEntryProblem(entry) == ""; got != ok {
			t.Errorf("protectEntryProblem(%q) = %q; want accepted %v", entry, protectEntryProblem(entry), ok)
		}
	}
	// Too many digits is said as such, not as "neither an email nor an id".
	if got, want := protectEntryProblem("99999999999999999999999"), "has 23 digits: an Aha! user id has at most 20"; got != want {
		t.Errorf("23 digits: %q, want %q", got, want)
	}
}

// TestProtectWarningsCapped: a long list of entries matching no one gives
// a bounded number of warnings, the last counting the rest.
func TestProtectWarningsCapped(t *testing.T) {
	t.Parallel()
	var unmatched []string
	for i := range maxProtectWarnings + 5 {
		unmatched = append(unmatched, fmt.Sprintf("p%d@example.com", i))
	}
	got := protectWarnings("acme", unmatched, "-protect or -protect-file")
	if len(got) != maxProtectWarnings+1 || !strings.Contains(got[maxProtectWarnings].Message, "5 more protect entries") {
		t.Errorf("%d warnings, last %+v; want %d, the last counting 5 more", len(got), got[len(got)-1], maxProtectWarnings+1)
	}
	for _, w := range got {
		if w.Code != warnProtectUnmatched || w.Profile != "acme" {
			t.Errorf("warning %+v", w)
		}
	}
}

// TestProtectFileAtTheCap: a protect file just under the size cap, of
// entries matching no one, is read and matched in well under the test's
// time and gives a bounded number of warnings.
func TestProtectFileAtTheCap(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; b.Len() < maxProtectFileSize-64; i++ {
		fmt.Fprintf(&b, "person%d@example.com\n", i)
	}
	file := filepath.Join(t.TempDir(), "protect.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errs := spokeRun(t, env{}, []string{"-protect-file", file, "-format", "json"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	if got := warningsOf(decodeReport(t, out), warnProtectUnmatched); len(got) != maxProtectWarnings+1 {
		t.Errorf("%d %s warnings, want %d", len(got), warnProtectUnmatched, maxProtectWarnings+1)
	}
}

// TestDownloadWarningOnce: the download's own warning (users whose
// accessed_at could not be read) reaches the report once, through the
// engine, as download_warning of its profile: in a single-account run and
// in a -config run, where the other profile has none.
func TestDownloadWarningOnce(t *testing.T) {
	t.Parallel()
	newAcct := func(seed int64, enc ahatest.Encoding) cfgAccount {
		acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 40, Audits: 240, Seed: seed, Now: cfgNow, InactivePercent: 30})
		tok := fmt.Sprintf("tok-%d-download-warning", seed)
		srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithEncoding(enc))
		t.Cleanup(srv.Close)
		return cfgAccount{srv: srv, token: tok}
	}
	a := newAcct(41, ahatest.Encoding{NeverAccess: ahatest.NullAsMissing})
	b := newAcct(42, ahatest.Encoding{})
	count := func(r *Report) map[string]int {
		n := map[string]int{}
		for _, w := range r.Warnings {
			if strings.Contains(w.Message, "without a readable accessed_at") {
				n[w.Profile+" "+w.Code]++
			}
		}
		return n
	}
	dir := t.TempDir()
	cfg := writeTestFile(t, dir, "accounts.json", `[
  {"name": "acme", "aha_url": "`+a.srv.URL+`", "token_env": "A_TOKEN"},
  {"name": "beta", "aha_url": "`+b.srv.URL+`", "token_env": "B_TOKEN"}
]`)
	vars := map[string]string{"A_TOKEN": a.token, "B_TOKEN": b.token, "AHA_TOKEN": a.token}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"one account", []string{"-aha-url", a.srv.URL}, profileName(a.srv.URL) + " download_warning"},
		{"-config", []string{"-config", cfg}, "acme download_warning"},
	} {
		code, out, errs := spokeRun(t, envOf(vars), append(tc.args, "-now", cfgNow.Format(time.RFC3339), "-format", "json"), a.token, b.token)
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", tc.name, code, errs)
		}
		if d := cmp.Diff(map[string]int{tc.want: 1}, count(decodeTestReport(t, out))); d != "" {
			t.Errorf("%s: warnings about unreadable accessed_at, by profile and code (-want +got):\n%s", tc.name, d)
		}
	}
}
