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
	"strings"
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

// configProfile is one profile in a -config file, as written.
type configProfile struct {
	Name         string   `json:"name"`
	AhaURL       string   `json:"aha_url"`
	TokenEnv     string   `json:"token_env"`
	TokenFile    string   `json:"token_file"`
	InactiveDays int      `json:"inactive_days"`
	Entitlements string   `json:"entitlements"`
	Protect      []string `json:"protect"`
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

// readConfig reads a -config file: a JSON array of profiles. Paths in it are
// relative to the file's directory. Profiles without inactive_days take
// defaultDays. Every problem is a usage error naming the file and profile.
func readConfig(path string, defaultDays int) ([]accountSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-config: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, usagef("-config: %v", err)
	}
	if len(data) > maxConfigBytes {
		return nil, usagef("-config %s: larger than %d bytes; it should list a few accounts", path, maxConfigBytes)
	}
	return parseConfig(data, path, defaultDays)
}

func parseConfig(data []byte, path string, defaultDays int) ([]accountSpec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var profiles []configProfile
	if err := dec.Decode(&profiles); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field == "" {
			return nil, usagef("-config %s: want a JSON array of profiles like [{\"name\": \"acme\", \"aha_url\": \"https://acme.aha.io\", \"token_env\": \"ACME_AHA_TOKEN\"}]", path)
		}
		return nil, usagef("-config %s: %v", path, err)
	}
	if dec.More() {
		return nil, usagef("-config %s: unexpected data after the array of profiles", path)
	}
	if len(profiles) == 0 {
		return nil, usagef("-config %s: lists no profile", path)
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	seen := map[string]bool{}
	out := make([]accountSpec, 0, len(profiles))
	for i, p := range profiles {
		where := fmt.Sprintf("-config %s: profile %d", path, i+1)
		if !profileNameRE.MatchString(p.Name) {
			return nil, usagef("%s: name %q: %s", where, truncate(p.Name, 40), profileNameRule)
		}
		where = fmt.Sprintf("-config %s: profile %q", path, p.Name)
		key := strings.ToLower(p.Name)
		if seen[key] {
			return nil, usagef("%s: the name is used twice; profile names must be unique", where)
		}
		seen[key] = true
		if strings.TrimSpace(p.AhaURL) == "" {
			return nil, usagef("%s: aha_url is missing (the account, e.g. https://acme.aha.io)", where)
		}
		u, err := accountURL(p.AhaURL)
		if err != nil {
			return nil, usagef("%s: %v", where, strings.Replace(err.Error(), "-aha-url", "aha_url", 1))
		}
		switch {
		case p.TokenEnv != "" && p.TokenFile != "":
			return nil, usagef("%s: give token_env or token_file, not both", where)
		case p.TokenEnv == "" && p.TokenFile == "":
			return nil, usagef("%s: no credential: set token_env to the name of an environment variable holding the token, or token_file", where)
		case p.TokenEnv != "" && !envNameRE.MatchString(p.TokenEnv):
			return nil, usagef("%s: token_env %q is not an environment variable name (the token itself never goes in the file)", where, truncate(p.TokenEnv, 8))
		}
		days := p.InactiveDays
		if days == 0 {
			days = defaultDays
		}
		if days < 1 || days > 3650 {
			return nil, usagef("%s: inactive_days %d is out of range: want 1 to 3650", where, p.InactiveDays)
		}
		var protect []string
		for k, x := range p.Protect {
			if x = strings.TrimSpace(x); x != "" {
				if msg := protectEntryProblem(x); msg != "" {
					return nil, usagef("%s: protect entry %d %q %s", where, k+1, truncate(x, 60), msg)
				}
				protect = append(protect, x)
			}
		}
		out = append(out, accountSpec{
			name: p.Name, url: u, tokenEnv: p.TokenEnv, tokenFile: rel(p.TokenFile),
			inactiveDays: days, entitlements: rel(p.Entitlements), protect: protect,
		})
	}
	return out, nil
}
