package aha

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
)

// TestRetryMatrix pins which method is retried on which failure, against
// the real account URL with httpmock standing in for the network: GET, PUT
// and DELETE on transport errors, 429, 502, 503 and 504; POST on 429 only;
// nothing on any other 4xx or a 500.
func TestRetryMatrix(t *testing.T) {
	const base = "https://acme.aha.io/api/v1"
	calls := []struct {
		method, url string
		do          func(c *Client) error
	}{
		{"GET", base + "/me", func(c *Client) error { _, _, err := c.Me(context.Background()); return err }},
		{"PUT", base + "/users/42", func(c *Client) error {
			_, _, err := c.Users.Disable(context.Background(), "42")
			return err
		}},
		{"DELETE", base + "/users/42/product_roles/7", func(c *Client) error {
			_, err := c.Users.RemoveProductRole(context.Background(), "42", "7")
			return err
		}},
		{"POST", base + "/historical_audits", func(c *Client) error {
			_, _, err := c.HistoricalAudits.StartSearch(context.Background(), &HistoricalSearch{})
			return err
		}},
	}
	failures := []struct {
		name      string
		responder httpmock.Responder
		retried   map[string]bool // by method
	}{
		{"transport error", httpmock.NewErrorResponder(errors.New("connection reset by peer")), map[string]bool{"GET": true, "PUT": true, "DELETE": true}},
		{"429", httpmock.NewStringResponder(429, `{"error":"Rate limit exceeded"}`), map[string]bool{"GET": true, "PUT": true, "DELETE": true, "POST": true}},
		{"502", httpmock.NewStringResponder(502, `<html>Bad Gateway</html>`), map[string]bool{"GET": true, "PUT": true, "DELETE": true}},
		{"503", httpmock.NewStringResponder(503, `{"error":"Service unavailable"}`), map[string]bool{"GET": true, "PUT": true, "DELETE": true}},
		{"504", httpmock.NewStringResponder(504, `{"error":"Gateway timeout"}`), map[string]bool{"GET": true, "PUT": true, "DELETE": true}},
		{"500", httpmock.NewStringResponder(500, `{"error":"Internal error"}`), map[string]bool{}},
		{"400", httpmock.NewStringResponder(400, `{"errors":["bad"]}`), map[string]bool{}},
		{"404", httpmock.NewStringResponder(404, `{"error":"Not found"}`), map[string]bool{}},
		{"422", httpmock.NewStringResponder(422, `{"errors":{"email":["is taken"]}}`), map[string]bool{}},
	}
	for _, f := range failures {
		for _, call := range calls {
			t.Run(fmt.Sprintf("%s/%s", f.name, call.method), func(t *testing.T) {
				mock := httpmock.NewMockTransport()
				mock.RegisterResponder(call.method, call.url, f.responder)
				c, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithTransport(mock),
					WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)), withJitter(func() float64 { return 0 }))
				if err != nil {
					t.Fatal(err)
				}
				if err := call.do(c); err == nil {
					t.Fatalf("%s %s succeeded against a failing server", call.method, call.url)
				}
				want := 1
				if f.retried[call.method] {
					want = 1 + fastRetry.MaxRetries
				}
				if got := mock.GetTotalCallCount(); got != want {
					t.Errorf("%s on %s: %d attempts, want %d", call.method, f.name, got, want)
				}
			})
		}
	}
}

// TestRetryThenSuccessReachesCaller checks that a request that fails twice
// with 503 and then succeeds returns the successful answer.
func TestRetryThenSuccessReachesCaller(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://acme.aha.io/api/v1/users/42",
		httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, `{"error":"unavailable"}`),
			httpmock.NewStringResponse(503, `{"error":"unavailable"}`),
			httpmock.NewStringResponse(200, `{"user":{"id":"6776881149000817879","email":"a@example.com","enabled":true}}`),
		}))
	c, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithTransport(mock),
		WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)))
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := c.Users.Get(context.Background(), "42")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "6776881149000817879" || mock.GetTotalCallCount() != 3 {
		t.Errorf("got user %s after %d calls, want 6776881149000817879 after 3", u.ID, mock.GetTotalCallCount())
	}
}

// TestPermanentTransportErrorsNotRetried: a host that does not exist will
// not appear on a retry, so the client says so at once.
func TestPermanentTransportErrorsNotRetried(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://acme.aha.io/api/v1/me",
		httpmock.NewErrorResponder(&net.DNSError{Err: "no such host", Name: "acme.aha.io", IsNotFound: true}))
	c, err := NewClient(WithAccount("acme"), WithToken(secretToken(t)), WithTransport(mock),
		WithRetryPolicy(fastRetry), WithRateLimiter(fastLimiter(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Me(context.Background())
	var dns *net.DNSError
	if !errors.As(err, &dns) {
		t.Fatalf("error %v, want a *net.DNSError", err)
	}
	if n := mock.GetTotalCallCount(); n != 1 {
		t.Errorf("%d attempts for a host that does not exist, want 1", n)
	}
}
