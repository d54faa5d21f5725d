package oauthflow_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

// Example_loopback runs the whole authorization against a fake Aha!
// account, with an HTTP client playing the browser: listen on a loopback
// redirect (port 0 picks a free one), open the authorization URL, receive
// the one callback, store the token and check the connection with it.
func Example_loopback() {
	aha := oauthflowtest.NewServer()
	defer aha.Close()
	ctx := context.Background()

	l, err := oauthflow.ListenLoopback(ctx, "http://127.0.0.1:0/callback", time.Minute)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := oauthflow.NewConfig(aha.URL, aha.ClientID, aha.ClientSecret, l.RedirectURI())
	if err != nil {
		l.Close()
		fmt.Println(err)
		return
	}
	flow := cfg.Begin()

	// The "browser": Aha! approves and redirects to the loopback listener.
	go func() {
		if resp, err := http.Get(flow.AuthURL()); err == nil {
			resp.Body.Close()
		}
	}()
	tok, err := flow.WaitLoopback(ctx, l)
	if err != nil {
		fmt.Println(err)
		return
	}

	dir, err := os.MkdirTemp("", "oauthflow-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store := &oauthflow.FileStore{Path: filepath.Join(dir, "aha-token.json")}
	if err := store.Save(ctx, tok); err != nil {
		fmt.Println(err)
		return
	}
	client := oauth2.NewClient(ctx, oauthflow.TokenSource(ctx, cfg, store))
	st, err := oauthflow.Validate(ctx, client, cfg.APIBaseURL())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("connected as", st.Name, "user", st.UserID)
	fmt.Println("account administrator:", st.IsAccountAdministrator())
	fmt.Println("codes exchanged:", aha.Exchanges())
	// Output:
	// connected as Mary Humpty user 1020675218
	// account administrator: true
	// codes exchanged: 1
}

// ExampleTokenSource refreshes an expired token once for several
// goroutines, and saves the rotated refresh token before handing the new
// access token out.
func ExampleTokenSource() {
	aha := oauthflowtest.NewServer()
	defer aha.Close()
	aha.Update(func(s *oauthflowtest.Server) { s.Rotate = true; s.ExpiresIn = time.Hour })
	ctx := context.Background()
	cfg, err := oauthflow.NewConfig(aha.URL, aha.ClientID, aha.ClientSecret, "http://127.0.0.1:8400/callback")
	if err != nil {
		fmt.Println(err)
		return
	}

	// A token stored by an earlier run, expired a minute ago.
	dir, err := os.MkdirTemp("", "oauthflow-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store := &oauthflow.FileStore{Path: filepath.Join(dir, "aha-token.json")}
	access, refresh := aha.IssueToken(true)
	old := &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}
	if err := store.Save(ctx, old); err != nil {
		fmt.Println(err)
		return
	}

	ts := oauthflow.TokenSource(ctx, cfg, store)
	var wg sync.WaitGroup
	toks := make([]*oauth2.Token, 4)
	for i := range toks {
		wg.Go(func() { toks[i], _ = ts.Token() })
	}
	wg.Wait()

	saved, err := store.Load(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refresh requests:", aha.Refreshes())
	fmt.Println("every goroutine got the saved token:",
		toks[0] != nil && toks[0].AccessToken == saved.AccessToken && toks[3].AccessToken == saved.AccessToken)
	fmt.Println("refresh token rotated and saved:", saved.RefreshToken != old.RefreshToken && saved.RefreshToken != "")
	// Output:
	// refresh requests: 1
	// every goroutine got the saved token: true
	// refresh token rotated and saved: true
}
