package oauthflow

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Paths of Aha!'s OAuth2 endpoints, relative to the account URL.
const (
	// AuthorizePath is where the user approves the application.
	AuthorizePath = "/oauth/authorize"
	// TokenPath is where codes and refresh tokens are exchanged for tokens.
	TokenPath = "/oauth/token"
)

// redacted replaces every secret in String, GoString and LogValue forms.
const redacted = "[redacted]"

// Config describes one OAuth2 application registered in one Aha! account.
// Create it with [NewConfig]; the zero value is not usable. A Config is safe
// for concurrent use and never prints its client secret.
type Config struct {
	accountURL  string
	clientID    string
	redirectURI string
	oauth       *oauth2.Config // holds the client secret
	httpClient  *http.Client
	logger      *slog.Logger
	now         func() time.Time
}

// ConfigOption customises a [Config] built by [NewConfig].
type ConfigOption func(*Config)

// WithHTTPClient makes every request to Aha!'s token endpoint use c instead
// of [http.DefaultClient].
func WithHTTPClient(c *http.Client) ConfigOption {
	return func(cfg *Config) { cfg.httpClient = c }
}

// WithLogger sends debug records about the flow and token refreshes to l,
// and one per request to Aha!'s token endpoint (see [LogRequests]: method,
// host, path, status, duration). Records never carry a secret. Logging is
// off by default.
func WithLogger(l *slog.Logger) ConfigOption {
	return func(cfg *Config) { cfg.logger = l }
}

// WithClock replaces time.Now when deciding whether a token has expired and
// when turning a token's lifetime into an expiry time. Times are used in UTC.
func WithClock(now func() time.Time) ConfigOption {
	return func(cfg *Config) { cfg.now = now }
}

// ConfigError reports an unusable [NewConfig] or [ListenLoopback] argument.
type ConfigError struct {
	Field  string // which argument: "account URL", "client id", ...
	Reason string // what is wrong and what is expected
}

// Error describes the argument and what is expected.
func (e *ConfigError) Error() string {
	return "oauthflow: invalid " + e.Field + ": " + e.Reason
}

// NewConfig validates its arguments and returns the Config of an Aha! OAuth2
// application.
//
// accountURL names the Aha! account: "https://acme.aha.io", a bare "acme"
// (meaning https://acme.aha.io), or a full host such as "acme.euw4.aha.io".
// Plain http is accepted only for a loopback host (tests and local fakes).
// redirectURI must equal the redirect URI registered with the application;
// it must be https, or http on a loopback host.
//
// NewConfig does no network I/O.
func NewConfig(accountURL, clientID, clientSecret, redirectURI string, opts ...ConfigOption) (*Config, error) {
	acct, err := NormalizeAccountURL(accountURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(clientID) == "" {
		return nil, &ConfigError{Field: "client id", Reason: "it is empty; copy it from the OAuth application registered in Aha!"}
	}
	if strings.TrimSpace(clientSecret) == "" {
		return nil, &ConfigError{Field: "client secret", Reason: "it is empty; copy it from the OAuth application registered in Aha!"}
	}
	redirect, err := checkRedirectURI(redirectURI)
	if err != nil {
		return nil, err
	}
	c := &Config{
		accountURL:  acct,
		clientID:    clientID,
		redirectURI: redirect,
		now:         time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	c.oauth = &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     c.Endpoint(),
		RedirectURL:  redirect,
	}
	return c, nil
}

// AccountURL returns the normalised account URL, such as "https://acme.aha.io".
func (c *Config) AccountURL() string { return c.accountURL }

// APIBaseURL returns the account's REST API base, such as
// "https://acme.aha.io/api/v1".
func (c *Config) APIBaseURL() string { return c.accountURL + "/api/v1" }

// ClientID returns the OAuth application's client id (not a secret).
func (c *Config) ClientID() string { return c.clientID }

// RedirectURI returns the redirect URI sent to Aha!.
func (c *Config) RedirectURI() string { return c.redirectURI }

// Endpoint returns Aha!'s authorize and token endpoints for the account.
// Aha! expects client_id and client_secret in the token request's form body,
// hence [oauth2.AuthStyleInParams].
func (c *Config) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:   c.accountURL + AuthorizePath,
		TokenURL:  c.accountURL + TokenPath,
		AuthStyle: oauth2.AuthStyleInParams,
	}
}

// OAuth2 returns a copy of the underlying [oauth2.Config], for callers that
// need golang.org/x/oauth2 directly. The copy holds the client secret.
func (c *Config) OAuth2() *oauth2.Config {
	cp := *c.oauth
	return &cp
}

// String describes the Config with its client secret redacted.
func (c *Config) String() string {
	if c == nil {
		return "oauthflow.Config(nil)"
	}
	return fmt.Sprintf("oauthflow.Config{AccountURL: %s, ClientID: %s, ClientSecret: %s, RedirectURI: %s}",
		c.accountURL, c.clientID, redacted, c.redirectURI)
}

// GoString is [Config.String], so that %#v cannot print the client secret.
func (c *Config) GoString() string { return c.String() }

// LogValue renders the Config for log/slog with its client secret redacted.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("account_url", c.accountURL),
		slog.String("client_id", c.clientID),
		slog.String("client_secret", redacted),
		slog.String("redirect_uri", c.redirectURI),
	)
}

// context returns ctx carrying, for x/oauth2, the HTTP client of the
// Config's requests: WithHTTPClient's, else the context's own
// oauth2.HTTPClient, else http.DefaultClient; with WithLogger, a copy of it
// that logs each request (LogRequests).
func (c *Config) context(ctx context.Context) context.Context {
	hc := c.httpClient
	if hc == nil {
		hc, _ = ctx.Value(oauth2.HTTPClient).(*http.Client)
	}
	if c.logger != nil {
		if hc == nil {
			hc = http.DefaultClient
		}
		logged := *hc
		logged.Transport = LogRequests(c.logger, hc.Transport)
		hc = &logged
	}
	if hc == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

func (c *Config) clock() time.Time {
	if c == nil || c.now == nil {
		return time.Now().UTC()
	}
	return c.now().UTC()
}

func (c *Config) debug(msg string, args ...any) {
	if c != nil && c.logger != nil {
		c.logger.Debug(msg, args...)
	}
}

var accountLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// NormalizeAccountURL turns an Aha! account given as "https://acme.aha.io",
// "acme" or "acme.euw4.aha.io" into a URL with scheme and host only, such as
// "https://acme.aha.io". Plain http is accepted only for loopback hosts.
func NormalizeAccountURL(s string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", &ConfigError{Field: "account URL", Reason: fmt.Sprintf("%q: %s", s, reason)}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return fail(`it is empty; give it as "https://acme.aha.io" or "acme"`)
	}
	raw := strings.ToLower(s)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fail(`not a URL; give it as "https://acme.aha.io" or "acme"`)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return fail(`give only the scheme and host, such as "https://acme.aha.io"`)
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil {
		for _, label := range strings.Split(host, ".") {
			if !accountLabel.MatchString(label) {
				return fail("not a valid host name")
			}
		}
	}
	if p := u.Port(); p != "" && strings.TrimLeft(p, "0123456789") != "" {
		return fail("not a valid port")
	}
	if !strings.Contains(host, ".") && host != "localhost" && !strings.Contains(host, ":") {
		u.Host = host + ".aha.io"
		if p := u.Port(); p != "" {
			u.Host = net.JoinHostPort(u.Host, p)
		}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(host) {
			return fail("plain http is allowed only for a loopback host; use https")
		}
	default:
		return fail("the scheme must be https")
	}
	return u.Scheme + "://" + u.Host, nil
}

func checkRedirectURI(s string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", &ConfigError{Field: "redirect URI", Reason: fmt.Sprintf("%q: %s", s, reason)}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fail("it must be an absolute URL equal to the one registered in Aha!")
	}
	if u.User != nil || u.Fragment != "" {
		return fail("it must not carry user information or a fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return fail("plain http is allowed only for a loopback host such as 127.0.0.1")
		}
	default:
		return fail("the scheme must be https, or http on a loopback host")
	}
	return s, nil
}

// isLoopbackHost reports whether host (no port) names this machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
