package reclaim

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

const (
	line1 = `{"time":"2026-03-01T12:00:00Z","run_id":"r1","profile":"p","user_id":"1","email":"a@example.com","action":"disable","outcome":"attempt","error":""}`
	line2 = `{"time":"2026-03-01T12:00:01Z","run_id":"r1","profile":"p","user_id":"1","email":"a@example.com","action":"disable","outcome":"applied","error":""}`
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func outcomesOf(j *Journal) []Outcome {
	var out []Outcome
	for _, e := range j.Entries() {
		out = append(out, e.Outcome)
	}
	return out
}

func TestOpenJournal(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		want     []Outcome
		tornLine int
		tornText string
		// repaired is the file's content once the first Append has
		// prepared it (torn line cut off, missing newline added), without
		// the appended line. Opening alone never changes the file.
		repaired string
	}{
		{name: "empty", content: "", repaired: ""},
		{name: "complete", content: line1 + "\n" + line2 + "\n", want: []Outcome{Attempt, Applied}, repaired: line1 + "\n" + line2 + "\n"},
		{name: "blank lines", content: "\n" + line1 + "\n  \n" + line2 + "\n\n", want: []Outcome{Attempt, Applied}, repaired: "\n" + line1 + "\n  \n" + line2 + "\n\n"},
		{name: "torn last line", content: line1 + "\n" + line2[:40], want: []Outcome{Attempt}, tornLine: 2, tornText: line2[:40], repaired: line1 + "\n"},
		{name: "torn within the first field", content: line1 + "\n" + `{"ti`, want: []Outcome{Attempt}, tornLine: 2, tornText: `{"ti`, repaired: line1 + "\n"},
		{name: "torn by zeros", content: line1 + "\n" + "\x00\x00\x00\x00", want: []Outcome{Attempt}, tornLine: 2, tornText: "\x00\x00\x00\x00", repaired: line1 + "\n"},
		{name: "torn first write", content: line2[:30], tornLine: 1, tornText: line2[:30], repaired: ""},
		{name: "newline lost", content: line1 + "\n" + line2, want: []Outcome{Attempt, Applied}, repaired: line1 + "\n" + line2 + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			if diff := cmp.Diff(tt.want, outcomesOf(j)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			switch torn := j.Torn(); {
			case tt.tornLine == 0 && torn != nil:
				t.Errorf("Torn() = %v, want nil", torn)
			case tt.tornLine != 0 && torn == nil:
				t.Errorf("Torn() = nil, want line %d", tt.tornLine)
			case tt.tornLine != 0:
				want := &TornLine{Path: path, Line: tt.tornLine, Offset: int64(len(tt.repaired)), Text: []byte(tt.tornText)}
				if diff := cmp.Diff(want, torn); diff != "" {
					t.Errorf("Torn() (-want +got):\n%s", diff)
				}
			}
			if got := readFile(t, path); got != tt.content {
				t.Errorf("opening changed the file to %q, want it left as %q", got, tt.content)
			}

			// The first Append repairs the file, then appends.
			e := Entry{Time: t0, RunID: "r2", Profile: "p", UserID: "2", Action: sam.ReclaimDisable, Outcome: Planned}
			if err := j.Append(e); err != nil {
				t.Fatal(err)
			}
			newLine := `{"time":"2026-03-01T12:00:00Z","run_id":"r2","profile":"p","user_id":"2","email":"","action":"disable","outcome":"planned","error":""}` + "\n"
			if got, want := readFile(t, path), tt.repaired+newLine; got != want {
				t.Errorf("file after Append = %q, want %q", got, want)
			}
			if torn := j.Torn(); tt.tornLine != 0 && !torn.Removed {
				t.Error("Torn().Removed = false after Append")
			}
			j.Close()
			j2, err := OpenJournal(path)
			if err != nil {
				t.Fatalf("reopen after append: %v", err)
			}
			defer j2.Close()
			if got, want := len(j2.Entries()), len(tt.want)+1; got != want || j2.Torn() != nil {
				t.Errorf("reopened: %d entries (torn %v), want %d and none torn", got, j2.Torn(), want)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestOpenJournalRefuses: a file that is not a journal, or a journal with a
// complete line that is not an entry, is refused and left byte for byte as
// it was; only an unterminated, journal-shaped last line counts as torn.
func TestOpenJournalRefuses(t *testing.T) {
	const ents = `{"entitlements":[{"profile":"Aha! prod","model":"Aha! Roadmaps","quantity":25,"unit_cost":"59.00","currency":"USD"}]}`
	noRunID := strings.Replace(line1, `"run_id":"r1",`, ``, 1)
	tests := []struct {
		name    string
		content string
		// notJournal is true for a *NotJournalError, false for a
		// *LineError.
		notJournal bool
		line       int
		reason     string
	}{
		{name: "other JSON", content: `{"not":"a journal"}` + "\n", notJournal: true, line: 1, reason: "no time"},
		{name: "other JSON without newline", content: `{"not":"a journal"}`, notJournal: true, line: 1, reason: "no time"},
		{name: "minified entitlements", content: ents + "\n", notJournal: true, line: 1, reason: "no time"},
		{name: "minified entitlements without newline", content: ents, notJournal: true, line: 1, reason: "no time"},
		{name: "text", content: "not json\n", notJournal: true, line: 1, reason: "not a journal entry"},
		{name: "csv", content: "email,seats\na@example.com,1\n", notJournal: true, line: 1, reason: "not a journal entry"},
		{name: "entries without run id", content: noRunID + "\n" + noRunID + "\n", notJournal: true, line: 1, reason: "no run_id"},
		{name: "entry without outcome", content: strings.Replace(line1, `"outcome":"attempt",`, ``, 1), notJournal: true, line: 1, reason: "no outcome"},
		{name: "last line text", content: line1 + "\n" + "not json\n", line: 2, reason: "not a journal entry"},
		{name: "last line text without newline", content: line1 + "\n" + "not json", line: 2, reason: "not a journal entry"},
		{name: "last line other JSON without newline", content: line1 + "\n" + `{"not":"a journal"}`, line: 2, reason: "no time"},
		{name: "cut line ended by a newline", content: line1 + "\n" + line2[:40] + "\n", line: 2, reason: "not a journal entry"},
		{name: "zeros ended by a newline", content: line1 + "\n" + "\x00\x00\n", line: 2, reason: "not a journal entry"},
		{name: "first line foreign", content: "# my notes\n" + line1 + "\n", line: 1, reason: "not a journal entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			j, err := OpenJournal(path)
			if err == nil {
				j.Close()
				t.Fatal("OpenJournal succeeded, want it refused")
			}
			var (
				nj *NotJournalError
				le *LineError
			)
			switch {
			case tt.notJournal && !errors.As(err, &nj):
				t.Errorf("err = %v (%T), want a *NotJournalError", err, err)
			case tt.notJournal && (nj.Path != path || nj.Line != tt.line):
				t.Errorf("NotJournalError names %s:%d, want %s:%d", nj.Path, nj.Line, path, tt.line)
			case tt.notJournal:
				want := path + " does not look like a samspoke journal: line " + strconv.Itoa(tt.line) + ": "
				if msg := err.Error(); !strings.Contains(msg, want) || !strings.HasSuffix(msg, "; pass a new path or move it aside") {
					t.Errorf("error %q, want it to contain %q and end with the advice", msg, want)
				}
			case !errors.As(err, &le):
				t.Errorf("err = %v (%T), want a *LineError", err, err)
			case le.Path != path || le.Line != tt.line:
				t.Errorf("LineError names %s:%d, want %s:%d", le.Path, le.Line, path, tt.line)
			case !strings.Contains(err.Error(), path+":"+strconv.Itoa(tt.line)+":"):
				t.Errorf("error %q does not name %s:%d", err, path, tt.line)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			if got := readFile(t, path); got != tt.content {
				t.Errorf("a refused file was changed to %q, want %q", got, tt.content)
			}
		})
	}
}

func TestOpenJournalMalformedMiddleLine(t *testing.T) {
	for name, bad := range map[string]string{
		"not json":        `{"time":`,
		"unknown outcome": strings.Replace(line2, `"applied"`, `"done"`, 1),
		"not a mode name": strings.Replace(line2, `"disable"`, `"Delete user"`, 1),
		"no user":         strings.Replace(line2, `"user_id":"1"`, `"user_id":""`, 1),
		"no run id":       strings.Replace(line2, `"run_id":"r1",`, ``, 1),
		"no time":         strings.Replace(line2, `"time":"2026-03-01T12:00:01Z",`, ``, 1),
		"two objects":     line1 + line2,
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, line1+"\n"+bad+"\n"+line2+"\n")
			j, err := OpenJournal(path)
			if err == nil {
				j.Close()
				t.Fatal("OpenJournal succeeded, want an error")
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || le.Path != path {
				t.Fatalf("err = %v, want a *LineError for line 2 of %s", err, path)
			}
			if !strings.Contains(err.Error(), path+":2:") {
				t.Errorf("error %q does not name %s:2", err, path)
			}
		})
	}
}

func TestOpenJournalCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 (the journal holds emails)", fi.Mode().Perm())
	}
	if _, err := OpenJournal(filepath.Join(t.TempDir(), "missing", "j.jsonl")); err == nil {
		t.Error("OpenJournal in a missing directory succeeded")
	}
}

func TestJournalStatus(t *testing.T) {
	j := openTemp(t)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	e := func(s int, user string, o Outcome) Entry {
		return Entry{Time: at(s), RunID: "r", Profile: "p", UserID: user, Action: sam.ReclaimDisable, Outcome: o}
	}
	if err := j.Append(e(1, "1", Planned), e(2, "1", Attempt), e(3, "1", Applied), e(4, "1", Planned), e(5, "1", Canceled), e(6, "2", Attempt), e(7, "3", Planned)); err != nil {
		t.Fatal(err)
	}
	s1, ok := j.Status("p", "1")
	if !ok || s1.Last.Outcome != Canceled || s1.Done == nil || !s1.Done.Time.Equal(at(3)) || s1.Interrupted() {
		t.Errorf("status of 1 = %+v, %v; want last canceled, done at %v", s1, ok, at(3))
	}
	if s2, _ := j.Status("p", "2"); !s2.Interrupted() || s2.Done != nil {
		t.Errorf("status of 2 = %+v, want an interrupted attempt", s2)
	}
	if s3, ok := j.Status("p", "3"); ok {
		t.Errorf("status of 3 = %+v, want none (planned only)", s3)
	}
	if _, ok := j.Status("other", "1"); ok {
		t.Error("status is not per profile")
	}
}

func TestJournalAppend(t *testing.T) {
	j := openTemp(t)
	paris := time.FixedZone("CET", 3600)
	good := Entry{Time: t0.In(paris), RunID: "r", Profile: "p", UserID: "1", Action: sam.ReclaimDisable, Outcome: Failed, Error: "503"}
	bad := good
	bad.UserID = ""
	if err := j.Append(good, bad); err == nil {
		t.Fatal("Append accepted an entry without a user id")
	}
	if len(j.Entries()) != 0 {
		t.Fatal("a refused Append wrote entries")
	}
	if err := j.Append(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-03-01T12:00:00Z","run_id":"r","profile":"p","user_id":"1","email":"","action":"disable","outcome":"failed","error":"503"}` + "\n"
	if string(data) != want {
		t.Errorf("file = %q, want %q", data, want)
	}
	if good.Time.Location() != paris {
		t.Error("Append changed the caller's entry")
	}
	j.Close()
	if err := j.Append(good); err == nil {
		t.Error("Append on a closed journal succeeded")
	}
}

func TestTornLineExcerpt(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{text: `{"time":"2026`, n: 80, want: `{"time":"2026`},
		{text: `{"time":"2026-03-01`, n: 9, want: `{"time":"...`},
		{text: "\x00\x00", n: 80, want: `"\x00\x00"`},
		{text: `{"time":"x","email":"zoë`, n: 24, want: `{"time":"x","email":"zo...`},
		{text: "abc", n: -1, want: "..."},
	}
	for _, tt := range tests {
		tl := &TornLine{Text: []byte(tt.text)}
		if got := tl.Excerpt(tt.n); got != tt.want {
			t.Errorf("Excerpt(%d) of %q = %q, want %q", tt.n, tt.text, got, tt.want)
		}
	}
}
