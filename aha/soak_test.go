package aha_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/sam"
)

// soakNow is the reference time of the soak account.
var soakNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// soakRun downloads the account and pulls 120 days of activity through
// the Aha! spoke, against srv, with the client's default retry policy.
func soakRun(t *testing.T, srv *ahatest.Server, tok string) (*sam.Download, *sam.ActivityPull, time.Duration) {
	t.Helper()
	lim, err := aha.NewLimiter(1000, 100000, 50)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aha.NewClient(aha.WithBaseURL(srv.APIURL()), aha.WithToken(tok), aha.WithRateLimiter(lim))
	if err != nil {
		t.Fatal(err)
	}
	s := aha.NewSpoke(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	d, err := s.DownloadSubscriptions(ctx)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	pull, err := s.PullActivity(ctx, sam.Window{Since: soakNow.AddDate(0, 0, -120), Until: soakNow})
	if err != nil {
		t.Fatalf("activity: %v", err)
	}
	return d, pull, time.Since(start)
}

// TestSoakRandomFaults reads a 5,000-user account with 5% of the requests
// failing at random (503, 429 with Retry-After 1 s, connection resets;
// seeded), and checks that the spoke delivers exactly what a fault-free
// read delivers: every user with the same seats and activity, and the same
// latest activity per user from the audit log.
//
// One seed runs by default (five faults in 56 requests, about 3 s a read
// with -race); -short skips the soak.
func TestSoakRandomFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	t.Parallel()
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 5000, Audits: 20000, Seed: 7, Now: soakNow})
	start := time.Now()
	clock := func() time.Time { return soakNow.Add(time.Since(start)) }
	const tok = "soak-token"
	opts := []ahatest.Option{ahatest.WithToken(tok), ahatest.WithClock(clock), ahatest.WithRateLimit(0, 0)}

	clean := ahatest.NewServer(acct.Clone(), opts...)
	defer clean.Close()
	wantD, wantP, _ := soakRun(t, clean, tok)
	if len(wantD.Users) != 5000 || len(wantP.Latest) == 0 {
		t.Fatalf("fault-free run: %d users, %d active users in the audit log", len(wantD.Users), len(wantP.Latest))
	}

	for _, seed := range []uint64{1} {
		faults := ahatest.NewFaults().Random(seed, 0.05)
		srv := ahatest.NewServer(acct.Clone(), append(opts, ahatest.WithFaults(faults))...)
		gotD, gotP, took := soakRun(t, srv, tok)
		st := srv.Stats()
		srv.Close()
		t.Logf("seed %d: %d requests, %d faults, %s", seed, st.Requests, faults.Injected(), took)
		if faults.Injected() == 0 {
			t.Errorf("seed %d: no fault injected in %d requests", seed, st.Requests)
		}
		if diff := cmp.Diff(wantD, gotD); diff != "" {
			t.Errorf("seed %d: download differs from the fault-free one (-want +got):\n%s", seed, diff)
		}
		if diff := cmp.Diff(wantP, gotP); diff != "" {
			t.Errorf("seed %d: activity differs from the fault-free one (-want +got):\n%s", seed, diff)
		}
	}
}
