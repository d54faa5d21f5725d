// Command spoke runs the whole Aha! SaaS license job: it connects to an Aha!
// account (or, with no account given, an embedded demo account), downloads
// who holds a paid seat, reads who uses it, applies a reclamation rule,
// reconciles against entitlements, reports the license position, and with
// -reclaim frees the unused seats by disabling their users.
//
// Run it with no flags for the demo:
//
//	go run ./examples/spoke
//
// Point it at a real account with an administrator's token in AHA_TOKEN:
//
//	AHA_TOKEN=… go run ./examples/spoke -aha-url https://acme.aha.io
//
// Exit status: 0 on success, 2 on a usage error, 1 when the run failed or a
// reclaim action failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stderr: os.Stderr, clock: time.Now}, os.Stdout)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, e env, stdout io.Writer) int {
	o, err := parseFlags(args, e.getenv, e.stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(e.stderr, "spoke: %v\n", err)
		return 2
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	if err := checkNowForReclaim(o, e.clock()); err != nil {
		fmt.Fprintf(e.stderr, "spoke: %v\n", err)
		return 2
	}
	now := o.now
	if now.IsZero() {
		now = e.clock().UTC().Truncate(time.Second)
	}
	var logger *slog.Logger
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// A -token-file's refresh goes to Aha!'s token endpoint through
		// x/oauth2, which takes its HTTP client from the context the token
		// source was given: log those requests too.
		ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: oauthflow.LogRequests(logger, nil)})
	}
	obs := newObserver(o, e, logger)

	j := &job{o: o, now: now}
	for _, spec := range o.accounts {
		conn, err := connect(ctx, o, spec, e, now, logger, obs)
		if err != nil {
			j.close()
			return fail(e.stderr, err)
		}
		a := &account{spec: spec, conn: conn}
		if conn.tokenWarning != "" {
			a.warns = append(a.warns, warning{Profile: conn.profile, Code: warnTokenExpiresSoon, Message: conn.tokenWarning})
		}
		j.accts = append(j.accts, a)
	}
	defer j.close()
	runErr := j.run(ctx, e, obs)
	obs.done()
	if runErr != nil && !j.applied() {
		return fail(e.stderr, runErr)
	}

	if err := writeReport(o, stdout, buildReport(j)); err != nil {
		fmt.Fprintf(e.stderr, "spoke: writing the report: %v%s\n", err, j.reclaimedNote())
		if runErr != nil {
			fmt.Fprintf(e.stderr, "spoke: %v\n", runErr)
		}
		return 1
	}
	if runErr != nil {
		return fail(e.stderr, runErr)
	}
	if n, journals := j.failedActions(); n > 0 {
		fmt.Fprintf(e.stderr, "spoke: %d reclaim actions failed; the others were applied and journaled in %s. Fix the cause and run again: done actions are not repeated.\n",
			n, strings.Join(journals, ", "))
		return 1
	}
	return 0
}

// checkNowForReclaim refuses a -now far from the clock in a -reclaim run:
// the rule would judge users by another time (a -now in the future makes
// everyone inactive) while the reclaim disables them today.
func checkNowForReclaim(o *options, clock time.Time) error {
	if !o.reclaim || o.now.IsZero() {
		return nil
	}
	d := o.now.Sub(clock)
	if d <= nowTolerance && d >= -nowTolerance {
		return nil
	}
	side := "ahead of"
	if d < 0 {
		side, d = "behind", -d
	}
	return usagef("-now %s is %s %s the clock, more than the %s -reclaim allows: -reclaim acts on the account as it is now; drop -now or the -reclaim",
		o.now.Format(time.RFC3339), spanText(d), side, spanText(nowTolerance))
}

// spanText says a duration in the largest whole unit that reads well:
// days, hours, or under two hours minutes and seconds (so that a -now
// just past nowTolerance never reads as within it).
func spanText(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 48*time.Hour:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int64(d/time.Hour), "hour")
	case d < time.Minute:
		return plural(int64(d/time.Second), "second")
	}
	s := plural(int64(d/time.Minute), "minute")
	if sec := int64(d%time.Minute) / int64(time.Second); sec > 0 {
		s += " " + plural(sec, "second")
	}
	return s
}

func fail(stderr io.Writer, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "spoke: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "spoke: %v\n", err)
	return 1
}

// writeReport writes the report to -o (see writeOutput; for csv, a
// directory of files each written so) or to stdout.
func writeReport(o *options, stdout io.Writer, r *Report) error {
	var write func(io.Writer, *Report) error
	switch o.format {
	case "json":
		write = writeJSON
	case "html":
		write = writeHTML
	case "csv":
		return writeCSVDir(o.out, r)
	default:
		write = writeText
	}
	if o.out == "" {
		return write(stdout, r)
	}
	return writeOutput(o.out, func(w io.Writer) error { return write(w, r) })
}
