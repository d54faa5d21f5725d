package aha

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// startsKeepSecondCap checks that no secCap+1 recorded starts fall within
// one secWindow.
func startsKeepSecondCap(t *testing.T, l *Limiter) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := l.secCap; i < len(l.sent); i++ {
		if gap := l.sent[i].Sub(l.sent[i-l.secCap]); gap < l.secWindow {
			t.Fatalf("starts %d and %d are %v apart, want at least %v (%d a window)", i-l.secCap, i, gap, l.secWindow, l.secCap)
		}
	}
}

// TestLimiterSecondWindowOnRealStarts: the token bucket paces
// reservations, but a goroutine woken late starts close behind the next
// one. The sliding window counts real starts: here the bucket is full (the
// limiter was idle) while secCap requests started a moment ago, as late
// wake-ups would leave it, and the next request still waits out the window.
func TestLimiterSecondWindowOnRealStarts(t *testing.T) {
	l, err := NewScaledLimiter(20, 300, 1, 20) // 20 in any 71 ms
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range l.secCap {
		l.sent = append(l.sent, now.Add(time.Duration(i-l.secCap)*time.Microsecond))
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	startsKeepSecondCap(t, l)
	if l.pending != 0 {
		t.Errorf("pending = %d after the wait, want 0", l.pending)
	}
}

// TestLimiterSecondWindowConcurrent: many goroutines at once never put
// more than secCap starts in one window, and every minute slot taken is
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
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	startsKeepSecondCap(t, l)
	if len(l.sent) != 64 || l.pending != 0 {
		t.Errorf("%d starts recorded and %d pending, want 64 and 0", len(l.sent), l.pending)
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
		l.sent = append(l.sent, now)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
	if len(l.sent) != l.secCap || l.pending != 0 {
		t.Errorf("%d starts recorded and %d pending, want %d and 0", len(l.sent), l.pending, l.secCap)
	}
}
