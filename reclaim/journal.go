package reclaim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/samspoke/samspoke/sam"
)

// Outcome is the state of an action, as journaled and reported.
type Outcome string

// Outcomes. Planned and Attempt appear only in the journal; the others are
// the results Apply reports.
const (
	// Planned records that a run intends the action.
	Planned Outcome = "planned"
	// Attempt is written, and flushed to disk, just before the vendor is
	// called. An attempt with no outcome after it is an interrupted
	// action, whose outcome is unknown: the run was killed during the
	// call, or its context ended during the call and the one re-read that
	// would have told the outcome failed too. An interrupted action never
	// counts as done and never blocks: the next run that plans the user
	// re-reads it, and reports already_applied when the seat is free (the
	// reason names the interrupted run) or attempts it again. A user the
	// vendor did free is no longer a candidate: the next run re-reads it
	// all the same and journals already_applied (or canceled, when the
	// call did not take effect), so no attempt stays the journal's last
	// word (see [Report.Resolved]).
	Attempt Outcome = "attempt"
	// Applied means the vendor call freed the seat.
	Applied Outcome = "applied"
	// AlreadyApplied means the seat was already free: disabled by someone
	// else, or freed by an earlier run.
	AlreadyApplied Outcome = "already_applied"
	// Canceled means the re-read user was no longer a safe target; the
	// reason says why.
	Canceled Outcome = "canceled"
	// Failed means the re-read or the vendor call failed, and the seat
	// was not found free after the call; the next run tries again.
	Failed Outcome = "failed"
	// SkippedCap means the plan was larger than the cap and nothing was
	// applied.
	SkippedCap Outcome = "skipped_cap"
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	switch o {
	case Planned, Attempt, Applied, AlreadyApplied, Canceled, Failed, SkippedCap:
		return true
	}
	return false
}

// Done reports whether the outcome means the seat was freed (applied or
// already applied).
func (o Outcome) Done() bool { return o == Applied || o == AlreadyApplied }

// Entry is one line of the journal.
type Entry struct {
	// Time is when the line was written, in UTC.
	Time time.Time `json:"time"`
	// RunID identifies the Apply run that wrote the line.
	RunID   string `json:"run_id"`
	Profile string `json:"profile"`
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	// Action is the plan's reclaim mode, as named ("disable", or a
	// vendor's own, such as "remove_license"; see [ValidMode]).
	Action  sam.ReclaimMode `json:"action"`
	Outcome Outcome         `json:"outcome"`
	// Error is the failure, for outcome failed; empty otherwise.
	Error string `json:"error"`
	// Reason says why an action was canceled, skipped or already applied,
	// or, on an attempt and its outcome, why a seat freed by an earlier
	// run is reclaimed again (see [Options.ReclaimAgainAfter]).
	Reason string `json:"reason,omitempty"`
}

// MarshalJSON writes the entry with its time in UTC, RFC 3339.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	p := plain(e)
	p.Time = p.Time.UTC()
	return json.Marshal(p)
}

// ParseEntry decodes and checks one journal line (without its newline): a
// single JSON object with a time, a run id, a user id, a known action and a
// known outcome.
func ParseEntry(line []byte) (Entry, error) {
	type plain Entry
	var p plain
	if err := json.Unmarshal(line, &p); err != nil {
		return Entry{}, fmt.Errorf("not a journal entry: %w", err)
	}
	e := Entry(p)
	switch {
	case e.Time.IsZero():
		return Entry{}, errors.New("journal entry has no time")
	case e.RunID == "":
		return Entry{}, errors.New("journal entry has no run_id")
	case e.UserID == "":
		return Entry{}, errors.New("journal entry has no user_id")
	case e.Action == "":
		return Entry{}, errors.New("journal entry has no action")
	case e.Outcome == "":
		return Entry{}, errors.New("journal entry has no outcome")
	case !ValidMode(e.Action):
		return Entry{}, fmt.Errorf("journal entry has action %q, which is not a reclaim mode name", e.Action)
	case !e.Outcome.Valid():
		return Entry{}, fmt.Errorf("journal entry has unknown outcome %q", e.Outcome)
	}
	e.Time = e.Time.UTC()
	if y := e.Time.Year(); y < 1 || y > 9999 {
		// A journal this program wrote holds times it can write again.
		return Entry{}, fmt.Errorf("journal entry time %s is outside the years 1 to 9999", e.Time.Format(time.RFC3339))
	}
	return e, nil
}

// ErrJournalLocked is returned (wrapped; test it with [errors.Is]) by
// [OpenJournal] when another [Journal], in this process or another, holds
// the file open: another run is using the journal. Two runs applying from
// one journal at once would each attempt every action.
var ErrJournalLocked = errors.New("another run is using the journal; wait for it to end, or use another journal")

// LineError reports a complete journal line (one that ends in a newline,
// or any line but the last) that cannot be read as an entry. The file is
// left as it is.
type LineError struct {
	Path string
	// Line is the 1-based line number.
	Line int
	Err  error
}

// Error returns "path:line: reason".
func (e *LineError) Error() string {
	return fmt.Sprintf("reclaim: journal %s:%d: %v", e.Path, e.Line, e.Err)
}

// Unwrap returns the decoding error.
func (e *LineError) Unwrap() error { return e.Err }

// NotJournalError reports a non-empty file in which no line is a journal
// entry: most likely another file given as the journal by mistake. The file
// is left as it is: nothing is written to it or cut off it.
type NotJournalError struct {
	Path string
	// Line is the 1-based number of the first line that is not an entry.
	Line int
	// Err says why that line is not an entry.
	Err error
}

// Error names the file and the first offending line, and says what to do.
func (e *NotJournalError) Error() string {
	return fmt.Sprintf("reclaim: %s does not look like a samspoke journal: line %d: %v; pass a new path or move it aside", e.Path, e.Line, e.Err)
}

// Unwrap returns the reason the line is not an entry.
func (e *NotJournalError) Unwrap() error { return e.Err }

// TornLine is the last line of a journal as a run killed while writing it
// left it: no newline at its end, not a whole JSON value, and the start of
// a line as the journal writes them (or only NUL bytes, as some file
// systems leave an interrupted write).
//
// The journal sets it aside by cutting the file back to [TornLine.Offset],
// and only just before its first write: opening a journal never changes the
// file, and nothing but this line is ever cut off.
type TornLine struct {
	Path string
	// Line is the 1-based line number.
	Line int
	// Offset is where the line starts in the file.
	Offset int64
	// Text is the line as found.
	Text []byte
	// Removed reports whether the line has been cut off the file (by the
	// journal's first [Journal.Append]).
	Removed bool
}

// Excerpt returns the first n bytes of the line, with "..." after them
// when the line is longer. Text with NUL, control or invalid UTF-8 bytes is
// quoted as a Go string, so that those bytes show.
func (t *TornLine) Excerpt(n int) string {
	n = max(n, 0)
	text, more := t.Text, ""
	if len(text) > n {
		for n > 0 && !utf8.RuneStart(text[n]) {
			n-- // do not split a character
		}
		text, more = text[:n], "..."
	}
	s := string(text)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		s = strconv.Quote(s)
	}
	return s + more
}

// String returns "path:line: cut-off line <first 80 bytes>".
func (t *TornLine) String() string {
	return fmt.Sprintf("%s:%d: cut-off line %s", t.Path, t.Line, t.Excerpt(80))
}

// linePrefix is how every line the journal writes starts (see
// [Entry.MarshalJSON]: time is the first field).
const linePrefix = `{"time":"`

// looksTorn reports whether an unterminated last line that is not an entry
// is what a write cut short leaves: a prefix of a journal line, or zeros.
func looksTorn(text []byte) bool {
	if json.Valid(text) {
		return false // a whole value: someone else's line, not a cut one
	}
	if len(bytes.Trim(text, "\x00")) == 0 {
		return true
	}
	if len(text) >= len(linePrefix) {
		return bytes.HasPrefix(text, []byte(linePrefix))
	}
	return bytes.HasPrefix([]byte(linePrefix), text)
}

// Status is the journal's history of one user in one profile.
type Status struct {
	// Last is the most recent entry other than planned.
	Last Entry
	// Done is the most recent applied or already_applied entry, or nil
	// when the seat was never recorded freed. Once set, the user is not
	// reclaimed again through this journal until the entry is older than
	// [Options.ReclaimAgainAfter] (never, when that is 0).
	Done *Entry
}

// Interrupted reports whether the last entry is an attempt with no
// outcome: the outcome of the vendor call is unknown (see [Attempt]).
func (s Status) Interrupted() bool { return s.Last.Outcome == Attempt }

type userKey struct{ profile, user string }

// Journal is a durable, append-only JSON lines record of reclaim actions.
// Each [Journal.Append] is flushed to disk (fsync) before it returns.
//
// A Journal is safe for concurrent use. It holds an exclusive advisory lock
// on its file from [OpenJournal] to [Journal.Close] (flock(2) on Unix;
// there is no lock on platforms without it, see lock_other.go), so a second
// run on the same journal is refused with [ErrJournalLocked] instead of
// repeating every action.
type Journal struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	entries []Entry
	status  map[userKey]*Status
	// torn is the cut-off last line found at open, or nil; the first
	// Append cuts it off the file.
	torn *TornLine
	// unended is true when the last line is an entry whose newline was
	// lost; the first Append ends it.
	unended bool
}

// OpenJournal opens the journal at path, creating it (mode 0600) when
// missing, locks it for this Journal's lifetime, and reads every line
// already in it. When another Journal holds the lock, OpenJournal does not
// wait: it returns an error wrapping [ErrJournalLocked].
//
// Opening never changes an existing file. Blank lines are ignored. A
// non-empty file in which no line is an entry is refused with a
// *[NotJournalError]; a journal with a complete line (ended by a newline)
// that is not an entry is refused with a *[LineError] naming the file and
// line. Only a last line without a newline that looks like a journal line
// cut short by a killed run is taken as torn: it is reported by
// [Journal.Torn] and cut off the file by the first [Journal.Append], which
// also ends a last entry whose newline was lost.
func OpenJournal(path string) (*Journal, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("reclaim: open journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrJournalLocked) {
			return nil, fmt.Errorf("reclaim: journal %s: %w", path, err)
		}
		return nil, fmt.Errorf("reclaim: lock journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f, status: map[userKey]*Status{}}
	if err := j.load(); err != nil {
		f.Close()
		return nil, err
	}
	if created {
		// Make the new file's directory entry durable too. Best effort:
		// not every platform can sync a directory.
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync() // best effort, as said above
			d.Close()
		}
	}
	return j, nil
}

// load reads the file and checks every line before it records any entry.
// It does not write.
func (j *Journal) load() error {
	data, err := io.ReadAll(io.NewSectionReader(j.f, 0, 1<<62))
	if err != nil {
		return fmt.Errorf("reclaim: read journal %s: %w", j.path, err)
	}
	type line struct {
		n     int
		start int64
		text  []byte
		ended bool
	}
	var lines []line
	var off int64
	for n := 1; len(data) > 0; n++ {
		text, rest, ended := bytes.Cut(data, []byte("\n"))
		if len(bytes.TrimSpace(text)) > 0 {
			lines = append(lines, line{n: n, start: off, text: text, ended: ended})
		}
		off += int64(len(text))
		if ended {
			off++
		}
		data = rest
	}
	var (
		entries  []Entry
		firstBad *LineError
	)
	for i, l := range lines {
		e, err := ParseEntry(l.text)
		if err == nil {
			entries = append(entries, e)
			continue
		}
		if i == len(lines)-1 && !l.ended && looksTorn(l.text) {
			j.torn = &TornLine{Path: j.path, Line: l.n, Offset: l.start, Text: bytes.Clone(l.text)}
			continue
		}
		if firstBad == nil {
			firstBad = &LineError{Path: j.path, Line: l.n, Err: err}
		}
	}
	if firstBad != nil {
		if len(entries) == 0 {
			return &NotJournalError{Path: j.path, Line: firstBad.Line, Err: firstBad.Err}
		}
		return firstBad
	}
	j.unended = j.torn == nil && len(lines) > 0 && !lines[len(lines)-1].ended
	for _, e := range entries {
		j.record(e)
	}
	return nil
}

// record updates the in-memory view; j.mu must be held (or j unshared).
func (j *Journal) record(e Entry) {
	j.entries = append(j.entries, e)
	if e.Outcome == Planned {
		return
	}
	k := userKey{e.Profile, e.UserID}
	s := j.status[k]
	if s == nil {
		s = &Status{}
		j.status[k] = s
	}
	s.Last = e
	if e.Outcome.Done() {
		d := e
		s.Done = &d
	}
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Torn returns a copy of the torn last line found when the journal was
// opened, or nil. [TornLine.Removed] says whether it has been cut off the
// file yet (the first [Journal.Append] does it).
func (j *Journal) Torn() *TornLine {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.torn == nil {
		return nil
	}
	t := *j.torn
	t.Text = bytes.Clone(t.Text)
	return &t
}

// Entries returns a copy of every entry, oldest first.
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Entry(nil), j.entries...)
}

// Status returns the history of one user in one profile; ok is false when
// the journal holds nothing but planned entries for the user.
func (j *Journal) Status(profile, userID string) (s Status, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.status[userKey{profile, userID}]
	if p == nil {
		return Status{}, false
	}
	s = *p
	if s.Done != nil {
		d := *s.Done
		s.Done = &d
	}
	return s, true
}

// Interrupted returns, for each user of profile whose last entry is an
// attempt with no outcome (see [Status.Interrupted]), that attempt, oldest
// first (ties by user id).
func (j *Journal) Interrupted(profile string) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	for k, s := range j.status {
		if k.profile == profile && s.Interrupted() {
			out = append(out, s.Last)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	return out
}

// Append writes the entries, one line each, and flushes the file to disk
// before returning. Entries that do not pass [ParseEntry]'s checks are
// refused, and nothing is written.
//
// The first Append sets a torn last line aside (see [TornLine]) by cutting
// the file back to where that line starts, and ends a last entry whose
// newline was lost, before writing.
func (j *Journal) Append(entries ...Entry) error {
	entries = slices.Clone(entries)
	var buf bytes.Buffer
	for i := range entries {
		entries[i].Time = entries[i].Time.UTC()
		b, err := json.Marshal(entries[i])
		if err != nil {
			return fmt.Errorf("reclaim: encode journal entry: %w", err)
		}
		if _, err := ParseEntry(b); err != nil {
			return fmt.Errorf("reclaim: refusing to journal user %q: %w", entries[i].UserID, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("reclaim: journal %s is closed", j.path)
	}
	if j.torn != nil && !j.torn.Removed {
		if err := j.f.Truncate(j.torn.Offset); err != nil {
			return fmt.Errorf("reclaim: cut the torn last line off journal %s: %w", j.path, err)
		}
		j.torn.Removed = true
	}
	out := buf.Bytes()
	if j.unended {
		out = append([]byte("\n"), out...)
	}
	if _, err := j.f.Write(out); err != nil {
		return fmt.Errorf("reclaim: write journal %s: %w", j.path, err)
	}
	j.unended = false
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("reclaim: sync journal %s: %w", j.path, err)
	}
	for _, e := range entries {
		j.record(e)
	}
	return nil
}

// Close closes the file, which releases the journal's lock. The entries
// stay readable.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
