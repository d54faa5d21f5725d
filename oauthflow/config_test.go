package oauthflow_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/oauthflow"
	"golang.org/x/oauth2"
)

func TestNormalizeAccountURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "acme", want: "https://acme.aha.io"},
		{in: "  ACME ", want: "https://acme.aha.io"},
		{in: "acme.aha.io", want: "https://acme.aha.io"},
		{in: "acme.euw4.aha.io", want: "https://acme.euw4.aha.io"},
		{in: "https://acme.aha.io", want: "https://acme.aha.io"},
		{in: "https://acme.aha.io/", want: "https://acme.aha.io"},
		{in: "https://acme", want: "https://acme.aha.io"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://localhost:1", want: "http://localhost:1"},
		{in: "http://[::1]:9", want: "http://[::1]:9"},
		{in: "", wantErr: true},
		{in: "http://acme.aha.io", wantErr: true},
		{in: "ftp://acme.aha.io", wantErr: true},
		{in: "https://acme.aha.io/api/v1", wantErr: true},
		{in: "https://user:pw@acme.aha.io", wantErr: true},
		{in: "https://acme.aha.io?x=1", wantErr: true},
		{in: "ac_me", wantErr: true},
		{in: "-acme", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := oauthflow.NormalizeAccountURL(tt.in)
			if tt.wantErr {
				var ce *oauthflow.ConfigError
				if !errors.As(err, &ce) || ce.Field != "account URL" {
					t.Fatalf("NormalizeAccountURL(%q) = %q, %v; want *ConfigError for account URL", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeAccountURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewConfigValidates(t *testing.T) {
	const redirect = "http://127.0.0.1:8400/callback"
	tests := []struct {
		name                              string
		acct, id, secret, redirect, field string
	}{
		{"empty client id", "acme", " ", "s", redirect, "client id"},
		{"empty secret", "acme", "id", "", redirect, "client secret"},
		{"http redirect off loopback", "acme", "id", "s", "http://example.com/cb", "redirect URI"},
		{"relative redirect", "acme", "id", "s", "/callback", "redirect URI"},
		{"bad account", "http://acme.aha.io", "id", "s", redirect, "account URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oauthflow.NewConfig(tt.acct, tt.id, tt.secret, tt.redirect)
			var ce *oauthflow.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("NewConfig error = %v; want *ConfigError for %q", err, tt.field)
			}
		})
	}
	if _, err := oauthflow.NewConfig("acme", "id", "s", "https://app.example.com/aha/callback"); err != nil {
		t.Fatalf("https redirect: %v", err)
	}
}

func TestConfigEndpoint(t *testing.T) {
	cfg, err := oauthflow.NewConfig("acme.euw4.aha.io", "id", "s", "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	want := oauth2.Endpoint{
		AuthURL:   "https://acme.euw4.aha.io/oauth/authorize",
		TokenURL:  "https://acme.euw4.aha.io/oauth/token",
		AuthStyle: oauth2.AuthStyleInParams,
	}
	if diff := cmp.Diff(want, cfg.Endpoint()); diff != "" {
		t.Errorf("Endpoint() mismatch (-want +got):\n%s", diff)
	}
	if got := cfg.APIBaseURL(); got != "https://acme.euw4.aha.io/api/v1" {
		t.Errorf("APIBaseURL() = %q", got)
	}
	if o := cfg.OAuth2(); o.ClientSecret != "s" || o.RedirectURL != cfg.RedirectURI() || o.Endpoint != want {
		t.Errorf("OAuth2() = %+v", o)
	}
}

func TestConfigRedactsSecret(t *testing.T) {
	secret := "cs-" + randomSecret(t)
	cfg, err := oauthflow.NewConfig("acme", "the-client", secret, "http://127.0.0.1:8400/callback")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg)
	outputs := []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v", *cfg, *cfg), logs.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("client secret printed in %q", out)
		}
	}
	if !strings.Contains(outputs[0], "the-client") || !strings.Contains(outputs[0], "[redacted]") {
		t.Errorf("String() = %q; want the client id and a redaction marker", outputs[0])
	}
}
