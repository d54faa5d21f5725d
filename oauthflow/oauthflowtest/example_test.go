package oauthflowtest_test

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

// ExampleNewServer plays one authorization against the fake by hand:
// /oauth/authorize redirects with a code and the state echoed, and the
// code is single-use at /oauth/token.
func ExampleNewServer() {
	srv := oauthflowtest.NewServer()
	defer srv.Close()

	verifier := oauth2.GenerateVerifier() // PKCE S256, which the fake requires
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(srv.URL + "/oauth/authorize?" + url.Values{
		"client_id":             {srv.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {"http://127.0.0.1:8400/callback"},
		"state":                 {"xyz"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}.Encode())
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	fmt.Println(resp.StatusCode, back.Host+back.Path, "state", back.Query().Get("state"), "code given:", back.Query().Get("code") != "")

	exchange := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {back.Query().Get("code")},
		"redirect_uri":  {"http://127.0.0.1:8400/callback"},
		"client_id":     {srv.ClientID},
		"client_secret": {srv.ClientSecret},
		"code_verifier": {verifier},
	}
	for range 2 {
		resp, err := http.PostForm(srv.URL+"/oauth/token", exchange)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println("exchange:", resp.StatusCode)
	}
	fmt.Println("exchanges:", srv.Exchanges())
	// Output:
	// 302 127.0.0.1:8400/callback state xyz code given: true
	// exchange: 200
	// exchange: 400
	// exchanges: 2
}
