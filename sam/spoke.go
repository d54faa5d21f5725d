package sam

import (
	"context"
	"errors"
	"time"
)

// Spoke is the contract a SaaS vendor integration implements: download the
// subscriptions, pull user activity, and reclaim a seat. Package aha
// implements it for Aha!; a second vendor implements it in its own package
// with no change to sam or reconcile.
type Spoke interface {
	// Vendor names the vendor, e.g. "Aha!".
	Vendor() string
	// Catalog returns the software models the vendor's identifiers map to.
	Catalog() *Catalog
	SubscriptionDownloader
	ActivityPuller
	Reclaimer
}

// SubscriptionDownloader downloads every user of the account with the paid
// subscriptions each holds. It must read the complete listing or fail: a
// partial account is an error, never a smaller account.
type SubscriptionDownloader interface {
	DownloadSubscriptions(ctx context.Context) (*Download, error)
}

// Download is the complete result of DownloadSubscriptions.
type Download struct {
	// Self is the external id of the user the connection acts as; it is
	// protected from reclaim. Empty when the vendor cannot tell.
	Self string
	// Users lists every user of the account, enabled or not.
	Users []User
	// Warnings are things a person should look at.
	Warnings []string
}

// ActivityPuller reads user activity for a time window from a secondary
// source (for Aha!, the audit log). The result is merged into the users'
// activity with [Activity.Merge] by [MergeActivity] (which
// reconcile.FromDownload calls), so it can only move activity forward.
type ActivityPuller interface {
	PullActivity(ctx context.Context, w Window) (*ActivityPull, error)
}

// Window is a half-open time range [Since, Until).
type Window struct {
	Since time.Time
	Until time.Time
}

// ActivityPull is the result of PullActivity.
type ActivityPull struct {
	// Covered is the window the source could actually read; it may start
	// later than asked (for Aha!, audits are kept for 12 months only).
	Covered Window
	// Latest maps an external user id to that user's latest activity in
	// the window. Users absent from the map had no activity in it.
	Latest map[string]time.Time
	// Records counts the activity records read.
	Records int
}

// MergeActivity returns users with each user's activity moved forward by
// the latest sighting pull holds for its external id ([Activity.Merge]
// with [Seen]): activity never moves back, a sighting beats "never" and
// "unknown", and a user pull did not see keeps its own signal. users is
// not changed; when pull is nil or sees none of them, users itself is
// returned. A zero time in pull is no sighting.
func MergeActivity(users []User, pull *ActivityPull) []User {
	if pull == nil || len(pull.Latest) == 0 {
		return users
	}
	var out []User
	for i := range users {
		t, ok := pull.Latest[users[i].ExternalID]
		if !ok || t.IsZero() || users[i].ExternalID == "" {
			continue
		}
		if out == nil {
			out = append([]User(nil), users...)
		}
		out[i].Activity = out[i].Activity.Merge(Seen(t))
	}
	if out == nil {
		return users
	}
	return out
}

// ReclaimMode says how a seat is reclaimed. ReclaimDisable and
// ReclaimDowngrade are the modes package aha knows; a vendor may define
// its own (such as "remove_license", for a vendor that unassigns the
// licence and keeps the user): lower-case letters, digits, '_' and '-'
// (see reclaim.ValidMode). A spoke returns an error wrapping
// [ErrUnsupportedMode] for a mode it does not know.
type ReclaimMode string

const (
	// ReclaimDisable disables the user: the vendor stops counting the seat.
	ReclaimDisable ReclaimMode = "disable"
	// ReclaimDowngrade lowers the user's roles to a free level (for Aha!,
	// viewer in each workspace), on plans where that frees the seat.
	ReclaimDowngrade ReclaimMode = "downgrade"
)

// Reclaimer frees seats. Implementations must be safe to call again after a
// failure: reclaiming a seat that is already free is not an error.
//
// A seat is free, in every mode, when the user consumes none of the paid
// subscriptions being reclaimed: disabled, or enabled without them. That is
// how package reclaim reads LookupUser's answer after a call, on a re-run,
// and for a call whose answer was lost.
type Reclaimer interface {
	// LookupUser re-reads one user just before acting on it. It returns an
	// error wrapping ErrUserNotFound when the vendor has no such user.
	LookupUser(ctx context.Context, externalID string) (User, error)
	// Reclaim frees the user's paid seat in the given mode; a mode the
	// vendor does not know is an error wrapping ErrUnsupportedMode.
	Reclaim(ctx context.Context, externalID string, mode ReclaimMode) error
}

// ErrUserNotFound is wrapped by spokes when the vendor has no such user.
var ErrUserNotFound = errors.New("sam: user not found")

// ErrUnsupportedMode is wrapped by spokes that cannot reclaim in a mode.
var ErrUnsupportedMode = errors.New("sam: reclaim mode not supported")
