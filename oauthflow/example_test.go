package oauthflow_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

func ExampleNewConfig() {
	// In a real program the secret comes from the environment, never a flag.
	cfg, err := oauthflow.NewConfig("acme", "my-client-id", "client-secret-from-env", "http://127.0.0.1:8400/callback")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Endpoint().AuthURL)
	fmt.Println(cfg.Endpoint().TokenURL)
	fmt.Println(cfg.APIBaseURL())
	fmt.Println(cfg) // the client secret is redacted

	_, err = oauthflow.NewConfig("http://acme.aha.io", "id", "secret", "http://127.0.0.1:8400/callback")
	fmt.Println(err)
	// Output:
	// https://acme.aha.io/oauth/authorize
	// https://acme.aha.io/oauth/token
	// https://acme.aha.io/api/v1
	// oauthflow.Config{AccountURL: https://acme.aha.io, ClientID: my-client-id, ClientSecret: [redacted], RedirectURI: http://127.0.0.1:8400/callback}
	// oauthflow: invalid account URL: "http://acme.aha.io": plain http is allowed only for a loopback host; use https
}

func ExampleFileStore() {
	dir, err := os.MkdirTemp("", "oauthflow-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	store := &oauthflow.FileStore{Path: filepath.Join(dir, "aha-token.json")}
	tok := &oauth2.Token{
		AccessToken: "example-access-token", // a real token is never printed
		Expiry:      time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if err := store.Save(ctx, tok); err != nil {
		fmt.Println(err)
		return
	}
	fi, _ := os.Stat(store.Path)
	fmt.Printf("mode %04o\n", fi.Mode().Perm())

	loaded, err := store.Load(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("expires", loaded.Expiry)

	// A token file others can read is refused.
	os.Chmod(store.Path, 0o644)
	_, err = store.Load(ctx)
	fmt.Println(err != nil)
	// Output:
	// mode 0600
	// expires 2030-01-01 00:00:00 +0000 UTC
	// true
}

func ExampleStaticToken() {
	// An API key and an OAuth token are used identically by the client.
	var ts oauth2.TokenSource = oauthflow.StaticToken(os.Getenv("AHA_API_KEY"))
	fmt.Println(ts)
	// Output: oauthflow.StaticToken([redacted])
}

// Example_connect shows a command-line program connecting an Aha! account:
// listen on the loopback redirect, print the URL, wait for the one callback,
// store the token, then use it through a refreshing token source.
func Example_connect() {
	ctx := context.Background()
	l, err := oauthflow.ListenLoopback(ctx, "http://127.0.0.1:8400/callback", 5*time.Minute)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := oauthflow.NewConfig("https://acme.aha.io", "client-id", os.Getenv("AHA_CLIENT_SECRET"), l.RedirectURI())
	if err != nil {
		l.Close()
		fmt.Println(err)
		return
	}
	flow := cfg.Begin()
	fmt.Println("Open:", flow.AuthURL())
	tok, err := flow.WaitLoopback(ctx, l)
	if err != nil {
		fmt.Println(err)
		return
	}
	path, _ := oauthflow.DefaultTokenPath()
	store := &oauthflow.FileStore{Path: path}
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
	fmt.Println(st.Name, "administrator:", st.IsAccountAdministrator())
}
