package aha

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
)

// ProductsService handles workspaces (Aha! calls them products or
// projects) and their users.
type ProductsService service

// ProjectUser is a user's membership of one workspace.
type ProjectUser struct {
	Role            RoleCode  `json:"role"`             // role code in the workspace
	RoleDescription string    `json:"role_description"` // "Owner", "Viewer", …
	User            ShortUser `json:"user"`             // the member, short form
}

// ListUsers returns one page of a workspace's users
// (GET /products/{product_id}/users). productID may be an id or a key.
// opts follows ListOptions's rules.
func (s *ProductsService) ListUsers(ctx context.Context, productID string, opts *ListOptions) ([]*ProjectUser, *Response, error) {
	var page, perPage int
	if err := opts.validate("ListOptions"); err != nil {
		return nil, nil, err
	}
	if opts != nil {
		page, perPage = opts.Page, opts.PerPage
	}
	return s.listUsers(ctx, productID, page, perPage)
}

func (s *ProductsService) listUsers(ctx context.Context, productID string, page, perPage int) ([]*ProjectUser, *Response, error) {
	path, err := apiPath("products/{}/users", keySegment("product id", productID))
	if err != nil {
		return nil, nil, err
	}
	if q := (&ListUsersOptions{}).query(page, perPage); q != "" {
		path += "?" + q
	}
	var body struct {
		ProjectUsers []*ProjectUser `json:"project_users"`
	}
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	return body.ProjectUsers, resp, nil
}

// AllUsers iterates over every user of a workspace with the paging rules
// of UsersService.All, from the first page (opts.Page is ignored).
func (s *ProductsService) AllUsers(ctx context.Context, productID string, opts *ListOptions) iter.Seq2[*ProjectUser, error] {
	if err := opts.validate("ListOptions"); err != nil {
		return failed[*ProjectUser](err)
	}
	perPage := MaxPerPage
	if opts != nil {
		perPage = clampPerPage(opts.PerPage)
	}
	p := pager[*ProjectUser]{
		op: "products/" + productID + "/users", perPage: perPage,
		fetch: func(ctx context.Context, page, perPage int) ([]*ProjectUser, *Response, error) {
			return s.listUsers(ctx, productID, page, perPage)
		},
		id: func(u *ProjectUser) ID { return u.User.ID },
	}
	return p.all(ctx, 1)
}

// PaidSeatGroupsService handles paid seat groups.
type PaidSeatGroupsService service

// PaidSeatGroup is a group of paid seats with a capacity.
type PaidSeatGroup struct {
	ID             ID          `json:"id"`                  // the group id
	Name           string      `json:"name"`                // the group name
	Administrators []ShortUser `json:"administrators"`      // users who administer the group
	Capacity       int         `json:"capacity"`            // seats the group may use
	AllocatedSeats int         `json:"allocated_seats"`     // seats in use
	Description    *string     `json:"description"`         // may be null
	CreatedAt      Timestamp   `json:"created_at,omitzero"` // creation time
	UpdatedAt      Timestamp   `json:"updated_at,omitzero"` // last update time
}

// List returns the account's paid seat groups (GET /paid_seat_groups).
func (s *PaidSeatGroupsService) List(ctx context.Context) ([]*PaidSeatGroup, *Response, error) {
	var body struct {
		Groups []*PaidSeatGroup `json:"paid_seat_groups"`
	}
	resp, err := s.client.get(ctx, "paid_seat_groups", &body)
	if err != nil {
		return nil, resp, err
	}
	return body.Groups, resp, nil
}

// AddUser puts a user in a group
// (POST /paid_seat_groups/{id}/modify_user {"user_id":…,"remove":null}).
func (s *PaidSeatGroupsService) AddUser(ctx context.Context, groupID, userID ID) (*PaidSeatGroup, *Response, error) {
	return s.modify(ctx, groupID, userID, false)
}

// RemoveUser takes a user out of a group
// (POST /paid_seat_groups/{id}/modify_user {"user_id":…,"remove":true}).
func (s *PaidSeatGroupsService) RemoveUser(ctx context.Context, groupID, userID ID) (*PaidSeatGroup, *Response, error) {
	return s.modify(ctx, groupID, userID, true)
}

func (s *PaidSeatGroupsService) modify(ctx context.Context, groupID, userID ID, remove bool) (*PaidSeatGroup, *Response, error) {
	path, err := apiPath("paid_seat_groups/{}/modify_user", idSegment("paid seat group id", groupID))
	if err != nil {
		return nil, nil, err
	}
	if _, err := apiPath("{}", idSegment("user id", userID)); err != nil {
		return nil, nil, err
	}
	body := map[string]any{"user_id": idNumber(userID), "remove": nil}
	if remove {
		body["remove"] = true
	}
	var g PaidSeatGroup
	resp, err := s.client.send(ctx, http.MethodPost, path, body, &g)
	if err != nil {
		return nil, resp, err
	}
	return &g, resp, nil
}

// idNumber writes a numeric id as a JSON number (as Aha! documents some
// request fields), keeping every digit; other ids stay strings.
func idNumber(id ID) any {
	for _, r := range id {
		if r < '0' || r > '9' {
			return id.String()
		}
	}
	return json.Number(id)
}
