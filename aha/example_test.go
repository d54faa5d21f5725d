package aha_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/samspoke/samspoke/aha"
)

// demoServer stands in for an Aha! account in these examples.
func demoServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		users := map[int]string{
			1: `{"id":"16338845","name":"John Smith","email":"john@example.com","enabled":true,"paid_seat":true,"accessed_at":null},
			    {"id":"82352673","name":"Bob Smith","email":"bob@example.com","enabled":true,"paid_seat":true,"accessed_at":"2026-03-01T09:30:00.000Z"}`,
			2: `{"id":"6776881149484848333","name":"Sam Doe","email":"sam@example.com","enabled":false,"paid_seat":false,"accessed_at":"2025-11-20T00:00:00Z"}`,
		}
		fmt.Fprintf(w, `{"users":[%s],"pagination":{"total_records":3,"total_pages":2,"current_page":%d}}`, users[page], page)
	})
	mux.HandleFunc("GET /api/v1/audits", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if after := q.Get("after_id"); after != "" && after != "0" {
			fmt.Fprint(w, `{"audits":[]}`) // nothing after the last one
			return
		}
		audits := []string{
			`{"id":"901","audit_action":"update","created_at":"2026-03-02T10:00:00.000Z","user":{"id":"82352673","name":"Bob Smith"},"auditable_type":"Feature","auditable_id":1007868956}`,
			`{"id":"902","audit_action":"create","created_at":"2026-03-03T11:00:00.000Z","user":{"id":"16338845","name":"John Smith"},"auditable_type":"Idea","auditable_id":9007199254740993}`,
			`{"id":"903","audit_action":"update","created_at":"2026-03-04T12:00:00.000Z","user":{"id":"16338845","name":"John Smith"},"auditable_type":"Idea","auditable_id":9007199254740993}`,
		}
		var page []string
		for _, a := range audits {
			if action := q.Get("audit_action"); action == "" || strings.Contains(a, `"audit_action":"`+action+`"`) {
				page = append(page, a)
			}
		}
		fmt.Fprintf(w, `{"audits":[%s]}`, strings.Join(page, ","))
	})
	mux.HandleFunc("PUT /api/v1/users/16338845", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println("request body:", string(body))
		fmt.Fprint(w, `{"id":"16338845","name":"John Smith","email":"john@example.com","enabled":false,"paid_seat":true}`)
	})
	return httptest.NewServer(mux)
}

func ExampleUsersService_All() {
	srv := demoServer()
	defer srv.Close()
	// A real account: aha.NewClient(aha.WithAccount("acme"), aha.WithToken(os.Getenv("AHA_TOKEN"))).
	client, err := aha.NewClient(aha.WithBaseURL(srv.URL), aha.WithToken("example-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for u, err := range client.Users.All(context.Background(), nil) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s %s enabled=%v last access: %s\n", u.ID, u.Name, u.Enabled, u.AccessedAt)
	}
	// Output:
	// 16338845 John Smith enabled=true last access: unknown
	// 82352673 Bob Smith enabled=true last access: 2026-03-01T09:30:00.000Z
	// 6776881149484848333 Sam Doe enabled=false last access: 2025-11-20T00:00:00.000Z
}

func ExampleAuditsService_All() {
	srv := demoServer()
	defer srv.Close()
	client, err := aha.NewClient(aha.WithBaseURL(srv.URL), aha.WithToken("example-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Every update of March 2026, whoever made it, read with the after_id
	// cursor page after page.
	window := aha.AuditWindow{
		Since:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Before: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Action: "update",
	}
	for a, err := range client.Audits.All(context.Background(), window) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s %s %s %s#%s by %s\n", a.ID, a.CreatedAt, a.AuditAction, a.AuditableType, a.AuditableID, a.User.Name)
	}
	// Output:
	// 901 2026-03-02T10:00:00.000Z update Feature#1007868956 by Bob Smith
	// 903 2026-03-04T12:00:00.000Z update Idea#9007199254740993 by John Smith
}

func ExampleUsersService_Disable() {
	srv := demoServer()
	defer srv.Close()
	client, err := aha.NewClient(aha.WithBaseURL(srv.URL), aha.WithToken("example-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _, err := client.Users.Disable(context.Background(), "16338845")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s enabled=%v\n", u.Name, u.Enabled)
	// Output:
	// request body: {"user":{"enabled":false}}
	// John Smith enabled=false
}

func ExampleNewClient() {
	limiter := aha.NewDefaultLimiter() // share it between clients of one account
	_, err := aha.NewClient(
		aha.WithAccount("acme"),
		aha.WithToken("example-token"),
		aha.WithRateLimiter(limiter),
		aha.WithUserAgent("my-sam-tool/1.0"),
	)
	fmt.Println(err)
	_, err = aha.NewClient(aha.WithBaseURL("http://acme.aha.io"), aha.WithToken("example-token"))
	fmt.Println(err)
	// Output:
	// <nil>
	// aha: plain http is allowed only for loopback hosts, not "acme.aha.io"; use https
}
