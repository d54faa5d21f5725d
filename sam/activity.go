package sam

import (
	"encoding/json"
	"fmt"
	"time"
)

// ActivityState says how much is known about a user's last activity.
//
// The zero value is [ActivityUnknown]: when nothing could be read, nothing
// may be concluded. Unknown is never inactive.
type ActivityState uint8

const (
	// ActivityUnknown means the activity could not be read, or the source
	// does not cover enough history to decide.
	ActivityUnknown ActivityState = iota
	// ActivityNever means the source is complete and the user was never
	// active; inactivity is then measured from the account's creation.
	ActivityNever
	// ActivitySeen means the user was last active at [Activity.At].
	ActivitySeen
)

// String returns "unknown", "never" or "seen".
func (s ActivityState) String() string {
	switch s {
	case ActivityNever:
		return "never"
	case ActivitySeen:
		return "seen"
	default:
		return "unknown"
	}
}

// Activity is what is known of a user's most recent activity.
type Activity struct {
	State ActivityState
	// At is the last activity, in UTC; set only when State is ActivitySeen.
	At time.Time
}

// Seen reports activity at t (converted to UTC).
func Seen(t time.Time) Activity { return Activity{State: ActivitySeen, At: t.UTC()} }

// Never reports a user known never to have been active.
func Never() Activity { return Activity{State: ActivityNever} }

// Unknown reports that the activity could not be read.
func Unknown() Activity { return Activity{} }

// Known reports whether the activity was read (seen or never).
func (a Activity) Known() bool { return a.State != ActivityUnknown }

// Merge combines two observations of the same user's activity so that last
// activity only ever moves forward: the later sighting wins, a sighting beats
// "never", and "never" holds only when both sources say so. Anything merged
// with an unknown and no sighting stays unknown (fail closed).
func (a Activity) Merge(b Activity) Activity {
	switch {
	case a.State == ActivitySeen && b.State == ActivitySeen:
		if b.At.After(a.At) {
			return b
		}
		return a
	case a.State == ActivitySeen:
		return a
	case b.State == ActivitySeen:
		return b
	case a.State == ActivityNever && b.State == ActivityNever:
		return a
	default:
		return Unknown()
	}
}

// String formats the activity for people: an RFC 3339 time, "never" or "unknown".
func (a Activity) String() string {
	if a.State == ActivitySeen {
		return a.At.UTC().Format(time.RFC3339)
	}
	return a.State.String()
}

type activityJSON struct {
	State string     `json:"state"`
	At    *time.Time `json:"at,omitempty"`
}

// MarshalJSON encodes the activity as {"state":"seen","at":"…"}.
func (a Activity) MarshalJSON() ([]byte, error) {
	v := activityJSON{State: a.State.String()}
	if a.State == ActivitySeen {
		t := a.At.UTC()
		v.At = &t
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (a *Activity) UnmarshalJSON(b []byte) error {
	var v activityJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v.State {
	case "seen":
		if v.At == nil {
			return fmt.Errorf("sam: activity state %q needs a time in field at", v.State)
		}
		*a = Seen(*v.At)
	case "never":
		*a = Never()
	case "unknown", "":
		*a = Unknown()
	default:
		return fmt.Errorf("sam: unknown activity state %q (want seen, never or unknown)", v.State)
	}
	return nil
}
