// Command fakeaha serves the fake Aha! account of aha/ahatest on a loopback
// address until it is stopped, so that examples/spoke, examples/connect or
// your own program can run against an account that keeps its state from
// one run to the next: users disabled by a -reclaim stay disabled, and a
// second -reclaim plans nothing, which the spoke's embedded demo (born anew
// on every run) cannot show.
//
//	go run ./examples/fakeaha
//
// prints on standard output the two lines to paste into another shell,
//
//	export AHA_URL=http://127.0.0.1:PORT
//	export AHA_TOKEN=…
//
// and serves the demo account (the spoke's embedded one: 230 users) with
// Aha!'s rate limits until Ctrl-C. -users N generates a larger account
// instead (deterministic for a -seed). The API requires the bearer token:
// AHA_TOKEN from the environment when it is set (then not printed), else a
// random one. -oauth also registers an OAuth application, for
// examples/connect. It listens on loopback only.
//
// Exit status: 0 stopped by Ctrl-C (or SIGTERM); 1 failure; 2 usage error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

const (
	defaultAddr     = "127.0.0.1:0"
	defaultRedirect = "http://127.0.0.1:8400/callback"
	defaultClientID = "fakeaha"
	maxUsers        = 200_000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usage is the text -h prints before the flags.
const usage = `fakeaha serves a fake Aha! account (aha/ahatest) on a loopback address until
Ctrl-C, keeping its state across the runs of a client: what one -reclaim
disables stays disabled for the next.

Usage:
  fakeaha [flags]

It prints the lines to paste into another shell (export AHA_URL=..., and
export AHA_TOKEN=... unless AHA_TOKEN was already set), then serves.

Example, reclaiming twice (the second run plans nothing):
  go run ./examples/fakeaha -entitlements /tmp/fake-ents.json
  # in another shell, after pasting the export lines:
  go run ./examples/spoke -entitlements /tmp/fake-ents.json -reclaim -max-reclaim 0 -journal /tmp/fake-journal.jsonl
  go run ./examples/spoke -entitlements /tmp/fake-ents.json -reclaim -max-reclaim 0 -journal /tmp/fake-journal.jsonl

Flags:
`

// usageError marks mistakes in the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// options are the parsed flags.
type options struct {
	addr         string
	users        int
	seed         int64
	entitlements string
	oauth        bool
	clientID     string
	redirect     string
	accessTTL    time.Duration
}

// run is the whole command; main only supplies the process's context,
// arguments, environment and streams. It serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := serve(ctx, args, getenv, stdout, stderr)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "fakeaha: "+oneLine(err.Error())+" (run with -h for usage)")
		return 2
	default:
		fmt.Fprintln(stderr, "fakeaha: "+oneLine(err.Error()))
		return 1
	}
}

func parseFlags(args []string, stdout io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fakeaha", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", defaultAddr, "loopback address to listen on; port 0 picks a free port")
	fs.IntVar(&o.users, "users", 0, fmt.Sprintf("generate an account of this many users (1–%d) instead of the demo account", maxUsers))
	fs.Int64Var(&o.seed, "seed", 1, "pseudo-random seed of the generated account (with -users): same seed, same account")
	fs.StringVar(&o.entitlements, "entitlements", "", "write the account's entitlements to this file, for examples/spoke -entitlements (the generated account has none)")
	fs.BoolVar(&o.oauth, "oauth", false, "also serve an OAuth application at /oauth/authorize and /oauth/token, for examples/connect")
	fs.StringVar(&o.clientID, "client-id", defaultClientID, "with -oauth: the application's client id (its secret: AHA_CLIENT_SECRET, or a random one)")
	fs.StringVar(&o.redirect, "redirect", defaultRedirect, "with -oauth: the application's registered redirect URI")
	fs.DurationVar(&o.accessTTL, "access-ttl", time.Hour, "with -oauth: lifetime of the access tokens it issues (refresh tokens rotate)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	case set["users"] && (o.users < 1 || o.users > maxUsers):
		return nil, usagef("-users %d is out of range: want 1 to %d", o.users, maxUsers)
	case set["seed"] && !set["users"]:
		return nil, usagef("-seed needs -users: the demo account is always the same")
	case !o.oauth && (set["client-id"] || set["redirect"] || set["access-ttl"]):
		return nil, usagef("-client-id, -redirect and -access-ttl need -oauth")
	case o.accessTTL < 0:
		return nil, usagef("-access-ttl must not be negative (0: tokens that never expire)")
	case o.oauth && strings.TrimSpace(o.clientID) == "":
		return nil, usagef("-client-id must not be empty")
	}
	return o, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	l, err := listenLoopback(o.addr)
	if err != nil {
		return err
	}
	defer l.Close()

	now := time.Now().UTC()
	acct := ahatest.DemoAccount(now)
	what := "the demo account"
	if o.users > 0 {
		acct = ahatest.NewAccount(ahatest.AccountConfig{Users: o.users, Audits: o.users * 3, Seed: o.seed, Now: now})
		what = fmt.Sprintf("a generated account (seed %d)", o.seed)
	}
	if o.entitlements != "" {
		if err := os.WriteFile(o.entitlements, acct.EntitlementsJSON(), 0o600); err != nil {
			return usagef("-entitlements: %v", err)
		}
	}

	// The token the API requires. Printing a secret is what this package
	// otherwise never does; this one is the fake's own, made up here for a
	// throwaway account on loopback that holds no real data, and the user
	// needs it to call the fake at all. A token from the environment may be
	// a real one: it is not printed.
	token, tokenFromEnv := strings.TrimSpace(getenv("AHA_TOKEN")), true
	if token == "" {
		token, tokenFromEnv = randomHex(), false
	}
	opts := []ahatest.Option{ahatest.WithToken(token)}
	var secret string
	secretFromEnv := true
	if o.oauth {
		// The same holds for the OAuth application's secret.
		secret = strings.TrimSpace(getenv("AHA_CLIENT_SECRET"))
		if secret == "" {
			secret, secretFromEnv = randomHex(), false
		}
		opts = append(opts, ahatest.WithOAuthApp(
			ahatest.OAuthApp{ClientID: o.clientID, ClientSecret: secret, RedirectURI: o.redirect},
			ahatest.OAuthOptions{AccessTTL: o.accessTTL, IssueRefresh: true, RotateRefresh: true}))
	}
	// ahatest.NewServer also listens on a loopback port of its own, left
	// unused: its handler is served here, on the address asked for.
	srv := ahatest.NewServer(acct, opts...)
	defer srv.Close()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()

	url := "http://" + l.Addr().String()
	fmt.Fprintf(stdout, "export AHA_URL=%s\n", url)
	if !tokenFromEnv {
		fmt.Fprintf(stdout, "export AHA_TOKEN=%s\n", token)
	}
	if o.oauth {
		fmt.Fprintf(stdout, "export AHA_CLIENT_ID=%s\n", o.clientID)
		if !secretFromEnv {
			fmt.Fprintf(stdout, "export AHA_CLIENT_SECRET=%s\n", secret)
		}
	}
	fmt.Fprintf(stderr, "fakeaha: serving %s (%d users) at %s until Ctrl-C; state is kept until then\n", what, len(acct.Users), url)
	if tokenFromEnv {
		fmt.Fprintln(stderr, "fakeaha: the API requires the bearer token in AHA_TOKEN")
	}
	if o.entitlements != "" {
		fmt.Fprintf(stderr, "fakeaha: entitlements written to %s\n", o.entitlements)
	}
	if o.oauth {
		fmt.Fprintf(stderr, "fakeaha: OAuth application %s, redirect URI %s; authorizations are approved at once as the account's administrator\n", o.clientID, o.redirect)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil {
		hs.Close()
	}
	fmt.Fprintln(stderr, "fakeaha: stopped")
	return nil
}

// listenLoopback listens on addr, which must name a loopback host
// (127.0.0.1, ::1 or localhost): the fake has no business on a network.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("-addr %q is not host:port, such as %s", addr, defaultAddr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, usagef("-addr %q is not a loopback address: use 127.0.0.1, [::1] or localhost", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("-addr %q: %v", addr, err)
	}
	if ta, ok := l.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		l.Close()
		return nil, usagef("-addr %q resolved to %s, which is not a loopback address", addr, l.Addr())
	}
	return l, nil
}

// randomHex returns 32 random bytes, hex-encoded.
func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
