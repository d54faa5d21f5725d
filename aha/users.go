package aha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// UsersService handles users, their workspace roles and /me.
type UsersService service

// User is an Aha! user as GET /users and GET /users/{id} describe it.
type User struct {
	ID       ID     `json:"id"`                 // the user id
	Name     string `json:"name"`               // full name
	Email    string `json:"email"`              // email address (not unique across users)
	Timezone string `json:"timezone,omitempty"` // IANA or Rails time zone name

	CreatedAt Timestamp `json:"created_at,omitzero"` // when the user was created
	UpdatedAt Timestamp `json:"updated_at,omitzero"` // last update
	// AccessedAt is the last time the user accessed Aha!. Aha! sends null
	// for a user who never did (Null is true); a missing or empty value
	// says nothing, and the last access is then unknown (neither Valid nor
	// Null).
	AccessedAt Timestamp `json:"accessed_at,omitzero"`

	// Enabled is false for disabled users, who hold no paid seat.
	Enabled bool `json:"enabled"`
	// PaidSeat is Aha!'s own word on whether the user takes a paid seat.
	PaidSeat bool `json:"paid_seat"`
	// RoadmapsSeat and DevelopSeat are per-product seat flags; nil on
	// older accounts that do not send them.
	RoadmapsSeat *bool `json:"roadmaps_seat,omitempty"`
	DevelopSeat  *bool `json:"develop_seat,omitempty"` // see RoadmapsSeat

	Administrator      bool                `json:"administrator"`                 // account administrator
	AdministratorRoles *AdministratorRoles `json:"administrator_roles,omitempty"` // account-level rights; nil when absent
	ProductRoles       []ProductRole       `json:"product_roles,omitempty"`       // roles in each workspace
	UserRoles          []UserRole          `json:"user_roles,omitempty"`          // custom roles (Enterprise+)
	// PaidSeatGroup is set only when the user is in a group.
	PaidSeatGroup    *PaidSeatGroupRef `json:"paid_seat_group,omitempty"`
	IdentityProvider *IdentityProvider `json:"identity_provider,omitempty"` // how the user signs in
}

// ShortUser is the short form of a user embedded in other records.
type ShortUser struct {
	ID        ID        `json:"id"`                  // the user id
	Name      string    `json:"name"`                // full name
	Email     string    `json:"email"`               // email address
	CreatedAt Timestamp `json:"created_at,omitzero"` // creation time
	UpdatedAt Timestamp `json:"updated_at,omitzero"` // last update time
}

// AdministratorRoles are the account-level administrator rights.
type AdministratorRoles struct {
	AdministerAccount       bool `json:"administer_account"`       // may manage users and the account
	AdministerBilling       bool `json:"administer_billing"`       // may manage billing
	AdministerConfiguration bool `json:"administer_configuration"` // may manage configuration
}

// RoleCode is a workspace role as Aha! reports it (20 Owner, …).
type RoleCode int

// Workspace role codes in responses.
const (
	RoleCodeOwner       RoleCode = 20
	RoleCodeContributor RoleCode = 30
	RoleCodeDeveloper   RoleCode = 35
	RoleCodeReviewer    RoleCode = 40
	RoleCodeViewer      RoleCode = 50
)

// UnmarshalJSON accepts a number or a string of digits.
func (r *RoleCode) UnmarshalJSON(b []byte) error {
	var n flexInt
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	*r = RoleCode(n)
	return nil
}

// RoleName is a workspace role as requests name it.
type RoleName string

// Workspace role names for SetProductRole.
const (
	RoleOwner       RoleName = "product_owner"
	RoleContributor RoleName = "contributor"
	RoleReviewer    RoleName = "reviewer"
	RoleViewer      RoleName = "viewer"
	RoleNone        RoleName = "none"
)

// ProductRole is a user's role in one workspace.
type ProductRole struct {
	Role            RoleCode `json:"role"`             // role code (RoleCodeOwner, …)
	RoleDescription string   `json:"role_description"` // "Owner", "Viewer", …
	ProductID       ID       `json:"product_id"`       // the workspace id
	// ProductName may be null in Aha!'s payloads.
	ProductName *string `json:"product_name"`
}

// UserRole is a custom role (Enterprise+).
type UserRole struct {
	RoleID ID         `json:"role_id"`         // the role id (JSON number)
	Name   string     `json:"name"`            // the role name
	Scope  *RoleScope `json:"scope,omitempty"` // where the role applies
}

// RoleScope is where a custom role applies.
type RoleScope struct {
	Type string `json:"type"` // "project", …
	Name string `json:"name"` // the scope's name
	ID   ID     `json:"id"`   // the scope record id (JSON number)
}

// PaidSeatGroupRef names the paid seat group a user is in.
type PaidSeatGroupRef struct {
	ID   ID     `json:"id"`   // the group id (string or number on the wire)
	Name string `json:"name"` // the group name
}

// IdentityProvider says how the user signs in ("password", "saml", …).
type IdentityProvider struct {
	Type string `json:"type"` // "password", "saml", …
}

// ListUsersOptions filters GET /users. A nil *ListUsersOptions lists every
// user from the first page; the paging fields follow ListOptions's rules.
type ListUsersOptions struct {
	ListOptions
	// Email keeps users with this email.
	Email string
}

func (o *ListUsersOptions) query(page, perPage int) string {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(min(perPage, MaxPerPage)))
	}
	if o != nil && o.Email != "" {
		q.Set("email", o.Email)
	}
	return q.Encode()
}

type usersPage struct {
	Users []*User `json:"users"`
}

// List returns one page of users (GET /users). Negative paging options
// are an *ArgumentError and send nothing.
func (s *UsersService) List(ctx context.Context, opts *ListUsersOptions) ([]*User, *Response, error) {
	var page, perPage int
	if opts != nil {
		if err := opts.validate("ListUsersOptions"); err != nil {
			return nil, nil, err
		}
		page, perPage = opts.Page, opts.PerPage
	}
	return s.list(ctx, opts, page, perPage)
}

func (s *UsersService) list(ctx context.Context, opts *ListUsersOptions, page, perPage int) ([]*User, *Response, error) {
	path := "users"
	if q := opts.query(page, perPage); q != "" {
		path += "?" + q
	}
	var body usersPage
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	if slices.Contains(body.Users, nil) {
		// Not a user: dropping it would shorten the account silently.
		return nil, resp, fmt.Errorf("aha: GET %s: the page lists a null user", path)
	}
	return body.Users, resp, nil
}

func (s *UsersService) pager(opts *ListUsersOptions) pager[*User] {
	perPage := MaxPerPage
	if opts != nil {
		perPage = clampPerPage(opts.PerPage)
	}
	return pager[*User]{
		op:      "users",
		perPage: perPage,
		fetch: func(ctx context.Context, page, perPage int) ([]*User, *Response, error) {
			return s.list(ctx, opts, page, perPage)
		},
		id: func(u *User) ID { return u.ID },
	}
}

// All iterates over every user, page by page from opts.Page (default 1)
// with opts.PerPage (default and at most MaxPerPage). It ends when
// current_page reaches total_pages, skips a user seen twice, and yields
// *ListChangedError (wrapped in *WalkError) if the listing changed while it
// was read. Negative paging options yield an *ArgumentError before any
// request. After an error is yielded the iteration stops. opts is not
// modified; nil lists every user.
func (s *UsersService) All(ctx context.Context, opts *ListUsersOptions) iter.Seq2[*User, error] {
	start := 1
	if opts != nil {
		if err := opts.validate("ListUsersOptions"); err != nil {
			return failed[*User](err)
		}
		start = max(opts.Page, 1)
	}
	return s.pager(opts).all(ctx, start)
}

// ListAll returns every user, or an error and no users. With
// opts.Concurrency > 1 pages 2..N are fetched concurrently (under the
// limiter) once page 1 has told how many there are; the order and the
// checks are those of All. opts.Page is ignored; negative options are an
// *ArgumentError and send nothing.
func (s *UsersService) ListAll(ctx context.Context, opts *ListUsersOptions) ([]*User, error) {
	conc := 0
	if opts != nil {
		if err := opts.validate("ListUsersOptions"); err != nil {
			return nil, err
		}
		conc = opts.Concurrency
	}
	return s.pager(opts).collect(ctx, conc)
}

// Get returns one user (GET /users/{id}).
func (s *UsersService) Get(ctx context.Context, id ID) (*User, *Response, error) {
	path, err := apiPath("users/{}", idSegment("user id", id))
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	resp, err := s.client.get(ctx, path, &raw)
	if err != nil {
		return nil, resp, err
	}
	u := new(User)
	if err := decodeMaybeWrapped(raw, "user", u); err != nil {
		return nil, resp, err
	}
	return u, resp, nil
}

// FindByEmail returns the user whose email matches (case-insensitively),
// reading every page of GET /users?email= with the paging rules of All; the
// *Response is that of the last page read. It fails with an error matching
// ErrNotFound when no user matches, and ErrAmbiguousEmail when several do.
func (s *UsersService) FindByEmail(ctx context.Context, email string) (*User, *Response, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil, errors.New("aha: empty email")
	}
	var (
		found, other *User
		last         *Response
	)
	err := s.pager(&ListUsersOptions{Email: email}).stream(ctx, 1, func(users []*User, resp *Response) {
		last = resp
		for _, u := range users {
			if !strings.EqualFold(u.Email, email) {
				continue
			}
			if found != nil && found.ID != u.ID && other == nil {
				other = u
			}
			if found == nil {
				found = u
			}
		}
	})
	switch {
	case err != nil:
		return nil, last, err
	case other != nil:
		return nil, last, fmt.Errorf("aha: users %s and %s share email %q: %w", found.ID, other.ID, email, ErrAmbiguousEmail)
	case found == nil:
		return nil, last, fmt.Errorf("aha: no user with email %q: %w", email, ErrNotFound)
	}
	return found, last, nil
}

// UserUpdate is the body of PUT /users/{id}; nil fields are left alone.
type UserUpdate struct {
	FirstName          *string             `json:"first_name,omitempty"`          // new first name
	LastName           *string             `json:"last_name,omitempty"`           // new last name
	Email              *string             `json:"email,omitempty"`               // new email
	Enabled            *bool               `json:"enabled,omitempty"`             // false disables the user, freeing the seat
	Administrator      *bool               `json:"administrator,omitempty"`       // grant or revoke administration
	AdministratorRoles *AdministratorRoles `json:"administrator_roles,omitempty"` // set account-level rights
}

// Update changes a user (PUT /users/{id} with {"user":{…}}). Aha! answers
// with the bare user; a wrapped one is accepted too. The reply may lag
// (a disabled user still shows paid_seat: true): re-read with Get when the
// seat matters.
func (s *UsersService) Update(ctx context.Context, id ID, upd *UserUpdate) (*User, *Response, error) {
	path, err := apiPath("users/{}", idSegment("user id", id))
	if err != nil {
		return nil, nil, err
	}
	if upd == nil {
		return nil, nil, errors.New("aha: nil user update")
	}
	body := struct {
		User *UserUpdate `json:"user"`
	}{upd}
	var raw json.RawMessage
	resp, err := s.client.send(ctx, http.MethodPut, path, body, &raw)
	if err != nil {
		return nil, resp, err
	}
	u := new(User)
	if len(raw) == 0 {
		return u, resp, nil
	}
	if err := decodeMaybeWrapped(raw, "user", u); err != nil {
		return nil, resp, err
	}
	return u, resp, nil
}

// Disable disables a user, which frees the paid seat and keeps the content
// (PUT {"user":{"enabled":false}}). There is no user deletion in the API.
func (s *UsersService) Disable(ctx context.Context, id ID) (*User, *Response, error) {
	f := false
	return s.Update(ctx, id, &UserUpdate{Enabled: &f})
}

// Enable re-enables a disabled user.
func (s *UsersService) Enable(ctx context.Context, id ID) (*User, *Response, error) {
	t := true
	return s.Update(ctx, id, &UserUpdate{Enabled: &t})
}

// Me is the token's own user with its accounts (GET /me).
type Me struct {
	User
	Accounts []MeAccount `json:"accounts,omitempty"` // the accounts the user belongs to
}

// MeAccount wraps one account the user belongs to.
type MeAccount struct {
	Account Account `json:"account"` // the account
}

// Account is an Aha! account as /me lists it.
type Account struct {
	Name    string  `json:"name"`    // display name
	Domain  string  `json:"domain"`  // subdomain, as in <domain>.aha.io
	Enabled bool    `json:"enabled"` // whether the account is active
	Logo    *string `json:"logo"`    // logo URL, may be null
}

// Me returns the token's own user (GET /me): a cheap connection check.
func (s *UsersService) Me(ctx context.Context) (*Me, *Response, error) {
	var raw json.RawMessage
	resp, err := s.client.get(ctx, "me", &raw)
	if err != nil {
		return nil, resp, err
	}
	m := new(Me)
	if err := decodeMaybeWrapped(raw, "user", m); err != nil {
		return nil, resp, err
	}
	return m, resp, nil
}

// Me returns the token's own user; see UsersService.Me.
func (c *Client) Me(ctx context.Context) (*Me, *Response, error) { return c.Users.Me(ctx) }

type productRolesPage struct {
	ProductRoles []*ProductRole `json:"product_roles"`
}

// ListProductRoles returns one page of a user's workspace roles
// (GET /users/{id}/product_roles).
func (s *UsersService) ListProductRoles(ctx context.Context, userID ID, opts *ListOptions) ([]*ProductRole, *Response, error) {
	path, err := apiPath("users/{}/product_roles", idSegment("user id", userID))
	if err != nil {
		return nil, nil, err
	}
	if opts != nil {
		if err := opts.validate("ListOptions"); err != nil {
			return nil, nil, err
		}
		if q := (&ListUsersOptions{}).query(opts.Page, opts.PerPage); q != "" {
			path += "?" + q
		}
	}
	var body productRolesPage
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	if slices.Contains(body.ProductRoles, nil) {
		return nil, resp, fmt.Errorf("aha: GET %s: the page lists a null role", path)
	}
	return body.ProductRoles, resp, nil
}

// AllProductRoles iterates over every workspace role of a user, with the
// paging rules of All (one role per workspace, de-duplicated by product id).
func (s *UsersService) AllProductRoles(ctx context.Context, userID ID) iter.Seq2[*ProductRole, error] {
	p := pager[*ProductRole]{
		op: "users/" + userID.String() + "/product_roles", perPage: MaxPerPage,
		fetch: func(ctx context.Context, page, perPage int) ([]*ProductRole, *Response, error) {
			return s.ListProductRoles(ctx, userID, &ListOptions{Page: page, PerPage: perPage})
		},
		id: func(r *ProductRole) ID { return r.ProductID },
	}
	return p.all(ctx, 1)
}

// SetProductRole gives a user a role in a workspace
// (POST /users/{id}/product_roles). productID may be the id or the
// workspace key ("PRJ1").
func (s *UsersService) SetProductRole(ctx context.Context, userID ID, productID string, role RoleName) (*ProductRole, *Response, error) {
	path, err := apiPath("users/{}/product_roles", idSegment("user id", userID))
	if err != nil {
		return nil, nil, err
	}
	if productID == "" || role == "" {
		return nil, nil, errors.New("aha: product id and role are required")
	}
	body := map[string]any{"product_role": map[string]string{"role": string(role), "product_id": productID}}
	var raw json.RawMessage
	resp, err := s.client.send(ctx, http.MethodPost, path, body, &raw)
	if err != nil {
		return nil, resp, err
	}
	pr := new(ProductRole)
	if len(raw) > 0 {
		if err := decodeMaybeWrapped(raw, "product_role", pr); err != nil {
			return nil, resp, err
		}
	}
	return pr, resp, nil
}

// RemoveProductRole removes a user's access to a workspace
// (DELETE /users/{id}/product_roles/{product_id}; 204).
func (s *UsersService) RemoveProductRole(ctx context.Context, userID ID, productID string) (*Response, error) {
	path, err := apiPath("users/{}/product_roles/{}", idSegment("user id", userID), keySegment("product id", productID))
	if err != nil {
		return nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return nil, err
	}
	return s.client.Do(req, nil)
}
