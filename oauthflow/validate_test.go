package oauthflow_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/oauthflow"
	"github.com/samspoke/samspoke/oauthflow/oauthflowtest"
	"golang.org/x/oauth2"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		user    oauthflowtest.User
		want    oauthflow.ConnectionStatus
		problem string
	}{
		{
			name: "account administrator",
			user: oauthflowtest.User{ID: "1020675218", Name: "Mary Humpty", Email: "mary@example.com", Administrator: true, AdministerAccount: true},
			want: oauthflow.ConnectionStatus{UserID: "1020675218", Name: "Mary Humpty", Email: "mary@example.com",
				AdminFlagsKnown: true, Administrator: true, AdministerAccount: true, AdministerBilling: true, AdministerConfig: true},
		},
		{
			name: "admin flags only from /users/{id}, id beyond 2^53",
			user: oauthflowtest.User{ID: "6776860126254553871", Name: "Ann", Administrator: true, AdministerAccount: true, OmitAdminFromMe: true},
			want: oauthflow.ConnectionStatus{UserID: "6776860126254553871", Name: "Ann",
				AdminFlagsKnown: true, Administrator: true, AdministerAccount: true, AdministerBilling: true, AdministerConfig: true},
		},
		{
			name: "not an administrator",
			user: oauthflowtest.User{ID: "7", Name: "Bob"},
			want: oauthflow.ConnectionStatus{UserID: "7", Name: "Bob", AdminFlagsKnown: true,
				Missing: []string{oauthflow.FlagAdministrator, oauthflow.FlagAdministerAccount}},
			problem: "Bob is not an Aha! account administrator (missing: administrator, administrator_roles.administer_account)",
		},
		{
			name: "configuration administrator without account permission",
			user: oauthflowtest.User{ID: "8", Name: "Cy", Administrator: true},
			want: oauthflow.ConnectionStatus{UserID: "8", Name: "Cy", AdminFlagsKnown: true, Administrator: true, AdministerConfig: true,
				Missing: []string{oauthflow.FlagAdministerAccount}},
			problem: "(missing: administrator_roles.administer_account)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauthflowtest.NewServer()
			defer srv.Close()
			srv.Update(func(s *oauthflowtest.Server) { s.User = tt.user })
			at, _ := srv.IssueToken(false)
			hc := oauth2.NewClient(t.Context(), oauthflow.StaticToken(at))
			got, err := oauthflow.Validate(t.Context(), hc, srv.URL+"/api/v1/")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("status mismatch (-want +got):\n%s", diff)
			}
			if got.IsAccountAdministrator() != (tt.problem == "") {
				t.Errorf("IsAccountAdministrator() = %v", got.IsAccountAdministrator())
			}
			if p := got.Problem(); !strings.Contains(p, tt.problem) || (tt.problem == "") != (p == "") {
				t.Errorf("Problem() = %q; want it to contain %q", p, tt.problem)
			}
		})
	}
}

func TestValidateFailures(t *testing.T) {
	srv := oauthflowtest.NewServer()
	defer srv.Close()
	revoked := randomSecret(t)
	_, err := oauthflow.Validate(t.Context(), oauth2.NewClient(t.Context(), oauthflow.StaticToken(revoked)), srv.URL+"/api/v1")
	var re *oauthflow.ReauthorizeError
	if !errors.As(err, &re) {
		t.Fatalf("401: error = %v; want *ReauthorizeError", err)
	}
	assertNoSecrets(t, []string{revoked}, err.Error())

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusBadGateway)
	}))
	defer broken.Close()
	_, err = oauthflow.Validate(t.Context(), nil, broken.URL+"/api/v1")
	var ae *oauthflow.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadGateway {
		t.Fatalf("502: error = %v; want *APIError 502", err)
	}

	for _, base := range []string{"http://acme.aha.io/api/v1", "acme", "https://acme.aha.io/api/v1?x=1"} {
		_, err := oauthflow.Validate(t.Context(), nil, base)
		var ce *oauthflow.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("Validate(%q) = %v; want *ConfigError", base, err)
		}
	}
}

func TestValidateRetriesTransientFailures(t *testing.T) {
	var calls int
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":"Service unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user":{"id":"6776860126254553871","name":"Ann","administrator":true,
			"administrator_roles":{"administer_account":true,"administer_billing":false,"administer_configuration":false}}}`))
	}))
	defer flaky.Close()
	st, err := oauthflow.Validate(t.Context(), nil, flaky.URL+"/api/v1")
	if err != nil {
		t.Fatalf("Validate after one 503: %v", err)
	}
	if calls != 2 || !st.IsAccountAdministrator() || st.UserID != "6776860126254553871" {
		t.Errorf("calls=%d admin=%v id=%s; want 2 calls, an administrator, the exact id", calls, st.IsAccountAdministrator(), st.UserID)
	}
}
