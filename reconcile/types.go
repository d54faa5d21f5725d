package reconcile

import (
	"fmt"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// Input is everything a reconciliation needs. Evaluate reads it and never
// changes it.
type Input struct {
	// Now is the evaluation time; required. Nothing reads the clock.
	Now time.Time
	// Rule is the reclamation rule; its ThresholdDays must be at least 1.
	Rule sam.ReclamationRule
	// Catalog maps identifiers to software models; nil is an empty catalog
	// (every identifier is then reported as unknown).
	Catalog *sam.Catalog
	// Entitlements are the rights bought, in any order.
	Entitlements []sam.Entitlement
	// Profiles holds each integration profile's download, in any order;
	// profile names must be unique and non-empty.
	Profiles []Profile
	// Exclude lists further users never to reclaim, by external id or email
	// (trimmed, case-insensitive), on top of the rule's exclusions.
	Exclude []string
}

// Profile is one integration profile's download.
type Profile struct {
	// Name is the profile's name; reports are split by it.
	Name string
	// Self is the external id of the user the connection acts as; that user
	// is always protected. Empty when unknown.
	Self string
	// Users lists every user of the account, as downloaded.
	Users []sam.User
	// ActivityCoverage is the earliest instant from which the activity
	// history (for Aha!, the audit log) is complete; zero means complete.
	// When it is after the cutoff, users with no sighting in it and no
	// complete lifetime signal (sam.User.ActivityComplete) cannot be
	// judged inactive and are protected.
	ActivityCoverage time.Time
	// Warnings are the download's own warnings (sam.Download.Warnings);
	// Evaluate reports each as a download_warning of the profile.
	Warnings []string
}

// FromDownload builds a Profile from a spoke's download and, when the
// activity pull ran, its result: everything the download and the pull say
// that Evaluate needs, so that a caller does not have to assemble it.
//
//   - Users are d's users with pull's sightings merged into their
//     activity ([sam.MergeActivity]): a user the pull saw active is not
//     judged by its own, older signal alone. d is not changed.
//   - ActivityCoverage is pull's covered start, so that users without a
//     complete signal of their own are protected when the pull reached
//     less far back than the rule's cutoff.
//   - Self is d's connection user, always protected.
//   - Warnings are d's warnings, reported in [Result.Warnings] as
//     [WarnDownload].
//
// pull is nil when no pull ran: coverage is then taken as complete, and
// users rely on their own activity signal.
func FromDownload(name string, d *sam.Download, pull *sam.ActivityPull) Profile {
	p := Profile{Name: name}
	if d != nil {
		p.Self, p.Users = d.Self, sam.MergeActivity(d.Users, pull)
		p.Warnings = d.Warnings
	}
	if pull != nil {
		p.ActivityCoverage = pull.Covered.Since
	}
	return p
}

// WithDisabled returns a copy of in where the users of profile with the
// given external ids are disabled, as they are after a reclaim: evaluating
// it again gives the positions after the seats were freed. in is not
// changed.
func (in Input) WithDisabled(profile string, externalIDs ...string) Input {
	drop := make(map[string]bool, len(externalIDs))
	for _, id := range externalIDs {
		drop[id] = true
	}
	out := in
	out.Profiles = append([]Profile(nil), in.Profiles...)
	for i, p := range out.Profiles {
		if p.Name != profile {
			continue
		}
		users := append([]sam.User(nil), p.Users...)
		for j := range users {
			if drop[users[j].ExternalID] {
				users[j].Enabled = false
			}
		}
		out.Profiles[i].Users = users
	}
	return out
}

// Result is the outcome of a reconciliation. Every list is sorted: by
// profile, then external id ([sam.LessID]), then identifier or model.
type Result struct {
	AsOf          time.Time `json:"as_of"`
	Profiles      []string  `json:"profiles"`
	ThresholdDays int       `json:"threshold_days"`
	// Cutoff is AsOf − threshold: activity strictly before it is inactive.
	Cutoff        time.Time       `json:"cutoff"`
	Subscriptions []Subscription  `json:"subscriptions"`
	Positions     []sam.Position  `json:"positions"`
	Candidates    []sam.Candidate `json:"candidates"`
	Protected     []sam.Protected `json:"protected"`
	Warnings      []Warning       `json:"warnings"`
}

// Subscription is a subscription with the whole days since its user's last
// activity (since the account's creation when never active); nil when
// unknown.
type Subscription struct {
	sam.Subscription
	InactiveDays *int `json:"inactive_days"`
}

// WarningCode classifies a warning.
type WarningCode string

// Warning codes.
const (
	// WarnOverlapping: several entitlements of one model count at once in
	// the same row (a renewal that overlaps the old term); their rights
	// add up. With several profiles it is given per profile for the
	// profile's own entitlements (with any company-wide unlimited one),
	// and once, with no profile, for the company-wide ones (the pool).
	// The message names the first few; Count is how many.
	WarnOverlapping WarningCode = "overlapping_entitlements"
	// WarnExpiredOnly: every entitlement of the model has ended; it owns 0.
	WarnExpiredOnly WarningCode = "expired_only"
	// WarnNotCounting: the model has entitlements but none counts yet.
	WarnNotCounting WarningCode = "no_counting_entitlement"
	// WarnNoEntitlement: the model has users and no entitlement at all.
	WarnNoEntitlement WarningCode = "no_entitlement"
	// WarnUnknownIdentifier: users hold an identifier no model maps.
	WarnUnknownIdentifier WarningCode = "unknown_identifier"
	// WarnUnknownModel: an entitlement names a model not in the catalog.
	WarnUnknownModel WarningCode = "unknown_model"
	// WarnUnknownProfile: an entitlement names a profile not in the input.
	WarnUnknownProfile WarningCode = "unknown_profile"
	// WarnInvalidEntitlement: an entitlement failed validation; ignored.
	WarnInvalidEntitlement WarningCode = "invalid_entitlement"
	// WarnMixedCurrencies: a model's counting prices use several
	// currencies; its money is left unknown rather than summed.
	WarnMixedCurrencies WarningCode = "mixed_currencies"
	// WarnNoUser: a user record has no external id; its seats are counted
	// but it can be neither tracked nor reclaimed.
	WarnNoUser WarningCode = "subscription_without_user"
	// WarnNoEmail: users holding paid subscriptions have no email.
	WarnNoEmail WarningCode = "user_without_email"
	// WarnSharedEntitlement: with several profiles, a model has counting
	// company-wide (no profile) finite rights; they are not in any
	// profile's RightsOwned (each row shows them as SharedRights) and are
	// counted once, in the cross-profile total.
	WarnSharedEntitlement WarningCode = "shared_entitlement"
	// WarnSharedPool: with several profiles, a profile's row is short of
	// its own rights (none at all, or too few) while a company-wide pool
	// applies: the row measures its users against its own rights only,
	// and the pool covers them, or not, in the cross-profile total. Count
	// is the row's RightsNeeded.
	WarnSharedPool WarningCode = "draws_on_shared_pool"
	// WarnDownload: a warning of the profile's download
	// (sam.Download.Warnings, carried by Profile.Warnings), as the spoke
	// worded it, e.g. users whose activity could not be read.
	WarnDownload WarningCode = "download_warning"
	// WarnUnpricedEntitlement: a row's counting finite rights are priced
	// in part only; its money applies the priced rights' average price
	// per right to all of them (with several profiles, given for the
	// profile's row, or for the cross-profile total when no row was
	// warned). Count is the number of unpriced entitlements.
	WarnUnpricedEntitlement WarningCode = "unpriced_entitlement"
	// WarnUnlimitedPrice: an unlimited entitlement has a unit_cost, which
	// is ignored: an unlimited licence has no price per right.
	WarnUnlimitedPrice WarningCode = "unlimited_price_ignored"
)

// Warning is something a person should look at.
type Warning struct {
	Code           WarningCode    `json:"code"`
	Profile        string         `json:"profile,omitempty"`
	Model          string         `json:"model,omitempty"`
	ExternalUserID string         `json:"external_user_id,omitempty"`
	Identifier     sam.Identifier `json:"identifier,omitempty"`
	// Count is how many users (or entitlements) the warning is about.
	Count   int    `json:"count,omitempty"`
	Message string `json:"message"`
}

// String returns the message prefixed with the code.
func (w Warning) String() string { return string(w.Code) + ": " + w.Message }

// InputError reports an input Evaluate cannot work with.
type InputError struct {
	Field string
	Msg   string
}

// Error names the input field and the problem.
func (e *InputError) Error() string { return fmt.Sprintf("reconcile: input %s: %s", e.Field, e.Msg) }
