package ahatest

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Role codes as Aha! reports them in product_roles[].role.
const (
	RoleOwner       = 20 // "Owner": always a paid seat.
	RoleContributor = 30 // "Contributor": always a paid seat.
	RoleDeveloper   = 35 // "Developer" (Aha! Develop workspaces): a paid Develop seat.
	RoleReviewer    = 40 // "Reviewer": free on Enterprise plans, paid on Premium.
	RoleViewer      = 50 // "Viewer": free on Enterprise plans, paid on Premium.
)

// RoleDescription returns Aha!'s label for a role code ("Owner", "Contributor",
// "Developer", "Reviewer", "Viewer"), or "" for an unknown code.
func RoleDescription(role int) string {
	switch role {
	case RoleOwner:
		return "Owner"
	case RoleContributor:
		return "Contributor"
	case RoleDeveloper:
		return "Developer"
	case RoleReviewer:
		return "Reviewer"
	case RoleViewer:
		return "Viewer"
	}
	return ""
}

// roleCode maps the request strings of POST /users/{id}/product_roles to role
// codes; "none" maps to 0 (remove).
func roleCode(s string) (int, bool) {
	switch s {
	case "product_owner", "owner":
		return RoleOwner, true
	case "contributor":
		return RoleContributor, true
	case "developer":
		return RoleDeveloper, true
	case "reviewer":
		return RoleReviewer, true
	case "viewer":
		return RoleViewer, true
	case "none":
		return 0, true
	}
	return 0, false
}

// Product kinds: which Aha! product a workspace belongs to, and so which seat
// flag a paid role in it sets.
const (
	KindRoadmaps = "roadmaps" // an Aha! Roadmaps workspace: paid roles set roadmaps_seat.
	KindDevelop  = "develop"  // an Aha! Develop team: paid roles set develop_seat.
)

// Model names used in entitlements and by the sam package.
const (
	ModelRoadmaps = "Aha! Roadmaps"
	ModelDevelop  = "Aha! Develop"
)

// AdministratorRoles is a user's administrator_roles object.
type AdministratorRoles struct {
	Account       bool // administer_account
	Billing       bool // administer_billing
	Configuration bool // administer_configuration
}

// ProductRole is one entry of a user's product_roles: the user's role in one
// workspace (product).
type ProductRole struct {
	Role        int    // RoleOwner, RoleContributor, RoleDeveloper, RoleReviewer or RoleViewer
	ProductID   string // the workspace's id (digits)
	ProductName string // "" is sent as null, as Aha! does for some workspaces
}

// User is one user of the fake account, in the fields Aha! reports.
type User struct {
	ID               string             // digits, up to 19 (above 2^53 in generated accounts)
	Name             string             // full name
	Email            string             // email address; not unique in the demo account
	Timezone         string             // IANA time zone name, e.g. "Europe/Berlin"
	CreatedAt        time.Time          // when the user was created
	UpdatedAt        time.Time          // last change, moved by PUT and role changes
	AccessedAt       *time.Time         // nil: never accessed Aha! (sent per the server's Encoding)
	Enabled          bool               // false: disabled, holding no seat
	PaidSeat         bool               // paid_seat, recomputed from the roles and the plan
	RoadmapsSeat     *bool              // nil: the account predates per-product seat flags (field omitted)
	DevelopSeat      *bool              // nil: field omitted
	Administrator    bool               // account administrator
	AdminRoles       AdministratorRoles // administrator_roles
	ProductRoles     []ProductRole      // the user's role in each workspace
	PaidSeatGroupID  string             // "" when the user is in no paid seat group
	IdentityProvider string             // identity_provider.type, e.g. "password" or "saml"
}

// clone returns a deep copy of u.
func (u *User) clone() *User {
	c := *u
	if u.AccessedAt != nil {
		t := *u.AccessedAt
		c.AccessedAt = &t
	}
	if u.RoadmapsSeat != nil {
		b := *u.RoadmapsSeat
		c.RoadmapsSeat = &b
	}
	if u.DevelopSeat != nil {
		b := *u.DevelopSeat
		c.DevelopSeat = &b
	}
	c.ProductRoles = slices.Clone(u.ProductRoles)
	return &c
}

// Product is a workspace of the account.
type Product struct {
	ID        string    // digits
	Reference string    // reference prefix, e.g. "MOB"; accepted wherever a product id is
	Name      string    // display name
	Kind      string    // KindRoadmaps or KindDevelop
	CreatedAt time.Time // when the workspace was created
}

// Audit is one audit record: a create, update or destroy of some record, made
// by a user. Audits are kept sorted by ID, and IDs increase with CreatedAt.
type Audit struct {
	ID            string    // increasing digits (19 digits in generated accounts)
	Action        string    // "create", "update" or "destroy" (audit_action)
	CreatedAt     time.Time // when the change happened
	UserID        string    // the actor; "" is sent as "user": null
	AuditableType string    // e.g. "Feature", "Idea", "User"
	AuditableID   int64     // sent as a JSON number, as Aha! does
	Description   string    // human-readable summary
}

// PaidSeatGroup is a paid seat group of the account. allocated_seats is
// computed from the enabled users whose PaidSeatGroupID is ID.
type PaidSeatGroup struct {
	ID               string    // digits
	Name             string    // the group's name
	Capacity         int       // seats the group may use
	AdministratorIDs []string  // users who administer the group
	CreatedAt        time.Time // when the group was created
}

// Entitlement is one purchase of seats, in the shape of the spoke's
// -entitlements file (see EntitlementsJSON).
type Entitlement struct {
	Model     string // ModelRoadmaps or ModelDevelop
	Rights    int    // ignored when Unlimited
	Unlimited bool   // rights without a count (site licence)
	UnitCost  string // exact decimal string, e.g. "59.00"
	Currency  string // ISO 4217, e.g. "USD"
	Period    string // "monthly", "quarterly", "annual" or "term"
	Start     string // YYYY-MM-DD
	End       string // YYYY-MM-DD, or "" for open-ended
}

// Account is the state of a fake Aha! account. Build one with DemoAccount or
// NewAccount (or by hand, then serve it with NewServer).
//
// The exported fields may be read and changed freely before the account is
// served. While a Server serves it, the server changes it under an internal
// lock: read it then only through its methods (User, Clone, ...), and change
// it only through its methods (AddUser, RemoveUser, MoveUser, UpdateUser,
// Update). All methods are safe for concurrent use.
type Account struct {
	Name           string          // the subdomain, e.g. "demo" for demo.aha.io
	DisplayName    string          // the account's name as /me reports it
	Users          []*User         // every user, in listing order
	Products       []Product       // the workspaces
	Audits         []*Audit        // sorted by ID (and so by CreatedAt)
	PaidSeatGroups []PaidSeatGroup // the paid seat groups
	SelfID         string          // the user behind the server's tokens: an administrator
	Entitlements   []Entitlement   // what the demo bought, for the spoke's -entitlements

	// FreeViewers reports an Enterprise-like plan where reviewers and
	// viewers take no paid seat. When false (Premium-like), every role is paid.
	FreeViewers bool

	mu    sync.RWMutex
	index map[string]int // user id → position in Users; nil when stale
}

// userLocked returns the user with id, or nil. a.mu must be held (either mode);
// the index is rebuilt on demand, which needs the write lock, so readers fall
// back to a scan when it is stale.
func (a *Account) userLocked(id string) *User {
	if a.index != nil {
		if i, ok := a.index[id]; ok && i < len(a.Users) && a.Users[i].ID == id {
			return a.Users[i]
		}
	}
	for _, u := range a.Users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// reindexLocked rebuilds the id index; a.mu must be held for writing.
func (a *Account) reindexLocked() {
	a.index = make(map[string]int, len(a.Users))
	for i, u := range a.Users {
		a.index[u.ID] = i
	}
}

// User returns a copy of the user with the given id, or nil when there is none.
func (a *Account) User(id string) *User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if u := a.userLocked(id); u != nil {
		return u.clone()
	}
	return nil
}

// UserByEmail returns a copy of the first user whose email equals email
// (case-insensitively), or nil.
func (a *Account) UserByEmail(email string) *User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, u := range a.Users {
		if strings.EqualFold(u.Email, email) {
			return u.clone()
		}
	}
	return nil
}

// Product returns the workspace whose id or reference is key.
func (a *Account) Product(key string) (Product, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.productLocked(key)
}

func (a *Account) productLocked(key string) (Product, bool) {
	for _, p := range a.Products {
		if p.ID == key || (p.Reference != "" && strings.EqualFold(p.Reference, key)) {
			return p, true
		}
	}
	return Product{}, false
}

// Clone returns a deep copy of the account, safe to read while the original
// is being served.
func (a *Account) Clone() *Account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := &Account{
		Name:         a.Name,
		DisplayName:  a.DisplayName,
		Products:     slices.Clone(a.Products),
		SelfID:       a.SelfID,
		Entitlements: slices.Clone(a.Entitlements),
		FreeViewers:  a.FreeViewers,
	}
	c.Users = make([]*User, len(a.Users))
	for i, u := range a.Users {
		c.Users[i] = u.clone()
	}
	c.Audits = make([]*Audit, len(a.Audits))
	for i, au := range a.Audits {
		cp := *au
		c.Audits[i] = &cp
	}
	c.PaidSeatGroups = make([]PaidSeatGroup, len(a.PaidSeatGroups))
	for i, g := range a.PaidSeatGroups {
		g.AdministratorIDs = slices.Clone(g.AdministratorIDs)
		c.PaidSeatGroups[i] = g
	}
	return c
}

// AddUser appends a copy of u to the account (at the end of the listing order).
func (a *Account) AddUser(u *User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Users = append(a.Users, u.clone())
	a.index = nil
}

// RemoveUser deletes the user with id from the account and reports whether it
// existed. Its audits stay.
func (a *Account) RemoveUser(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.Users, func(u *User) bool { return u.ID == id })
	if i < 0 {
		return false
	}
	a.Users = slices.Delete(a.Users, i, i+1)
	a.index = nil
	return true
}

// MoveUser moves the user with id to position pos of the listing order
// (clamped to the list), shifting the others, and reports whether it existed.
// Moving a user across a page boundary between two page requests makes a
// page-number walk skip or repeat it, as a concurrent change in Aha! would.
func (a *Account) MoveUser(id string, pos int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.Users, func(u *User) bool { return u.ID == id })
	if i < 0 {
		return false
	}
	u := a.Users[i]
	a.Users = slices.Delete(a.Users, i, i+1)
	pos = max(0, min(pos, len(a.Users)))
	a.Users = slices.Insert(a.Users, pos, u)
	a.index = nil
	return true
}

// UpdateUser calls fn with the user with id, under the account's lock, and
// reports whether the user exists. fn must not call methods of the account.
func (a *Account) UpdateUser(id string, fn func(u *User)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userLocked(id)
	if u == nil {
		return false
	}
	fn(u)
	return true
}

// Update calls fn with the account under its lock, for changes the other
// methods do not cover. fn may change the exported fields directly but must
// not call methods of the account.
func (a *Account) Update(fn func(a *Account)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a)
	a.index = nil
}

// Len returns the number of users.
func (a *Account) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.Users)
}

// recomputeSeatsLocked sets the seat flags of u from its roles, the way the
// fake models Aha!'s billing: an enabled user holds a Roadmaps seat when it
// has a paid role in a Roadmaps workspace or is an administrator, a Develop
// seat when it has a paid role in a Develop team, and paid_seat when it holds
// either. A disabled user holds nothing (assumption: Aha! states disabled
// users do not count as paid seats; its PUT reply still shows the old flag).
// Flags that are nil (accounts without per-product flags) stay nil.
func (a *Account) recomputeSeatsLocked(u *User) {
	roadmaps, develop := false, false
	if u.Enabled {
		if u.Administrator {
			roadmaps = true
		}
		for _, r := range u.ProductRoles {
			paid := r.Role == RoleOwner || r.Role == RoleContributor || r.Role == RoleDeveloper || !a.FreeViewers
			if !paid {
				continue
			}
			kind := KindRoadmaps
			if p, ok := a.productLocked(r.ProductID); ok {
				kind = p.Kind
			}
			if kind == KindDevelop {
				develop = true
			} else {
				roadmaps = true
			}
		}
	}
	u.PaidSeat = roadmaps || develop
	if u.RoadmapsSeat != nil {
		*u.RoadmapsSeat = roadmaps
	}
	if u.DevelopSeat != nil {
		*u.DevelopSeat = develop
	}
}

// auditCutoff returns the oldest creation time /audits still serves at now:
// Aha! keeps the last 12 calendar months; older audits are historical.
func (a *Account) auditCutoff(now time.Time) time.Time {
	return now.UTC().AddDate(0, -12, 0)
}
