package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBadInput feeds the job bad entitlement files, journals, token files
// and flags. Each must end in exit 2 (a usage error: the input is wrong) or
// exit 1 (a run-time fault; a token file that cannot be used is bad input,
// exit 2), with
// a message naming the file, the record and the field where there is one,
// and with nothing changed in Aha!: the fake sees no mutating request, and
// for input checked before the run starts, no request at all.
func TestBadInput(t *testing.T) {
	t.Parallel()
	good := `{"model":"Aha! Roadmaps","rights":5,"unit_cost":"59.00","currency":"USD","period":"annual","start":"2026-01-01"}`
	// ents returns an entitlements file whose second record is rec.
	ents := func(rec string) string { return "[" + good + ",\n" + rec + "]" }
	rec := func(fields string) string {
		return `{"model":"Aha! Roadmaps",` + fields + `,"unit_cost":"59.00","currency":"USD","period":"annual","start":"2026-01-01"}`
	}
	urlSecret := relSecret(t, "pw-")

	type file struct {
		name string
		data string
		mode os.FileMode
	}
	cases := []struct {
		name string
		file *file // written to the case's directory; "$F" in args is its path
		args []string
		code int
		want []string // substrings of stderr; "$F" is the file's path
		// requests: the job may read the account (the input is only
		// checked once the plan exists) but must not change it.
		requests bool
	}{
		{name: "rights of the wrong type", file: &file{"e.json", ents(rec(`"rights":"25"`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "rights"`, "whole number"}},
		{name: "negative rights", file: &file{"e.json", ents(rec(`"rights":-2`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "rights"`, "negative"}},
		{name: "huge rights", file: &file{"e.json", ents(rec(`"rights":99999999999999999999`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "rights"`, "99999999999999999999"}},
		{name: "fractional rights", file: &file{"e.json", ents(rec(`"rights":2.5`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "rights"`}},
		{name: "unknown model", file: &file{"e.json", ents(`{"model":"Aha! Ideas","rights":2,"unit_cost":"59.00","currency":"USD","period":"annual","start":"2026-01-01"}`), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "model"`, "Aha! Ideas"}},
		{name: "dates out of order", file: &file{"e.json", ents(`{"model":"Aha! Roadmaps","rights":2,"unit_cost":"59.00","currency":"USD","period":"annual","start":"2026-12-31","end":"2026-01-01"}`), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "end"`, "before start"}},
		{name: "impossible date", file: &file{"e.json", ents(`{"model":"Aha! Roadmaps","rights":2,"unit_cost":"59.00","currency":"USD","period":"annual","start":"2026-02-30"}`), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "start"`}},
		{name: "invalid currency", file: &file{"e.json", ents(`{"model":"Aha! Roadmaps","rights":2,"unit_cost":"59.00","currency":"XYZ","period":"annual","start":"2026-01-01"}`), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "currency"`, "XYZ"}},
		{name: "unit cost as a JSON number", file: &file{"e.json", ents(`{"model":"Aha! Roadmaps","rights":2,"unit_cost":59.99,"currency":"USD","period":"annual","start":"2026-01-01"}`), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "unit_cost"`, "decimal string"}},
		{name: "unknown field", file: &file{"e.json", ents(rec(`"rights":2,"seats":3`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "seats"`, "not a known field"}},
		{name: "repeated field", file: &file{"e.json", ents(rec(`"rights":2,"rights":3`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "record 2", `field "rights"`}},
		{name: "invalid UTF-8", file: &file{"e.json", ents(rec(`"rights":2,"cost_center":"R&D ` + "\xff\xfe" + `"`)), 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "UTF-8", "line 2"}},
		{name: "many megabytes", file: &file{"e.json", "[" + strings.Repeat(good+",\n", (9<<20)/len(good)) + good + "]", 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "larger than"}},
		{name: "empty entitlements file", file: &file{"e.json", "", 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "not JSON"}},
		{name: "an object, not an array", file: &file{"e.json", `{"model":"Aha! Roadmaps"}`, 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F", "JSON array"}},
		{name: "truncated entitlements", file: &file{"e.json", ents(rec(`"rights":2`))[:150], 0o600},
			args: []string{"-entitlements", "$F"}, code: 2, want: []string{"$F"}},
		{name: "missing entitlements file", args: []string{"-entitlements", "$D/none.json"}, code: 2, want: []string{"-entitlements", "$D/none.json"}},

		{name: "malformed journal", file: &file{"journal.jsonl", "{not json}\n{\"also\":1}\n", 0o600},
			args: []string{"-reclaim", "-max-reclaim", "0", "-journal", "$F"}, code: 2, want: []string{"journal", "$F", "line 1"}},
		{name: "journal with a bad entry in the middle", file: &file{"journal.jsonl",
			`{"time":"2026-03-01T00:00:00Z","run_id":"r1","profile":"p","user_id":"1","email":"a@example.com","action":"disable","outcome":"nuked","error":""}` + "\n" +
				`{"time":"2026-03-01T00:00:00Z","run_id":"r1","profile":"p","user_id":"1","email":"a@example.com","action":"disable","outcome":"applied","error":""}` + "\n", 0o600},
			args: []string{"-reclaim", "-max-reclaim", "0", "-journal", "$F"}, code: 2, want: []string{"journal", "$F:1"}},
		{name: "journal that is a directory", args: []string{"-reclaim", "-max-reclaim", "0", "-journal", "$D"}, code: 2, want: []string{"journal", "$D", "is a directory"}},

		{name: "token file readable by others", file: &file{"token.json", `{"access_token":"` + relSecret(t, "at-") + `"}`, 0o644},
			args: []string{"-token-file", "$F"}, code: 2, want: []string{"$F", "0644", "chmod 600"}},
		{name: "token file of garbage", file: &file{"token.json", "garbage " + relSecret(t, "at-"), 0o600},
			args: []string{"-token-file", "$F"}, code: 2, want: []string{"$F", "not valid JSON"}},
		{name: "empty token file", file: &file{"token.json", "", 0o600},
			args: []string{"-token-file", "$F"}, code: 2, want: []string{"$F", "empty"}},
		{name: "token file without an access token", file: &file{"token.json", `{"refresh_token":"` + relSecret(t, "rt-") + `"}`, 0o600},
			args: []string{"-token-file", "$F"}, code: 2, want: []string{"$F", "access_token"}},
		{name: "missing token file", args: []string{"-token-file", "$D/none.json"}, code: 2, want: []string{"$D/none.json"}},

		{name: "-inactive-days 0", args: []string{"-inactive-days", "0"}, code: 2, want: []string{"-inactive-days"}},
		{name: "-inactive-days not a number", args: []string{"-inactive-days", "ninety"}, code: 2, want: []string{"-inactive-days"}},
		{name: "-format xml", args: []string{"-format", "xml"}, code: 2, want: []string{"-format", "xml"}},
		{name: "-max-reclaim negative", args: []string{"-max-reclaim", "-1"}, code: 2, want: []string{"-max-reclaim"}},
		{name: "-now not a time", args: []string{"-now", "yesterday"}, code: 2, want: []string{"-now", "RFC 3339"}},
		{name: "-aha-url plain http off loopback", args: []string{"-aha-url", "http://acme.aha.io"}, code: 2, want: []string{"-aha-url", "plain http"}},
		{name: "-aha-url private-range http", args: []string{"-aha-url", "http://10.0.0.1"}, code: 2, want: []string{"-aha-url", "plain http"}},
		{name: "-aha-url with credentials", args: []string{"-aha-url", "https://user:" + urlSecret + "@acme.aha.io"}, code: 2, want: []string{"-aha-url"}},
		{name: "-aha-url ftp", args: []string{"-aha-url", "ftp://acme.aha.io"}, code: 2, want: []string{"-aha-url", "ftp"}},
		{name: "-rate above Aha!'s limit", args: []string{"-rate", "50"}, code: 2, want: []string{"-rate"}},
		{name: "-rate-per-minute above Aha!'s limit", args: []string{"-rate-per-minute", "1000"}, code: 2, want: []string{"-rate-per-minute"}},
		{name: "-reclaim-mode unknown", args: []string{"-reclaim-mode", "nuke"}, code: 2, want: []string{"-reclaim-mode", "nuke"}},
		{name: "-v with -quiet", args: []string{"-v"}, code: 2, want: []string{"-v", "-quiet"}},
		{name: "unknown flag", args: []string{"-frobnicate"}, code: 2, want: []string{"-frobnicate"}},
		{name: "stray argument", args: []string{"extra"}, code: 2, want: []string{"extra"}},
		{name: "missing -protect-file", args: []string{"-protect-file", "$D/none.txt"}, code: 2, want: []string{"-protect-file", "$D/none.txt"}},
		{name: "-protect-file with two per line", file: &file{"protect.txt", "a@example.com b@example.com\n", 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "line 1"}},
		{name: "-protect-file entry not an email", file: &file{"protect.txt", "# list\nceo@example.com\nthe cfo\n", 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "line 3", `"the cfo"`}},
		{name: "-protect-file email without a domain", file: &file{"protect.txt", "ceo@acme\n", 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "line 1", `"ceo@acme"`, "not an email"}},
		{name: "-protect-file invalid UTF-8", file: &file{"protect.txt", "ceo@example.com\n\xff\xfe@example.com\n", 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "line 2", "UTF-8"}},
		{name: "-protect-file of one huge line", file: &file{"protect.txt", "ceo@example.com\n" + strings.Repeat("x", 2<<20) + "\n", 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "line 2", "longer than 254"}},
		{name: "-protect-file of many megabytes", file: &file{"protect.txt", strings.Repeat("someone@example.com\n", (9<<20)/20), 0o600},
			args: []string{"-protect-file", "$F"}, code: 2, want: []string{"$F", "larger than 8388608 bytes"}},
		{name: "-protect entry not an email", args: []string{"-protect", "ceo@example.com, not an email"}, code: 2,
			want: []string{"-protect", "entry 2", `"not an email"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newRelFake(t, nil, nil)
			path := ""
			if tc.file != nil {
				path = filepath.Join(f.dir, tc.file.name)
				if err := os.WriteFile(path, []byte(tc.file.data), tc.file.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.file.mode); err != nil {
					t.Fatal(err)
				}
			}
			expand := func(s string) string {
				return strings.ReplaceAll(strings.ReplaceAll(s, "$F", path), "$D", f.dir)
			}
			// The suite's flags first, so that the case's own win.
			args := append([]string{}, relArgs...)
			for _, a := range tc.args {
				args = append(args, expand(a))
			}
			if tc.name == "-v with -quiet" {
				args = append(args, "-quiet")
			}
			r := f.run(context.Background(), nil, args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("bad input produced a report:\n%.300s", r.stdout)
			}
			first := strings.SplitN(r.stderr, "\n", 2)[0]
			for _, w := range tc.want {
				if w = expand(w); !strings.Contains(first, w) {
					t.Errorf("message does not name %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, urlSecret) {
				t.Error("the password in -aha-url appears in the message")
			}
			if tc.file != nil && strings.HasPrefix(tc.file.name, "token") && strings.Contains(r.stderr, tc.file.data) && tc.file.data != "" {
				t.Error("the token file's content appears in the message")
			}
			st := f.srv.Stats()
			if !tc.requests && st.Requests != 0 {
				t.Errorf("the fake saw %d requests (%v); bad input must stop the run before any", st.Requests, st.ByRoute)
			}
			checkNoMutation(t, f)
		})
	}
}

// TestEmptyJournalIsNew pins what an empty journal file means: a journal
// with no entries yet (what a run killed before its first action leaves,
// or `touch`), not bad input. A file of blank lines is the same. The
// -reclaim run goes ahead and records its actions there, and a second run
// on the same file sends no second PUT.
func TestEmptyJournalIsNew(t *testing.T) {
	t.Parallel()
	all := relCandidates(t, relBaseline(t))
	ids := slices.Sorted(maps.Keys(all))
	protect := strings.Join(ids[2:], ",") // two actions keep the run short
	for _, content := range []string{"", "\n\n  \n"} {
		f := newRelFake(t, nil, nil)
		journal := filepath.Join(f.dir, "journal.jsonl")
		if err := os.WriteFile(journal, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-protect", protect}, relArgs...)
		if r := f.run(context.Background(), nil, args...); r.code != 0 {
			t.Fatalf("journal %q: exit %d, want 0; stderr:\n%s", content, r.code, r.stderr)
		}
		done := journalDone(t, journal)
		if len(done) != 2 || done[ids[0]] != 1 || done[ids[1]] != 1 {
			t.Errorf("journal %q: done entries %v, want one for each of %v", content, done, ids[:2])
		}
		puts := f.srv.Stats().ByRoute[rPut]
		if r := f.run(context.Background(), nil, args...); r.code != 0 {
			t.Fatalf("second run: exit %d; stderr:\n%s", r.code, r.stderr)
		}
		if again := f.srv.Stats().ByRoute[rPut] - puts; again != 0 {
			t.Errorf("journal %q: the second run sent %d PUTs for actions the journal records done", content, again)
		}
	}
}
