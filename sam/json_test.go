package sam_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// roundTrip encodes v, decodes it into a new value of the same type and
// checks nothing was lost.
func roundTrip[T any](t *testing.T, name string, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	var got T
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: unmarshal %s: %v", name, b, err)
	}
	if d := cmp.Diff(v, got); d != "" {
		t.Errorf("%s: round trip through %s changed it (-want +got):\n%s", name, b, d)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 5, 0, time.UTC)
	p := sam.NewProfile("acme", "Aha! Subscription", "aha-acme").RecordValidation(at, nil)
	p, err := p.Publish(at)
	if err != nil {
		t.Fatal(err)
	}
	p = p.SetReclaim(false)
	roundTrip(t, "profile", p)
	roundTrip(t, "draft profile", sam.NewProfile("x", "", "").SetAnalyzeActivityFrom(at).RecordValidation(at, errString("401 unauthorized")))
	roundTrip(t, "alias", sam.Alias{Name: "aha-acme", Vendor: "Aha!", Parent: "aha", CredentialsRef: "env:AHA_TOKEN_ACME", URL: "https://acme.aha.io", Profile: "acme"})
	sub := sam.Subscription{Profile: "acme", ExternalUserID: "6776757625463869041", UserPrincipalName: "a@example.com", Identifier: "roadmaps_seat",
		Model: "Aha! Roadmaps", Active: true, Administrator: true, LastActivity: sam.Seen(at), ExternalCreated: at.AddDate(-1, 0, 0)}
	roundTrip(t, "subscription", sub)
	roundTrip(t, "user", sam.User{ExternalID: "12345678901234567890", Email: "b@example.com", Name: "B", Enabled: true,
		Identifiers: []sam.Identifier{"develop_seat"}, Created: at, Activity: sam.Never(), ActivityComplete: true})
	roundTrip(t, "entitlement", sam.Entitlement{ID: "PO-1", Model: "Aha! Roadmaps", Profile: "acme", Rights: 25, UnitCost: dec("59.00"),
		Currency: "USD", Period: sam.Monthly, Start: sam.Date{Year: 2026, Month: 1, Day: 1}, End: sam.Date{Year: 2026, Month: 12, Day: 31}, CostCenter: "R&D"})
	roundTrip(t, "unpriced entitlement", sam.Entitlement{Model: "Aha! Roadmaps", Rights: 3, Start: sam.Date{Year: 2026, Month: 1, Day: 1}})
	roundTrip(t, "user of unknown activity", sam.User{ExternalID: "3", Enabled: true, Identifiers: []sam.Identifier{"roadmaps_seat"}, Activity: sam.Unknown()})
	roundTrip(t, "unknown money", sam.Position{Profile: "acme", Model: "Aha! Develop", RightsUsed: 2, Available: -2, RightsNeeded: 2, Status: sam.NotCompliant})
	roundTrip(t, "unlimited entitlement", sam.Entitlement{Model: "Aha! Develop", Unlimited: true, Start: sam.Date{Year: 2026, Month: 1, Day: 1}})
	roundTrip(t, "rule", sam.ReclamationRule{Name: "60 days", Profile: "acme", ThresholdDays: 60, Notify: &sam.NotifyStep{DeadlineDays: 7},
		ExcludeUsers: []string{"ceo@example.com"}, ExcludeIdentifiers: []sam.Identifier{"develop_seat"}})
	roundTrip(t, "candidate", sam.Candidate{Profile: "acme", ExternalUserID: "1", Email: "c@example.com", Model: "Aha! Roadmaps",
		Identifier: "roadmaps_seat", Reason: "no activity for 90 days (threshold 60)", LastActivity: sam.Seen(at), InactiveDays: 90, State: sam.AwaitingRevocation, Updated: at})
	roundTrip(t, "protected", sam.Protected{Profile: "acme", ExternalUserID: "2", Email: "d@example.com", Reason: sam.ProtectLastAdmin})
	roundTrip(t, "position", sam.Position{Profile: "acme", Model: "Aha! Roadmaps", RightsOwned: 25, RightsUsed: 27, Available: -2, RightsNeeded: 2,
		Status: sam.NotCompliant, Currency: "USD", PricePerRight: dec("708"), TrueUpCost: dec("1416"), PotentialSavings: dec("2124"),
		Assigned: 27, Stale: 3, PercentUnused: dec("11.111111111111"), Spread: sam.Spread{Days0To30: 20, Days30To60: 4, Days90Plus: 2, Never: 1}})
	cb, err := json.Marshal(ahaCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	var cat sam.Catalog
	if err := json.Unmarshal(cb, &cat); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ahaCatalog(t).Models(), cat.Models()); d != "" {
		t.Errorf("catalog round trip (-want +got):\n%s", d)
	}

	var st sam.SubscriptionStore
	st.Upsert(sub)
	b, err := json.Marshal(&st)
	if err != nil {
		t.Fatal(err)
	}
	var st2 sam.SubscriptionStore
	if err := json.Unmarshal(b, &st2); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(st.All(), st2.All()); d != "" {
		t.Errorf("store round trip (-want +got):\n%s", d)
	}

	state := sam.State{
		Aliases:       []sam.Alias{{Name: "aha", Vendor: "Aha!"}, {Name: "aha-acme", Vendor: "Aha!", Parent: "aha", CredentialsRef: "env:A", Profile: "acme"}},
		Profiles:      []sam.Profile{p},
		Subscriptions: []sam.Subscription{sub},
		Candidates:    []sam.Candidate{{Profile: "acme", ExternalUserID: "1", State: sam.Ready}},
		Rules:         []sam.ReclamationRule{{Profile: "acme", ThresholdDays: 60}},
	}
	roundTrip(t, "state", state)
}

type errString string

func (e errString) Error() string { return string(e) }
