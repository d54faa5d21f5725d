package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/sam"
)

// usageError is a bad command line: exit status 2 with a one-line message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// The years -now accepts: a time outside them is a typo (or a zero time),
// never an evaluation anyone means.
const (
	minNowYear = 2000
	maxNowYear = 2199
)

// nowTolerance is how far -now may be from the clock in a -reclaim run:
// a reclaim acts on the account as it is now.
const nowTolerance = 10 * time.Minute

// The client-side rates -rate and -rate-per-minute accept: at most what
// Aha! allows, and at least enough for a run to make visible progress (a
// slower one looks hung).
const (
	minPerSecond = 1
	maxPerSecond = 20
	minPerMinute = 10
	maxPerMinute = 300
)

// options is the parsed command line.
type options struct {
	ahaURL        string // empty: the embedded demo account
	profile       string
	now           time.Time
	inactiveDays  int
	entitlements  string
	format        string
	out           string
	reclaim       bool
	maxReclaim    int
	protect       []string
	protectFile   string
	journal       string
	reclaimMode   sam.ReclaimMode
	tokenFile     string
	verbose       bool
	quiet         bool
	demo          bool
	requestsPerS  float64
	requestsPerMn int
	// config is the -config file; accounts lists the accounts to work on:
	// one from the flags, or the config file's profiles.
	config   string
	accounts []accountSpec
}

// multi reports whether the run covers several profiles (-config).
func (o *options) multi() bool { return o.config != "" }

const usageHeader = `spoke runs the Aha! SaaS license job: download who holds a paid seat,
read who uses it, list the seats a reclamation rule would reclaim, reconcile
against entitlements, and (with -reclaim) reclaim them.

Usage:
  spoke [flags]

With no -aha-url (and no AHA_URL), it runs against an embedded demo account.
Credentials come from the environment, never from flags:
  AHA_TOKEN    an Aha! API key or OAuth access token of an account administrator
  AHA_URL      the account, like -aha-url
  AHA_CLIENT_ID, AHA_CLIENT_SECRET  the OAuth app, to refresh a -token-file token
  AHA_REDIRECT_URI  the OAuth app's redirect URI, if not http://127.0.0.1:8400/callback

Examples:
  go run ./examples/spoke
  go run ./examples/spoke -format json -o report.json
  AHA_TOKEN=… go run ./examples/spoke -aha-url https://acme.aha.io -entitlements ents.json
  AHA_TOKEN=… go run ./examples/spoke -aha-url https://acme.aha.io -reclaim -max-reclaim 5 -journal reclaim.jsonl
  go run ./examples/spoke -format html -o report.html
  go run ./examples/spoke -format csv -o report-dir
  go run ./examples/spoke -config accounts.json -format json

A -config file lists accounts (paths relative to the file; tokens stay in the
environment or in token files, never in the config):
  [{"name": "acme", "aha_url": "https://acme.aha.io", "token_env": "ACME_AHA_TOKEN",
    "inactive_days": 60, "entitlements": "acme-ents.json", "protect": ["ceo@acme.com"]},
   {"name": "acme-eu", "aha_url": "https://acme-eu.aha.io", "token_file": "eu-token.json"}]

Standard output carries the report only. Standard error shows progress when it
is a terminal (not with -quiet); otherwise it carries only errors and, with -v,
the request log.

Flags:
`

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("spoke", flag.ContinueOnError)
	// The flag package prints its error and the whole usage on a bad flag;
	// a usage error is one line, so it prints nothing and -h prints the
	// usage below.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var nowS, mode, protect string
	fs.StringVar(&o.ahaURL, "aha-url", "", "the Aha! account, e.g. https://acme.aha.io (default $AHA_URL, else the demo account)")
	fs.StringVar(&o.profile, "profile", "", "the integration profile's name in the report and in the default journal's file name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' (default: the account's subdomain; local-HOST-PORT for a loopback URL)")
	fs.StringVar(&nowS, "now", "", "the evaluation time, RFC 3339, in the years 2000 to 2199, e.g. 2026-12-01T00:00:00Z; with -reclaim it must be within 10 minutes of the clock (default: now)")
	fs.IntVar(&o.inactiveDays, "inactive-days", sam.DefaultThresholdDays, "the reclamation rule's threshold: days without activity")
	fs.StringVar(&o.entitlements, "entitlements", "", "a JSON file listing the entitlements bought, at most 8 MiB (default: none; the demo's own for the demo)")
	fs.StringVar(&o.format, "format", "text", "the report format: text, json, csv (one file per table, needs -o DIR) or html (one self-contained page)")
	fs.StringVar(&o.out, "o", "", "write the report to this file: a new or regular file is replaced atomically, keeping its permissions; a device, FIFO or /dev/stdout is written in place (for -format csv: this directory, created if missing); never an input or the journal (default: standard output)")
	fs.StringVar(&o.config, "config", "", "a JSON file listing several accounts (profiles) to report on together, e.g. accounts.json; replaces -aha-url (default: one account, from the flags)")
	fs.BoolVar(&o.reclaim, "reclaim", false, "apply the plan: disable the candidates' users in Aha! (default: a dry run that changes nothing)")
	fs.IntVar(&o.maxReclaim, "max-reclaim", 10, "at most this many reclaim actions per run (per profile with -config); a larger plan applies none, reports them as skipped_cap and exits 0 (0 lifts the cap)")
	fs.StringVar(&protect, "protect", "", "comma-separated emails or Aha! user ids (digits) never to reclaim, in every account; anything else is refused (default: none)")
	fs.StringVar(&o.protectFile, "protect-file", "", "a file of emails or user ids never to reclaim, one per line (# starts a comment), checked like -protect; UTF-8, at most 8 MiB (default: none)")
	fs.StringVar(&o.journal, "journal", "", "the reclaim journal (JSON lines); a killed run resumes from it (default: samspoke/journal-PROFILE.jsonl in the user's config directory; a temporary file for the demo)")
	fs.StringVar(&mode, "reclaim-mode", string(sam.ReclaimDisable), "how a seat is reclaimed: disable (the user) or downgrade (workspace roles to viewer, for plans where viewers are free)")
	fs.StringVar(&o.tokenFile, "token-file", "", "an OAuth token file written by examples/connect, used instead of AHA_TOKEN and refreshed when needed (default: none)")
	fs.BoolVar(&o.verbose, "v", false, "log each request to standard error through log/slog (secrets redacted); not with -quiet (default: off)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress display, even on a terminal: print nothing but the report and errors; not with -v (default: off)")
	fs.Float64Var(&o.requestsPerS, "rate", 0, "client-side requests per second, 1 to 20 (Aha!'s limit); 0 means the default (default 18)")
	fs.IntVar(&o.requestsPerMn, "rate-per-minute", 0, "client-side requests per minute, 10 to 300 (Aha!'s limit); 0 means the default (default 280)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usageHeader)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usagef("%v (run with -h for the flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (flags start with -; see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.config != "" {
		for _, name := range []string{"aha-url", "token-file", "profile"} {
			if set[name] {
				return nil, usagef("-config and -%s contradict each other: the config file names each account and its credential", name)
			}
		}
	}
	if o.ahaURL == "" && o.config == "" {
		o.ahaURL = strings.TrimSpace(getenv("AHA_URL"))
	}
	o.demo = o.ahaURL == ""
	if !o.demo {
		u, err := accountURL(o.ahaURL)
		if err != nil {
			return nil, err
		}
		o.ahaURL = u
	}
	if nowS != "" {
		t, err := time.Parse(time.RFC3339, nowS)
		if err != nil {
			return nil, usagef("-now %q is not an RFC 3339 time such as 2026-12-01T00:00:00Z", nowS)
		}
		o.now = t.UTC()
		if y := o.now.Year(); y < minNowYear || y > maxNowYear {
			return nil, usagef("-now %q is out of range: want a time in the years %d to %d", nowS, minNowYear, maxNowYear)
		}
	}
	if set["profile"] && !profileNameRE.MatchString(o.profile) {
		return nil, usagef("-profile %q: %s", truncate(o.profile, 40), profileNameRule)
	}
	if o.inactiveDays < 1 || o.inactiveDays > 3650 {
		return nil, usagef("-inactive-days %d is out of range: want 1 to 3650", o.inactiveDays)
	}
	switch o.format {
	case "text", "json", "html":
	case "csv":
		if o.out == "" {
			return nil, usagef("-format csv writes one file per table: give the directory with -o DIR")
		}
	default:
		return nil, usagef("-format %q is not supported: want text, json, csv or html", o.format)
	}
	// A bad -o stops the run here, before anything is read or reclaimed.
	if o.out != "" {
		check := checkOutput
		if o.format == "csv" {
			check = checkOutputDir
		}
		if err := check(o.out); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	if o.maxReclaim < 0 {
		return nil, usagef("-max-reclaim %d is negative: want 0 (no cap) or more", o.maxReclaim)
	}
	o.reclaimMode = sam.ReclaimMode(mode)
	if o.reclaimMode != sam.ReclaimDisable && o.reclaimMode != sam.ReclaimDowngrade {
		return nil, usagef("-reclaim-mode %q is not supported: want disable or downgrade", mode)
	}
	list, err := parseProtectList(protect)
	if err != nil {
		return nil, err
	}
	o.protect = list
	if o.protectFile != "" {
		list, err := readProtectFile(o.protectFile)
		if err != nil {
			return nil, err
		}
		o.protect = append(o.protect, list...)
	}
	if r := o.requestsPerS; r != 0 && (math.IsNaN(r) || r < minPerSecond || r > maxPerSecond) {
		return nil, usagef("-rate %v is out of range: want %d to %d requests a second (Aha! allows %d), or 0 for the default %d",
			r, minPerSecond, maxPerSecond, maxPerSecond, aha.DefaultPerSecond)
	}
	if r := o.requestsPerMn; r != 0 && (r < minPerMinute || r > maxPerMinute) {
		return nil, usagef("-rate-per-minute %d is out of range: want %d to %d requests a minute (Aha! allows %d), or 0 for the default %d",
			r, minPerMinute, maxPerMinute, maxPerMinute, aha.DefaultPerMinute)
	}
	if o.verbose && o.quiet {
		return nil, usagef("-v and -quiet contradict each other: choose one")
	}
	if o.demo && o.tokenFile != "" && o.config == "" {
		return nil, usagef("-token-file needs -aha-url (or AHA_URL): the demo account needs no token")
	}
	if o.config != "" {
		accts, err := readConfig(o.config, o.inactiveDays)
		if err != nil {
			return nil, err
		}
		o.demo = false
		o.accounts = accts
	} else {
		o.accounts = []accountSpec{{
			name: o.profile, url: o.ahaURL, tokenEnv: "AHA_TOKEN", tokenFile: o.tokenFile,
			inactiveDays: o.inactiveDays, entitlements: o.entitlements,
		}}
	}
	// The report must not overwrite what the run reads or journals.
	if o.out != "" {
		if err := checkOutputClash(o.out, o.format, o.runFiles()); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	return o, nil
}

// runFiles lists the files the run reads, or writes besides the report:
// the inputs, the token files (a refreshed token is saved there) and the
// reclaim journals, each with the setting that names it.
func (o *options) runFiles() []runFile {
	files := []runFile{
		{"-config", o.config}, {"-entitlements", o.entitlements},
		{"-protect-file", o.protectFile}, {"-token-file", o.tokenFile},
	}
	if o.journal != "" {
		files = append(files, runFile{"-journal", o.journal})
	}
	for _, a := range o.accounts {
		label := ""
		if o.multi() {
			label = fmt.Sprintf("profile %q: ", a.name)
			files = append(files, runFile{label + "token_file", a.tokenFile}, runFile{label + "entitlements", a.entitlements})
		}
		if o.journal == "" && a.url != "" {
			if p, err := defaultJournal(a.profile()); err == nil {
				files = append(files, runFile{label + "the default reclaim journal", p})
			}
		}
	}
	return files
}

// accountURL validates -aha-url and returns the account's URL.
func accountURL(raw string) (string, error) {
	u, msg := normalizeAccount(raw)
	if msg != "" {
		if strings.Contains(raw, "@") {
			return "", usagef("-aha-url %s", msg) // never echo a password
		}
		return "", usagef("-aha-url %q %s", raw, msg)
	}
	return u, nil
}

// normalizeAccount checks an account URL (-aha-url, a config's aha_url)
// and returns it as oauthflow.NormalizeAccountURL does for
// examples/connect: scheme and lower-case host only ("ACME" is
// https://acme.aha.io, so the profile and journal names agree), http only
// for a loopback host; the API's base URL (…/api/v1) is taken for the
// account. Otherwise it says what is wrong (never repeating the URL, which
// may hold a password).
func normalizeAccount(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	if strings.Contains(s, "@") {
		return "", "must not carry a user name or password: the token goes in the environment or a token file, never in the URL"
	}
	if u, err := url.Parse(s); err == nil && strings.Contains(s, "://") {
		switch u.Scheme {
		case "https":
		case "http":
			if !isLoopback(u.Hostname()) {
				return "", "uses plain http: Aha! needs https (http is allowed only for loopback hosts such as 127.0.0.1)"
			}
		default:
			return "", fmt.Sprintf("uses the scheme %q: use https", u.Scheme)
		}
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), "/api/v1")
	u, err := oauthflow.NormalizeAccountURL(s)
	if err != nil {
		reason := err.Error()
		var ce *oauthflow.ConfigError
		if errors.As(err, &ce) {
			reason = strings.TrimPrefix(ce.Reason, strconv.Quote(strings.TrimSpace(s))+": ")
		}
		return "", "is not an account URL such as https://acme.aha.io: " + reason
	}
	return u, ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// profileName derives a profile name from the account URL: its first label.
func profileName(accountURL string) string {
	u, err := url.Parse(accountURL)
	if err != nil {
		return "aha"
	}
	host := u.Hostname()
	if isLoopback(host) {
		return safeProfileName("local-" + strings.ReplaceAll(u.Host, ":", "-"))
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	return safeProfileName(host)
}

// safeProfileName maps a name derived from a URL onto profileNameRE: any
// other character becomes '-'.
func safeProfileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0
		if !ok {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "aha"
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
