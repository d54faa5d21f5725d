package aha

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// usesKeepSecondCap checks the limiter's promise over the requests it let
// through: when each started, fewer than secCap others were in flight or
// had ended less than secWindow before.
func usesKeepSecondCap(t *testing.T, l *Limiter) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range l.uses {
		n := 0
		for _, o := range l.uses {
			if o != u && o.start.Before(u.start) && (o.end.IsZero() || o.end.After(u.start) || u.start.Sub(o.end) < l.secWindow) {
				n++
			}
		}
		if n >= l.secCap {
			t.Fatalf("a request started with %d others holding the second window, want fewer than %d", n, l.secCap)
		}
	}
}

// TestLimiterSecondWindowOnRealStarts: the token bucket paces
// reservations, but a goroutine woken late starts close behind the next
// one. The sliding window counts real requests: here the bucket is full
// (the limiter was idle) while secCap requests ended a moment ago, as late
// wake-ups would leave it, and the next request still waits out the window.
func TestLimiterSecondWindowOnRealStarts(t *testing.T) {
	l, err := NewScaledLimiter(20, 300, 1, 20) // 20 in any 71 ms
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range l.secCap {
		at := now.Add(time.Duration(i-l.secCap) * time.Microsecond)
		l.uses = append(l.uses, &use{start: at, end: at})
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	usesKeepSecondCap(t, l)
	if l.pending != 0 {
		t.Errorf("pending = %d after the wait, want 0", l.pending)
	}
}

// TestLimiterHoldsUntilResponse: a request holds its place from its start
// until a window after its response, however long the server took to
// answer (and so to count it): with secCap requests still in flight, the
// next one waits for one of them to end and then for a whole window.
func TestLimiterHoldsUntilResponse(t *testing.T) {
	l, err := NewScaledLimiter(20, 300, 1, 20) // 20 in any 71 ms
	if err != nil {
		t.Fatal(err)
	}
	dones := make([]func(), l.secCap)
	for i := range dones {
		l.sec.SetBurst(l.secCap) // let the bucket pass them at once
		if dones[i], err = l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan time.Time)
	go func() {
		if err := l.Wait(context.Background()); err != nil {
			t.Error(err)
		}
		started <- time.Now()
	}()
	time.Sleep(3 * l.secWindow) // far past a window from the starts
	select {
	case <-started:
		t.Fatal("a request started while secCap requests were in flight")
	default:
	}
	ended := time.Now()
	dones[0]()
	if got := (<-started).Sub(ended); got < l.secWindow {
		t.Errorf("the next request started %v after a response, want at least %v", got, l.secWindow)
	}
	for _, done := range dones[1:] {
		done()
	}
	usesKeepSecondCap(t, l)
}

// TestLimiterSecondWindowConcurrent: many goroutines at once never put
// more than secCap requests in one window, and every minute slot taken is
// released.
func TestLimiterSecondWindowConcurrent(t *testing.T) {
	l, err := NewScaledLimiter(20, 300, 1, 20)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 8 {
				done, err := l.acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond) // the round trip
				done()
			}
		})
	}
	wg.Wait()
	usesKeepSecondCap(t, l)
	if len(l.uses) != 64 || l.pending != 0 {
		t.Errorf("%d requests recorded and %d pending, want 64 and 0", len(l.uses), l.pending)
	}
	if slices.ContainsFunc(l.uses, func(u *use) bool { return u.end.IsZero() }) {
		t.Error("a finished request is still in flight")
	}
}

// TestLimiterSecondWindowCancel: a wait for the second window that is
// cancelled returns the context's error and gives its minute slot back.
func TestLimiterSecondWindowCancel(t *testing.T) {
	l, err := NewLimiter(20, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for range l.secCap {
		l.uses = append(l.uses, &use{start: now, end: now})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
	if len(l.uses) != l.secCap || l.pending != 0 {
		t.Errorf("%d requests recorded and %d pending, want %d and 0", len(l.uses), l.pending, l.secCap)
	}
}
