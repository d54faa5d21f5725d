package aha

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// Subscription identifiers the Aha! spoke reports, and the software models
// they map to.
const (
	// IdentifierRoadmaps is a paid Aha! Roadmaps seat (roadmaps_seat).
	IdentifierRoadmaps sam.Identifier = "roadmaps_seat"
	// IdentifierDevelop is a paid Aha! Develop seat (develop_seat).
	IdentifierDevelop sam.Identifier = "develop_seat"
	// IdentifierPaidSeat is a paid seat on an account that reports no
	// per-product seat flags; it counts as Aha! Roadmaps.
	IdentifierPaidSeat sam.Identifier = "paid_seat"

	// Publisher is the publisher of Aha!'s software models.
	Publisher = "Aha! Labs"
	// ModelRoadmaps and ModelDevelop are the software models' names.
	ModelRoadmaps = "Aha! Roadmaps"
	ModelDevelop  = "Aha! Develop"
)

// Catalog returns the software models of Aha!: Roadmaps (roadmaps_seat, and
// a bare paid_seat on accounts without seat flags) and Develop (develop_seat).
func Catalog() *sam.Catalog {
	c, err := sam.NewCatalog(
		sam.SoftwareModel{Publisher: Publisher, Product: ModelRoadmaps, Identifiers: []sam.Identifier{IdentifierRoadmaps, IdentifierPaidSeat}},
		sam.SoftwareModel{Publisher: Publisher, Product: ModelDevelop, Identifiers: []sam.Identifier{IdentifierDevelop}},
	)
	if err != nil { // the literal above is valid; this cannot happen
		panic(err)
	}
	return c
}

// auditRetention is how far back Aha! keeps audits: the last 12 calendar
// months. Coverage is claimed conservatively from the first day of the
// month eleven months before the end of the window.
func auditCoverageStart(until time.Time) time.Time {
	y, m, _ := until.UTC().Date()
	return time.Date(y, m-11, 1, 0, 0, 0, 0, time.UTC)
}

// Spoke adapts a Client to the hub's contract, [sam.Spoke]: it downloads
// every user with the seats each holds, pulls activity from the audit log,
// and reclaims a seat by disabling the user (or, in downgrade mode, by
// lowering the user's workspace roles to viewer).
//
// Every process needs a token of an Aha! account administrator.
//
// Set the fields before the first call. Zero means the default; a
// negative field is an *ArgumentError from DownloadSubscriptions,
// PullActivity and Download, before any request.
type Spoke struct {
	c *Client
	// PerPage is the page size for listings: default MaxPerPage (200), the
	// most Aha! serves; more than that means MaxPerPage.
	PerPage int
	// PageConcurrency is how many pages of /users are fetched at once
	// after the first (default DefaultPageConcurrency; 1 reads them in
	// order). Every request waits for the client's Limiter.
	PageConcurrency int
	// AuditWalks is how many sub-windows of the audit window are walked
	// at once (default DefaultAuditWalks; 1 walks the window in one
	// cursor walk).
	AuditWalks int

	selfMu sync.Mutex // guards self
	self   ID         // the connection's own user, once known
}

// NewSpoke returns the Aha! spoke for c.
func NewSpoke(c *Client) *Spoke { return &Spoke{c: c, PerPage: 200} }

var _ sam.Spoke = (*Spoke)(nil)

// Vendor returns "Aha!".
func (s *Spoke) Vendor() string { return "Aha!" }

// Catalog returns the Aha! software models; see [Catalog].
func (s *Spoke) Catalog() *sam.Catalog { return Catalog() }

func (s *Spoke) perPage() int { return clampPerPage(s.PerPage) }

// validate refuses negative settings.
func (s *Spoke) validate() error {
	if err := checkNonNegative("Spoke.PerPage", s.PerPage, "0 means the most Aha! serves"); err != nil {
		return err
	}
	if err := checkNonNegative("Spoke.PageConcurrency", s.PageConcurrency, "0 means DefaultPageConcurrency"); err != nil {
		return err
	}
	return checkNonNegative("Spoke.AuditWalks", s.AuditWalks, "0 means DefaultAuditWalks")
}

// DownloadSubscriptions reads /me (the connection's own user) and every page
// of /users: /me and the first page at once, then the other pages
// PageConcurrency at a time under the client's Limiter. It makes
// 1 + ceil(users/PerPage) requests and fails rather than return a partial
// account.
//
// Each page is decoded into only the fields the hub needs and converted to
// [sam.User] as soon as the pages before it are in, so the download holds
// one compact record per user (plus the pages still in flight), not the
// whole account as [User] values.
func (s *Spoke) DownloadSubscriptions(ctx context.Context) (*sam.Download, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	var (
		me    *Me
		meErr error
		wg    sync.WaitGroup
	)
	wg.Go(func() { me, _, meErr = s.c.Me(ctx) })
	conc := s.PageConcurrency
	if conc <= 0 {
		conc = DefaultPageConcurrency
	}
	d := &sam.Download{}
	unknown := 0
	err := s.seatPager().stream(ctx, conc, func(page []*seatUser, resp *Response) {
		if d.Users == nil {
			// total_records sizes the result once; a hostile count cannot
			// make it allocate more than a few pages' worth up front.
			d.Users = make([]sam.User, 0, min(max(resp.TotalRecords, len(page)), 1<<16))
		}
		for _, u := range page {
			su := u.sam()
			if su.Activity.State == sam.ActivityUnknown {
				unknown++
			}
			d.Users = append(d.Users, su)
		}
	})
	wg.Wait()
	if meErr != nil {
		return nil, fmt.Errorf("aha: reading the connection's own user (/me): %w", meErr)
	}
	if err != nil {
		return nil, fmt.Errorf("aha: downloading users: %w", err)
	}
	d.Self = me.ID.String()
	s.setSelf(me.ID)
	if d.Users == nil {
		d.Users = []sam.User{}
	}
	if unknown > 0 {
		d.Warnings = append(d.Warnings, fmt.Sprintf("%d users came without a readable accessed_at; their activity is unknown unless the audit log shows some, and they are never reclaimed on inactivity", unknown))
	}
	return d, nil
}

// seatUser is the part of a [User] the hub's view needs; the spoke's
// listing decodes only these fields, so workspace roles, custom roles and
// the rest of each record are skipped by the decoder instead of being
// allocated and dropped.
type seatUser struct {
	ID                 ID                  `json:"id"`
	Name               string              `json:"name"`
	Email              string              `json:"email"`
	CreatedAt          Timestamp           `json:"created_at"`
	AccessedAt         Timestamp           `json:"accessed_at"`
	Enabled            bool                `json:"enabled"`
	PaidSeat           bool                `json:"paid_seat"`
	RoadmapsSeat       *bool               `json:"roadmaps_seat"`
	DevelopSeat        *bool               `json:"develop_seat"`
	Administrator      bool                `json:"administrator"`
	AdministratorRoles *AdministratorRoles `json:"administrator_roles"`
}

// sam converts through SamUser, so the listing and LookupUser agree.
func (u *seatUser) sam() sam.User {
	return SamUser(&User{
		ID: u.ID, Name: u.Name, Email: u.Email, CreatedAt: u.CreatedAt, AccessedAt: u.AccessedAt,
		Enabled: u.Enabled, PaidSeat: u.PaidSeat, RoadmapsSeat: u.RoadmapsSeat, DevelopSeat: u.DevelopSeat,
		Administrator: u.Administrator, AdministratorRoles: u.AdministratorRoles,
	})
}

// seatPager walks GET /users decoding seatUsers, with the checks of
// UsersService.All.
func (s *Spoke) seatPager() pager[*seatUser] {
	return pager[*seatUser]{
		op:      "users",
		perPage: s.perPage(),
		fetch: func(ctx context.Context, page, perPage int) ([]*seatUser, *Response, error) {
			var body struct {
				Users []*seatUser `json:"users"`
			}
			resp, err := s.c.get(ctx, "users?"+(*ListUsersOptions)(nil).query(page, perPage), &body)
			if err != nil {
				return nil, resp, err
			}
			// A null entry is no user; the count check then fails the walk.
			return slices.DeleteFunc(body.Users, func(u *seatUser) bool { return u == nil }), resp, nil
		},
		id: func(u *seatUser) ID { return u.ID },
	}
}

// SamUser converts an Aha! user to the hub's view of it. paid_seat is the
// truth about payment: a user without it holds no subscription whatever its
// roles. accessed_at null means never accessed (Aha!'s documented meaning);
// missing or empty means unknown.
func SamUser(u *User) sam.User {
	su := sam.User{
		ExternalID:    u.ID.String(),
		Email:         u.Email,
		Name:          u.Name,
		Enabled:       u.Enabled,
		Administrator: u.Administrator || (u.AdministratorRoles != nil && u.AdministratorRoles.AdministerAccount),
		Identifiers:   Identifiers(u),
	}
	if u.CreatedAt.Valid {
		su.Created = u.CreatedAt.Time
	}
	// accessed_at covers the user's whole lifetime, so when Aha! sent it
	// (a time, or null for never) the activity is complete.
	switch {
	case u.AccessedAt.Valid:
		su.Activity, su.ActivityComplete = sam.Seen(u.AccessedAt.Time), true
	case u.AccessedAt.Null:
		su.Activity, su.ActivityComplete = sam.Never(), true
	default:
		su.Activity = sam.Unknown()
	}
	return su
}

// Identifiers returns the paid subscriptions an Aha! user holds: one per
// product seat flag that is set, or a bare paid_seat on accounts that report
// no seat flags. A user without paid_seat holds none.
func Identifiers(u *User) []sam.Identifier {
	if !u.PaidSeat {
		return nil
	}
	var ids []sam.Identifier
	if u.RoadmapsSeat != nil && *u.RoadmapsSeat {
		ids = append(ids, IdentifierRoadmaps)
	}
	if u.DevelopSeat != nil && *u.DevelopSeat {
		ids = append(ids, IdentifierDevelop)
	}
	if len(ids) == 0 {
		ids = append(ids, IdentifierPaidSeat)
	}
	return ids
}

// PullActivity walks the audit log for the window with the after_id cursor
// and keeps only the latest record per acting user. One page is read for
// the whole window; when more remain, the rest of the window is split into
// up to AuditWalks sub-windows walked concurrently, so a window of A audits
// costs at most ceil(A/PerPage) + AuditWalks - 1 requests.
//
// w must have an Until, and a Since not after it; otherwise PullActivity
// returns an *ArgumentError and sends nothing. A zero Since means as far
// back as Aha! keeps audits. Aha! keeps them for the last 12 calendar
// months, so the window covered may start later than the one asked for:
// Covered.Since says where it starts (from the first day of the month
// eleven months before Until), never earlier than the audits Aha! keeps.
func (s *Spoke) PullActivity(ctx context.Context, w sam.Window) (*sam.ActivityPull, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := checkWindow(w); err != nil {
		return nil, err
	}
	covered := w
	if start := auditCoverageStart(w.Until); covered.Since.Before(start) {
		covered.Since = start
	}
	pull := &sam.ActivityPull{Covered: covered, Latest: map[string]time.Time{}}
	walks := s.AuditWalks
	if walks <= 0 {
		walks = DefaultAuditWalks
	}
	var mu sync.Mutex
	err := s.walkAudits(ctx, covered.Since, covered.Until, walks, func(a *Audit) {
		mu.Lock()
		defer mu.Unlock()
		pull.Records++
		if a.User == nil || a.User.ID.IsZero() || !a.CreatedAt.Valid {
			return
		}
		id := a.User.ID.String()
		if t := a.CreatedAt.Time; t.After(pull.Latest[id]) {
			pull.Latest[id] = t
		}
	})
	if err != nil {
		return nil, fmt.Errorf("aha: reading the audit log: %w", err)
	}
	return pull, nil
}

// checkWindow refuses a window PullActivity cannot honour: one without an
// end, or one that ends before it starts.
func checkWindow(w sam.Window) error {
	value := func() string {
		f := func(t time.Time) string {
			if t.IsZero() {
				return "(zero)"
			}
			return t.UTC().Format(time.RFC3339)
		}
		return f(w.Since) + " .. " + f(w.Until)
	}
	switch {
	case w.Until.IsZero():
		return &ArgumentError{Arg: "activity window", Value: value(), Reason: "it has no Until: give its end (usually now); a zero Since means as far back as Aha! keeps audits"}
	case w.Since.After(w.Until):
		return &ArgumentError{Arg: "activity window", Value: value(), Reason: "Since is after Until"}
	}
	return nil
}

// Download runs DownloadSubscriptions and PullActivity for w at once, so
// the two listings share the client's rate budget without waiting for each
// other. The checks of both come first: a bad setting or window sends
// nothing.
func (s *Spoke) Download(ctx context.Context, w sam.Window) (*sam.Download, *sam.ActivityPull, error) {
	if err := s.validate(); err != nil {
		return nil, nil, err
	}
	if err := checkWindow(w); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		pull    *sam.ActivityPull
		pullErr error
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		pull, pullErr = s.PullActivity(ctx, w)
		if pullErr != nil {
			cancel()
		}
	})
	d, err := s.DownloadSubscriptions(ctx)
	if err != nil {
		cancel()
	}
	wg.Wait()
	switch {
	case pullErr != nil && (err == nil || !errors.Is(pullErr, context.Canceled)):
		return nil, nil, pullErr
	case err != nil:
		return nil, nil, err
	}
	return d, pull, nil
}

// LookupUser re-reads one user. A user Aha! does not know wraps
// [sam.ErrUserNotFound].
func (s *Spoke) LookupUser(ctx context.Context, externalID string) (sam.User, error) {
	u, _, err := s.c.Users.Get(ctx, ID(externalID))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return sam.User{}, fmt.Errorf("%w: aha user %s: %w", sam.ErrUserNotFound, externalID, err)
		}
		return sam.User{}, err
	}
	return SamUser(u), nil
}

// Reclaim frees the user's seat. In [sam.ReclaimDisable] mode it disables
// the user (PUT /users/{id} with enabled false): Aha! stops counting a
// disabled user as a paid seat, keeps the content, and allows re-enabling.
// In [sam.ReclaimDowngrade] mode it sets the user's role in every workspace
// to viewer, which frees the seat only on plans where viewers are free; it
// then re-reads the user and returns an error wrapping [ErrSeatNotFreed]
// when Aha! still counts a paid seat.
//
// It never touches the connection's own user (the token's, whom disabling
// would lock this connection out of Aha!): for that user it returns a
// [*SelfReclaimError] and sends nothing. The spoke knows that user from
// DownloadSubscriptions (Download.Self); called before any download, Reclaim
// reads /me once to learn it, and fails rather than act if it cannot. An id
// that is not digits is an [*ArgumentError].
func (s *Spoke) Reclaim(ctx context.Context, externalID string, mode sam.ReclaimMode) error {
	id := ID(externalID)
	if _, err := apiPath("users/{}", idSegment("user id", id)); err != nil {
		return err
	}
	if mode != sam.ReclaimDisable && mode != sam.ReclaimDowngrade && mode != "" {
		return fmt.Errorf("%w: %q (want %q or %q)", sam.ErrUnsupportedMode, mode, sam.ReclaimDisable, sam.ReclaimDowngrade)
	}
	self, err := s.selfID(ctx)
	if err != nil {
		return fmt.Errorf("aha: reading the connection's own user (/me) before reclaiming user %s: %w", externalID, err)
	}
	if compareIDs(self, id) == 0 {
		return &SelfReclaimError{ExternalUserID: externalID}
	}
	switch mode {
	case sam.ReclaimDisable, "":
		_, _, err := s.c.Users.Disable(ctx, id)
		return mapNotFound(err, externalID)
	case sam.ReclaimDowngrade:
		// Read every role first, then change: no mutation while paging.
		var roles []*ProductRole
		opts := &ListOptions{PerPage: MaxPerPage}
		for page := 1; ; page++ {
			opts.Page = page
			rs, resp, err := s.c.Users.ListProductRoles(ctx, id, opts)
			if err != nil {
				return mapNotFound(err, externalID)
			}
			roles = append(roles, rs...)
			if len(rs) == 0 || resp == nil || resp.NextPage == 0 || resp.NextPage <= page {
				break
			}
		}
		for _, role := range roles {
			if role.Role == RoleCodeViewer {
				continue
			}
			if _, _, err := s.c.Users.SetProductRole(ctx, id, role.ProductID.String(), RoleViewer); err != nil {
				return mapNotFound(err, externalID)
			}
		}
		// Viewers are free only on some plans: the seat is freed only if
		// Aha! says so.
		u, _, err := s.c.Users.Get(ctx, id)
		if err != nil {
			return mapNotFound(err, externalID)
		}
		if SamUser(u).Consumes() {
			return fmt.Errorf("%w: aha user %s", ErrSeatNotFreed, externalID)
		}
		return nil
	default:
		return fmt.Errorf("%w: %q (want %q or %q)", sam.ErrUnsupportedMode, mode, sam.ReclaimDisable, sam.ReclaimDowngrade)
	}
}

// SelfReclaimError is returned by [Spoke.Reclaim] for the connection's own
// user, whom it never disables nor downgrades: the connection would lose
// its access to Aha! (and the account, perhaps, its only administrator).
// Nothing was sent. reconcile protects that user (connection_user) and
// reclaim.Apply cancels a plan that lists it; this guards direct calls.
type SelfReclaimError struct {
	ExternalUserID string // the user asked for, the connection's own
}

// Error names the user and why it is refused.
func (e *SelfReclaimError) Error() string {
	return "aha: refusing to reclaim user " + e.ExternalUserID + ": it is the connection's own user (the token's); disabling it would lock this connection out of Aha!"
}

// selfID returns the connection's own user id, reading /me when no
// download has told it yet.
func (s *Spoke) selfID(ctx context.Context) (ID, error) {
	s.selfMu.Lock()
	defer s.selfMu.Unlock()
	if !s.self.IsZero() {
		return s.self, nil
	}
	me, _, err := s.c.Me(ctx)
	if err != nil {
		return "", err
	}
	if me.ID.IsZero() {
		return "", errors.New("aha: /me names no user id")
	}
	s.self = me.ID
	return s.self, nil
}

// setSelf records the connection's own user id from a download.
func (s *Spoke) setSelf(id ID) {
	s.selfMu.Lock()
	defer s.selfMu.Unlock()
	if !id.IsZero() {
		s.self = id
	}
}

// ErrSeatNotFreed is returned by [Spoke.Reclaim] in [sam.ReclaimDowngrade]
// mode when the user still holds a paid seat after every workspace role was
// lowered to viewer: the account's plan charges for viewers, and only
// disabling the user frees the seat.
var ErrSeatNotFreed = errors.New("aha: the user still holds a paid seat after its roles were lowered to viewer (viewers are paid on this account's plan; reclaim by disabling instead)")

func mapNotFound(err error, externalID string) error {
	if err != nil && errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: aha user %s: %w", sam.ErrUserNotFound, externalID, err)
	}
	return err
}
