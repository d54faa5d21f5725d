package aha_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
)

// BenchmarkDownload measures Spoke.Download (users and audit log at once)
// of a 10,000-user account with 10,000 audits against the fake, with no
// latency and no rate limits: the client's own cost, not the wait the
// limits impose (examples/bench measures that). It reports
// requests/op and retained-MB/op, the live heap the result holds after a
// collection (the client's alone: the fake's response buffers are garbage
// by then). B/op and allocs/op count the in-process fake's allocations
// too. Run with:
//
//	go test -run XXX -bench Download -benchtime 5x ./aha/
func BenchmarkDownload(b *testing.B) {
	const users, audits = 10000, 10000
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: users, Audits: audits, Seed: 8, Now: benchNow})
	tok := benchToken(b)
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(0, 0), ahatest.WithClock(benchClock()))
	b.Cleanup(srv.Close)
	lim, err := aha.NewLimiter(1e6, 1e9, 1000)
	if err != nil {
		b.Fatal(err)
	}
	sp := scaledSpoke(b, srv, tok, lim)
	srv.ResetStats()
	var retained uint64
	b.ReportAllocs()
	for b.Loop() {
		before := liveHeap()
		d, pull, err := sp.Download(context.Background(), yearWindow())
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Users) != users {
			b.Fatalf("downloaded %d users, want %d", len(d.Users), users)
		}
		b.StopTimer()
		retained += liveHeap() - min(before, liveHeap())
		runtime.KeepAlive(d)
		runtime.KeepAlive(pull)
		b.StartTimer()
	}
	b.ReportMetric(float64(srv.Stats().Requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(retained)/float64(b.N)/1e6, "retained-MB/op")
}

// liveHeap collects and returns the bytes of live heap objects.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// benchToken is a bearer token made at run time.
func benchToken(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "tok-" + hex.EncodeToString(b)
}
