package sam

import (
	"errors"
	"fmt"
	"sort"
)

// ErrAliasInUse reports that a connection alias already has a profile.
var ErrAliasInUse = errors.New("sam: connection alias already has a profile")

// Alias is a connection alias. A parent alias names a vendor (Parent is
// empty); each account of that vendor is a child alias under it with its
// own credentials and at most one profile, so one program manages several
// accounts of one vendor and every report can be split by profile. A
// vendor with a single account may use the parent alias directly.
type Alias struct {
	Name   string `json:"name"`
	Vendor string `json:"vendor"`
	// Parent is the parent alias's name; empty for a parent alias.
	Parent string `json:"parent,omitempty"`
	// CredentialsRef names where the credentials are kept (an environment
	// variable, a secret store key); never the secret itself.
	CredentialsRef string `json:"credentials_ref,omitempty"`
	// URL is the account's base URL, e.g. "https://acme.aha.io".
	URL string `json:"url,omitempty"`
	// Profile is the integration profile using this alias; empty when none.
	Profile string `json:"profile,omitempty"`
}

// AliasError reports an inconsistent set of aliases.
type AliasError struct {
	Alias string
	Msg   string
}

// Error names the alias and the problem.
func (e *AliasError) Error() string { return fmt.Sprintf("sam: alias %q: %s", e.Alias, e.Msg) }

// ValidateAliases checks a set of aliases: names unique and non-empty, every
// child under an existing parent alias of the same vendor (one level deep),
// every alias with a profile holding its own credentials reference, and no
// two aliases sharing a profile or a credentials reference.
func ValidateAliases(aliases []Alias) error {
	byName := map[string]Alias{}
	for _, a := range aliases {
		if a.Name == "" {
			return &AliasError{Alias: a.Name, Msg: "has no name"}
		}
		if _, dup := byName[a.Name]; dup {
			return &AliasError{Alias: a.Name, Msg: "is listed twice"}
		}
		byName[a.Name] = a
	}
	profiles := map[string]string{}
	creds := map[string]string{}
	for _, a := range sortedAliases(aliases) {
		if a.Vendor == "" {
			return &AliasError{Alias: a.Name, Msg: "has no vendor"}
		}
		if a.Parent != "" {
			p, ok := byName[a.Parent]
			switch {
			case !ok:
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("parent alias %q does not exist", a.Parent)}
			case p.Parent != "":
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("parent %q is itself a child alias; aliases nest one level only", a.Parent)}
			case p.Vendor != a.Vendor:
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("vendor %q differs from its parent's %q", a.Vendor, p.Vendor)}
			}
		}
		if a.Profile != "" {
			if a.CredentialsRef == "" {
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("has profile %q but no credentials reference", a.Profile)}
			}
			if other, dup := profiles[a.Profile]; dup {
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("profile %q is already used by alias %q; one profile per alias", a.Profile, other)}
			}
			profiles[a.Profile] = a.Name
		}
		if a.CredentialsRef != "" {
			if other, dup := creds[a.CredentialsRef]; dup {
				return &AliasError{Alias: a.Name, Msg: fmt.Sprintf("shares its credentials reference with alias %q; each account has its own", other)}
			}
			creds[a.CredentialsRef] = a.Name
		}
	}
	return nil
}

// Children returns the child aliases of parent, sorted by name.
func Children(aliases []Alias, parent string) []Alias {
	var out []Alias
	for _, a := range aliases {
		if a.Parent == parent && parent != "" {
			out = append(out, a)
		}
	}
	return sortedAliases(out)
}

func sortedAliases(in []Alias) []Alias {
	out := append([]Alias(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
