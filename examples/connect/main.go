// Command connect connects samspoke to an Aha! account with OAuth2, the way
// an Aha! administrator would, and stores the token for later runs.
//
// Register an OAuth application in Aha! with the redirect URI
// http://127.0.0.1:8400/callback, then run, signed in to Aha! as an account
// administrator:
//
//	AHA_CLIENT_SECRET=... go run ./examples/connect -aha-url https://acme.aha.io -client-id ID
//
// It prints the URL to open, waits for Aha!'s redirect on the loopback
// address, stores the token (mode 0600) and reports who is connected and
// whether they are an account administrator. The client secret is read only
// from the environment, never from a flag, and is never printed.
//
// Exit status: 0 connected as an account administrator; 1 failure (including
// a connected user who is not an administrator); 2 usage error, including a
// -token-file that cannot be written (a directory, a directory that cannot be
// created), found before the browser is involved.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

const (
	defaultRedirect = "http://127.0.0.1:8400/callback"
	secretEnv       = "AHA_CLIENT_SECRET"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usage is the text -h prints before the flags.
const usage = `connect authorizes samspoke in an Aha! account with OAuth2 and stores the token
for examples/spoke -token-file.

Usage:
  %s=... connect -aha-url URL -client-id ID [flags]

First register an OAuth application in Aha! (Settings > Personal > Developer >
OAuth applications) with the redirect URI
  %s
then run, signed in to Aha! as an account administrator in your browser:

Example:
  export %s=...   # the application's client secret: never a flag, never printed
  go run ./examples/connect -aha-url https://acme.aha.io -client-id YOUR_CLIENT_ID

It prints the URL to open, waits for Aha!'s redirect, stores the token and says
who is connected and whether they are an account administrator.

Flags:
`

// usageError marks mistakes in the command line or environment (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run is the whole command; main only supplies the process's context,
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := connect(ctx, args, getenv, stdout)
	var ue *usageError
	var ce *oauthflow.ConfigError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue), errors.As(err, &ce):
		fmt.Fprintln(stderr, "connect: "+oneLine(err.Error())+" (run with -h for usage)")
		return 2
	default:
		fmt.Fprintln(stderr, "connect: "+oneLine(err.Error()))
		return 1
	}
}

func connect(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ahaURL := fs.String("aha-url", "", "Aha! account: https://acme.aha.io, acme, or a regional host (required)")
	clientID := fs.String("client-id", "", "client id of the OAuth application registered in Aha! (required)")
	redirect := fs.String("redirect", defaultRedirect, "redirect URI registered with the application; must be http on a loopback host")
	tokenDefault := "samspoke/aha-token.json in the user's config directory"
	if p, err := oauthflow.DefaultTokenPath(); err == nil {
		tokenDefault = p
	}
	tokenFile := fs.String("token-file", "", "where to store the token, readable by you only (default: "+tokenDefault+")")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the browser's redirect")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, usage, secretEnv, defaultRedirect, secretEnv)
			fs.PrintDefaults()
			return err
		}
		return &usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case *ahaURL == "":
		return &usageError{"-aha-url is required"}
	case *clientID == "":
		return &usageError{"-client-id is required"}
	case getenv(secretEnv) == "":
		return &usageError{secretEnv + " is not set; export the OAuth application's client secret in it"}
	case *timeout <= 0:
		return &usageError{"-timeout must be positive"}
	}
	if _, err := oauthflow.NormalizeAccountURL(*ahaURL); err != nil {
		return err
	}
	if *tokenFile == "" {
		p, err := oauthflow.DefaultTokenPath()
		if err != nil {
			return &usageError{"no default token file (" + err.Error() + "); give -token-file"}
		}
		*tokenFile = p
	}
	// Check where the token goes before the user authorizes: a bad path
	// found after the browser said "connected" wastes the authorization.
	store := &oauthflow.FileStore{Path: *tokenFile}
	if err := store.CheckWritable(); err != nil {
		var pe *oauthflow.TokenPathError
		if errors.As(err, &pe) {
			return &usageError{"-token-file: token file " + pe.Path + " " + pe.Reason}
		}
		return &usageError{"-token-file: " + err.Error()}
	}

	// Listen before printing the URL, so an early redirect is not refused.
	l, err := oauthflow.ListenLoopback(ctx, *redirect, *timeout)
	if err != nil {
		return err
	}
	defer l.Close()
	cfg, err := oauthflow.NewConfig(*ahaURL, *clientID, getenv(secretEnv), l.RedirectURI())
	if err != nil {
		return err
	}
	flow := cfg.Begin()
	fmt.Fprintf(stdout, "Open this URL in a browser signed in to Aha! as an account administrator:\n\n  %s\n\n", flow.AuthURL())
	fmt.Fprintf(stdout, "Waiting up to %s for Aha! to redirect to %s ...\n", *timeout, l.RedirectURI())

	tok, err := flow.WaitLoopback(ctx, l)
	if err != nil {
		return err
	}
	if err := store.Save(ctx, tok); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Token saved to %s (readable by you only).\n", *tokenFile)

	// Check through the store, exactly as later runs will use it.
	client := oauth2.NewClient(ctx, oauthflow.TokenSource(ctx, cfg, store))
	st, err := oauthflow.Validate(ctx, client, cfg.APIBaseURL())
	if err != nil {
		return fmt.Errorf("token saved, but the connection check failed: %w", err)
	}
	who := st.Name
	if st.Email != "" {
		who += " <" + st.Email + ">"
	}
	fmt.Fprintf(stdout, "Connected to %s as %s (user %s).\n", cfg.AccountURL(), who, st.UserID)
	if !st.IsAccountAdministrator() {
		fmt.Fprintln(stdout, "Account administrator: no")
		return errors.New(st.Problem())
	}
	fmt.Fprintln(stdout, "Account administrator: yes")
	fmt.Fprintf(stdout, "Next, the report (the client id and secret let it refresh the token):\n  AHA_CLIENT_ID=%s %s=... go run ./examples/spoke -aha-url %s -token-file %s\n",
		cfg.ClientID(), secretEnv, cfg.AccountURL(), *tokenFile)
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
