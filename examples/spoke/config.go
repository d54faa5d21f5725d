package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// accountSpec is one Aha! account to work on: the one the flags name, or
// one profile of a -config file.
type accountSpec struct {
	name         string // the profile's name; empty: derived from the URL
	url          string // the account's URL; empty: the embedded demo
	tokenEnv     string // the environment variable holding the token
	tokenFile    string // an OAuth token file (examples/connect)
	inactiveDays int
	entitlements string // a JSON file of entitlements; empty: none
	protect      []string
}

// profile is the account's profile name: its own, or derived from its URL
// (as the connection names it).
func (s *accountSpec) profile() string {
	if s.name != "" {
		return s.name
	}
	return profileName(s.url)
}

var (
	// profileNameRE is a profile name: it names the default journal file,
	// so it is one path element that cannot climb (1 to 64 of
	// [A-Za-z0-9._-], not starting with '.').
	profileNameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// profileNameRule says what profileNameRE wants.
const profileNameRule = "want 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' (it names the journal file)"

// maxConfigBytes caps a -config file: it lists accounts, not users.
const maxConfigBytes = 1 << 20

// configFields lists the fields a -config profile may have.
var configFields = []string{"name", "aha_url", "token_env", "token_file", "inactive_days", "entitlements", "protect"}

// configExample is what a -config file looks like, for its errors.
const configExample = `[{"name": "acme", "aha_url": "https://acme.aha.io", "token_env": "ACME_AHA_TOKEN"}]`

// configError is a bad -config file: a usage error, one line naming the
// file, the profile (1-based, and its name once known) and the field:
//
//	accounts.json: profile 2 ("eu"): field "inactive_days": is 0; want 1 to 3650
type configError struct {
	file    string
	profile int    // 0: the file as a whole
	name    string // the profile's name, when valid
	field   string
	msg     string
}

func (e *configError) usage() error {
	s := e.file + ": "
	if e.profile > 0 {
		s += fmt.Sprintf("profile %d", e.profile)
		if e.name != "" {
			s += fmt.Sprintf(" (%q)", e.name)
		}
		s += ": "
	}
	if e.field != "" {
		s += fmt.Sprintf("field %q: ", e.field)
	}
	return &usageError{msg: s + e.msg}
}

// readConfig reads a -config file: a JSON array of profiles. Paths in it are
// relative to the file's directory. Profiles without inactive_days take
// defaultDays. Every problem is a usage error naming the file, the profile
// and the field.
func readConfig(path string, defaultDays int) ([]accountSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-config: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, usagef("-config %s: %v", path, pathCause(err))
	}
	if len(data) > maxConfigBytes {
		return nil, usagef("-config %s: larger than %d bytes; it should list a few accounts", path, maxConfigBytes)
	}
	return parseConfig(data, path, defaultDays)
}

// parseConfig is readConfig for data in memory.
func parseConfig(data []byte, path string, defaultDays int) ([]accountSpec, error) {
	fail := func(profile int, name, field, msg string) ([]accountSpec, error) {
		return nil, (&configError{file: path, profile: profile, name: name, field: field, msg: msg}).usage()
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return fail(0, "", "", fmt.Sprintf("is not valid UTF-8 (the first invalid byte is on line %d)", bytes.Count(data[:off], []byte("\n"))+1))
	}
	// Editors on some systems start UTF-8 files with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, "", "", "is empty; want a JSON array of profiles like "+configExample)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fail(0, "", "", "is not JSON: "+jsonMsg(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fail(0, "", "", "want a JSON array of profiles like "+configExample)
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	names := map[string]int{}    // lower-case name → profile number
	accounts := map[string]int{} // account URL → profile number
	var out []accountSpec
	for n := 1; dec.More(); n++ {
		raw, cerr := readConfigObject(dec)
		if cerr != nil {
			cerr.file, cerr.profile = path, n
			return nil, cerr.usage()
		}
		p, cerr := decodeProfile(raw, defaultDays)
		if cerr != nil {
			cerr.file, cerr.profile = path, n
			return nil, cerr.usage()
		}
		if first, dup := names[strings.ToLower(p.name)]; dup {
			return fail(n, p.name, "name", fmt.Sprintf("is already the name of profile %d (%q); profile names must be unique", first, out[first-1].name))
		}
		names[strings.ToLower(p.name)] = n
		if first, dup := accounts[p.url]; dup {
			return fail(n, p.name, "aha_url", fmt.Sprintf("%s is already the account of profile %d (%q): two profiles on one account would count its seats twice and could reclaim them twice",
				p.url, first, out[first-1].name))
		}
		accounts[p.url] = n
		p.tokenFile, p.entitlements = rel(p.tokenFile), rel(p.entitlements)
		out = append(out, p)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return fail(0, "", "", "is not valid JSON: "+jsonMsg(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(0, "", "", "has data after the array of profiles")
	}
	if len(out) == 0 {
		return fail(0, "", "", "lists no profile; want a JSON array of profiles like "+configExample)
	}
	return out, nil
}

// readConfigObject reads one profile object from dec, field by field, so
// that an unknown or repeated field is named.
func readConfigObject(dec *json.Decoder) (map[string]json.RawMessage, *configError) {
	tok, err := dec.Token()
	if err != nil {
		return nil, &configError{msg: "is not valid JSON: " + jsonMsg(err)}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &configError{msg: "must be a JSON object like " + strings.Trim(configExample, "[]")}
	}
	raw := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &configError{msg: "is not valid JSON: " + jsonMsg(err)}
		}
		key, _ := tok.(string)
		switch {
		case key == "token" || key == "access_token" || key == "api_key":
			return nil, &configError{field: key, msg: "is not a known field: a token never goes in the config file; set token_env to the name of an environment variable holding it, or token_file to a token file"}
		case !slices.Contains(configFields, key):
			return nil, &configError{field: truncate(key, 40), msg: "is not a known field (want one of " + strings.Join(configFields, ", ") + ")"}
		}
		if _, dup := raw[key]; dup {
			return nil, &configError{field: key, msg: "appears twice"}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, &configError{field: key, msg: "is not valid JSON: " + jsonMsg(err)}
		}
		raw[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, &configError{msg: "is not valid JSON: " + jsonMsg(err)}
	}
	return raw, nil
}

// decodeProfile checks one profile's fields, name first so that later
// errors can name the profile.
func decodeProfile(raw map[string]json.RawMessage, defaultDays int) (accountSpec, *configError) {
	var cerr *configError
	bad := func(field, msg string) {
		if cerr == nil {
			cerr = &configError{field: field, msg: msg}
		}
	}
	str := func(field string) string {
		v, ok := raw[field]
		if !ok || string(v) == "null" {
			return ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			bad(field, "must be a string, not "+jsonKind(v))
		}
		return s
	}
	var p accountSpec
	p.name = str("name")
	switch {
	case cerr != nil:
	case p.name == "":
		bad("name", "is missing: every profile needs a name (letters, digits, '.', '_' or '-'), e.g. \"acme\"")
	case !profileNameRE.MatchString(p.name):
		bad("name", fmt.Sprintf("%q: %s", truncate(p.name, 40), profileNameRule))
		p.name = ""
	}
	if cerr != nil {
		return p, cerr
	}
	named := func(c *configError) *configError {
		if c != nil {
			c.name = p.name
		}
		return c
	}
	ahaURL := str("aha_url")
	tokenEnv, tokenFile := str("token_env"), str("token_file")
	p.entitlements = str("entitlements")
	if cerr != nil {
		return p, named(cerr)
	}
	if strings.TrimSpace(ahaURL) == "" {
		return p, named(&configError{field: "aha_url", msg: "is missing: the account, e.g. https://acme.aha.io"})
	}
	u, msg := normalizeAccount(ahaURL)
	if msg != "" {
		return p, named(&configError{field: "aha_url", msg: msg})
	}
	p.url = u
	switch {
	case tokenEnv != "" && tokenFile != "":
		return p, named(&configError{field: "token_file", msg: "give token_env or token_file, not both"})
	case tokenEnv == "" && tokenFile == "":
		return p, named(&configError{field: "token_env", msg: "is missing: no credential; set token_env to the name of an environment variable holding the token, or token_file"})
	case tokenEnv != "" && !envNameRE.MatchString(tokenEnv):
		return p, named(&configError{field: "token_env", msg: fmt.Sprintf("%q is not an environment variable name (the token itself never goes in the file)", truncate(tokenEnv, 8))})
	}
	p.tokenEnv, p.tokenFile = tokenEnv, tokenFile
	p.inactiveDays = defaultDays
	if v, ok := raw["inactive_days"]; ok && string(v) != "null" {
		days, err := strconv.Atoi(string(v))
		switch {
		case len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9'):
			return p, named(&configError{field: "inactive_days", msg: "must be a whole number of days (1 to 3650), not " + jsonKind(v)})
		case err != nil:
			return p, named(&configError{field: "inactive_days", msg: fmt.Sprintf("is %s; want a whole number of days, 1 to 3650", truncate(string(v), 24))})
		case days < 1 || days > 3650:
			return p, named(&configError{field: "inactive_days", msg: fmt.Sprintf("is %d; want 1 to 3650 (leave it out to use -inactive-days)", days)})
		}
		p.inactiveDays = days
	}
	if v, ok := raw["protect"]; ok && string(v) != "null" {
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return p, named(&configError{field: "protect", msg: "must be an array of emails or user ids, not " + jsonKind(v)})
		}
		for k, item := range list {
			var x string
			if err := json.Unmarshal(item, &x); err != nil {
				return p, named(&configError{field: "protect", msg: fmt.Sprintf("entry %d must be a string (an email or a user id), not %s", k+1, jsonKind(item))})
			}
			if x = strings.TrimSpace(x); x == "" {
				continue
			}
			if msg := protectEntryProblem(x); msg != "" {
				return p, named(&configError{field: "protect", msg: fmt.Sprintf("entry %d %q %s", k+1, truncate(x, 60), msg)})
			}
			p.protect = append(p.protect, x)
		}
	}
	return p, nil
}

// jsonMsg says what is wrong with JSON that does not parse, without Go's
// "json: " prefix.
func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names the JSON type of v, for "must be a string, not a number".
func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
