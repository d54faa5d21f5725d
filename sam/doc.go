// Package sam holds the software-asset-management domain that every SaaS
// spoke shares: integration profiles, user subscriptions, software models,
// entitlements, reclamation rules and candidates, license positions, and the
// contract a vendor spoke implements.
//
// The package depends on the standard library only. A vendor integration
// (package aha for Aha!) adapts its API client to the [Spoke] contract, and
// package reconcile turns what a spoke downloaded into license positions and
// reclamation candidates. A second vendor is a new package beside aha; it
// needs no change here.
//
// Vocabulary follows the hub this library reproduces: a [User] holds zero or
// more paid [Subscription]s, each named by an [Identifier] (for Aha!, the
// product seat) that maps to a [SoftwareModel]; an [Entitlement] records the
// rights bought for a model; a [ReclamationRule] turns inactivity into
// [Candidate]s; a [Position] is the result of reconciliation.
package sam
