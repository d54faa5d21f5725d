package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha/ahatest"
)

// TestEveryRowCarriesItsProfile: in a single-account run every row of
// every table of the JSON and CSV reports carries the profile, as in a
// -config run.
func TestEveryRowCarriesItsProfile(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	trimPlan(t, acct, testNow, 2)
	f := newFake(t, acct, testNow)
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.jsonl")
	// The CSV files (a dry run, before the reclaim below).
	out := filepath.Join(dir, "csv")
	r := f.run(nil, "-profile", "acme", "-protect", "nobody@example.com", "-format", "csv", "-o", out)
	if r.code != 0 {
		t.Fatalf("csv: exit %d:\n%s", r.code, r.stderr)
	}
	for _, file := range []string{"subscriptions.csv", "candidates.csv", "protected.csv", "positions.csv", "warnings.csv"} {
		fh, err := os.Open(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		col := slices.Index(recs[0], "profile")
		if col < 0 {
			t.Errorf("%s has no profile column: %v", file, recs[0])
			continue
		}
		if len(recs) < 2 {
			t.Errorf("%s has no rows", file)
		}
		for i, rec := range recs[1:] {
			if rec[col] != "acme" {
				t.Errorf("%s row %d: profile %q, want acme", file, i+1, rec[col])
			}
		}
	}

	// -protect with a typo adds a warning about the whole run; -reclaim
	// adds actions.
	args := []string{"-profile", "acme", "-protect", "nobody@example.com", "-reclaim", "-journal", journal}
	r = f.run(nil, append(args, "-format", "json")...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeTestReport(t, r.stdout)
	if rep.Profile != "acme" {
		t.Fatalf("profile %q, want acme", rep.Profile)
	}
	tables := map[string][]string{}
	for _, x := range rep.Subscriptions {
		tables["subscriptions"] = append(tables["subscriptions"], x.Profile)
	}
	for _, x := range rep.Candidates {
		tables["candidates"] = append(tables["candidates"], x.Profile)
	}
	for _, x := range rep.Protected {
		tables["protected"] = append(tables["protected"], x.Profile)
	}
	for _, x := range rep.Positions {
		tables["positions"] = append(tables["positions"], x.Profile)
	}
	for _, x := range rep.Actions {
		tables["actions"] = append(tables["actions"], x.Profile)
	}
	for _, x := range rep.Warnings {
		tables["warnings"] = append(tables["warnings"], x.Profile)
	}
	for name, profiles := range tables {
		if i := slices.IndexFunc(profiles, func(p string) bool { return p != "acme" }); i >= 0 {
			t.Errorf("JSON %s[%d]: profile %q, want acme", name, i, profiles[i])
		}
	}
	for _, name := range []string{"subscriptions", "candidates", "protected", "positions", "actions", "warnings"} {
		if len(tables[name]) == 0 {
			t.Errorf("JSON %s is empty: the test needs rows in every table", name)
		}
	}

}

// TestEmailsAgreeAcrossTables: a user's email is the same, as Aha! has it,
// in every table of the report, however odd it is; escaping is the
// writers' job.
func TestEmailsAgreeAcrossTables(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	odd := map[string]string{
		"900000000000000001": `=HYPERLINK("http://evil.example/","x")`,
		"900000000000000002": `<img src=x onerror=alert(1)>@example.com`,
		"900000000000000003": `Mixed.Case@Example.COM`,
	}
	old := testNow.AddDate(-1, 0, 0)
	for id, email := range odd {
		addUser(t, acct, id, email, old.AddDate(-1, 0, 0), &old)
	}
	f := newFake(t, acct, testNow)
	// The first is protected, the others are candidates.
	r := f.run(nil, "-protect", "900000000000000001", "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeTestReport(t, r.stdout)
	got := map[string]map[string]string{} // table → id → email
	note := func(table, id, email string) {
		if _, ok := odd[id]; !ok {
			return
		}
		if got[table] == nil {
			got[table] = map[string]string{}
		}
		got[table][id] = email
	}
	for _, x := range rep.Subscriptions {
		note("subscriptions", x.ExternalUserID, x.Email)
	}
	for _, x := range rep.Candidates {
		note("candidates", x.ExternalUserID, x.Email)
	}
	for _, x := range rep.Protected {
		note("protected", x.ExternalUserID, x.Email)
	}
	want := map[string]map[string]string{
		"subscriptions": odd,
		"candidates":    {"900000000000000002": odd["900000000000000002"], "900000000000000003": odd["900000000000000003"]},
		"protected":     {"900000000000000001": odd["900000000000000001"]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("emails by table (-want +got):\n%s", diff)
	}
}

// TestTextReportListsProtected: the text report lists each protected user
// (user id, email, reason) after the counts per reason, as it lists
// candidates.
func TestTextReportListsProtected(t *testing.T) {
	t.Parallel()
	acct := ahatest.DemoAccount(testNow)
	f := newFake(t, acct, testNow)
	r := f.run(nil, "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rep := decodeTestReport(t, r.stdout)
	if len(rep.Protected) == 0 {
		t.Fatal("the demo account protects no one: the test needs protected users")
	}
	r = f.run(nil)
	if r.code != 0 {
		t.Fatalf("text: exit %d:\n%s", r.code, r.stderr)
	}
	_, section, ok := strings.Cut(r.stdout, "\nProtected from reclaim:")
	if !ok {
		t.Fatalf("no protected section:\n%s", r.stdout)
	}
	section, _, _ = strings.Cut(section, "\n\n"+"Warnings")
	var rows [][]string
	inTable := false
	for l := range strings.Lines(section) {
		fields := strings.Fields(l)
		switch {
		case len(fields) >= 3 && fields[0] == "User" && fields[1] == "id":
			inTable = true
		case inTable && len(fields) == 3:
			rows = append(rows, fields)
		case inTable:
			inTable = false
		}
	}
	var want [][]string
	for _, p := range rep.Protected {
		want = append(want, []string{p.ExternalUserID, p.Email, p.Reason})
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("protected table (-want +got):\n%s\n%s", diff, section)
	}
}
