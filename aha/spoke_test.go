package aha_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/sam"
)

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "tok-" + hex.EncodeToString(b)
}

func newSpoke(t *testing.T, acct *ahatest.Account, opts ...ahatest.Option) (*aha.Spoke, *ahatest.Server) {
	t.Helper()
	tok := randomToken(t)
	srv := ahatest.NewServer(acct, append([]ahatest.Option{ahatest.WithToken(tok)}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := aha.NewClient(aha.WithBaseURL(srv.APIURL()), aha.WithToken(tok),
		aha.WithRetryPolicy(aha.RetryPolicy{MaxRetries: 4, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond, MaxRateLimitWait: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return aha.NewSpoke(c), srv
}

func TestSpokeDownloadMatchesAccount(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	acct := ahatest.DemoAccount(now)
	want := acct.Clone()
	sp, srv := newSpoke(t, acct)

	d, err := sp.DownloadSubscriptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Self != want.SelfID {
		t.Errorf("Self = %q, want %q", d.Self, want.SelfID)
	}
	if len(d.Users) != len(want.Users) {
		t.Fatalf("downloaded %d users, account has %d", len(d.Users), len(want.Users))
	}
	byID := map[string]sam.User{}
	for _, u := range d.Users {
		byID[u.ExternalID] = u
	}
	for _, wu := range want.Users {
		got, ok := byID[wu.ID]
		if !ok {
			t.Fatalf("user %s missing", wu.ID)
		}
		if got.Enabled != wu.Enabled || got.Email != wu.Email {
			t.Errorf("user %s: enabled/email = %v/%q, want %v/%q", wu.ID, got.Enabled, got.Email, wu.Enabled, wu.Email)
		}
		if wu.AccessedAt == nil {
			if got.Activity.State != sam.ActivityNever {
				t.Errorf("user %s never accessed: activity %v, want never", wu.ID, got.Activity)
			}
		} else if got.Activity.State != sam.ActivitySeen || !got.Activity.At.Equal(wu.AccessedAt.Truncate(time.Millisecond)) {
			t.Errorf("user %s: activity %v, want %v", wu.ID, got.Activity, wu.AccessedAt)
		}
		paid := wu.PaidSeat
		if paid != (len(got.Identifiers) > 0) {
			t.Errorf("user %s: paid_seat %v but identifiers %v", wu.ID, paid, got.Identifiers)
		}
		if wu.DevelopSeat != nil && *wu.DevelopSeat && paid && !got.HasIdentifier(aha.IdentifierDevelop) {
			t.Errorf("user %s holds a Develop seat; identifiers %v", wu.ID, got.Identifiers)
		}
	}
	// One request for /me plus ceil(users/200) pages.
	st := srv.Stats()
	pages := (len(want.Users) + 199) / 200
	if got := st.ByRoute["GET /users"]; got != int64(pages) {
		t.Errorf("GET /users requests = %d, want %d", got, pages)
	}
}

func TestSpokeActivityUnknownWhenAccessedAtMissing(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	acct := ahatest.DemoAccount(now)
	for _, enc := range []ahatest.NullEncoding{ahatest.NullAsMissing, ahatest.NullAsEmpty} {
		sp, _ := newSpoke(t, acct.Clone(), ahatest.WithEncoding(ahatest.Encoding{NeverAccess: enc}))
		d, err := sp.DownloadSubscriptions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		unknown := 0
		for _, u := range d.Users {
			if u.Activity.State == sam.ActivityNever {
				t.Fatalf("encoding %v: user %s reads as never active; a missing or empty accessed_at must be unknown", enc, u.ExternalID)
			}
			if u.Activity.State == sam.ActivityUnknown {
				unknown++
			}
		}
		if unknown == 0 || len(d.Warnings) == 0 {
			t.Errorf("encoding %v: %d unknown users, warnings %v; want some of each", enc, unknown, d.Warnings)
		}
	}
}

func TestSpokePullActivityLatestPerUser(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	acct := ahatest.DemoAccount(now)
	want := map[string]time.Time{}
	since := now.AddDate(0, 0, -60)
	for _, a := range acct.Audits {
		if a.CreatedAt.Before(since) || !a.CreatedAt.Before(now) {
			continue
		}
		if a.CreatedAt.After(want[a.UserID]) {
			want[a.UserID] = a.CreatedAt.Truncate(time.Millisecond)
		}
	}
	sp, _ := newSpoke(t, acct)
	pull, err := sp.PullActivity(context.Background(), sam.Window{Since: since, Until: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("demo account has no audits in the last 60 days")
	}
	if len(pull.Latest) != len(want) {
		t.Fatalf("latest activity for %d users, want %d", len(pull.Latest), len(want))
	}
	for id, w := range want {
		if got := pull.Latest[id]; !got.Equal(w) {
			t.Errorf("user %s: latest %v, want %v", id, got, w)
		}
	}
	if !pull.Covered.Since.Equal(since) {
		t.Errorf("covered since %v, want %v", pull.Covered.Since, since)
	}
}

func TestSpokeReclaimDisablesAndLookupSeesIt(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	acct := ahatest.DemoAccount(now)
	var target string
	for _, u := range acct.Users {
		if u.Enabled && u.PaidSeat && !u.Administrator {
			target = u.ID
			break
		}
	}
	sp, _ := newSpoke(t, acct)
	ctx := context.Background()
	if err := sp.Reclaim(ctx, target, sam.ReclaimDisable); err != nil {
		t.Fatal(err)
	}
	u, err := sp.LookupUser(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if u.Enabled || u.Consumes() {
		t.Errorf("after reclaim: enabled=%v consumes=%v", u.Enabled, u.Consumes())
	}
	// Disabling again is harmless.
	if err := sp.Reclaim(ctx, target, sam.ReclaimDisable); err != nil {
		t.Errorf("second disable: %v", err)
	}
	if _, err := sp.LookupUser(ctx, "999999999999"); !errors.Is(err, sam.ErrUserNotFound) {
		t.Errorf("lookup of unknown user: %v, want sam.ErrUserNotFound", err)
	}
	if err := sp.Reclaim(ctx, target, "explode"); !errors.Is(err, sam.ErrUnsupportedMode) {
		t.Errorf("unknown mode: %v", err)
	}
}

// TestSpokePullActivityWindowChecks: a window without an Until, or whose
// Since is after its Until, is an *aha.ArgumentError and sends nothing
// (it used to read every audit, or none, and report an inverted or
// 0001-01-01 coverage); a zero Since reads as far back as Aha! keeps and
// Covered.Since says where that is.
func TestSpokePullActivityWindowChecks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	acct := ahatest.DemoAccount(now)
	sp, srv := newSpoke(t, acct, ahatest.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	for name, w := range map[string]sam.Window{
		"zero":        {},
		"no until":    {Since: now.AddDate(0, 0, -60)},
		"inverted":    {Since: now, Until: now.Add(-time.Hour)},
		"inverted 1s": {Since: now.Add(time.Second), Until: now},
	} {
		pull, err := sp.PullActivity(ctx, w)
		var ae *aha.ArgumentError
		if !errors.As(err, &ae) || pull != nil {
			t.Errorf("%s: PullActivity = %+v, %v; want an *aha.ArgumentError", name, pull, err)
		}
		if _, _, err := sp.Download(ctx, w); !errors.As(err, &ae) {
			t.Errorf("%s: Download: %v; want an *aha.ArgumentError", name, err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Fatalf("refused windows sent %d requests", n)
	}

	pull, err := sp.PullActivity(ctx, sam.Window{Until: now})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // first day of the month 11 months before
	if !pull.Covered.Since.Equal(start) || !pull.Covered.Until.Equal(now) {
		t.Errorf("covered %v .. %v, want %v .. %v", pull.Covered.Since, pull.Covered.Until, start, now)
	}
	want := 0
	for _, a := range acct.Audits {
		if !a.CreatedAt.Before(start) && a.CreatedAt.Before(now) {
			want++
		}
	}
	if want == 0 || pull.Records != want {
		t.Errorf("read %d audits, want the %d from %v on", pull.Records, want, start)
	}

	// An empty window (Since == Until) is not refused.
	if _, err := sp.PullActivity(ctx, sam.Window{Since: now, Until: now}); err != nil {
		t.Errorf("empty window: %v", err)
	}
}

// TestSpokeReclaimRefusesOwnUser: Reclaim never disables nor downgrades
// the connection's own user, whether the spoke learnt it from a download or
// (called directly, first thing) from /me; it returns *aha.SelfReclaimError
// and sends no change. Other users are still reclaimed.
func TestSpokeReclaimRefusesOwnUser(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	selfOf := func(t *testing.T, sp *aha.Spoke) string {
		t.Helper()
		d, err := sp.DownloadSubscriptions(ctx)
		if err != nil || d.Self == "" {
			t.Fatalf("download: self %q, %v", d.Self, err)
		}
		return d.Self
	}
	refused := func(t *testing.T, err error, id string) {
		t.Helper()
		var se *aha.SelfReclaimError
		if !errors.As(err, &se) || se.ExternalUserID != id {
			t.Fatalf("Reclaim(%s) = %v, want *aha.SelfReclaimError", id, err)
		}
	}

	t.Run("direct call, spoke never downloaded", func(t *testing.T) {
		t.Parallel()
		acct := ahatest.DemoAccount(now)
		probe, _ := newSpoke(t, acct)
		self := selfOf(t, probe) // another spoke's view of the same account

		sp, srv := newSpoke(t, acct)
		for _, mode := range []sam.ReclaimMode{sam.ReclaimDisable, sam.ReclaimDowngrade, ""} {
			refused(t, sp.Reclaim(ctx, self, mode), self)
		}
		refused(t, sp.Reclaim(ctx, "0"+self, sam.ReclaimDisable), "0"+self)
		st := srv.Stats()
		if st.ByRoute["GET /me"] != 1 || st.Requests != 1 {
			t.Errorf("requests %v, want only one GET /me", st.ByRoute)
		}
		u, err := sp.LookupUser(ctx, self)
		if err != nil || !u.Enabled {
			t.Errorf("the connection's own user after the refusals: enabled=%v, %v", u.Enabled, err)
		}
	})

	t.Run("after a download", func(t *testing.T) {
		t.Parallel()
		acct := ahatest.DemoAccount(now)
		sp, srv := newSpoke(t, acct)
		self := selfOf(t, sp)
		before := srv.Stats()
		refused(t, sp.Reclaim(ctx, self, sam.ReclaimDisable), self)
		refused(t, sp.Reclaim(ctx, self, sam.ReclaimDowngrade), self)
		if after := srv.Stats(); after.Requests != before.Requests {
			t.Errorf("the refusals sent %d requests", after.Requests-before.Requests)
		}
		var other string
		for _, u := range acct.Users {
			if u.ID != self && u.Enabled && u.PaidSeat {
				other = u.ID
				break
			}
		}
		if err := sp.Reclaim(ctx, other, sam.ReclaimDisable); err != nil {
			t.Fatalf("reclaiming another user: %v", err)
		}
		if u, err := sp.LookupUser(ctx, other); err != nil || u.Enabled {
			t.Errorf("other user after reclaim: enabled=%v, %v", u.Enabled, err)
		}
	})
}
