package aha

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// TestErrorsIsClaims checks every errors.Is claim of the package's godoc
// on errors the client really returns: each error matches exactly the
// sentinels its documentation names and no other. In particular an
// *ErrorResponse matches only ErrNotFound, ErrUnauthorized and
// ErrForbidden, by status; ErrPagingLoop, ErrTimeout and ErrAmbiguousEmail
// come from the client itself.
func TestErrorsIsClaims(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	wait := func(r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}
	writeJSON := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
	mux.HandleFunc("/api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == "999" {
			wait(r)
			return
		}
		if status, err := strconv.Atoi(id); err == nil && status >= 400 && status < 600 {
			writeJSON(w, status, `{"error":"status `+id+`"}`)
			return
		}
		writeJSON(w, 200, `{"user":{"id":"`+id+`","enabled":true,"paid_seat":true}}`)
	})
	mux.HandleFunc("GET /api/v1/users/{id}/product_roles", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"product_roles":[],"pagination":{"total_records":0,"total_pages":0,"current_page":1}}`)
	})
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("email") {
		case "forbidden@example.com":
			writeJSON(w, 403, `{"error":"Administrator required"}`)
		case "loop@example.com": // page 1 whatever page is asked for
			writeJSON(w, 200, `{"users":[{"id":"1","email":"loop@example.com"}],"pagination":{"total_records":3,"total_pages":3,"current_page":1}}`)
		case "dup@example.com":
			writeJSON(w, 200, `{"users":[{"id":"1","email":"dup@example.com"},{"id":"2","email":"DUP@example.com"}],"pagination":{"total_records":2,"total_pages":1,"current_page":1}}`)
		case "stall@example.com":
			wait(r)
		default:
			writeJSON(w, 200, `{"users":[],"pagination":{"total_records":0,"total_pages":0,"current_page":1}}`)
		}
	})
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"user":{"id":"1","enabled":true}}`)
	})

	// A client whose single attempt gives up after 50 ms.
	policy := fastRetry
	policy.MaxRetries, policy.AttemptTimeout = 0, 50*time.Millisecond
	timing, err := NewClient(WithBaseURL(c.BaseURL().String()), WithToken(secretToken(t)), WithRetryPolicy(policy), WithRateLimiter(fastLimiter(t)))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	firstErr := func(opts *ListUsersOptions, cl *Client) error {
		for _, err := range cl.Users.All(ctx, opts) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	sentinels := map[string]error{
		"ErrNotFound": ErrNotFound, "ErrUnauthorized": ErrUnauthorized, "ErrForbidden": ErrForbidden,
		"ErrPagingLoop": ErrPagingLoop, "ErrAmbiguousEmail": ErrAmbiguousEmail, "ErrTimeout": ErrTimeout,
		"ErrSeatNotFreed": ErrSeatNotFreed, "sam.ErrUserNotFound": sam.ErrUserNotFound,
		"sam.ErrUnsupportedMode": sam.ErrUnsupportedMode, "context.DeadlineExceeded": context.DeadlineExceeded,
	}
	type claim struct {
		name string
		err  error
		want []string
	}
	claims := []claim{}
	for _, status := range []int{400, 401, 403, 404, 406, 409, 422, 500, 502, 504} {
		_, _, err := c.Users.Get(ctx, ID(strconv.Itoa(status)))
		var want []string
		switch status {
		case 401:
			want = []string{"ErrUnauthorized"}
		case 403:
			want = []string{"ErrForbidden"}
		case 404:
			want = []string{"ErrNotFound"}
		}
		claims = append(claims, claim{fmt.Sprintf("*ErrorResponse %d", status), err, want})
	}
	_, _, findNone := c.Users.FindByEmail(ctx, "none@example.com")
	_, _, findDup := c.Users.FindByEmail(ctx, "dup@example.com")
	sp := NewSpoke(c)
	_, lookup404 := sp.LookupUser(ctx, "404")
	claims = append(claims,
		claim{"*WalkError around a 403", firstErr(&ListUsersOptions{Email: "forbidden@example.com"}, c), []string{"ErrForbidden"}},
		claim{"walk that repeats a page", firstErr(&ListUsersOptions{Email: "loop@example.com"}, c), []string{"ErrPagingLoop"}},
		claim{"FindByEmail, nobody", findNone, []string{"ErrNotFound"}},
		claim{"FindByEmail, two users", findDup, []string{"ErrAmbiguousEmail"}},
		claim{"call past AttemptTimeout", func() error { _, _, err := timing.Users.Get(ctx, "999"); return err }(), []string{"ErrTimeout"}},
		claim{"walk past AttemptTimeout", firstErr(&ListUsersOptions{Email: "stall@example.com"}, timing), []string{"ErrTimeout"}},
		claim{"Spoke.LookupUser of a user Aha! does not know", lookup404, []string{"sam.ErrUserNotFound", "ErrNotFound"}},
		claim{"Spoke.Reclaim disable of a user Aha! does not know", sp.Reclaim(ctx, "404", sam.ReclaimDisable), []string{"sam.ErrUserNotFound", "ErrNotFound"}},
		claim{"Spoke.Reclaim downgrade that frees nothing", sp.Reclaim(ctx, "7", sam.ReclaimDowngrade), []string{"ErrSeatNotFreed"}},
		claim{"Spoke.Reclaim in an unknown mode", sp.Reclaim(ctx, "7", "explode"), []string{"sam.ErrUnsupportedMode"}},
		claim{"Spoke.Reclaim of the connection's own user", sp.Reclaim(ctx, "1", sam.ReclaimDisable), nil},
	)
	for _, cl := range claims {
		if cl.err == nil {
			t.Errorf("%s: no error", cl.name)
			continue
		}
		want := map[string]bool{}
		for _, w := range cl.want {
			want[w] = true
		}
		for name, s := range sentinels {
			if got := errors.Is(cl.err, s); got != want[name] {
				t.Errorf("%s: errors.Is(err, %s) = %v, want %v (err: %v)", cl.name, name, got, want[name], cl.err)
			}
		}
	}
}
