// Command bench measures the Aha! download against the fake
// account (aha/ahatest) with Aha!'s rate limits and a simulated latency,
// side by side with a naive hand-written client (issue 8).
//
// For each account size it starts a fake account of U users and A audits,
// with Aha!'s limits (20 requests a second, 300 a minute) on a clock
// -scale times faster than real time, and -latency of delay per request,
// divided by the same scale: the run is the real one compressed in time,
// so ratios to the floor are those of a real run (times shown are on the
// compressed clock; multiply by -scale for real seconds). It then runs:
//
//   - samspoke: aha.Spoke.Download (users and audits at once, under an
//     aha.Limiter with the server's own limits on the same scaled clock),
//     then reconcile.Evaluate — the whole job;
//   - naive: pages of 30 read one after the other, no limiter (sleeping on
//     429 as Retry-After says), then one audit query per user, with plain
//     net/http; then the same reconcile.Evaluate.
//
// It prints requests, 429s, wall time, the floor (the least time Aha!'s
// limits allow for the fewest requests a download can make,
// 1 + ceil(U/200) + ceil(A/200), plus one latency), the ratio of the
// download to the floor, and the peak heap. On standard error it says
// which size and client it is measuring, as each starts.
//
// Usage (a little over 2 minutes: the naive client is cut after -naive-max,
// 20 s, per size):
//
//	go run ./examples/bench -users 1000,10000,50000 -naive-max 20s
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/samspoke/samspoke/aha"
	"github.com/samspoke/samspoke/aha/ahatest"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// Aha!'s documented limits, which the fake enforces.
const (
	perSecond = 20
	perMinute = 300
)

// now is the accounts' reference time; the fake's clock starts here and
// runs in real time.
var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type config struct {
	users       []int
	auditsRatio float64
	latency     time.Duration
	scale       float64
	naive       bool
	naiveMax    time.Duration
}

func main() {
	var cfg config
	usersFlag := flag.String("users", "1000,10000,50000", "comma-separated account sizes (users)")
	flag.Float64Var(&cfg.auditsRatio, "audits", 1, "audit records per user in the account (A = audits × U)")
	flag.DurationVar(&cfg.latency, "latency", 50*time.Millisecond, "simulated latency per request, in real time (the fake delays latency/scale)")
	flag.Float64Var(&cfg.scale, "scale", 2, "time scale: the rate-limit windows run this many times faster")
	flag.BoolVar(&cfg.naive, "naive", true, "also run the naive baseline")
	flag.DurationVar(&cfg.naiveMax, "naive-max", 20*time.Second, "stop the naive baseline after this long (per size) and extrapolate its time")
	serveFlag := flag.Bool("serve", false, "internal: host the fake account for one -users size (the bench runs itself with it)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `bench measures samspoke's Aha! download and job against a fake account with
Aha!'s rate limits and a simulated latency, side by side with a naive client.

Examples:
  go run ./examples/bench -users 1000,10000,50000 -naive-max 20s   # a little over 2 minutes
  go run ./examples/bench -users 10000 -audits 5 -naive=false

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	for _, f := range strings.Split(*usersFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -users: %q is not a positive number\n", f)
			os.Exit(2)
		}
		cfg.users = append(cfg.users, n)
	}
	if cfg.scale <= 0 || cfg.latency < 0 || cfg.auditsRatio < 0 {
		fmt.Fprintln(os.Stderr, "bench: -scale must be positive, -latency and -audits not negative")
		os.Exit(2)
	}
	if *serveFlag {
		if len(cfg.users) != 1 {
			fmt.Fprintln(os.Stderr, "bench: -serve takes one -users size")
			os.Exit(2)
		}
		if err := serve(cfg, cfg.users[0], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), os.Stdout, os.Stderr, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one measured run.
type result struct {
	client      string
	users       int
	audits      int
	requests    int64
	limited     int64
	download    time.Duration
	job         time.Duration
	estimated   bool // the run was cut short; times are extrapolated
	floor       time.Duration
	peakHeap    uint64
	retained    uint64
	allocated   uint64
	maxInFlight int64
}

// run measures every size, printing the table to out and, as each size and
// client starts, a progress line to progress.
func run(ctx context.Context, out, progress io.Writer, cfg config) error {
	fmt.Fprintf(out, "Aha! limits %d/s and %d/min and latency %v, all on a clock %g× faster (times below are on that clock); %s, %d CPUs\n\n",
		perSecond, perMinute, cfg.latency, cfg.scale, runtime.Version(), runtime.NumCPU())
	// A minimum cell width keeps the columns aligned from one account size
	// to the next: the table is flushed after each, to show it as it goes.
	tw := tabwriter.NewWriter(out, 11, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "client\tusers\taudits\trequests\tbudget\t429s\tdownload\tfloor\tratio\tjob\tpeak heap\tretained\tallocated\tin flight\t")
	var missed []string
	for _, u := range cfg.users {
		a := int(float64(u) * cfg.auditsRatio)
		rs, err := measure(ctx, cfg, u, a, progress)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.client == "samspoke" {
				missed = append(missed, r.missed()...)
			}
			est := ""
			if r.estimated {
				est = "~"
			}
			// The budget is samspoke's target; the naive client has none.
			bud := "—"
			if r.client == "samspoke" {
				bud = strconv.Itoa(budget(r.users, r.audits))
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s%d\t%s\t%d\t%s%.2fs\t%.2fs\t%s%.2f\t%s%.2fs\t%.1f MB\t%.1f MB\t%.0f MB\t%d\t\n",
				r.client, r.users, r.audits, est, r.requests, bud, r.limited,
				est, r.download.Seconds(), r.floor.Seconds(), est, float64(r.download)/float64(r.floor),
				est, r.job.Seconds(), float64(r.peakHeap)/1e6, float64(r.retained)/1e6, float64(r.allocated)/1e6, r.maxInFlight)
		}
		tw.Flush()
	}
	fmt.Fprintln(out, "\nbudget = samspoke's target, ceil(U/200)+ceil(A/200)+5 requests (— for the naive client, which has none);")
	fmt.Fprintln(out, "floor = least time Aha!'s limits allow for 1+ceil(U/200)+ceil(A/200) requests, plus one latency;")
	fmt.Fprintln(out, "in flight = most requests the fake account was serving at once (samspoke reads users and audits side by side;")
	fmt.Fprintln(out, "the naive client one at a time);")
	fmt.Fprintln(out, "heap is this process's only (the fake runs in a child process): peak = most heap held by objects (live + not yet swept)")
	fmt.Fprintln(out, "during the run above the heap before it; retained = live heap after a GC at the end, result still held;")
	fmt.Fprintln(out, "allocated = bytes allocated during the run (naive: the part run); ~ = extrapolated.")
	fmt.Fprintln(out)
	if len(missed) == 0 {
		fmt.Fprintf(out, "samspoke met every target: requests within the budget, no 429, download within %.2f× the floor, peak heap under %d MB.\n",
			maxRatio, int(maxPeakHeap/1e6))
		return nil
	}
	fmt.Fprintln(out, "samspoke MISSED targets:")
	for _, m := range missed {
		fmt.Fprintln(out, "  "+m)
	}
	return nil
}

// Issue 8's targets for the samspoke client.
const (
	maxRatio    = 1.15 // download time against the floor
	maxPeakHeap = 100e6
)

// missed lists the targets r misses, each with its figure.
func (r result) missed() []string {
	var m []string
	at := fmt.Sprintf("U=%d A=%d: ", r.users, r.audits)
	if b := budget(r.users, r.audits); r.requests > int64(b) {
		m = append(m, fmt.Sprintf("%s%d requests, budget %d", at, r.requests, b))
	}
	if r.limited != 0 {
		m = append(m, fmt.Sprintf("%s%d responses were 429, target 0", at, r.limited))
	}
	if ratio := float64(r.download) / float64(r.floor); ratio > maxRatio {
		m = append(m, fmt.Sprintf("%sdownload %.2f× the floor, target %.2f×", at, ratio, maxRatio))
	}
	if r.peakHeap >= maxPeakHeap {
		m = append(m, fmt.Sprintf("%speak heap %.1f MB, target under %d MB", at, float64(r.peakHeap)/1e6, int(maxPeakHeap/1e6)))
	}
	return m
}

// budget is issue 8's request budget.
func budget(users, audits int) int {
	return (users+199)/200 + (audits+199)/200 + 5
}

// floor is the least time n requests take under Aha!'s limits on a clock
// scale times faster, plus one latency: request i may start no sooner than
// 1/perSecond after request i-1 and 60 s after request i-perMinute.
func floor(n int, scale float64, latency time.Duration) time.Duration {
	if n <= 0 {
		return latency
	}
	starts := make([]float64, n)
	for i := 1; i < n; i++ {
		t := starts[i-1] + 1.0/perSecond
		if i >= perMinute {
			t = max(t, starts[i-perMinute]+60)
		}
		starts[i] = t
	}
	return time.Duration(starts[n-1]/scale*float64(time.Second)) + latency
}

func measure(ctx context.Context, cfg config, users, audits int, progress io.Writer) ([]result, error) {
	fmt.Fprintf(progress, "bench: %d users, %d audits: samspoke ...\n", users, audits)
	srv, err := startFake(ctx, cfg, users)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	tok := srv.token
	latency := time.Duration(float64(cfg.latency) / cfg.scale)
	window := sam.Window{Since: now.AddDate(0, -12, 0), Until: now}
	ents := entitlements(users)
	fl := floor(1+(users+199)/200+(audits+199)/200, cfg.scale, latency)

	var out []result
	// samspoke
	if err := srv.reset(); err != nil {
		return nil, err
	}
	lim, err := aha.NewScaledLimiter(perSecond, perMinute, 1, cfg.scale)
	if err != nil {
		return nil, err
	}
	// Keep a connection per request in flight: http.DefaultTransport keeps
	// two idle, so a concurrent client would dial afresh all the time.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	defer tr.CloseIdleConnections()
	c, err := aha.NewClient(aha.WithBaseURL(srv.apiURL), aha.WithToken(tok), aha.WithRateLimiter(lim), aha.WithTransport(tr))
	if err != nil {
		return nil, err
	}
	sp := aha.NewSpoke(c)
	r := result{client: "samspoke", users: users, audits: audits, floor: fl}
	heap := startHeapSampler()
	t0 := time.Now()
	d, pull, err := sp.Download(ctx, window)
	if err != nil {
		return nil, fmt.Errorf("samspoke download of %d users: %w", users, err)
	}
	r.download = time.Since(t0)
	if _, err := evaluate(sp.Catalog(), ents, d, pull); err != nil {
		return nil, err
	}
	r.job = time.Since(t0)
	r.retained = heap.retained()
	runtime.KeepAlive(d)
	runtime.KeepAlive(pull)
	r.peakHeap, r.allocated = heap.stop()
	st, err := srv.stats()
	if err != nil {
		return nil, err
	}
	r.requests, r.limited, r.maxInFlight = st.Requests, st.RateLimited, st.MaxConcurrent
	out = append(out, r)

	if !cfg.naive {
		return out, nil
	}
	fmt.Fprintf(progress, "bench: %d users, %d audits: naive client (cut after %s) ...\n", users, audits, cfg.naiveMax)
	// reset also empties the server's rate-limit windows: the naive client
	// starts with Aha!'s whole allowance, as samspoke did.
	if err := srv.reset(); err != nil {
		return nil, err
	}
	r = result{client: "naive", users: users, audits: audits, floor: fl}
	heap = startHeapSampler()
	t0 = time.Now()
	nc := &naiveClient{base: srv.apiURL, token: tok, hc: &http.Client{}, deadline: t0.Add(cfg.naiveMax)}
	nd, npull, done, total, err := nc.download(ctx, window)
	if err != nil {
		return nil, fmt.Errorf("naive download of %d users: %w", users, err)
	}
	r.download = time.Since(t0)
	if st, err = srv.stats(); err != nil {
		return nil, err
	}
	r.requests, r.limited, r.maxInFlight = st.Requests, st.RateLimited, st.MaxConcurrent
	if done < total {
		// Cut short: scale by the share of requests made.
		r.estimated = true
		f := float64(total) / float64(max(done, 1))
		r.download = time.Duration(float64(r.download) * f)
		r.requests = int64(float64(r.requests) * f)
		r.limited = int64(float64(r.limited) * f)
	}
	te := time.Now()
	if _, err := evaluate(aha.Catalog(), ents, nd, npull); err != nil {
		return nil, err
	}
	r.job = r.download + time.Since(te)
	r.retained = heap.retained()
	runtime.KeepAlive(nd)
	runtime.KeepAlive(npull)
	r.peakHeap, r.allocated = heap.stop()
	return append(out, r), nil
}

// fakeProc is the fake account hosted by a child process (this program
// with -serve), so the heap measured here is the client's alone.
type fakeProc struct {
	cmd           *exec.Cmd
	in            io.WriteCloser
	out           *bufio.Scanner
	apiURL, token string
}

// tokenEnv passes the fake's bearer token to the child: not in its
// command line, which other users of the machine can read.
const tokenEnv = "SAMSPOKE_BENCH_TOKEN"

func startFake(ctx context.Context, cfg config, users int) (*fakeProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	tok, err := randomToken()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-serve", "-users", strconv.Itoa(users), //nolint:gosec // G204: exe is this program (os.Executable), run again as the fake server
		"-audits", strconv.FormatFloat(cfg.auditsRatio, 'g', -1, 64),
		"-latency", cfg.latency.String(), "-scale", strconv.FormatFloat(cfg.scale, 'g', -1, 64))
	cmd.Env = append(os.Environ(), tokenEnv+"="+tok)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &fakeProc{cmd: cmd, in: in, out: bufio.NewScanner(outPipe), token: tok}
	line, err := f.readLine()
	if err != nil {
		f.close()
		return nil, fmt.Errorf("starting the fake account: %w", err)
	}
	f.apiURL = strings.TrimPrefix(line, "url ")
	return f, nil
}

func (f *fakeProc) readLine() (string, error) {
	if !f.out.Scan() {
		if err := f.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return f.out.Text(), nil
}

// call sends one command to the child and returns its one-line answer.
func (f *fakeProc) call(cmd string) (string, error) {
	if _, err := fmt.Fprintln(f.in, cmd); err != nil {
		return "", err
	}
	return f.readLine()
}

func (f *fakeProc) reset() error {
	_, err := f.call("reset")
	return err
}

func (f *fakeProc) stats() (ahatest.Stats, error) {
	var st ahatest.Stats
	line, err := f.call("stats")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(line), &st)
}

func (f *fakeProc) close() {
	f.in.Close() // the child exits at the end of its input
	_ = f.cmd.Wait()
}

// serve hosts the fake account for one size: it prints "url <API URL>",
// then answers "reset" (zero the counters and the limiter's history) with
// "ok" and "stats" with the server's Stats as JSON, until its input ends.
func serve(cfg config, users int, in io.Reader, out io.Writer) error {
	tok := os.Getenv(tokenEnv)
	if tok == "" {
		return errors.New(tokenEnv + " is not set")
	}
	acct := ahatest.NewAccount(ahatest.AccountConfig{Users: users, Audits: int(float64(users) * cfg.auditsRatio), Seed: 8, Now: now})
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) }
	srv := ahatest.NewServer(acct, ahatest.WithToken(tok), ahatest.WithRateLimit(perSecond, perMinute),
		ahatest.WithTimeScale(cfg.scale), ahatest.WithLatency(time.Duration(float64(cfg.latency)/cfg.scale)), ahatest.WithClock(clock))
	defer srv.Close()
	fmt.Fprintln(out, "url", srv.APIURL())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case "reset":
			srv.ResetStats()
			fmt.Fprintln(out, "ok")
		case "stats":
			b, err := json.Marshal(srv.Stats())
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s\n", b)
		default:
			return fmt.Errorf("unknown command %q", sc.Text())
		}
	}
	return sc.Err()
}

func evaluate(cat *sam.Catalog, ents []sam.Entitlement, d *sam.Download, pull *sam.ActivityPull) (reconcile.Result, error) {
	return reconcile.Evaluate(reconcile.Input{
		Now:          now,
		Rule:         sam.ReclamationRule{ThresholdDays: 60},
		Catalog:      cat,
		Entitlements: ents,
		Profiles:     []reconcile.Profile{reconcile.FromDownload("bench", d, pull)},
	})
}

func entitlements(users int) []sam.Entitlement {
	start, _ := sam.ParseDate("2025-01-01")
	cost := sam.MustDecimal("59.00")
	dcost := sam.MustDecimal("39.00")
	return []sam.Entitlement{
		{Model: aha.ModelRoadmaps, Rights: int64(users / 2), UnitCost: &cost, Currency: "USD", Period: sam.Monthly, Start: start},
		{Model: aha.ModelDevelop, Rights: int64(users / 5), UnitCost: &dcost, Currency: "USD", Period: sam.Monthly, Start: start},
	}
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "bench-" + hex.EncodeToString(b), nil
}

// heapSampler records the heap of this process (the client; the fake
// runs in a child) during one run, above the heap at its start:
//   - peak: the most heap held by objects, sampled every 2 ms (the
//     runtime metric /memory/classes/heap/objects:bytes: live objects
//     plus dead ones the collector has not yet swept, so it moves with
//     GOGC and is what the process really holds at its worst);
//   - retained: the live heap after a collection at the end of the run,
//     with the download's result still reachable;
//   - allocated: every byte allocated during the run.
type heapSampler struct {
	base, peak atomic.Uint64
	allocs0    uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

const (
	heapMetric  = "/memory/classes/heap/objects:bytes"
	allocMetric = "/gc/heap/allocs:bytes"
)

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func readHeap() uint64 { return readMetric(heapMetric) }

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{done: make(chan struct{})}
	h.base.Store(readHeap())
	h.allocs0 = readMetric(allocMetric)
	h.wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readHeap(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	})
	return h
}

// retained collects and returns the live heap above the start; call it
// while the run's results are still in use.
func (h *heapSampler) retained() uint64 {
	if v := readHeap(); v > h.peak.Load() {
		h.peak.Store(v)
	}
	runtime.GC()
	return readHeap() - min(h.base.Load(), readHeap())
}

// stop returns the peak heap above the start and the bytes allocated.
func (h *heapSampler) stop() (peak, allocated uint64) {
	close(h.done)
	h.wg.Wait()
	return h.peak.Load() - min(h.base.Load(), h.peak.Load()), readMetric(allocMetric) - h.allocs0
}

// naiveClient is how a hand-written client reads the account: plain
// net/http, one request after another, pages of 30 (the API default), no
// limiter (it sleeps when told to by a 429), one audit query per user.
type naiveClient struct {
	base, token string
	hc          *http.Client
	deadline    time.Time
	requests    int
}

var errDeadline = errors.New("naive run cut short")

func (n *naiveClient) get(ctx context.Context, path string, q url.Values, v any) error {
	for {
		if time.Now().After(n.deadline) {
			return errDeadline
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.base+path+"?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+n.token)
		resp, err := n.hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(secs, 1)) * time.Second)
			continue
		}
		n.requests++
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		return json.Unmarshal(body, v)
	}
}

type naivePagination struct {
	TotalPages  int `json:"total_pages"`
	CurrentPage int `json:"current_page"`
}

// download returns the users and their latest audit, how many requests it
// made, and how many the whole download needs (to extrapolate a run cut
// short).
func (n *naiveClient) download(ctx context.Context, w sam.Window) (*sam.Download, *sam.ActivityPull, int, int, error) {
	var me struct {
		User aha.User `json:"user"`
	}
	if err := n.get(ctx, "/me", url.Values{}, &me); err != nil {
		return nil, nil, 0, 1, err
	}
	d := &sam.Download{Self: me.User.ID.String()}
	var users []aha.User
	totalPages := 1
	for page := 1; page <= totalPages; page++ {
		var body struct {
			Users      []aha.User      `json:"users"`
			Pagination naivePagination `json:"pagination"`
		}
		err := n.get(ctx, "/users", url.Values{"page": {strconv.Itoa(page)}}, &body)
		if errors.Is(err, errDeadline) {
			return d, nil, n.requests, 1 + totalPages + totalPages*30, nil
		}
		if err != nil {
			return nil, nil, 0, 0, err
		}
		totalPages = body.Pagination.TotalPages
		users = append(users, body.Users...)
	}
	pull := &sam.ActivityPull{Covered: w, Latest: map[string]time.Time{}}
	total := 1 + totalPages + len(users)
	for i := range users {
		u := &users[i]
		d.Users = append(d.Users, aha.SamUser(u))
		var body struct {
			Audits []aha.Audit `json:"audits"`
		}
		q := url.Values{"user_id": {u.ID.String()}, "created_since": {w.Since.Format(time.RFC3339)}, "created_before": {w.Until.Format(time.RFC3339)}}
		err := n.get(ctx, "/audits", q, &body)
		if errors.Is(err, errDeadline) {
			return d, pull, n.requests, total, nil
		}
		if err != nil {
			return nil, nil, 0, 0, err
		}
		for _, a := range body.Audits {
			pull.Records++
			if a.CreatedAt.Valid && a.CreatedAt.Time.After(pull.Latest[u.ID.String()]) {
				pull.Latest[u.ID.String()] = a.CreatedAt.Time
			}
		}
	}
	return d, pull, n.requests, total, nil
}
