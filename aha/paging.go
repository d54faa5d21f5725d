package aha

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync"
)

// ListOptions selects one page of a paged listing. A nil *ListOptions is
// the zero value. A negative field is an *ArgumentError, returned (or
// yielded) before any request; a PerPage above MaxPerPage asks for
// MaxPerPage, the most Aha! serves.
type ListOptions struct {
	// Page is 1-based; 0 means the first page.
	Page int
	// PerPage is the page size; 0 means the API default (30) for
	// single-page calls and MaxPerPage for All/ListAll; more than
	// MaxPerPage means MaxPerPage.
	PerPage int
	// Concurrency is how many pages ListAll may fetch at once once the
	// first page has told how many there are; 0 or 1 fetches in order.
	// All requests still pass the client's rate Limiter.
	Concurrency int
}

// MaxPerPage is the largest page Aha! serves.
const MaxPerPage = 200

// validate refuses negative fields; prefix names the options' type in the
// error ("ListOptions").
func (o *ListOptions) validate(prefix string) error {
	if o == nil {
		return nil
	}
	if err := checkPaging(prefix, o.Page, o.PerPage); err != nil {
		return err
	}
	return checkNonNegative(prefix+".Concurrency", o.Concurrency, "0 or 1 reads the pages in order")
}

// checkPaging refuses a negative page or page size.
func checkPaging(prefix string, page, perPage int) error {
	if err := checkNonNegative(prefix+".Page", page, "0 means the first page"); err != nil {
		return err
	}
	return checkNonNegative(prefix+".PerPage", perPage, fmt.Sprintf("0 means the default, and at most %d are served", MaxPerPage))
}

func checkNonNegative(arg string, v int, zero string) error {
	if v < 0 {
		return &ArgumentError{Arg: arg, Value: strconv.Itoa(v), Reason: "it must not be negative (" + zero + ")"}
	}
	return nil
}

// clampPerPage is the page size a walk asks for: MaxPerPage for 0, and
// never more than MaxPerPage.
func clampPerPage(n int) int {
	if n <= 0 || n > MaxPerPage {
		return MaxPerPage
	}
	return n
}

// failed is an iteration that yields err and stops: what a walk with
// invalid arguments yields before any request.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// pageFetch fetches one page of a listing.
type pageFetch[T any] func(ctx context.Context, page, perPage int) ([]T, *Response, error)

// pager walks a page-numbered listing under the rules of the package:
// end on current_page >= total_pages, check current_page echoes the
// request, de-duplicate by id, and compare with total_records.
type pager[T any] struct {
	op      string
	perPage int
	fetch   pageFetch[T]
	id      func(T) ID
}

type pageTracker struct {
	op         string
	perPage    int // the page size asked for: without pagination, a shorter page is the last
	started    bool
	expected   int
	seen       map[ID]struct{}
	duplicates int
	paginated  bool
}

// accept checks one page's response; it returns the items to keep, whether
// the walk is complete, or an error.
func accept[T any](tr *pageTracker, page int, items []T, resp *Response, id func(T) ID) (keep []T, done bool, err error) {
	if tr.seen == nil {
		tr.seen = make(map[ID]struct{})
	}
	if !tr.started {
		tr.started = true
		tr.paginated = resp.HasPagination
		tr.expected = resp.TotalRecords
	}
	if !tr.paginated {
		// No pagination object: the only end signals are a page shorter
		// than asked for, an empty page, or a listing that is not paged
		// at all (more than asked for, repeated whole on the next page).
		// A full page that repeats could be either a page number ignored
		// or a listing of exactly one page: fail rather than guess.
		for _, it := range items {
			if _, dup := tr.seen[id(it)]; dup {
				tr.duplicates++
				continue
			}
			tr.seen[id(it)] = struct{}{}
			keep = append(keep, it)
		}
		switch {
		case len(items) == 0 || len(items) < tr.perPage:
			return keep, true, nil
		case len(keep) == 0 && len(items) > tr.perPage:
			return nil, true, nil
		case len(keep) == 0:
			return nil, false, ErrPagingLoop
		}
		return keep, false, nil
	}
	if resp.CurrentPage != 0 && resp.CurrentPage != page {
		return nil, false, ErrPagingLoop
	}
	if resp.TotalRecords != tr.expected {
		return nil, false, &ListChangedError{Op: tr.op, Expected: tr.expected, Seen: resp.TotalRecords, Duplicates: tr.duplicates, Page: page}
	}
	fresh := 0
	for _, it := range items {
		k := id(it)
		if _, dup := tr.seen[k]; dup {
			tr.duplicates++
			continue
		}
		tr.seen[k] = struct{}{}
		keep = append(keep, it)
		fresh++
	}
	if len(items) > 0 && fresh == 0 {
		return nil, false, ErrPagingLoop
	}
	last := page >= resp.TotalPages
	if !last && len(items) == 0 {
		// An empty page before the last: the listing shrank.
		return nil, false, &ListChangedError{Op: tr.op, Expected: tr.expected, Seen: len(tr.seen), Duplicates: tr.duplicates, Page: page}
	}
	if last && len(tr.seen) != tr.expected {
		return keep, false, &ListChangedError{Op: tr.op, Expected: tr.expected, Seen: len(tr.seen), Duplicates: tr.duplicates, Page: page}
	}
	return keep, last, nil
}

// all yields every record, page by page, from startPage.
func (p pager[T]) all(ctx context.Context, startPage int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		tr := &pageTracker{op: p.op, perPage: p.perPage}
		if startPage < 1 {
			startPage = 1
		}
		yielded := 0
		for page := startPage; ; page++ {
			items, resp, err := p.fetch(ctx, page, p.perPage)
			if err != nil {
				yield(zero, &WalkError{Op: p.op, Page: page, Seen: yielded, Err: err})
				return
			}
			if startPage > 1 && page == startPage {
				// Counting from a later page cannot match total_records.
				tr.started, tr.paginated, tr.expected = true, resp.HasPagination, resp.TotalRecords
				tr.seen = map[ID]struct{}{}
			}
			keep, done, err := accept(tr, page, items, resp, p.id)
			for _, it := range keep {
				if !yield(it, nil) {
					return
				}
				yielded++
			}
			if err != nil {
				if startPage > 1 {
					if lc := (*ListChangedError)(nil); errors.As(err, &lc) && page >= resp.TotalPages {
						return
					}
				}
				yield(zero, &WalkError{Op: p.op, Page: page, Seen: yielded, Err: err})
				return
			}
			if done {
				return
			}
		}
	}
}

// collect returns every record, fetching pages 2..N with up to concurrency
// requests at once once page 1 has given total_pages. Pages are checked in
// order with the same rules as all.
func (p pager[T]) collect(ctx context.Context, concurrency int) ([]T, error) {
	var out []T
	err := p.stream(ctx, concurrency, func(items []T, _ *Response) { out = append(out, items...) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// stream passes every record to emit, a page at a time and in page order,
// fetching pages 2..N with up to concurrency requests at once once page 1
// has given total_pages. Each page is checked (the rules of all) and handed
// to emit as soon as the pages before it have been, then dropped, so a walk
// holds only the pages that arrived ahead of an earlier one still in
// flight, not the whole listing. emit is never called concurrently; resp
// is the response of the page its items came from. On an error, emit may
// have seen part of the listing: the caller discards it.
func (p pager[T]) stream(ctx context.Context, concurrency int, emit func(items []T, resp *Response)) error {
	tr := &pageTracker{op: p.op, perPage: p.perPage}
	// sequential checks and emits pages from page on, in order, until the
	// listing ends.
	sequential := func(page, seen int) error {
		for ; ; page++ {
			items, resp, err := p.fetch(ctx, page, p.perPage)
			if err != nil {
				return &WalkError{Op: p.op, Page: page, Seen: seen, Err: err}
			}
			keep, done, err := accept(tr, page, items, resp, p.id)
			emit(keep, resp)
			seen += len(keep)
			if err != nil {
				return &WalkError{Op: p.op, Page: page, Seen: seen, Err: err}
			}
			if done {
				return nil
			}
		}
	}
	if concurrency <= 1 {
		return sequential(1, 0)
	}
	items, resp, err := p.fetch(ctx, 1, p.perPage)
	if err != nil {
		return &WalkError{Op: p.op, Page: 1, Err: err}
	}
	keep, done, err := accept(tr, 1, items, resp, p.id)
	emit(keep, resp)
	seen := len(keep)
	if err != nil {
		return &WalkError{Op: p.op, Page: 1, Seen: seen, Err: err}
	}
	if done {
		return nil
	}
	if !tr.paginated {
		// Without total_pages there is nothing to fetch ahead: read on
		// page by page until the listing's own end.
		return sequential(2, seen)
	}
	total := resp.TotalPages
	type result struct {
		items []T
		resp  *Response
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		ahead   = map[int]result{} // pages fetched before an earlier one
		next    = 2                // the page to check and emit next
		walkErr error              // the first failure, in page order
		errPage = total + 1
	)
	fail := func(pg int, err error) { // with mu held
		if pg < errPage {
			errPage, walkErr = pg, err
		}
		cancel()
	}
	// deliver checks and emits the pages now contiguous with those already
	// emitted; mu is held.
	deliver := func() {
		for next < errPage {
			r, ok := ahead[next]
			if !ok {
				return
			}
			delete(ahead, next)
			keep, done, err := accept(tr, next, r.items, r.resp, p.id)
			emit(keep, r.resp)
			seen += len(keep)
			if err != nil {
				fail(next, &WalkError{Op: p.op, Page: next, Seen: seen, Err: err})
				return
			}
			next++
			if done {
				// The listing ended early: later pages are not needed.
				errPage = next
				cancel()
				return
			}
		}
	}
	var wg sync.WaitGroup
	pages := make(chan int)
	for range min(concurrency, total-1) {
		wg.Go(func() {
			for pg := range pages {
				its, r, err := p.fetch(ctx, pg, p.perPage)
				mu.Lock()
				switch {
				case err != nil && walkErr != nil && errors.Is(err, context.Canceled):
					// Cancelled because another page failed: report that one.
				case err != nil:
					fail(pg, &WalkError{Op: p.op, Page: pg, Seen: seen, Err: err})
				case pg < errPage:
					ahead[pg] = result{its, r}
					deliver()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for pg := 2; pg <= total; pg++ {
		select {
		case pages <- pg:
		case <-ctx.Done():
			break feed
		}
	}
	close(pages)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	switch {
	case walkErr != nil:
		return walkErr
	case next > total || errPage == next:
		return nil
	}
	// Every page fetched and none failed, yet some were not emitted: only
	// the caller's context can have stopped the feed.
	if err := ctx.Err(); err != nil {
		return &WalkError{Op: p.op, Page: next, Seen: seen, Err: err}
	}
	return &WalkError{Op: p.op, Page: next, Seen: seen, Err: ErrPagingLoop}
}
