// Package samspoke is a Go module for SaaS license management: connect to a
// SaaS vendor, download who holds a paid seat, read who actually uses it,
// reclaim the seats nobody uses, and reconcile what is consumed against what
// was bought — what the SaaS License Management of a software asset
// management hub does, as a library.
//
// Aha! is the first vendor. The packages:
//
//   - [github.com/samspoke/samspoke/aha]: a typed Aha! REST client (users,
//     activity, seat removal) and the Aha! spoke that adapts it to the
//     domain contract; aha/ahatest is a fake Aha! account for tests and the
//     offline demo.
//   - [github.com/samspoke/samspoke/sam]: the domain — integration
//     profiles, subscriptions, software models, entitlements, reclamation
//     rules and candidates — and the [github.com/samspoke/samspoke/sam.Spoke] contract every vendor
//     implements.
//   - [github.com/samspoke/samspoke/reconcile]: a pure engine computing
//     license positions, true-up, savings and reclamation candidates.
//   - [github.com/samspoke/samspoke/reclaim]: read → plan → apply with a
//     durable journal, so seats are reclaimed once and only once.
//   - [github.com/samspoke/samspoke/oauthflow]: connects an account the way
//     an Aha! administrator does (OAuth2 application).
//
// The runnable programs under examples/ put it together; examples/spoke is
// the whole job. Run it with no flags for a demo account:
//
//	go run ./examples/spoke
package samspoke
