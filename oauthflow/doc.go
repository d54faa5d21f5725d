// Package oauthflow connects a program to an Aha! account the way an
// administrator would, and keeps it connected.
//
// An Aha! administrator registers an OAuth2 application (client id, client
// secret, redirect URI) and then authorizes it once in a browser. This package
// implements that authorization-code flow with a random state and a PKCE S256
// challenge ([Config.Begin], [Flow]), receives the browser's redirect either
// through an [http.Handler] ([Flow.Handler]) or a short-lived loopback
// listener ([ListenLoopback], [Flow.WaitLoopback]), stores the token with
// owner-only permissions ([FileStore]) and refreshes it safely
// ([TokenSource]). A personal API key works behind the same
// [oauth2.TokenSource] interface ([StaticToken]). [Validate] is the
// "validate connection" check: it reports who the token belongs to and
// whether that user is an Aha! account administrator.
//
// Secrets (client secret, authorization code, access and refresh tokens) never
// appear in error text, logs or the String forms of this package's types.
//
// The package depends on golang.org/x/oauth2, hashicorp/go-retryablehttp (for
// the connection check's retries) and the standard library only.
package oauthflow
