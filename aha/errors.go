package aha

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Statuses an *ErrorResponse matches with errors.Is (see ErrorResponse.Is);
// they match any error wrapping such a response too, a *WalkError
// included.
var (
	// ErrNotFound: HTTP 404. Aha! also answers 404 for records the token
	// cannot see. FindByEmail also wraps it when no user has the email.
	ErrNotFound = errors.New("aha: not found")
	// ErrUnauthorized: HTTP 401. The API key is wrong or revoked, or the
	// OAuth token expired: re-authorize.
	ErrUnauthorized = errors.New("aha: unauthorized")
	// ErrForbidden: HTTP 403. The token's user lacks the permission; seat
	// management needs an Aha! account administrator.
	ErrForbidden = errors.New("aha: forbidden")
)

// Failures that are not an answer from Aha!: no *ErrorResponse matches
// them. The errors returned or yielded wrap them, so errors.Is finds them.
var (
	// ErrPagingLoop reports that the API repeated a page or a cursor, so
	// walking on would never end. Walks yield it wrapped in *WalkError.
	ErrPagingLoop = errors.New("aha: the API repeated a page or cursor")
	// ErrAmbiguousEmail reports that several users share the email given to
	// FindByEmail, which wraps it.
	ErrAmbiguousEmail = errors.New("aha: several users have this email")
	// ErrTimeout reports that an attempt got no complete answer (headers
	// and body) within RetryPolicy.AttemptTimeout, on its last try; calls
	// return it wrapped (in a *url.Error, and in *WalkError from walks). It
	// is not context.DeadlineExceeded: the caller's context was still
	// live.
	ErrTimeout = errors.New("aha: request timed out")
)

// ErrorResponse is a non-2xx answer from Aha! other than 429.
type ErrorResponse struct {
	// Response is the HTTP response; its body has been consumed.
	Response *http.Response
	// Method is the HTTP method of the request.
	Method string
	// URL is the request URL with userinfo and secret-looking query
	// values redacted.
	URL string
	// Status is the HTTP status code.
	Status int
	// Message is the main message from the body ("error" or "message").
	Message string
	// Errors lists messages given as an array ({"errors":["…"]} or
	// {"errors":[{"message":"…"}]}), and field errors as "field: message".
	Errors []string
	// FieldErrors holds {"errors":{"field":["…"]}} by field.
	FieldErrors map[string][]string
}

// Error describes the failure and, for common statuses, what to do.
func (e *ErrorResponse) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "aha: %s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Errors) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Errors, "; "))
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString(" - check the API key or re-authorize the OAuth token")
	case http.StatusForbidden:
		b.WriteString(" - the token's user must be an Aha! account administrator")
	case http.StatusGatewayTimeout:
		b.WriteString(" - ask for less (smaller per_page or a shorter window)")
	}
	return b.String()
}

// Is matches ErrNotFound, ErrUnauthorized and ErrForbidden by status.
func (e *ErrorResponse) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	return false
}

// Rate holds the X-Ratelimit-* figures of a response. Zero values mean the
// header was absent.
type Rate struct {
	// Limit is the number of requests allowed in the current window.
	Limit int
	// Remaining is the number of requests left in the window.
	Remaining int
	// Reset is when the window resets (UTC), zero if unknown.
	Reset time.Time
}

// RateLimitError reports HTTP 429: either the retries ran out, or the
// server asked for a wait longer than RetryPolicy.MaxRateLimitWait, which
// the client refused to sleep through.
type RateLimitError struct {
	// Response is the 429 response; its body has been consumed.
	Response *http.Response
	// Method and URL (redacted) identify the request.
	Method, URL string
	// RetryAfter is the delay the server asked for (Retry-After or
	// X-Ratelimit-Reset), zero if it gave none.
	RetryAfter time.Duration
	// Rate holds the X-Ratelimit-* figures.
	Rate Rate
	// Message is the body's message, if any.
	Message string
}

// Error says how long the server asked to wait.
func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("aha: %s %s: rate limited (429)", e.Method, e.URL)
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf("; server asked to retry after %s", e.RetryAfter)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg + " - lower the client's rate or share one Limiter between clients of the account"
}

// ListChangedError reports that a paged listing changed while it was read:
// the count seen differs from total_records, total_records moved between
// pages, or a page came back empty before the last one. The result would
// be partial or doubled, so none is returned as complete: read again.
type ListChangedError struct {
	// Op names the listing, e.g. "users".
	Op string
	// Expected is total_records as first reported.
	Expected int
	// Seen is the number of distinct records read, or the new
	// total_records when that moved.
	Seen int
	// Duplicates counts records seen twice (skipped).
	Duplicates int
	// Page is the page at which the change was noticed.
	Page int
}

// Error gives expected and seen counts.
func (e *ListChangedError) Error() string {
	return fmt.Sprintf("aha: listing %s changed while paging (noticed at page %d): expected %d records, saw %d (%d duplicates) - read it again",
		e.Op, e.Page, e.Expected, e.Seen, e.Duplicates)
}

// BodyTooLargeError reports a response body larger than the client's cap
// (WithMaxBodyBytes). Nothing is decoded from it.
type BodyTooLargeError struct {
	// Method and URL (redacted) identify the request.
	Method, URL string
	// Limit is the cap in bytes.
	Limit int64
}

// Error names the cap.
func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("aha: %s %s: response body exceeds %d bytes - ask for smaller pages or raise WithMaxBodyBytes", e.Method, e.URL, e.Limit)
}

// WalkError wraps an error met while iterating pages or a cursor; it says
// how far the walk got. The iterator yields it once and stops.
type WalkError struct {
	// Op names the listing, e.g. "users" or "audits".
	Op string
	// Page is the page being fetched (page walks), 0 for cursor walks.
	Page int
	// AfterID is the cursor in use (cursor walks).
	AfterID ID
	// Seen is the number of records yielded before the error.
	Seen int
	// Err is the cause.
	Err error
}

// Error gives the position and the cause.
func (e *WalkError) Error() string {
	pos := fmt.Sprintf("page %d", e.Page)
	if e.Page == 0 {
		pos = fmt.Sprintf("after_id %q", e.AfterID)
	}
	return fmt.Sprintf("aha: walking %s stopped at %s after %d records: %v", e.Op, pos, e.Seen, e.Err)
}

// Unwrap returns the cause.
func (e *WalkError) Unwrap() error { return e.Err }

// TokenError reports that the token source failed. Its message never
// includes the cause's text, which may echo credentials; use errors.Unwrap
// (carefully) to inspect it.
type TokenError struct {
	Err error // the token source's error; it may hold secrets, do not print it
}

// Error says what to do.
func (e *TokenError) Error() string {
	return "aha: could not obtain an access token - check the API key or re-authorize"
}

// Unwrap returns the token source's error.
func (e *TokenError) Unwrap() error { return e.Err }

// errorBodyLimit bounds what CheckResponse reads of an error body.
const errorBodyLimit = 1 << 20

// CheckResponse returns nil for a 2xx response and otherwise a typed error:
// *RateLimitError for 429, else *ErrorResponse (matching ErrNotFound,
// ErrUnauthorized and ErrForbidden with errors.Is). It reads the body
// (at most 1 MiB) and parses every error shape Aha! sends; a non-JSON body
// such as an HTML 401 page is never echoed.
func CheckResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	var data []byte
	if r.Body != nil {
		data, _ = io.ReadAll(io.LimitReader(r.Body, errorBodyLimit+1))
	}
	var method, u string
	if r.Request != nil {
		method = r.Request.Method
		u = redactURL(r.Request.URL)
	}
	var msg string
	var list []string
	var fields map[string][]string
	if len(data) > errorBodyLimit {
		msg = "error body too large to parse"
	} else {
		msg, list, fields = parseErrorBody(data, r.Header.Get("Content-Type"))
	}
	msg, list, fields = cleanErrorText(msg, list, fields)
	if r.StatusCode == http.StatusTooManyRequests {
		wait, _ := serverDelay(r, time.Now())
		if msg == "" && len(list) > 0 {
			msg = strings.Join(list, "; ")
		}
		return &RateLimitError{Response: r, Method: method, URL: u, RetryAfter: wait, Rate: parseRate(r.Header), Message: msg}
	}
	return &ErrorResponse{Response: r, Method: method, URL: u, Status: r.StatusCode, Message: msg, Errors: list, FieldErrors: fields}
}

// parseErrorBody understands {"error":"…"}, {"message":"…"},
// {"errors":["…"]}, {"errors":[{"message":"…"}]}, {"errors":{"f":["…"]}}
// and {"errors":"…"}. Non-JSON bodies give a note naming the media type.
func parseErrorBody(data []byte, contentType string) (msg string, list []string, fields map[string][]string) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", nil, nil
	}
	var obj map[string]json.RawMessage
	if data[0] != '{' || json.Unmarshal(data, &obj) != nil {
		mt, _, _ := mime.ParseMediaType(contentType)
		if mt == "" {
			mt = "unknown type"
		}
		return fmt.Sprintf("non-JSON error body (%s)", mt), nil, nil
	}
	msg = rawString(obj["error"])
	if m := rawString(obj["message"]); m != "" {
		if msg == "" {
			msg = m
		} else {
			msg += ": " + m
		}
	}
	raw, ok := obj["errors"]
	if !ok {
		return msg, nil, nil
	}
	var strs []string
	var objs []struct {
		Message string `json:"message"`
		Field   string `json:"field"`
	}
	var byField map[string]json.RawMessage
	switch {
	case json.Unmarshal(raw, &strs) == nil:
		list = strs
	case json.Unmarshal(raw, &objs) == nil:
		for _, o := range objs {
			if o.Field != "" {
				list = append(list, o.Field+": "+o.Message)
			} else {
				list = append(list, o.Message)
			}
		}
	case json.Unmarshal(raw, &byField) == nil:
		fields = make(map[string][]string, len(byField))
		keys := make([]string, 0, len(byField))
		for k := range byField {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var ms []string
			if json.Unmarshal(byField[k], &ms) != nil {
				if s := rawString(byField[k]); s != "" {
					ms = []string{s}
				}
			}
			fields[k] = ms
			for _, m := range ms {
				list = append(list, k+": "+m)
			}
		}
	default:
		if s := rawString(raw); s != "" {
			list = []string{s}
		}
	}
	return msg, list, fields
}

// maxErrorText bounds each message taken from an error body.
const maxErrorText = 300

// cleanErrorText makes the server's words safe to print on one line:
// control characters (newlines, terminal escapes) become spaces, and each
// message is cut to maxErrorText runes.
func cleanErrorText(msg string, list []string, fields map[string][]string) (string, []string, map[string][]string) {
	msg = cleanText(msg)
	for i := range list {
		list[i] = cleanText(list[i])
	}
	if len(fields) > 0 {
		out := make(map[string][]string, len(fields))
		for k, ms := range fields {
			for i := range ms {
				ms[i] = cleanText(ms[i])
			}
			out[cleanText(k)] = ms
		}
		fields = out
	}
	return msg, list, fields
}

func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxErrorText {
		s = string([]rune(s)[:maxErrorText]) + "…"
	}
	return s
}

func rawString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// secretParams are query keys whose values never appear in errors or logs.
var secretParams = []string{"token", "key", "secret", "code", "password", "signature", "sig", "auth", "state", "credential"}

// redactURL returns u without userinfo and with secret-looking query values
// replaced by REDACTED.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			lk := strings.ToLower(k)
			for _, s := range secretParams {
				if strings.Contains(lk, s) {
					q[k] = []string{"REDACTED"}
					break
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
