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
// with the processes it runs. Its lifecycle is Draft → validated
// ([Profile.RecordValidation]) → [Profile.Publish]; the Set… methods change
// it, dropping it back to Draft when what it pulls changes. All of them
// return a changed copy.
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
	// Validation is the last validation's outcome; nil when the profile was
	// not validated since it last changed what it pulls.
	Validation *Validation `json:"validation,omitempty"`
	// PublishedAt is when the profile was last published.
	PublishedAt time.Time `json:"published_at,omitzero"`
}
