package ahatest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed evaluation time of the tests.
var testNow = time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)

// secret returns a random token generated at run time (no secret is committed).
func secret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fixture is a demo server with a token and a fixed clock.
type fixture struct {
	t     *testing.T
	s     *Server
	token string
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	tok := secret(t)
	all := append([]Option{WithToken(tok), WithClock(func() time.Time { return testNow }), WithRateLimit(0, 0)}, opts...)
	s := NewServer(DemoAccount(testNow), all...)
	t.Cleanup(s.Close)
	return &fixture{t: t, s: s, token: tok}
}

// do sends a request with the fixture's token; body may be nil.
func (f *fixture) do(method, path string, body any) (*http.Response, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = f.s.APIURL() + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.s.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, b
}

// getJSON sends a GET, requires want as status and decodes into v.
func (f *fixture) getJSON(path string, want int, v any) http.Header {
	f.t.Helper()
	resp, b := f.do("GET", path, nil)
	if resp.StatusCode != want {
		f.t.Fatalf("GET %s: status %d, want %d; body %s", path, resp.StatusCode, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			f.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.Header
}

// page is the decoded shape of paginated list responses.
type page struct {
	Users []struct {
		ID         string  `json:"id"`
		Email      string  `json:"email"`
		Enabled    bool    `json:"enabled"`
		PaidSeat   bool    `json:"paid_seat"`
		AccessedAt *string `json:"accessed_at"`
	} `json:"users"`
	Audits []struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"audits"`
	Pagination wirePagination `json:"pagination"`
}
