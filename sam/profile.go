package sam

import "time"

// ProfileStatus is an integration profile's status.
type ProfileStatus string

// Profile statuses.
const (
	Draft     ProfileStatus = "draft"
	Published ProfileStatus = "published"
)

// Profile is an integration profile: one connection to one vendor account,
// with the processes it runs.
type Profile struct {
	// Name is the display name; reports are split by it.
	Name string `json:"name"`
	// Type is the profile type, e.g. "Aha! Subscription".
	Type string `json:"type,omitempty"`
	// Alias is the connection alias the profile uses.
	Alias  string        `json:"alias,omitempty"`
	Status ProfileStatus `json:"status"`
	// DownloadActivity turns the activity pull on.
	DownloadActivity bool `json:"download_activity"`
	// Reclaim turns reclaiming on; when off, candidates are still produced.
	Reclaim bool `json:"reclaim"`
	// AnalyzeActivityFrom is how far back activity is pulled; zero means as
	// far as the vendor keeps it.
	AnalyzeActivityFrom time.Time `json:"analyze_activity_from,omitzero"`
}
