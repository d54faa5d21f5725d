// Package ahatest provides a fake Aha! account served over real HTTP on the
// loopback interface, for tests, the offline demo, reclaim tests, fault
// injection and benchmarks.
//
// An [Account] holds users, workspaces, audits, paid seat groups and
// entitlements. [DemoAccount] returns the deterministic demo account the
// example spoke runs against; [NewAccount] generates large accounts.
// [NewServer] serves an account under /api/v1 in the JSON shapes of Aha!'s
// OpenAPI description (openapi-seats.json), with Aha!'s paging, its rate
// limits (20 requests a second and 300 a minute, answered with 429), bearer
// token authentication, an OAuth2 authorization-code flow under /oauth, and
// scriptable faults ([Faults]).
//
// The package does not import the client package aha: it has its own wire
// structs, so that a mistake in one cannot hide a mistake in the other.
//
// Behaviour the Aha! documentation leaves open, and what the fake does:
//   - GET /users lists disabled users too (see [WithListDisabled]).
//   - Disabling a user clears paid_seat and the seat flags on re-read; the
//     reply to the PUT itself still shows the seat flags from before the
//     change, like Aha!'s documented example.
//   - GET /audits returns records in ascending id order (ids increase with
//     created_at); created_since is inclusive and created_before exclusive;
//     after_id returns only records with a larger id. Only the last 12
//     calendar months are served.
//   - per_page above the maximum (200) is clamped; an invalid page or per_page
//     falls back to the default.
//   - Rate limiting counts accepted requests in sliding 1 s and 60 s windows
//     for the whole account; rejected requests are not counted.
package ahatest
