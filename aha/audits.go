package aha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditsService reads audits: record creates, updates and deletes of the
// last 12 calendar months (GET /audits). Audits are not logins; a user's
// last login is User.AccessedAt.
type AuditsService service

// Audit is one audit record.
type Audit struct {
	ID          ID        `json:"id"`                  // the audit id; increasing, so usable as an after_id cursor
	AuditAction string    `json:"audit_action"`        // create, update or destroy
	CreatedAt   Timestamp `json:"created_at,omitzero"` // when the change happened
	// User is the actor.
	User         *ShortUser      `json:"user,omitempty"`
	Contributors json.RawMessage `json:"contributors,omitempty"` // contributors, undecoded (shape undocumented)
	// AuditableType and AuditableID name the changed record; the id
	// arrives as a JSON number.
	AuditableType  string          `json:"auditable_type"`
	AuditableID    ID              `json:"auditable_id"`              // the changed record's id
	AssociatedType string          `json:"associated_type,omitempty"` // type of the record the change is attached to, if any
	AssociatedID   ID              `json:"associated_id,omitempty"`   // id of the associated record (JSON number), if any
	Description    string          `json:"description,omitempty"`     // human-readable summary
	Changes        json.RawMessage `json:"changes,omitempty"`         // the changed fields, undecoded
}

// ListAuditsOptions filters GET /audits. Zero fields are not sent. A
// negative Page or PerPage, or a CreatedBefore before CreatedSince, is an
// *ArgumentError and sends nothing; a PerPage above MaxPerPage asks for
// MaxPerPage.
type ListAuditsOptions struct {
	// UserID keeps audits by this actor.
	UserID ID
	// CreatedSince and CreatedBefore bound created_at.
	CreatedSince, CreatedBefore time.Time
	// AfterID keeps audits with a larger id: the cursor Aha! recommends
	// over page numbers for large scans.
	AfterID ID
	// AuditableType keeps audits of one record type ("Feature", …).
	AuditableType string
	// AuditAction keeps "create", "update" or "destroy".
	AuditAction string
	// Page and PerPage select a page (PerPage at most MaxPerPage).
	Page, PerPage int
}

// validate refuses negative paging and an inverted time range; prefix
// names the options' type in the error.
func (o *ListAuditsOptions) validate(prefix string) error {
	if o == nil {
		return nil
	}
	if err := checkPaging(prefix, o.Page, o.PerPage); err != nil {
		return err
	}
	return checkRange(prefix+".CreatedSince/CreatedBefore", o.CreatedSince, o.CreatedBefore)
}

// checkRange refuses a range whose end, when set, comes before its start.
func checkRange(arg string, since, before time.Time) error {
	if since.IsZero() || before.IsZero() || !before.Before(since) {
		return nil
	}
	return &ArgumentError{Arg: arg, Value: since.UTC().Format(time.RFC3339) + " .. " + before.UTC().Format(time.RFC3339),
		Reason: "the end comes before the start"}
}

func (o *ListAuditsOptions) query() string {
	q := url.Values{}
	if o == nil {
		return ""
	}
	if !o.UserID.IsZero() {
		q.Set("user_id", o.UserID.String())
	}
	if !o.CreatedSince.IsZero() {
		q.Set("created_since", o.CreatedSince.UTC().Format(time.RFC3339))
	}
	if !o.CreatedBefore.IsZero() {
		q.Set("created_before", o.CreatedBefore.UTC().Format(time.RFC3339))
	}
	if !o.AfterID.IsZero() {
		q.Set("after_id", o.AfterID.String())
	}
	if o.AuditableType != "" {
		q.Set("auditable_type", o.AuditableType)
	}
	if o.AuditAction != "" {
		q.Set("audit_action", o.AuditAction)
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(min(o.PerPage, MaxPerPage)))
	}
	return q.Encode()
}

// List returns one page of audits (GET /audits).
func (s *AuditsService) List(ctx context.Context, opts *ListAuditsOptions) ([]*Audit, *Response, error) {
	if err := opts.validate("ListAuditsOptions"); err != nil {
		return nil, nil, err
	}
	path := "audits"
	if q := opts.query(); q != "" {
		path += "?" + q
	}
	var body struct {
		Audits []*Audit `json:"audits"`
	}
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	if slices.Contains(body.Audits, nil) {
		// Not an audit: dropping it would lose activity silently.
		return nil, resp, fmt.Errorf("aha: GET %s: the page lists a null audit", path)
	}
	return body.Audits, resp, nil
}

// AuditWindow selects the audits All walks.
//
// All takes a window by value, where UsersService.All takes optional
// *ListUsersOptions: a walk of the audit log is always of some window (the
// zero AuditWindow being the whole log Aha! keeps), and a value that All
// copies cannot change under a walk in progress.
type AuditWindow struct {
	// Since and Before bound created_at (Since inclusive); zero means
	// unbounded. Before earlier than Since is an *ArgumentError.
	Since, Before time.Time
	// UserID, Action and Type filter by actor, audit_action and
	// auditable_type.
	UserID ID
	Action string // audit_action: create, update or destroy
	Type   string // auditable_type, e.g. "Feature"
	// AfterID starts the walk after this id (resume from a WalkError's
	// AfterID).
	AfterID ID
	// PerPage is the page size: 0 means MaxPerPage, more than MaxPerPage
	// means MaxPerPage, and a negative one is an *ArgumentError.
	PerPage int
}

// Split divides the window into n adjacent sub-windows of equal length,
// for walking them concurrently (each walk passes the client's Limiter).
// Since and Before must both be set and Before after Since; otherwise, or
// when n < 2, it returns the window itself. Filters, PerPage and AfterID
// are kept. Whether Aha! treats created_before as exclusive is
// unconfirmed, so an audit exactly on a boundary may appear in two
// sub-windows: merge results by Audit.ID.
func (w AuditWindow) Split(n int) []AuditWindow {
	if n < 2 || w.Since.IsZero() || w.Before.IsZero() || !w.Before.After(w.Since) {
		return []AuditWindow{w}
	}
	span := w.Before.Sub(w.Since)
	if span < time.Duration(n) {
		n = int(span)
	}
	out := make([]AuditWindow, n)
	for i := range n {
		sub := w
		sub.Since = w.Since.Add(span * time.Duration(i) / time.Duration(n))
		sub.Before = w.Since.Add(span * time.Duration(i+1) / time.Duration(n))
		out[i] = sub
	}
	out[n-1].Before = w.Before
	return out
}

// All walks the window with the after_id cursor, yielding each audit once.
// It ends on an empty page, or when the response's pagination says the
// page was the last one. The cursor must advance on every page; a
// repeated cursor yields ErrPagingLoop. An error is yielded once, wrapped
// in *WalkError whose AfterID (or Page) is where to resume; an audit
// without an id is such an error, never skipped. A window with a negative
// PerPage, or a Before earlier than Since, yields an *ArgumentError before
// any request.
//
// Aha! documents neither the order of /audits nor how firmly after_id is
// honoured, and a cursor is only sound over pages in increasing id order.
// So the first request already carries a cursor (after_id=0 when the
// window sets none), and a walk whose server answers a page out of id
// order, or ignores the cursor and sends its first page again, goes on by
// page numbers under the same filters instead: nothing is skipped and
// nothing yielded twice.
func (s *AuditsService) All(ctx context.Context, w AuditWindow) iter.Seq2[*Audit, error] {
	if err := checkNonNegative("AuditWindow.PerPage", w.PerPage, "0 means the most Aha! serves"); err != nil {
		return failed[*Audit](err)
	}
	if err := checkRange("AuditWindow.Since/Before", w.Since, w.Before); err != nil {
		return failed[*Audit](err)
	}
	return func(yield func(*Audit, error) bool) {
		perPage := clampPerPage(w.PerPage)
		cursor := w.AfterID
		if cursor.IsZero() {
			cursor = "0"
		}
		opts := ListAuditsOptions{
			UserID: w.UserID, CreatedSince: w.Since, CreatedBefore: w.Before,
			AuditableType: w.Type, AuditAction: w.Action, PerPage: perPage,
		}
		var firstPage map[ID]struct{} // ids of the first page, in case the cursor is ignored
		seen := 0
		for request := 1; ; request++ {
			opts.AfterID = cursor
			audits, resp, err := s.List(ctx, &opts)
			if err != nil {
				yield(nil, &WalkError{Op: "audits", AfterID: cursor, Seen: seen, Err: err})
				return
			}
			if slices.ContainsFunc(audits, withoutID) {
				yield(nil, &WalkError{Op: "audits", AfterID: cursor, Seen: seen, Err: errAuditWithoutID})
				return
			}
			if len(audits) == 0 {
				return
			}
			next := cursor
			for _, a := range audits {
				if compareIDs(a.ID, next) > 0 {
					next = a.ID
				}
			}
			switch {
			case !increasing(audits):
				// Out of id order: the records after this cursor, page by page.
				s.pages(ctx, opts, audits, resp, nil, seen, yield)
				return
			case next == cursor && request <= 2:
				// The cursor was ignored: this is the first page (again).
				s.pages(ctx, opts, audits, resp, firstPage, seen, yield)
				return
			case next == cursor:
				yield(nil, &WalkError{Op: "audits", AfterID: cursor, Seen: seen, Err: ErrPagingLoop})
				return
			}
			if request == 1 {
				firstPage = make(map[ID]struct{}, len(audits))
			}
			for _, a := range audits {
				if compareIDs(a.ID, cursor) <= 0 {
					continue // at or before the cursor: already yielded
				}
				if firstPage != nil && request == 1 {
					firstPage[a.ID] = struct{}{}
				}
				if !yield(a, nil) {
					return
				}
				seen++
			}
			cursor = next
			if resp.HasPagination && resp.TotalPages > 0 && resp.CurrentPage >= resp.TotalPages {
				return
			}
		}
	}
}

// errAuditWithoutID ends a walk on an audit without an id: its activity
// could be neither placed on the cursor nor told apart from a repeat, and
// skipping it would lose that activity silently.
var errAuditWithoutID = errors.New("aha: the audits page lists an audit without an id")

func withoutID(a *Audit) bool { return a.ID.IsZero() }

// increasing reports whether the page's ids strictly increase, the order a
// cursor walk needs.
func increasing(audits []*Audit) bool {
	for i := 1; i < len(audits); i++ {
		if compareIDs(audits[i-1].ID, audits[i].ID) >= 0 {
			return false
		}
	}
	return true
}

// pages goes on with a walk by page numbers, under opts (whose AfterID, if
// the server honours it, stays fixed), starting from first as page 1. It
// has the checks of every paged listing (total_records, loops, pages
// without pagination) and skips records at or before opts.AfterID and
// those in skip, which were yielded already.
func (s *AuditsService) pages(ctx context.Context, opts ListAuditsOptions, first []*Audit, resp *Response, skip map[ID]struct{}, seen int, yield func(*Audit, error) bool) {
	tr := &pageTracker{op: "audits", perPage: opts.PerPage}
	items := first
	for page := 1; ; page++ {
		if page > 1 {
			opts.Page = page
			var err error
			if items, resp, err = s.List(ctx, &opts); err != nil {
				yield(nil, &WalkError{Op: "audits", Page: page, AfterID: opts.AfterID, Seen: seen, Err: err})
				return
			}
		}
		if slices.ContainsFunc(items, withoutID) {
			yield(nil, &WalkError{Op: "audits", Page: page, AfterID: opts.AfterID, Seen: seen, Err: errAuditWithoutID})
			return
		}
		keep, done, err := accept(tr, page, items, resp, func(a *Audit) ID { return a.ID })
		for _, a := range keep {
			if _, dup := skip[a.ID]; dup || compareIDs(a.ID, opts.AfterID) <= 0 {
				continue
			}
			if !yield(a, nil) {
				return
			}
			seen++
		}
		if err != nil {
			yield(nil, &WalkError{Op: "audits", Page: page, AfterID: opts.AfterID, Seen: seen, Err: err})
			return
		}
		if done {
			return
		}
	}
}

// HistoricalAuditsService searches audits older than 12 months. Searches
// are asynchronous and spend a token budget reported in every response's
// X-Historical-Tokens-Available header (Response.HistoricalTokensAvailable).
// Administrators only.
type HistoricalAuditsService service

// HistoricalSearch is the body of POST /historical_audits.
type HistoricalSearch struct {
	CreatedSince  time.Time // lower bound of created_at
	CreatedBefore time.Time // upper bound of created_at
	AuditableType string    // one record type
	AuditableID   ID        // one record (sent as a JSON number)
	UserID        ID        // one actor
	AuditAction   string    // create, update or destroy
}

// MarshalJSON writes {"search":{…}} with only the fields set.
func (h *HistoricalSearch) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if !h.CreatedSince.IsZero() {
		m["created_since"] = h.CreatedSince.UTC().Format(time.RFC3339)
	}
	if !h.CreatedBefore.IsZero() {
		m["created_before"] = h.CreatedBefore.UTC().Format(time.RFC3339)
	}
	if h.AuditableType != "" {
		m["auditable_type"] = h.AuditableType
	}
	if !h.AuditableID.IsZero() {
		m["auditable_id"] = json.Number(h.AuditableID) // documented as a number
	}
	if !h.UserID.IsZero() {
		m["user_id"] = h.UserID.String()
	}
	if h.AuditAction != "" {
		m["audit_action"] = h.AuditAction
	}
	return json.Marshal(map[string]any{"search": m})
}

// HistoricalIndexEntry is one entry of the historical index: a record and
// the days it was active.
type HistoricalIndexEntry struct {
	AuditableID   ID        `json:"auditable_id"`        // the record (JSON number)
	AuditableType string    `json:"auditable_type"`      // the record type
	ID            ID        `json:"id"`                  // the user id
	Name          string    `json:"name"`                // the user's name
	Email         string    `json:"email"`               // the user's email
	CreatedAt     Timestamp `json:"created_at,omitzero"` // user creation time
	UpdatedAt     Timestamp `json:"updated_at,omitzero"` // user update time
	DatesActive   []string  `json:"dates_active"`        // days (YYYY-MM-DD) with audits
}

// HistoricalIndexOptions filters GET /historical_audits, with the rules of
// ListAuditsOptions for paging and the time range.
type HistoricalIndexOptions struct {
	CreatedSince, CreatedBefore time.Time // lower bound of created_at
	AuditableType               string    // keep one record type
	UserID                      ID        // keep one actor
	Page, PerPage               int       // 1-based page
}

// Index reads one page of the historical index (GET /historical_audits),
// which spends no tokens; use it to find periods worth searching.
func (s *HistoricalAuditsService) Index(ctx context.Context, opts *HistoricalIndexOptions) ([]*HistoricalIndexEntry, *Response, error) {
	q := url.Values{}
	if opts != nil {
		a := ListAuditsOptions{UserID: opts.UserID, CreatedSince: opts.CreatedSince, CreatedBefore: opts.CreatedBefore, AuditableType: opts.AuditableType, Page: opts.Page, PerPage: opts.PerPage}
		if err := a.validate("HistoricalIndexOptions"); err != nil {
			return nil, nil, err
		}
		q, _ = url.ParseQuery(a.query())
	}
	path := "historical_audits"
	if e := q.Encode(); e != "" {
		path += "?" + e
	}
	var body struct {
		Entries []*HistoricalIndexEntry `json:"historical_audits"`
	}
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	return body.Entries, resp, nil
}

// StartSearch creates a search (POST /historical_audits) and returns its
// id. The maximum token cost is charged now and the difference refunded
// when the results are read.
func (s *HistoricalAuditsService) StartSearch(ctx context.Context, search *HistoricalSearch) (ID, *Response, error) {
	if search == nil {
		return "", nil, errors.New("aha: nil historical search")
	}
	var body struct {
		SearchID ID `json:"search_id"`
	}
	resp, err := s.client.send(ctx, "POST", "historical_audits", search, &body)
	if err != nil {
		return "", resp, err
	}
	if body.SearchID.IsZero() {
		return "", resp, errors.New("aha: historical audit search started without a search_id")
	}
	return body.SearchID, resp, nil
}

// HistoricalSearchResult is one page of a historical audit search.
// The shape of this response is not in Aha!'s OpenAPI subset; fields the
// server omits stay zero.
type HistoricalSearchResult struct {
	// Status is the search's state as reported ("pending", "completed",
	// …); empty when the server does not say.
	Status string `json:"status"`
	// TokenCost is the search's token cost, once known.
	TokenCost int `json:"token_cost"`
	// Audits holds this page of results; empty while the search runs.
	Audits []*Audit `json:"audits"`
}

// Completed reports whether the results are final: a status of
// "completed", or, when the server reports no status, any audits present.
func (r *HistoricalSearchResult) Completed() bool {
	if r.Status != "" {
		return strings.EqualFold(r.Status, "completed") || strings.EqualFold(r.Status, "complete")
	}
	return len(r.Audits) > 0
}

// SearchResults reads one page of a search's results
// (GET /historical_audits/{search_id}; the path is unconfirmed by the
// OpenAPI subset). Poll until Completed, then page with opts; the
// *Response carries HistoricalTokensAvailable.
func (s *HistoricalAuditsService) SearchResults(ctx context.Context, searchID ID, opts *ListOptions) (*HistoricalSearchResult, *Response, error) {
	path, err := apiPath("historical_audits/{}", keySegment("search id", searchID.String()))
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
	var body struct {
		HistoricalSearchResult
		HistoricalAudits []*Audit `json:"historical_audits"`
	}
	resp, err := s.client.get(ctx, path, &body)
	if err != nil {
		return nil, resp, err
	}
	res := body.HistoricalSearchResult
	if len(res.Audits) == 0 {
		res.Audits = body.HistoricalAudits
	}
	return &res, resp, nil
}
