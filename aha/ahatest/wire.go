package ahatest

import (
	"encoding/json"
	"strconv"
	"time"
)

// IDEncoding selects how user and audit ids are written in JSON.
type IDEncoding int

const (
	// IDsAsStrings writes ids as JSON strings of digits, as Aha! does today.
	IDsAsStrings IDEncoding = iota
	// IDsAsNumbers writes ids as bare JSON numbers with every digit (19-digit
	// ids exceed 2^53, so a float64 decoder loses digits).
	IDsAsNumbers
)

// NullEncoding selects how a never-set timestamp (accessed_at of a user who
// never logged in) is written.
type NullEncoding int

const (
	// NullAsNull writes "accessed_at": null, as Aha! documents.
	NullAsNull NullEncoding = iota
	// NullAsEmpty writes "accessed_at": "".
	NullAsEmpty
	// NullAsMissing omits the accessed_at key.
	NullAsMissing
)

// Encoding selects wire variants that real accounts have been seen to
// produce. The zero value is Aha!'s documented form.
type Encoding struct {
	IDs         IDEncoding   // user and audit ids
	NeverAccess NullEncoding // accessed_at of users who never logged in
	// NoMillis writes timestamps without milliseconds (2019-01-01T00:00:00Z).
	NoMillis bool
}

// Aha!'s timestamp layout: UTC with milliseconds.
const (
	timeLayout       = "2006-01-02T15:04:05.000Z"
	timeLayoutNoMSec = "2006-01-02T15:04:05Z"
)

func (e Encoding) time(t time.Time) string {
	if e.NoMillis {
		return t.UTC().Format(timeLayoutNoMSec)
	}
	return t.UTC().Format(timeLayout)
}

func (e Encoding) id(s string) json.RawMessage {
	if e.IDs == IDsAsNumbers {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return json.RawMessage(s)
		}
	}
	return json.RawMessage(strconv.Quote(s))
}

func (e Encoding) accessed(t *time.Time) json.RawMessage {
	if t != nil {
		return json.RawMessage(strconv.Quote(e.time(*t)))
	}
	switch e.NeverAccess {
	case NullAsEmpty:
		return json.RawMessage(`""`)
	case NullAsMissing:
		return nil
	}
	return json.RawMessage("null")
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type wirePagination struct {
	TotalRecords int `json:"total_records"`
	TotalPages   int `json:"total_pages"`
	CurrentPage  int `json:"current_page"`
}

type wireProductRole struct {
	Role            int     `json:"role"`
	RoleDescription string  `json:"role_description"`
	ProductID       string  `json:"product_id"`
	ProductName     *string `json:"product_name"`
}

type wireAdminRoles struct {
	Account       bool `json:"administer_account"`
	Billing       bool `json:"administer_billing"`
	Configuration bool `json:"administer_configuration"`
}

type wireRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type wireIDP struct {
	Type string `json:"type"`
}

// wireUser is the full user object of /users and /users/{id}.
type wireUser struct {
	ID                 json.RawMessage   `json:"id"`
	Name               string            `json:"name"`
	Email              string            `json:"email"`
	Timezone           string            `json:"timezone"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
	AccessedAt         json.RawMessage   `json:"accessed_at,omitempty"` // nil: key omitted
	ProductRoles       []wireProductRole `json:"product_roles"`
	UserRoles          []struct{}        `json:"user_roles"`
	Enabled            bool              `json:"enabled"`
	PaidSeat           bool              `json:"paid_seat"`
	Administrator      bool              `json:"administrator"`
	RoadmapsSeat       *bool             `json:"roadmaps_seat,omitempty"`
	DevelopSeat        *bool             `json:"develop_seat,omitempty"`
	AdministratorRoles wireAdminRoles    `json:"administrator_roles"`
	PaidSeatGroup      *wireRef          `json:"paid_seat_group,omitempty"`
	IdentityProvider   *wireIDP          `json:"identity_provider,omitempty"`
}

// wireShortUser is the short user embedded in other records.
type wireShortUser struct {
	ID        json.RawMessage `json:"id"`
	Name      string          `json:"name"`
	Email     string          `json:"email"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

func (e Encoding) roles(rs []ProductRole) []wireProductRole {
	out := make([]wireProductRole, len(rs))
	for i, r := range rs {
		out[i] = wireProductRole{Role: r.Role, RoleDescription: RoleDescription(r.Role),
			ProductID: r.ProductID, ProductName: nullString(r.ProductName)}
	}
	return out
}

// user encodes u; groups resolves paid_seat_group names.
func (e Encoding) user(u *User, groupName func(id string) string) wireUser {
	w := wireUser{
		ID:            e.id(u.ID),
		Name:          u.Name,
		Email:         u.Email,
		Timezone:      u.Timezone,
		CreatedAt:     e.time(u.CreatedAt),
		UpdatedAt:     e.time(u.UpdatedAt),
		AccessedAt:    e.accessed(u.AccessedAt),
		ProductRoles:  e.roles(u.ProductRoles),
		UserRoles:     []struct{}{},
		Enabled:       u.Enabled,
		PaidSeat:      u.PaidSeat,
		Administrator: u.Administrator,
		AdministratorRoles: wireAdminRoles{
			Account: u.AdminRoles.Account, Billing: u.AdminRoles.Billing, Configuration: u.AdminRoles.Configuration,
		},
	}
	if u.RoadmapsSeat != nil {
		b := *u.RoadmapsSeat
		w.RoadmapsSeat = &b
	}
	if u.DevelopSeat != nil {
		b := *u.DevelopSeat
		w.DevelopSeat = &b
	}
	if u.PaidSeatGroupID != "" {
		w.PaidSeatGroup = &wireRef{ID: u.PaidSeatGroupID, Name: groupName(u.PaidSeatGroupID)}
	}
	if u.IdentityProvider != "" {
		w.IdentityProvider = &wireIDP{Type: u.IdentityProvider}
	}
	return w
}

func (e Encoding) short(u *User) *wireShortUser {
	if u == nil {
		return nil
	}
	return &wireShortUser{ID: e.id(u.ID), Name: u.Name, Email: u.Email,
		CreatedAt: e.time(u.CreatedAt), UpdatedAt: e.time(u.UpdatedAt)}
}

type wireUsersPage struct {
	Users      []wireUser     `json:"users"`
	Pagination wirePagination `json:"pagination"`
}

type wireProductRolesPage struct {
	ProductRoles []wireProductRole `json:"product_roles"`
	Pagination   wirePagination    `json:"pagination"`
}

type wireProjectUser struct {
	Role            int            `json:"role"`
	RoleDescription string         `json:"role_description"`
	User            *wireShortUser `json:"user"`
}

type wireProjectUsersPage struct {
	ProjectUsers []wireProjectUser `json:"project_users"`
	Pagination   wirePagination    `json:"pagination"`
}

type wireMeAccount struct {
	Account struct {
		Name    string  `json:"name"`
		Domain  string  `json:"domain"`
		Logo    *string `json:"logo"`
		AltLogo *string `json:"alt_logo"`
		Enabled bool    `json:"enabled"`
	} `json:"account"`
}

type wireMe struct {
	ID           json.RawMessage   `json:"id"`
	Name         string            `json:"name"`
	Email        string            `json:"email"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
	ProductRoles []wireProductRole `json:"product_roles"`
	Preferences  struct {
		CurrentProductID json.RawMessage `json:"current_product_id"`
	} `json:"preferences"`
	Accounts []wireMeAccount `json:"accounts"`
}

type wireAudit struct {
	ID             json.RawMessage `json:"id"`
	AuditAction    string          `json:"audit_action"`
	CreatedAt      string          `json:"created_at"`
	Interesting    bool            `json:"interesting"`
	User           *wireShortUser  `json:"user"`
	AuditableType  string          `json:"auditable_type"`
	AuditableID    int64           `json:"auditable_id"`
	AssociatedType *string         `json:"associated_type"`
	AssociatedID   *int64          `json:"associated_id"`
	Description    string          `json:"description"`
	Contributors   []struct{}      `json:"contributors"`
	Changes        []struct{}      `json:"changes"`
}

type wireAuditsPage struct {
	Audits     []wireAudit    `json:"audits"`
	Pagination wirePagination `json:"pagination"`
}

type wirePaidSeatGroup struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Administrators []*wireShortUser `json:"administrators"`
	Capacity       int              `json:"capacity"`
	AllocatedSeats int              `json:"allocated_seats"`
	Description    *string          `json:"description"`
	CreatedAt      string           `json:"created_at"`
	UpdatedAt      string           `json:"updated_at"`
}

type wireHistoricalIndexRow struct {
	AuditableID   int64           `json:"auditable_id"`
	AuditableType string          `json:"auditable_type"`
	ID            json.RawMessage `json:"id"`
	Name          string          `json:"name"`
	Email         string          `json:"email"`
	CreatedAt     string          `json:"created_at"`
	UpdatedAt     string          `json:"updated_at"`
	DatesActive   []string        `json:"dates_active"`
}

type wireHistoricalIndex struct {
	HistoricalAudits []wireHistoricalIndexRow `json:"historical_audits"`
	Pagination       wirePagination           `json:"pagination"`
}

type wireSearchResults struct {
	Status     string         `json:"status"`
	TokenCost  int            `json:"token_cost"`
	Audits     []wireAudit    `json:"audits"`
	Pagination wirePagination `json:"pagination"`
}
