package aha

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the spoke's concurrent download.
const (
	// DefaultPageConcurrency is how many pages of /users the spoke fetches
	// at once once the first page has told how many there are. Every
	// request still waits for the client's Limiter, so this only needs to
	// cover the round trip: at Aha!'s 20 requests a second and 50 ms of
	// latency one request is in flight on average.
	DefaultPageConcurrency = 8
	// DefaultAuditWalks is how many sub-windows of the audit window the
	// spoke walks at once. Each sub-window but one may end on a partial
	// page, so a walk of A audits costs at most ceil(A/200)+walks-1
	// requests; five keeps a whole download within ceil(U/200) +
	// ceil(A/200) + 5 requests.
	DefaultAuditWalks = 5
)

// ScaledLimiterGuard and ScaledLimiterSlack are the share and the time by
// which NewScaledLimiter lengthens both windows to absorb the variation of
// arrival times (a request dialled afresh, a goroutine woken late on a
// busy machine: milliseconds, whatever the scale).
const (
	ScaledLimiterGuard = 0.02
	ScaledLimiterSlack = 20 * time.Millisecond
)

// NewScaledLimiter is NewLimiter for a server whose clock runs scale times
// faster than real time, such as ahatest.NewServer with WithTimeScale(scale):
// perSecond is multiplied by scale and the 60-second window divided by it,
// so the same budget (say 20 a second and 300 a minute) is enforced against
// the faster clock. scale must be positive and finite.
//
// Both windows are lengthened by ScaledLimiterGuard and ScaledLimiterSlack:
// a request reaches the
// server a little after the limiter let it go, and by a varying amount, so
// a client at exactly the server's budget would now and then land one
// request too many in the server's window. With the guard, a client given
// the server's own limits gets no 429.
func NewScaledLimiter(perSecond float64, perMinute, burst int, scale float64) (*Limiter, error) {
	if math.IsNaN(scale) || math.IsInf(scale, 0) || scale <= 0 {
		return nil, fmt.Errorf("aha: limiter scale must be positive and finite, got %v", scale)
	}
	l, err := NewLimiter(perSecond, perMinute, burst)
	if err != nil {
		return nil, err
	}
	guard := func(d time.Duration) time.Duration {
		return time.Duration(float64(d)*(1+ScaledLimiterGuard)/scale) + ScaledLimiterSlack
	}
	l.sec = rate.NewLimiter(rate.Limit(perSecond/guard(time.Second).Seconds()), burst)
	l.window = guard(time.Minute)
	l.secWindow = guard(time.Second)
	return l, nil
}

// secondFloor truncates t to the whole second: the API takes times as
// RFC 3339 seconds, so sub-window bounds are whole seconds and every bound
// means the same to the server and to the client.
func secondFloor(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// splitSeconds divides [since, before) into at most n contiguous windows
// with whole-second inner bounds; the outer bounds are kept as given.
func splitSeconds(since, before time.Time, n int) [][2]time.Time {
	lo, hi := secondFloor(since), secondFloor(before)
	secs := int64(hi.Sub(lo) / time.Second)
	if n < 2 || secs < 2 {
		return [][2]time.Time{{since, before}}
	}
	n = int(min(int64(n), secs))
	out := make([][2]time.Time, 0, n)
	prev := since
	for i := 1; i < n; i++ {
		b := lo.Add(time.Duration(secs*int64(i)/int64(n)) * time.Second)
		if !b.After(prev) {
			continue
		}
		out = append(out, [2]time.Time{prev, b})
		prev = b
	}
	return append(out, [2]time.Time{prev, before})
}

// walkAudits calls visit for every audit created in [since, before),
// reading the window with the after_id cursor: one probe page for the
// whole window, then, when its pagination says more pages remain, the
// rest of the window split into up to walks sub-windows walked
// concurrently (each with its own cursor, each ending on the pagination
// signal rather than on an extra empty page). visit may be called from
// several goroutines at once. Records outside their sub-window (a server
// that treats created_before as inclusive) are dropped, so none is visited
// twice.
func (s *Spoke) walkAudits(ctx context.Context, since, before time.Time, walks int, visit func(*Audit)) error {
	per := s.perPage()
	// The probe asks for ids after 0, as a cursor walk does, so that a
	// server that honours after_id answers in id order.
	probe := ListAuditsOptions{CreatedSince: since, CreatedBefore: before, AfterID: "0", PerPage: per}
	audits, resp, err := s.c.Audits.List(ctx, &probe)
	if err != nil {
		return &WalkError{Op: "audits", AfterID: probe.AfterID, Err: err}
	}
	if slices.ContainsFunc(audits, withoutID) {
		return &WalkError{Op: "audits", AfterID: probe.AfterID, Err: errAuditWithoutID}
	}
	if !increasing(audits) {
		// Not in id order, so neither the cursor nor the time of the last
		// record says what remains: one walk of the whole window, which
		// goes on by page numbers (the probe's page is read again).
		for a, err := range s.c.Audits.All(ctx, AuditWindow{Since: since, Before: before, PerPage: per}) {
			if err != nil {
				return err
			}
			visit(a)
		}
		return nil
	}
	var cursor ID
	var last time.Time
	for _, a := range audits {
		visit(a)
		if cursor.IsZero() || compareIDs(a.ID, cursor) > 0 {
			cursor = a.ID
			if a.CreatedAt.Valid {
				last = a.CreatedAt.Time
			}
		}
	}
	if cursor.IsZero() || (resp.HasPagination && resp.CurrentPage >= resp.TotalPages) {
		return nil
	}
	remaining := walks
	if resp.HasPagination {
		remaining = resp.TotalPages - resp.CurrentPage
	}
	rest := since
	if !last.IsZero() && secondFloor(last).After(since) {
		// Audits are ordered by id and ids grow with time: nothing after
		// the cursor was created before the last one seen.
		rest = secondFloor(last)
	}
	// A sub-window of one page would spend a partial page on less than
	// one round trip saved: give each at least two.
	subs := splitSeconds(rest, before, max(1, min(walks, (remaining+1)/2)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		w := AuditWindow{Since: sub[0], Before: sub[1], AfterID: cursor, PerPage: per}
		wg.Go(func() {
			for a, err := range s.c.Audits.All(ctx, w) {
				if err != nil {
					errs[i] = err
					cancel()
					return
				}
				if a.CreatedAt.Valid && (a.CreatedAt.Time.Before(secondFloor(w.Since)) || (i < len(subs)-1 && !a.CreatedAt.Time.Before(w.Before))) {
					continue // the neighbour's
				}
				visit(a)
			}
		})
	}
	wg.Wait()
	// Report the walk that failed first, not the siblings it cancelled.
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) || ctx.Err() == nil {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}
