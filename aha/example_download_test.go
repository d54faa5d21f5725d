package aha_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/sam"
)

// Download reads every user and the audit log at once under one Limiter:
// pages of users PageConcurrency at a time, the audit window in AuditWalks
// sub-windows. Here the fake account enforces Aha!'s limits (20 requests a
// second, 300 a minute) on a clock 20 times faster, and the client's
// NewScaledLimiter matches them, so no request is refused.
func ExampleSpoke_Download() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: 900, Audits: 1500, Seed: 1, Now: now})
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		fmt.Println(err)
		return
	}
	token := hex.EncodeToString(b)
	start := time.Now()
	srv := ahatest.NewServer(acct, ahatest.WithToken(token), ahatest.WithRateLimit(20, 300), ahatest.WithTimeScale(20),
		ahatest.WithClock(func() time.Time { return now.Add(time.Since(start)) }))
	defer srv.Close()

	lim, err := aha.NewScaledLimiter(20, 300, 1, 20)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := aha.NewClient(aha.WithBaseURL(srv.APIURL()), aha.WithToken(token), aha.WithRateLimiter(lim))
	if err != nil {
		fmt.Println(err)
		return
	}
	sp := aha.NewSpoke(c)
	sp.PageConcurrency = 4 // pages of /users in flight at once
	sp.AuditWalks = 3      // audit sub-windows walked at once

	d, pull, err := sp.Download(context.Background(), sam.Window{Since: now.AddDate(0, -3, 0), Until: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := srv.Stats()
	fmt.Println("users:", len(d.Users))
	fmt.Println("within the budget:", pull.Records > 0 && st.Requests <= int64(1+(900+199)/200+(pull.Records+199)/200+sp.AuditWalks-1))
	fmt.Println("429s:", st.RateLimited)
	// Output:
	// users: 900
	// within the budget: true
	// 429s: 0
}
