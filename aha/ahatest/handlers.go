package ahatest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// paging reads page and per_page: page from 1, per_page default 30, clamped
// to the server's maximum; invalid values fall back to the defaults.
func (s *Server) paging(q url.Values) (page, per int) {
	page, per = 1, DefaultPerPage
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p >= 1 {
		page = p
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n >= 1 {
		per = min(n, s.maxPerPage)
	}
	return page, per
}

func pagination(total, page, per int) wirePagination {
	return wirePagination{TotalRecords: total, TotalPages: (total + per - 1) / per, CurrentPage: page}
}

// window returns the bounds of page within total items.
func window(total, page, per int) (lo, hi int) {
	lo = min((page-1)*per, total)
	return lo, min(lo+per, total)
}

func (a *Account) groupNameLocked(id string) string {
	for _, g := range a.PaidSeatGroups {
		if g.ID == id {
			return g.Name
		}
	}
	return ""
}

func (s *Server) listUsers(rc *reqCtx) response {
	q := rc.r.URL.Query()
	page, per := s.paging(q)
	email := q.Get("email")
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	matched := a.Users
	if email != "" || !s.listDisabled {
		matched = nil
		for _, u := range a.Users {
			if (email == "" || strings.EqualFold(u.Email, email)) && (s.listDisabled || u.Enabled) {
				matched = append(matched, u)
			}
		}
	}
	lo, hi := window(len(matched), page, per)
	out := wireUsersPage{Users: make([]wireUser, 0, hi-lo), Pagination: pagination(len(matched), page, per)}
	for _, u := range matched[lo:hi] {
		out.Users = append(out.Users, rc.enc.user(u, a.groupNameLocked))
	}
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) getUser(rc *reqCtx) response {
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	u := a.userLocked(rc.params["id"])
	if u == nil {
		return notFound()
	}
	return jsonResponse(http.StatusOK, map[string]wireUser{"user": rc.enc.user(u, a.groupNameLocked)})
}

// decodeBody decodes a JSON request body into v (bounded to 1 MiB).
func decodeBody(r *http.Request, v any) *response {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		resp := errorResponse(http.StatusBadRequest, "Invalid JSON in request body")
		return &resp
	}
	return nil
}

type putUserBody struct {
	User *struct {
		Enabled            *bool `json:"enabled"`
		Administrator      *bool `json:"administrator"`
		AdministratorRoles *struct {
			Account       *bool `json:"administer_account"`
			Billing       *bool `json:"administer_billing"`
			Configuration *bool `json:"administer_configuration"`
		} `json:"administrator_roles"`
		FirstName *string `json:"first_name"`
		LastName  *string `json:"last_name"`
		Name      *string `json:"name"`
		Email     *string `json:"email"`
	} `json:"user"`
}

// putUser applies enabled, administrator, administrator_roles, names and
// email, and answers the bare user. The reply's paid_seat and seat flags are
// those from before the change (as in Aha!'s documented reply); a re-read
// shows the new ones.
func (s *Server) putUser(rc *reqCtx) response {
	var body putUserBody
	if e := decodeBody(rc.r, &body); e != nil {
		return *e
	}
	if body.User == nil {
		return jsonResponse(http.StatusBadRequest, map[string]any{"errors": map[string][]string{"user": {"is missing"}}})
	}
	b := body.User
	if b.Email != nil && !strings.Contains(*b.Email, "@") {
		return jsonResponse(http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"email": {"is invalid"}}})
	}
	a := s.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userLocked(rc.params["id"])
	if u == nil {
		return notFound()
	}
	before := u.clone()
	if b.Enabled != nil {
		u.Enabled = *b.Enabled
	}
	if b.Administrator != nil {
		u.Administrator = *b.Administrator
		if !u.Administrator {
			u.AdminRoles = AdministratorRoles{}
		}
	}
	if r := b.AdministratorRoles; r != nil {
		if r.Account != nil {
			u.AdminRoles.Account = *r.Account
		}
		if r.Billing != nil {
			u.AdminRoles.Billing = *r.Billing
		}
		if r.Configuration != nil {
			u.AdminRoles.Configuration = *r.Configuration
		}
	}
	first, last, _ := strings.Cut(u.Name, " ")
	if b.FirstName != nil {
		first = *b.FirstName
	}
	if b.LastName != nil {
		last = *b.LastName
	}
	u.Name = strings.TrimSpace(first + " " + last)
	if b.Name != nil {
		u.Name = *b.Name
	}
	if b.Email != nil {
		u.Email = *b.Email
	}
	u.UpdatedAt = rc.now.Truncate(time.Millisecond)
	a.recomputeSeatsLocked(u)
	a.auditLocked(rc, "update", "User", u.ID, "updated user "+u.Name)

	reply := u.clone()
	reply.PaidSeat, reply.RoadmapsSeat, reply.DevelopSeat = before.PaidSeat, before.RoadmapsSeat, before.DevelopSeat
	return jsonResponse(http.StatusOK, rc.enc.user(reply, a.groupNameLocked))
}

// auditLocked appends an audit by the request's user; a.mu must be held.
func (a *Account) auditLocked(rc *reqCtx, action, typ, recordID, desc string) {
	next := uint64(6776881150000000000)
	if n := len(a.Audits); n > 0 {
		if last, err := strconv.ParseUint(a.Audits[n-1].ID, 10, 64); err == nil {
			next = last + 1
		}
	}
	aid, _ := strconv.ParseInt(recordID, 10, 64)
	created := rc.now.Truncate(time.Millisecond)
	if n := len(a.Audits); n > 0 && created.Before(a.Audits[n-1].CreatedAt) {
		created = a.Audits[n-1].CreatedAt // keep ids and times in the same order
	}
	a.Audits = append(a.Audits, &Audit{ID: strconv.FormatUint(next, 10), Action: action, CreatedAt: created,
		UserID: rc.userID, AuditableType: typ, AuditableID: aid, Description: desc})
}

func (s *Server) listProductRoles(rc *reqCtx) response {
	page, per := s.paging(rc.r.URL.Query())
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	u := a.userLocked(rc.params["id"])
	if u == nil {
		return notFound()
	}
	lo, hi := window(len(u.ProductRoles), page, per)
	return jsonResponse(http.StatusOK, wireProductRolesPage{
		ProductRoles: rc.enc.roles(u.ProductRoles[lo:hi]),
		Pagination:   pagination(len(u.ProductRoles), page, per),
	})
}

// postProductRole sets the user's role in a workspace and answers the bare
// role; role "none" removes it and answers 204.
func (s *Server) postProductRole(rc *reqCtx) response {
	var body struct {
		ProductRole *struct {
			Role      string          `json:"role"`
			ProductID json.RawMessage `json:"product_id"`
		} `json:"product_role"`
	}
	if e := decodeBody(rc.r, &body); e != nil {
		return *e
	}
	if body.ProductRole == nil {
		return jsonResponse(http.StatusBadRequest, map[string]any{"errors": map[string][]string{"product_role": {"is missing"}}})
	}
	code, ok := roleCode(body.ProductRole.Role)
	if !ok {
		return jsonResponse(http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"role": {"is invalid"}}})
	}
	pid := strings.Trim(string(body.ProductRole.ProductID), `"`)
	a := s.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userLocked(rc.params["id"])
	if u == nil {
		return notFound()
	}
	p, ok := a.productLocked(pid)
	if !ok {
		return notFound()
	}
	i := slices.IndexFunc(u.ProductRoles, func(r ProductRole) bool { return r.ProductID == p.ID })
	switch {
	case code == 0 && i >= 0:
		u.ProductRoles = slices.Delete(u.ProductRoles, i, i+1)
	case code == 0:
	case i >= 0:
		u.ProductRoles[i].Role = code
	default:
		u.ProductRoles = append(u.ProductRoles, ProductRole{Role: code, ProductID: p.ID, ProductName: p.Name})
	}
	u.UpdatedAt = rc.now.Truncate(time.Millisecond)
	a.recomputeSeatsLocked(u)
	if code == 0 {
		return response{status: http.StatusNoContent}
	}
	return jsonResponse(http.StatusOK, rc.enc.roles([]ProductRole{{Role: code, ProductID: p.ID, ProductName: p.Name}})[0])
}

func (s *Server) deleteProductRole(rc *reqCtx) response {
	a := s.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userLocked(rc.params["id"])
	if u == nil {
		return notFound()
	}
	p, ok := a.productLocked(rc.params["product_id"])
	if !ok {
		return notFound()
	}
	i := slices.IndexFunc(u.ProductRoles, func(r ProductRole) bool { return r.ProductID == p.ID })
	if i < 0 {
		return notFound()
	}
	u.ProductRoles = slices.Delete(u.ProductRoles, i, i+1)
	u.UpdatedAt = rc.now.Truncate(time.Millisecond)
	a.recomputeSeatsLocked(u)
	return response{status: http.StatusNoContent}
}

func (s *Server) listProjectUsers(rc *reqCtx) response {
	page, per := s.paging(rc.r.URL.Query())
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	p, ok := a.productLocked(rc.params["product_id"])
	if !ok {
		return notFound()
	}
	var all []wireProjectUser
	for _, u := range a.Users {
		for _, r := range u.ProductRoles {
			if r.ProductID == p.ID {
				all = append(all, wireProjectUser{Role: r.Role, RoleDescription: RoleDescription(r.Role), User: rc.enc.short(u)})
			}
		}
	}
	lo, hi := window(len(all), page, per)
	return jsonResponse(http.StatusOK, wireProjectUsersPage{
		ProjectUsers: append([]wireProjectUser{}, all[lo:hi]...),
		Pagination:   pagination(len(all), page, per),
	})
}

func (s *Server) me(rc *reqCtx) response {
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	u := a.userLocked(rc.userID)
	if u == nil {
		return notFound()
	}
	m := wireMe{ID: rc.enc.id(u.ID), Name: u.Name, Email: u.Email, CreatedAt: rc.enc.time(u.CreatedAt),
		UpdatedAt: rc.enc.time(u.UpdatedAt), ProductRoles: rc.enc.roles(u.ProductRoles)}
	m.Preferences.CurrentProductID = json.RawMessage("null")
	if len(u.ProductRoles) > 0 {
		m.Preferences.CurrentProductID = json.RawMessage(u.ProductRoles[0].ProductID)
	}
	var acc wireMeAccount
	acc.Account.Name = a.DisplayName
	acc.Account.Domain = a.Name
	acc.Account.Enabled = true
	m.Accounts = []wireMeAccount{acc}
	return jsonResponse(http.StatusOK, map[string]wireMe{"user": m})
}

// cmpID compares two digit-string ids numerically.
func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// parseTime accepts RFC 3339 (with or without fractions) and YYYY-MM-DD.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// auditFilter selects audits.
type auditFilter struct {
	since, before time.Time // since inclusive, before exclusive; zero: open
	afterID       string
	userID        string
	typ, action   string
	auditableID   string
}

func parseAuditFilter(q url.Values) (auditFilter, *response) {
	f := auditFilter{afterID: q.Get("after_id"), userID: q.Get("user_id"), typ: q.Get("auditable_type"),
		action: q.Get("audit_action"), auditableID: q.Get("auditable_id")}
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"created_since", &f.since}, {"created_before", &f.before}} {
		if v := q.Get(p.key); v != "" {
			t, ok := parseTime(v)
			if !ok {
				resp := jsonResponse(http.StatusBadRequest, map[string]any{"errors": map[string][]string{p.key: {"is not a valid time"}}})
				return f, &resp
			}
			*p.dst = t
		}
	}
	if f.afterID != "" {
		if _, err := strconv.ParseUint(f.afterID, 10, 64); err != nil {
			resp := jsonResponse(http.StatusBadRequest, map[string]any{"errors": map[string][]string{"after_id": {"is invalid"}}})
			return f, &resp
		}
	}
	return f, nil
}

// selectAudits returns the audits in as (sorted by id) matching f.
func selectAudits(as []*Audit, f auditFilter) []*Audit {
	start := 0
	if !f.since.IsZero() {
		start = max(start, sortSearch(as, func(a *Audit) bool { return !a.CreatedAt.Before(f.since) }))
	}
	if f.afterID != "" {
		start = max(start, sortSearch(as, func(a *Audit) bool { return cmpID(a.ID, f.afterID) > 0 }))
	}
	var out []*Audit
	for _, au := range as[start:] {
		if !f.before.IsZero() && !au.CreatedAt.Before(f.before) {
			break
		}
		if (f.userID != "" && au.UserID != f.userID) || (f.typ != "" && au.AuditableType != f.typ) ||
			(f.action != "" && au.Action != f.action) ||
			(f.auditableID != "" && strconv.FormatInt(au.AuditableID, 10) != f.auditableID) {
			continue
		}
		out = append(out, au)
	}
	return out
}

func sortSearch(as []*Audit, pred func(*Audit) bool) int {
	lo, hi := 0, len(as)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if pred(as[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (a *Account) wireAudit(e Encoding, au *Audit) wireAudit {
	w := wireAudit{ID: e.id(au.ID), AuditAction: au.Action, CreatedAt: e.time(au.CreatedAt), Interesting: true,
		AuditableType: au.AuditableType, AuditableID: au.AuditableID, Description: au.Description,
		Contributors: []struct{}{}, Changes: []struct{}{}}
	if au.UserID != "" {
		if u := a.userLocked(au.UserID); u != nil {
			w.User = e.short(u)
		}
	}
	return w
}

// listAudits serves the last 12 calendar months of audits, ascending by id
// (or as WithAuditOrder says).
func (s *Server) listAudits(rc *reqCtx) response {
	q := rc.r.URL.Query()
	page, per := s.paging(q)
	f, bad := parseAuditFilter(q)
	if bad != nil {
		return *bad
	}
	ignoreAfter := s.auditOrder == AuditsIgnoreAfterID || s.auditOrder == AuditsNewestFirstIgnoreAfterID
	if ignoreAfter {
		f.afterID = ""
	}
	newestFirst := s.auditOrder == AuditsNewestFirstIgnoreAfterID || (s.auditOrder == AuditsNewestFirst && f.afterID == "")
	if cut := s.acct.auditCutoff(rc.now); f.since.Before(cut) {
		f.since = cut
	}
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	sel := selectAudits(a.Audits, f)
	if newestFirst {
		sel = slices.Clone(sel)
		slices.Reverse(sel)
	}
	lo, hi := window(len(sel), page, per)
	out := wireAuditsPage{Audits: make([]wireAudit, 0, hi-lo), Pagination: pagination(len(sel), page, per)}
	for _, au := range sel[lo:hi] {
		out.Audits = append(out.Audits, a.wireAudit(rc.enc, au))
	}
	return jsonResponse(http.StatusOK, out)
}

// histSearch is one asynchronous historical audit search.
type histSearch struct {
	filter auditFilter
	polls  int
}

func (s *Server) histHeader(resp response) response {
	s.mu.Lock()
	n := s.histTokens
	s.mu.Unlock()
	if resp.header == nil {
		resp.header = http.Header{}
	}
	resp.header.Set("X-Historical-Tokens-Available", strconv.Itoa(n))
	return resp
}

// historicalAudits returns the audits older than the 12-month cutoff matching f.
func (s *Server) historicalAudits(now time.Time, f auditFilter) []*Audit {
	cut := s.acct.auditCutoff(now)
	if f.before.IsZero() || f.before.After(cut) {
		f.before = cut
	}
	return selectAudits(s.acct.Audits, f)
}

// historicalIndex serves GET /historical_audits: one row per user with
// historical audits, with the dates they were active. It costs no tokens.
func (s *Server) historicalIndex(rc *reqCtx) response {
	q := rc.r.URL.Query()
	page, per := s.paging(q)
	f, bad := parseAuditFilter(q)
	if bad != nil {
		return s.histHeader(*bad)
	}
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	var rows []wireHistoricalIndexRow
	byUser := map[string]int{}
	for _, au := range s.historicalAudits(rc.now, f) {
		u := a.userLocked(au.UserID)
		if u == nil {
			continue
		}
		i, ok := byUser[u.ID]
		if !ok {
			i = len(rows)
			byUser[u.ID] = i
			rows = append(rows, wireHistoricalIndexRow{ID: rc.enc.id(u.ID), Name: u.Name, Email: u.Email,
				CreatedAt: rc.enc.time(u.CreatedAt), UpdatedAt: rc.enc.time(u.UpdatedAt), DatesActive: []string{}})
		}
		r := &rows[i]
		r.AuditableID, r.AuditableType = au.AuditableID, au.AuditableType
		if d := au.CreatedAt.Format(time.DateOnly); len(r.DatesActive) == 0 || r.DatesActive[len(r.DatesActive)-1] != d {
			r.DatesActive = append(r.DatesActive, d)
		}
	}
	lo, hi := window(len(rows), page, per)
	return s.histHeader(jsonResponse(http.StatusOK, wireHistoricalIndex{
		HistoricalAudits: append([]wireHistoricalIndexRow{}, rows[lo:hi]...),
		Pagination:       pagination(len(rows), page, per),
	}))
}

// startHistoricalSearch serves POST /historical_audits: it charges
// HistoricalSearchCost tokens (429 when too few are left) and answers a
// search_id.
func (s *Server) startHistoricalSearch(rc *reqCtx) response {
	var body struct {
		Search *struct {
			CreatedSince  string          `json:"created_since"`
			CreatedBefore string          `json:"created_before"`
			AuditableType string          `json:"auditable_type"`
			AuditableID   json.RawMessage `json:"auditable_id"`
			UserID        json.RawMessage `json:"user_id"`
			AuditAction   string          `json:"audit_action"`
		} `json:"search"`
	}
	if e := decodeBody(rc.r, &body); e != nil {
		return s.histHeader(*e)
	}
	if body.Search == nil {
		return s.histHeader(jsonResponse(http.StatusBadRequest, map[string]any{"errors": map[string][]string{"search": {"is missing"}}}))
	}
	q := url.Values{}
	q.Set("created_since", body.Search.CreatedSince)
	q.Set("created_before", body.Search.CreatedBefore)
	q.Set("auditable_type", body.Search.AuditableType)
	q.Set("audit_action", body.Search.AuditAction)
	q.Set("auditable_id", strings.Trim(string(body.Search.AuditableID), `"`))
	q.Set("user_id", strings.Trim(string(body.Search.UserID), `"`))
	if v := q.Get("auditable_id"); v == "null" {
		q.Del("auditable_id")
	}
	if v := q.Get("user_id"); v == "null" {
		q.Del("user_id")
	}
	f, bad := parseAuditFilter(q)
	if bad != nil {
		return s.histHeader(*bad)
	}
	s.mu.Lock()
	if s.histTokens < HistoricalSearchCost {
		s.mu.Unlock()
		resp := s.histHeader(errorResponse(http.StatusTooManyRequests, "Not enough historical audit tokens"))
		resp.header.Set("Retry-After", "60")
		return resp
	}
	s.histTokens -= HistoricalSearchCost
	s.nextSearch += 7
	id := strconv.FormatUint(s.nextSearch, 10)
	s.searches[id] = &histSearch{filter: f}
	s.mu.Unlock()
	return s.histHeader(jsonResponse(http.StatusOK, map[string]string{"search_id": id}))
}

// historicalResults serves GET /historical_audits/{id}: the first read of a
// search reports "pending"; later reads report "completed" with the audits,
// paginated. (Not in the OpenAPI subset: the shape is the fake's own.)
func (s *Server) historicalResults(rc *reqCtx) response {
	page, per := s.paging(rc.r.URL.Query())
	s.mu.Lock()
	sr := s.searches[rc.params["id"]]
	var polls int
	if sr != nil {
		sr.polls++
		polls = sr.polls
	}
	s.mu.Unlock()
	if sr == nil {
		return s.histHeader(notFound())
	}
	out := wireSearchResults{Status: "pending", TokenCost: HistoricalSearchCost, Audits: []wireAudit{}}
	if polls > 1 {
		a := s.acct
		a.mu.RLock()
		sel := s.historicalAudits(rc.now, sr.filter)
		lo, hi := window(len(sel), page, per)
		for _, au := range sel[lo:hi] {
			out.Audits = append(out.Audits, a.wireAudit(rc.enc, au))
		}
		a.mu.RUnlock()
		out.Status = "completed"
		out.Pagination = pagination(len(sel), page, per)
	}
	return s.histHeader(jsonResponse(http.StatusOK, out))
}

func (a *Account) wireGroupLocked(e Encoding, g PaidSeatGroup) wirePaidSeatGroup {
	w := wirePaidSeatGroup{ID: g.ID, Name: g.Name, Capacity: g.Capacity, Administrators: []*wireShortUser{},
		CreatedAt: e.time(g.CreatedAt), UpdatedAt: e.time(g.CreatedAt)}
	for _, id := range g.AdministratorIDs {
		if u := a.userLocked(id); u != nil {
			w.Administrators = append(w.Administrators, e.short(u))
		}
	}
	for _, u := range a.Users {
		if u.Enabled && u.PaidSeatGroupID == g.ID {
			w.AllocatedSeats++
		}
	}
	return w
}

func (s *Server) listPaidSeatGroups(rc *reqCtx) response {
	a := s.acct
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]wirePaidSeatGroup, 0, len(a.PaidSeatGroups))
	for _, g := range a.PaidSeatGroups {
		out = append(out, a.wireGroupLocked(rc.enc, g))
	}
	return jsonResponse(http.StatusOK, map[string]any{"paid_seat_groups": out})
}

// modifyPaidSeatGroup adds the user to the group ({"user_id": …}) or removes
// it ({"user_id": …, "remove": true}), and answers the group. Adding beyond
// the capacity is a 422.
func (s *Server) modifyPaidSeatGroup(rc *reqCtx) response {
	var body struct {
		UserID json.RawMessage `json:"user_id"`
		Remove *bool           `json:"remove"`
	}
	if e := decodeBody(rc.r, &body); e != nil {
		return *e
	}
	uid := strings.Trim(string(body.UserID), `"`)
	a := s.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	gi := slices.IndexFunc(a.PaidSeatGroups, func(g PaidSeatGroup) bool { return g.ID == rc.params["id"] })
	if gi < 0 {
		return notFound()
	}
	g := a.PaidSeatGroups[gi]
	u := a.userLocked(uid)
	if u == nil {
		return notFound()
	}
	if body.Remove != nil && *body.Remove {
		if u.PaidSeatGroupID == g.ID {
			u.PaidSeatGroupID = ""
		}
	} else if u.PaidSeatGroupID != g.ID {
		if w := a.wireGroupLocked(rc.enc, g); w.AllocatedSeats >= g.Capacity {
			return jsonResponse(http.StatusUnprocessableEntity, map[string]any{"errors": []string{"Paid seat group is full"}})
		}
		u.PaidSeatGroupID = g.ID
	}
	u.UpdatedAt = rc.now.Truncate(time.Millisecond)
	return jsonResponse(http.StatusOK, a.wireGroupLocked(rc.enc, g))
}
