package reclaim

import (
	"errors"
	"os"
	"path/filepath"
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
		// after is the file's content once opened (torn line cut off,
		// missing newline added).
		after string
	}{
		{name: "empty", content: "", after: ""},
		{name: "complete", content: line1 + "\n" + line2 + "\n", want: []Outcome{Attempt, Applied}, after: line1 + "\n" + line2 + "\n"},
		{name: "blank lines", content: "\n" + line1 + "\n  \n" + line2 + "\n\n", want: []Outcome{Attempt, Applied}, after: "\n" + line1 + "\n  \n" + line2 + "\n\n"},
		{name: "torn last line", content: line1 + "\n" + line2[:40], want: []Outcome{Attempt}, tornLine: 2, after: line1 + "\n"},
		{name: "torn by zeros", content: line1 + "\n" + "\x00\x00\x00\x00\n", want: []Outcome{Attempt}, tornLine: 2, after: line1 + "\n"},
		{name: "newline lost", content: line1 + "\n" + line2, want: []Outcome{Attempt, Applied}, after: line1 + "\n" + line2 + "\n"},
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
			case tt.tornLine != 0 && (torn == nil || torn.Line != tt.tornLine || torn.Path != path):
				t.Errorf("Torn() = %v, want line %d of %s", torn, tt.tornLine, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(data); got != tt.after {
				t.Errorf("file after open = %q, want %q", got, tt.after)
			}
			// Appending after the repair yields a readable journal.
			e := Entry{Time: t0, RunID: "r2", Profile: "p", UserID: "2", Action: sam.ReclaimDisable, Outcome: Planned}
			if err := j.Append(e); err != nil {
				t.Fatal(err)
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

func TestOpenJournalMalformedMiddleLine(t *testing.T) {
	for name, bad := range map[string]string{
		"not json":        `{"time":`,
		"unknown outcome": strings.Replace(line2, `"applied"`, `"done"`, 1),
		"unknown action":  strings.Replace(line2, `"disable"`, `"delete"`, 1),
		"no user":         strings.Replace(line2, `"user_id":"1"`, `"user_id":""`, 1),
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
