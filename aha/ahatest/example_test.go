package ahatest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/samspoke/samspoke/aha/ahatest"
)

// Serve the demo account and list the first page of users, as a client would.
func Example() {
	now := time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)
	srv := ahatest.NewServer(ahatest.DemoAccount(now), ahatest.WithToken("test-token-generated-at-run-time"))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.APIURL()+"/users?per_page=200", nil)
	req.Header.Set("Authorization", "Bearer test-token-generated-at-run-time")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Users      []json.RawMessage `json:"users"`
		Pagination struct {
			TotalRecords int `json:"total_records"`
			TotalPages   int `json:"total_pages"`
		} `json:"pagination"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	fmt.Println(resp.StatusCode, len(page.Users), page.Pagination.TotalRecords, page.Pagination.TotalPages)
	// Output: 200 200 230 2
}

// Script faults: the second request for users gets a 429 with Retry-After,
// the third has its connection reset.
func ExampleFaults() {
	faults := ahatest.NewFaults().
		On("GET /users", 2, ahatest.RateLimited(2*time.Second)).
		On("GET /users", 3, ahatest.ResetConnection())
	srv := ahatest.NewServer(ahatest.DemoAccount(time.Now()), ahatest.WithFaults(faults))
	defer srv.Close()
	for range 3 {
		req, _ := http.NewRequest("GET", srv.APIURL()+"/users", nil)
		req.Header.Set("Authorization", "Bearer any-token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println("error")
			continue
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("status %d, Retry-After %q, body read failed: %v\n", resp.StatusCode, resp.Header.Get("Retry-After"), err != nil)
	}
	fmt.Println(faults.Injected())
	// Output:
	// status 200, Retry-After "", body read failed: false
	// status 429, Retry-After "2", body read failed: false
	// status 200, Retry-After "", body read failed: true
	// 2
}
