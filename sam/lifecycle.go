package sam

import (
	"errors"
	"fmt"
	"time"
)

// Errors a profile transition can wrap in a [*ProfileError]; test for them
// with errors.Is.
var (
	// ErrNotValidated: the profile must pass validation before publishing.
	ErrNotValidated = errors.New("sam: profile has not been validated since it last changed")
	// ErrValidationFailed: the last validation failed.
	ErrValidationFailed = errors.New("sam: profile's last validation failed")
	// ErrAlreadyPublished: the profile is published already.
	ErrAlreadyPublished = errors.New("sam: profile is already published")
	// ErrProfileNotFound: no profile has that name.
	ErrProfileNotFound = errors.New("sam: no such profile")
	// ErrProfileExists: a profile of that name exists already.
	ErrProfileExists = errors.New("sam: profile already exists")
)

// ProfileError reports a refused profile operation: which profile, which
// operation, and why (Err, one of the Err… values above).
type ProfileError struct {
	Profile string
	Op      string // "publish", "delete", "add", …
	Err     error
	// Detail adds context, such as the message of a failed validation.
	Detail string
}

// Error says which operation was refused on which profile, and why.
func (e *ProfileError) Error() string {
	s := fmt.Sprintf("sam: cannot %s profile %q: %s", e.Op, e.Profile, trimSam(e.Err.Error()))
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the reason, for errors.Is.
func (e *ProfileError) Unwrap() error { return e.Err }

func trimSam(s string) string {
	if len(s) > 5 && s[:5] == "sam: " {
		return s[5:]
	}
	return s
}

// Validation is the result of a profile's last validation: the download
// (and activity) calls were tried at At. Validation never calls reclaim.
type Validation struct {
	At time.Time `json:"at"`
	OK bool      `json:"ok"`
	// Message says what failed when OK is false.
	Message string `json:"message,omitempty"`
}

// NewProfile returns a Draft profile with the hub's defaults: activity
// download on, reclaim on.
func NewProfile(name, profileType, alias string) Profile {
	return Profile{Name: name, Type: profileType, Alias: alias, Status: Draft, DownloadActivity: true, Reclaim: true}
}

// RecordValidation returns p with the outcome of a validation run at at:
// result nil means the calls succeeded. A failed validation sends a
// published profile back to Draft. p itself is not changed.
func (p Profile) RecordValidation(at time.Time, result error) Profile {
	v := &Validation{At: at.UTC(), OK: result == nil}
	if result != nil {
		v.Message = result.Error()
		p.Status = Draft
	}
	p.Validation = v
	return p
}

// Publish returns p published at at, or a [*ProfileError] when p was not
// validated since it last changed, its validation failed, or it is already
// published.
func (p Profile) Publish(at time.Time) (Profile, error) {
	switch {
	case p.Status == Published:
		return p, &ProfileError{Profile: p.Name, Op: "publish", Err: ErrAlreadyPublished}
	case p.Validation == nil:
		return p, &ProfileError{Profile: p.Name, Op: "publish", Err: ErrNotValidated, Detail: "validate the connection first"}
	case !p.Validation.OK:
		return p, &ProfileError{Profile: p.Name, Op: "publish", Err: ErrValidationFailed, Detail: p.Validation.Message}
	}
	p.Status = Published
	p.PublishedAt = at.UTC()
	return p, nil
}

// SetDownloadActivity turns the activity pull on or off. Changing it changes
// what the profile pulls, so the profile drops back to Draft and must be
// validated and published again.
func (p Profile) SetDownloadActivity(on bool) Profile {
	if p.DownloadActivity == on {
		return p
	}
	p.DownloadActivity = on
	return p.toDraft()
}

// SetAnalyzeActivityFrom changes how far back activity is pulled; like
// [Profile.SetDownloadActivity] it drops the profile back to Draft.
func (p Profile) SetAnalyzeActivityFrom(t time.Time) Profile {
	if !t.IsZero() {
		t = t.UTC()
	}
	if p.AnalyzeActivityFrom.Equal(t) {
		return p
	}
	p.AnalyzeActivityFrom = t
	return p.toDraft()
}

// SetReclaim turns reclaiming on or off. It does not change what the
// profile pulls, so the status is kept; with reclaim off, reconciliation
// still produces candidates and nothing is reclaimed.
func (p Profile) SetReclaim(on bool) Profile {
	p.Reclaim = on
	return p
}

func (p Profile) toDraft() Profile {
	p.Status = Draft
	p.Validation = nil
	p.PublishedAt = time.Time{}
	return p
}

// State is everything a program keeps about its profiles, in plain values
// that serialise to JSON: a file or a database row can hold it.
type State struct {
	Aliases       []Alias           `json:"aliases,omitempty"`
	Profiles      []Profile         `json:"profiles,omitempty"`
	Subscriptions []Subscription    `json:"subscriptions,omitempty"`
	Candidates    []Candidate       `json:"candidates,omitempty"`
	Rules         []ReclamationRule `json:"rules,omitempty"`
}

// Profile returns the profile named name.
func (s State) Profile(name string) (Profile, bool) {
	for _, p := range s.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// AddProfile returns s with p added, or a [*ProfileError] when a profile of
// that name exists or p's alias already has a profile (one profile per
// connection alias).
func (s State) AddProfile(p Profile) (State, error) {
	for _, q := range s.Profiles {
		if q.Name == p.Name {
			return s, &ProfileError{Profile: p.Name, Op: "add", Err: ErrProfileExists}
		}
		if p.Alias != "" && q.Alias == p.Alias {
			return s, &ProfileError{Profile: p.Name, Op: "add", Err: ErrAliasInUse, Detail: fmt.Sprintf("alias %q already has profile %q", p.Alias, q.Name)}
		}
	}
	s.Profiles = append(append([]Profile(nil), s.Profiles...), p)
	return s, nil
}

// DeleteProfile returns s without the profile named name: its
// subscriptions are gone, its open candidates are closed as skipped
// (stamped at), closed candidates and every rule are kept, and an alias
// pointing at it no longer names a profile. s itself is not changed.
func (s State) DeleteProfile(name string, at time.Time) (State, error) {
	if _, ok := s.Profile(name); !ok {
		return s, &ProfileError{Profile: name, Op: "delete", Err: ErrProfileNotFound}
	}
	out := State{Rules: append([]ReclamationRule(nil), s.Rules...)}
	for _, p := range s.Profiles {
		if p.Name != name {
			out.Profiles = append(out.Profiles, p)
		}
	}
	for _, a := range s.Aliases {
		if a.Profile == name {
			a.Profile = ""
		}
		out.Aliases = append(out.Aliases, a)
	}
	for _, sub := range s.Subscriptions {
		if sub.Profile != name {
			out.Subscriptions = append(out.Subscriptions, sub)
		}
	}
	for _, c := range s.Candidates {
		if c.Profile == name && !c.State.Closed() {
			// Every open state may move to ClosedSkipped; so is one with
			// no state (taken as ready) or a state this package does not
			// know: a deleted profile leaves no candidate open.
			c.State, c.Updated = ClosedSkipped, at.UTC()
		}
		out.Candidates = append(out.Candidates, c)
	}
	return out, nil
}
