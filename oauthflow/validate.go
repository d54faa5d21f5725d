package oauthflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Administrator flags Aha! reports on a user; [ConnectionStatus.Missing]
// uses these names.
const (
	FlagAdministrator     = "administrator"
	FlagAdministerAccount = "administrator_roles.administer_account"
)

// ConnectionStatus is the outcome of [Validate]: who the token belongs to,
// and whether that user can manage seats (an Aha! account administrator).
type ConnectionStatus struct {
	UserID string // exact digits as Aha! sent them
	Name   string // the user's name in Aha!
	Email  string // the user's email address in Aha!

	// AdminFlagsKnown reports whether Aha! returned the administrator flags
	// at all; when false the fields below are false and Missing says so.
	AdminFlagsKnown   bool
	Administrator     bool // Aha!'s "administrator" flag
	AdministerAccount bool // administrator_roles.administer_account
	AdministerBilling bool // administrator_roles.administer_billing
	AdministerConfig  bool // administrator_roles.administer_configuration

	// Missing lists what the user lacks to administer the account, using
	// FlagAdministrator and FlagAdministerAccount; empty when nothing is.
	Missing []string
}

// IsAccountAdministrator reports whether the user administers the account,
// which every seat-management process in Aha! needs.
func (s *ConnectionStatus) IsAccountAdministrator() bool {
	return s.AdminFlagsKnown && len(s.Missing) == 0
}

// Problem returns "" for an account administrator, otherwise a sentence
// saying exactly what is missing and what to do.
func (s *ConnectionStatus) Problem() string {
	if s.IsAccountAdministrator() {
		return ""
	}
	who := s.Name
	if who == "" {
		who = "user " + s.UserID
	}
	if !s.AdminFlagsKnown {
		return fmt.Sprintf("Aha! did not report whether %s is an administrator; seat management needs an account administrator", who)
	}
	return fmt.Sprintf("%s is not an Aha! account administrator (missing: %s); ask an account administrator to make "+
		"this user an administrator with account permissions, or authorize again signed in as one",
		who, strings.Join(s.Missing, ", "))
}

// APIError is a non-2xx answer from the Aha! API during [Validate]. It
// carries no response body.
type APIError struct {
	Method     string // the request's method, such as "GET"
	URL        string // the request's URL (it never carries a credential)
	StatusCode int    // the HTTP status Aha! answered
}

// Error reports the request and the HTTP status.
func (e *APIError) Error() string {
	return fmt.Sprintf("oauthflow: %s %s: Aha! answered HTTP %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

type apiUser struct {
	ID                 json.RawMessage `json:"id"`
	Name               string          `json:"name"`
	Email              string          `json:"email"`
	Administrator      *bool           `json:"administrator"`
	AdministratorRoles *struct {
		Account       bool `json:"administer_account"`
		Billing       bool `json:"administer_billing"`
		Configuration bool `json:"administer_configuration"`
	} `json:"administrator_roles"`
}

// Validate is the "validate connection" check. httpClient must add the token
// (for example oauth2.NewClient with a [TokenSource] or [StaticToken]);
// apiBaseURL is the API root such as "https://acme.aha.io/api/v1" (see
// [Config.APIBaseURL]). It calls GET /me and, when /me omits the
// administrator flags, GET /users/{id}. A 401 is a [*ReauthorizeError];
// other failures are [*APIError] or transport errors.
func Validate(ctx context.Context, httpClient *http.Client, apiBaseURL string) (*ConnectionStatus, error) {
	base, err := checkAPIBase(apiBaseURL)
	if err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	var me struct {
		User apiUser `json:"user"`
	}
	if err := getJSON(ctx, httpClient, base+"/me", &me); err != nil {
		return nil, err
	}
	u := me.User
	id, err := decodeID(u.ID)
	if err != nil {
		return nil, fmt.Errorf("oauthflow: GET %s/me: %w", base, err)
	}
	if u.Administrator == nil || u.AdministratorRoles == nil {
		var one struct {
			User apiUser `json:"user"`
		}
		if err := getJSON(ctx, httpClient, base+"/users/"+url.PathEscape(id), &one); err != nil {
			return nil, err
		}
		if u.Administrator == nil {
			u.Administrator = one.User.Administrator
		}
		if u.AdministratorRoles == nil {
			u.AdministratorRoles = one.User.AdministratorRoles
		}
	}
	st := &ConnectionStatus{UserID: id, Name: u.Name, Email: u.Email}
	if u.Administrator == nil && u.AdministratorRoles == nil {
		st.Missing = []string{FlagAdministrator, FlagAdministerAccount}
		return st, nil
	}
	st.AdminFlagsKnown = true
	if u.Administrator != nil {
		st.Administrator = *u.Administrator
	}
	if r := u.AdministratorRoles; r != nil {
		st.AdministerAccount, st.AdministerBilling, st.AdministerConfig = r.Account, r.Billing, r.Configuration
	}
	if !st.Administrator {
		st.Missing = append(st.Missing, FlagAdministrator)
	}
	if !st.AdministerAccount {
		st.Missing = append(st.Missing, FlagAdministerAccount)
	}
	return st, nil
}

func checkAPIBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", &ConfigError{Field: "API base URL", Reason: fmt.Sprintf("%q: give it as https://acme.aha.io/api/v1", s)}
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", &ConfigError{Field: "API base URL", Reason: fmt.Sprintf("%q: give only scheme, host and path", s)}
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopbackHost(u.Hostname())) {
		return "", &ConfigError{Field: "API base URL", Reason: fmt.Sprintf("%q: the token is sent only over https (or http to a loopback host)", s)}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// validateClient wraps c in a retrying client for the connection check's
// GET requests: a transient 429, 5xx or dropped connection should not make
// a healthy connection look broken. Only idempotent GETs go through it, it
// honours Retry-After, logs nothing (so no URL or header reaches a log), and
// hands the last response back as is when the retries run out.
func validateClient(c *http.Client) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = c
	rc.Logger = nil
	rc.RetryMax = 2
	rc.RetryWaitMin = 200 * time.Millisecond
	rc.RetryWaitMax = 2 * time.Second
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return rc
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("oauthflow: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "samspoke-oauthflow")
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return fmt.Errorf("oauthflow: %w", err)
	}
	resp, err := validateClient(c).Do(rreq)
	if err != nil {
		return fmt.Errorf("oauthflow: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("oauthflow: GET %s: %w", u, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return &ReauthorizeError{Reason: "Aha! rejected the token (HTTP 401 on GET " + u + ")",
			Err: &APIError{Method: http.MethodGet, URL: u, StatusCode: resp.StatusCode}}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &APIError{Method: http.MethodGet, URL: u, StatusCode: resp.StatusCode}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("oauthflow: GET %s: the reply is not the expected JSON", u)
	}
	return nil
}

// decodeID keeps every digit of an id sent as a JSON string or number.
func decodeID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("the user has no id")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return "", fmt.Errorf("the user id is malformed")
		}
		return s, nil
	}
	for _, b := range raw {
		if b < '0' || b > '9' {
			return "", fmt.Errorf("the user id is not a whole number")
		}
	}
	return string(raw), nil
}
