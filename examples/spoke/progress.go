package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// observer watches the client's requests, under its retry, rate limiter and
// auth layers (so it sees every attempt, 429s included), to show progress on
// a terminal and, with -v, to log each request through log/slog.
//
// What it shows and logs carries no secret: the request's method, path and
// query (with credential-like parameters redacted), the status, the time
// taken and the paging counters of the response; never headers or bodies.
//
// A nil *observer does nothing, so callers need no checks.
type observer struct {
	logger *slog.Logger // -v; nil: no request log
	bar    *progressbar.ProgressBar

	mu      sync.Mutex
	profile string
	phase   string
	pages   int
	records int
}

// newObserver returns the observer a run wants: a progress display when
// stderr is a terminal (and neither -quiet nor -v, whose log lines would
// tear the display), a request log with -v, else nil.
func newObserver(o *options, e env, logger *slog.Logger) *observer {
	show := !o.quiet && !o.verbose && e.isTerminal()
	if !show && logger == nil {
		return nil
	}
	ob := &observer{logger: logger}
	if show {
		throttle := 100 * time.Millisecond
		if e.renderEveryUpdate {
			throttle = 0
		}
		ob.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("spoke: connecting"),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(throttle),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseANSICodes(true),
		)
	}
	return ob
}

// isTerminal reports whether the env's stderr is a terminal.
func (e env) isTerminal() bool {
	if e.terminal != nil {
		return e.terminal()
	}
	f, ok := e.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// start names what is being downloaded next.
func (ob *observer) start(profile, phase string) {
	if ob == nil {
		return
	}
	ob.mu.Lock()
	ob.profile, ob.phase, ob.pages, ob.records = profile, phase, 0, 0
	ob.mu.Unlock()
	if ob.bar != nil {
		ob.bar.Describe(fmt.Sprintf("spoke: %s: reading %s", profile, phase))
	}
}

// done clears the display once every download is complete.
func (ob *observer) done() {
	if ob == nil || ob.bar == nil {
		return
	}
	_ = ob.bar.Finish() // a display that cannot be written is no failure
}

// wrap returns next observed by ob.
func (ob *observer) wrap(next http.RoundTripper) http.RoundTripper {
	if ob == nil {
		return next
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(req)
		ob.observe(req, resp, err, time.Since(start))
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pagingPeekLimit bounds the body read to find the paging counters; larger
// bodies are passed on unread.
const pagingPeekLimit = 8 << 20

func (ob *observer) observe(req *http.Request, resp *http.Response, err error, took time.Duration) {
	path := redactedPath(req.URL)
	if ob.logger != nil {
		attrs := []slog.Attr{slog.String("method", req.Method), slog.String("path", path), slog.Duration("took", took)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		}
		ob.logger.LogAttrs(req.Context(), slog.LevelDebug, "spoke: request", attrs...)
	}
	if ob.bar == nil || err != nil {
		return
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		wait := resp.Header.Get("Retry-After")
		if _, err := strconv.Atoi(wait); err == nil {
			wait += "s"
		} else {
			wait = "a moment"
		}
		ob.bar.Describe(fmt.Sprintf("spoke: %s: waiting %s for Aha!'s rate limit", ob.profile, wait))
		return
	}
	if resp.StatusCode != http.StatusOK || req.Method != http.MethodGet {
		return
	}
	pg := peekPaging(resp)
	if !pg.list {
		return // not a page of a list, like /me
	}
	ob.mu.Lock()
	ob.pages++
	ob.records += pg.records
	desc := fmt.Sprintf("spoke: %s: reading %s, page %d", ob.profile, ob.phase, ob.pages)
	if pg.totalPages > 0 {
		desc = fmt.Sprintf("spoke: %s: reading %s, page %d of %d", ob.profile, ob.phase, ob.pages, pg.totalPages) // pages may come in any order
	}
	if ob.records > 0 {
		noun := "users"
		if ob.phase != "users" {
			noun = "audit records"
		}
		desc += fmt.Sprintf(" (%d %s)", ob.records, noun)
	}
	ob.mu.Unlock()
	// The bar stays a spinner: a bar reaching its maximum would finish
	// (and clear) the display before the audit log is read.
	ob.bar.Describe(desc)
}

type paging struct {
	list                bool // the response is a page of users or audits
	records, totalPages int
}

// peekPaging reads the paging counters of a JSON list response and puts
// the body back for the client.
func peekPaging(resp *http.Response) paging {
	if resp.Body == nil || !strings.Contains(resp.Header.Get("Content-Type"), "json") ||
		resp.ContentLength > pagingPeekLimit {
		return paging{}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, pagingPeekLimit+1))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rest), rest}
	if err != nil || len(data) > pagingPeekLimit {
		return paging{}
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(data, &body) != nil {
		return paging{}
	}
	var pg struct {
		TotalPages int `json:"total_pages"`
	}
	_ = json.Unmarshal(body["pagination"], &pg) // counters are a courtesy
	out := paging{totalPages: pg.TotalPages}
	for k, v := range body {
		if k == "users" || k == "audits" {
			var list []json.RawMessage
			if json.Unmarshal(v, &list) == nil {
				out.list, out.records = true, len(list)
			}
		}
	}
	return out
}

// sensitiveParams are query parameters never logged.
var sensitiveParams = []string{"token", "access_token", "api_key", "apikey", "key", "code", "client_secret", "password", "refresh_token"}

// redactedPath is u's path and query, with credential-like query values
// replaced: what -v may log.
func redactedPath(u *url.URL) string {
	q := u.Query()
	for k := range q {
		for _, s := range sensitiveParams {
			if strings.EqualFold(k, s) {
				q.Set(k, "REDACTED")
			}
		}
	}
	if len(q) == 0 {
		return u.EscapedPath()
	}
	return u.EscapedPath() + "?" + q.Encode()
}
