package aha

import (
	"context"
	"errors"
	"iter"
	"sync"
)

// ListOptions selects one page of a paged listing.
type ListOptions struct {
	// Page is 1-based; 0 means the first page.
	Page int
	// PerPage is the page size, at most MaxPerPage; 0 means the API
	// default (30) for single-page calls and MaxPerPage for All/ListAll.
	PerPage int
	// Concurrency is how many pages ListAll may fetch at once once the
	// first page has told how many there are; 0 or 1 fetches in order.
	// All requests still pass the client's rate Limiter.
	Concurrency int
}

// MaxPerPage is the largest page Aha! serves.
const MaxPerPage = 200

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
		// No pagination object: the endpoint is not paged.
		for _, it := range items {
			if _, dup := tr.seen[id(it)]; dup {
				tr.duplicates++
				continue
			}
			tr.seen[id(it)] = struct{}{}
			keep = append(keep, it)
		}
		return keep, true, nil
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
		tr := &pageTracker{op: p.op}
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
	if concurrency <= 1 {
		var out []T
		for it, err := range p.all(ctx, 1) {
			if err != nil {
				return nil, err
			}
			out = append(out, it)
		}
		return out, nil
	}
	tr := &pageTracker{op: p.op}
	items, resp, err := p.fetch(ctx, 1, p.perPage)
	if err != nil {
		return nil, &WalkError{Op: p.op, Page: 1, Err: err}
	}
	out, done, err := accept(tr, 1, items, resp, p.id)
	if err != nil {
		return nil, &WalkError{Op: p.op, Page: 1, Seen: len(out), Err: err}
	}
	if done {
		return out, nil
	}
	total := resp.TotalPages
	type result struct {
		items []T
		resp  *Response
		err   error
	}
	results := make([]result, total+1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	pages := make(chan int)
	for range min(concurrency, total-1) {
		wg.Go(func() {
			for pg := range pages {
				its, r, err := p.fetch(ctx, pg, p.perPage)
				results[pg] = result{its, r, err}
				if err != nil {
					cancel()
				}
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
	for pg := 2; pg <= total; pg++ {
		r := results[pg]
		if r.err == nil && r.resp == nil {
			// Not fetched: an earlier failure cancelled the rest.
			continue
		}
		if r.err != nil {
			return nil, &WalkError{Op: p.op, Page: pg, Seen: len(out), Err: r.err}
		}
		keep, done, err := accept(tr, pg, r.items, r.resp, p.id)
		out = append(out, keep...)
		if err != nil {
			return nil, &WalkError{Op: p.op, Page: pg, Seen: len(out), Err: err}
		}
		if done {
			return out, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, &WalkError{Op: p.op, Page: total, Seen: len(out), Err: err}
	}
	return out, nil
}
