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
	"sync"
	"time"

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
	// called. An attempt with no outcome after it means the run was killed
	// during the call.
	Attempt Outcome = "attempt"
	// Applied means the vendor call freed the seat.
	Applied Outcome = "applied"
	// AlreadyApplied means the seat was already free: disabled by someone
	// else, or freed by an earlier run.
	AlreadyApplied Outcome = "already_applied"
	// Canceled means the re-read user was no longer a safe target; the
	// reason says why.
	Canceled Outcome = "canceled"
	// Failed means the re-read or the vendor call failed; the next run
	// tries again.
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
	RunID   string          `json:"run_id"`
	Profile string          `json:"profile"`
	UserID  string          `json:"user_id"`
	Email   string          `json:"email"`
	Action  sam.ReclaimMode `json:"action"`
	Outcome Outcome         `json:"outcome"`
	// Error is the failure, for outcome failed; empty otherwise.
	Error string `json:"error"`
	// Reason says why an action was canceled, skipped or already applied.
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
// single JSON object with a time, a user id, a known action and a known
// outcome.
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
	case e.UserID == "":
		return Entry{}, errors.New("journal entry has no user_id")
	case !ValidMode(e.Action):
		return Entry{}, fmt.Errorf("journal entry has unknown action %q", e.Action)
	case !e.Outcome.Valid():
		return Entry{}, fmt.Errorf("journal entry has unknown outcome %q", e.Outcome)
	}
	e.Time = e.Time.UTC()
	return e, nil
}

// LineError reports a journal line that cannot be read.
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

// Status is the journal's history of one user in one profile.
type Status struct {
	// Last is the most recent entry other than planned.
	Last Entry
	// Done is the most recent applied or already_applied entry, or nil
	// when the seat was never recorded freed. Once set, the user is never
	// reclaimed again through this journal.
	Done *Entry
}

// Interrupted reports whether the last entry is an attempt with no
// outcome: the run was killed during the vendor call.
func (s Status) Interrupted() bool { return s.Last.Outcome == Attempt }

type userKey struct{ profile, user string }

// Journal is a durable, append-only JSON lines record of reclaim actions.
// Each [Journal.Append] is flushed to disk (fsync) before it returns.
//
// A Journal is safe for concurrent use by one process; two processes must
// not append to the same file at the same time.
type Journal struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	entries []Entry
	status  map[userKey]*Status
	torn    *LineError
}

// OpenJournal opens the journal at path, creating it (mode 0600) when
// missing, and reads every line already in it.
//
// A last line that cannot be decoded is taken as torn by a crash during a
// write: it is cut off the file and reported by [Journal.Torn]. Any other
// line that cannot be decoded is an error of type *[LineError] naming the
// file and line. Blank lines are ignored.
func OpenJournal(path string) (*Journal, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("reclaim: open journal: %w", err)
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
	for i, l := range lines {
		e, err := ParseEntry(l.text)
		if err != nil {
			lerr := &LineError{Path: j.path, Line: l.n, Err: err}
			if i < len(lines)-1 {
				return lerr
			}
			j.torn = lerr
			if err := j.f.Truncate(l.start); err != nil {
				return fmt.Errorf("reclaim: cut torn line off journal %s: %w", j.path, err)
			}
			if err := j.f.Sync(); err != nil {
				return fmt.Errorf("reclaim: sync journal %s: %w", j.path, err)
			}
			break
		}
		if i == len(lines)-1 && !l.ended {
			// Complete entry whose newline was lost: end the line so
			// the next append starts a new one.
			if _, err := j.f.Write([]byte("\n")); err != nil {
				return fmt.Errorf("reclaim: repair journal %s: %w", j.path, err)
			}
			if err := j.f.Sync(); err != nil {
				return fmt.Errorf("reclaim: sync journal %s: %w", j.path, err)
			}
		}
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

// Torn returns the torn last line found (and cut off) when the journal was
// opened, or nil.
func (j *Journal) Torn() *LineError { return j.torn }

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

// Append writes the entries, one line each, and flushes the file to disk
// before returning. Entries that do not pass [ParseEntry]'s checks are
// refused, and nothing is written.
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
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("reclaim: write journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("reclaim: sync journal %s: %w", j.path, err)
	}
	for _, e := range entries {
		j.record(e)
	}
	return nil
}

// Close closes the file. The entries stay readable.
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
