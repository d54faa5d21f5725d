package sam_test

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestProfileLifecycle(t *testing.T) {
	p := sam.NewProfile("acme", "Aha! Subscription", "aha-acme")
	if p.Status != sam.Draft || !p.DownloadActivity || !p.Reclaim {
		t.Fatalf("new profile = %+v, want Draft with activity and reclaim on", p)
	}
	if _, err := p.Publish(t0); !errors.Is(err, sam.ErrNotValidated) {
		t.Fatalf("publish unvalidated: err = %v, want ErrNotValidated", err)
	}
	failed := p.RecordValidation(t0, errString("GET /api/v1/users: 401"))
	_, err := failed.Publish(t0)
	var pe *sam.ProfileError
	if !errors.Is(err, sam.ErrValidationFailed) || !errors.As(err, &pe) || pe.Op != "publish" || pe.Detail != "GET /api/v1/users: 401" {
		t.Fatalf("publish after failed validation: err = %v", err)
	}
	ok := p.RecordValidation(t0, nil)
	if ok.Validation == nil || !ok.Validation.OK || !ok.Validation.At.Equal(t0) {
		t.Fatalf("validation not recorded: %+v", ok.Validation)
	}
	pub, err := ok.Publish(t0.Add(time.Minute))
	if err != nil || pub.Status != sam.Published {
		t.Fatalf("publish: %v, %v", pub.Status, err)
	}
	if _, err := pub.Publish(t0); !errors.Is(err, sam.ErrAlreadyPublished) {
		t.Errorf("publish twice: err = %v", err)
	}
	// Reclaim off keeps it published (validation never checks reclaim).
	if q := pub.SetReclaim(false); q.Status != sam.Published || q.Reclaim {
		t.Errorf("reclaim off: %+v", q)
	}
	// Same activity setting: no change.
	if q := pub.SetDownloadActivity(true); q.Status != sam.Published {
		t.Errorf("unchanged activity setting dropped to %s", q.Status)
	}
	for name, q := range map[string]sam.Profile{
		"activity off":   pub.SetDownloadActivity(false),
		"analyze from":   pub.SetAnalyzeActivityFrom(t0.AddDate(0, -6, 0)),
		"failed recheck": pub.RecordValidation(t0, errString("timeout")),
	} {
		if q.Status != sam.Draft {
			t.Errorf("%s: status %s, want draft", name, q.Status)
		}
		if _, err := q.Publish(t0); err == nil {
			t.Errorf("%s: republished without a new successful validation", name)
		}
	}
	if pub.Status != sam.Published {
		t.Error("transitions changed the original value")
	}
}

func TestDeleteProfile(t *testing.T) {
	st := sam.State{
		Aliases:  []sam.Alias{{Name: "a1", Vendor: "Aha!", Profile: "one"}, {Name: "a2", Vendor: "Aha!", Profile: "two"}},
		Profiles: []sam.Profile{{Name: "one"}, {Name: "two"}},
		Subscriptions: []sam.Subscription{
			{Profile: "one", ExternalUserID: "1", Identifier: "roadmaps_seat"},
			{Profile: "two", ExternalUserID: "1", Identifier: "roadmaps_seat"},
		},
		Candidates: []sam.Candidate{
			{Profile: "one", ExternalUserID: "1", State: sam.Ready},
			{Profile: "one", ExternalUserID: "2", State: sam.AttentionRequired},
			{Profile: "one", ExternalUserID: "3", State: sam.ClosedComplete},
			{Profile: "one", ExternalUserID: "4"}, // no state: taken as ready
			{Profile: "one", ExternalUserID: "5", State: sam.AwaitingUser},
			{Profile: "two", ExternalUserID: "1", State: sam.Ready},
		},
		Rules: []sam.ReclamationRule{{Profile: "one", ThresholdDays: 60}},
	}
	got, err := st.DeleteProfile("one", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := sam.State{
		Aliases:       []sam.Alias{{Name: "a1", Vendor: "Aha!"}, {Name: "a2", Vendor: "Aha!", Profile: "two"}},
		Profiles:      []sam.Profile{{Name: "two"}},
		Subscriptions: []sam.Subscription{{Profile: "two", ExternalUserID: "1", Identifier: "roadmaps_seat"}},
		Candidates: []sam.Candidate{
			{Profile: "one", ExternalUserID: "1", State: sam.ClosedSkipped, Updated: t0},
			{Profile: "one", ExternalUserID: "2", State: sam.ClosedSkipped, Updated: t0},
			{Profile: "one", ExternalUserID: "3", State: sam.ClosedComplete},
			{Profile: "one", ExternalUserID: "4", State: sam.ClosedSkipped, Updated: t0},
			{Profile: "one", ExternalUserID: "5", State: sam.ClosedSkipped, Updated: t0},
			{Profile: "two", ExternalUserID: "1", State: sam.Ready},
		},
		Rules: []sam.ReclamationRule{{Profile: "one", ThresholdDays: 60}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after delete (-want +got):\n%s", d)
	}
	if st.Candidates[0].State != sam.Ready {
		t.Error("DeleteProfile changed its input")
	}
	if _, err := st.DeleteProfile("nope", t0); !errors.Is(err, sam.ErrProfileNotFound) {
		t.Errorf("delete unknown: err = %v", err)
	}
	if _, err := st.AddProfile(sam.Profile{Name: "one"}); !errors.Is(err, sam.ErrProfileExists) {
		t.Errorf("add duplicate: err = %v", err)
	}
	st2 := sam.State{Profiles: []sam.Profile{{Name: "one", Alias: "a1"}}}
	if _, err := st2.AddProfile(sam.Profile{Name: "x", Alias: "a1"}); !errors.Is(err, sam.ErrAliasInUse) {
		t.Errorf("second profile on one alias: err = %v", err)
	}
}

func TestAliases(t *testing.T) {
	good := []sam.Alias{
		{Name: "aha", Vendor: "Aha!"},
		{Name: "aha-eu", Vendor: "Aha!", Parent: "aha", CredentialsRef: "env:AHA_TOKEN_EU", Profile: "eu"},
		{Name: "aha-us", Vendor: "Aha!", Parent: "aha", CredentialsRef: "env:AHA_TOKEN_US", Profile: "us"},
	}
	if err := sam.ValidateAliases(good); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range sam.Children(good, "aha") {
		names = append(names, a.Name)
	}
	if d := cmp.Diff([]string{"aha-eu", "aha-us"}, names); d != "" {
		t.Errorf("children (-want +got):\n%s", d)
	}
	bad := map[string][]sam.Alias{
		"missing parent":   {{Name: "c", Vendor: "Aha!", Parent: "p"}},
		"nested":           {{Name: "p", Vendor: "Aha!"}, {Name: "c", Vendor: "Aha!", Parent: "p"}, {Name: "g", Vendor: "Aha!", Parent: "c"}},
		"vendor differs":   {{Name: "p", Vendor: "Aha!"}, {Name: "c", Vendor: "Jira", Parent: "p"}},
		"shared profile":   {{Name: "a", Vendor: "Aha!", CredentialsRef: "x", Profile: "p"}, {Name: "b", Vendor: "Aha!", CredentialsRef: "y", Profile: "p"}},
		"shared creds":     {{Name: "a", Vendor: "Aha!", CredentialsRef: "x"}, {Name: "b", Vendor: "Aha!", CredentialsRef: "x"}},
		"profile no creds": {{Name: "a", Vendor: "Aha!", Profile: "p"}},
		"duplicate":        {{Name: "a", Vendor: "Aha!"}, {Name: "a", Vendor: "Aha!"}},
	}
	for name, as := range bad {
		var ae *sam.AliasError
		if err := sam.ValidateAliases(as); !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want *AliasError", name, err)
		}
	}
}

func TestSubscriptionStore(t *testing.T) {
	var st sam.SubscriptionStore
	k := sam.Subscription{Profile: "p", ExternalUserID: "10", Identifier: "roadmaps_seat", Active: true}
	s1 := k
	s1.LastActivity = sam.Seen(t0)
	st.Upsert(s1)
	older := k
	older.LastActivity = sam.Seen(t0.AddDate(0, 0, -5))
	older.UserPrincipalName = "new@example.com"
	st.Upsert(older)
	got, _ := st.Get(k.Key())
	if !got.LastActivity.At.Equal(t0) || got.UserPrincipalName != "new@example.com" {
		t.Errorf("after older upsert: %+v; activity must not move back, other fields update", got)
	}
	unknown := k
	unknown.LastActivity = sam.Unknown()
	st.Upsert(unknown)
	if got, _ := st.Get(k.Key()); !got.LastActivity.At.Equal(t0) {
		t.Errorf("unknown erased a sighting: %v", got.LastActivity)
	}
	st.Upsert(sam.Subscription{Profile: "p", ExternalUserID: "9", Identifier: "roadmaps_seat", Active: true})
	st.Sync("p", []sam.Subscription{{ExternalUserID: "9", Identifier: "roadmaps_seat", Active: true}})
	if st.Len() != 2 {
		t.Fatalf("len = %d", st.Len())
	}
	all := st.All()
	if all[0].ExternalUserID != "9" || all[1].ExternalUserID != "10" {
		t.Errorf("order: %v, %v; want 9 before 10", all[0].ExternalUserID, all[1].ExternalUserID)
	}
	if all[1].Active {
		t.Error("subscription missing from a complete download still active")
	}
	st.DeleteProfile("p")
	if st.Len() != 0 {
		t.Errorf("len after delete = %d", st.Len())
	}
}

func TestLessIDTotalOrder(t *testing.T) {
	ids := []string{"2", "10", "1a", "007", "7", "b", "", "6776757625463869041", "99999999999999999999"}
	want := []string{"2", "7", "10", "007", "6776757625463869041", "99999999999999999999", "", "1a", "b"}
	for i := 0; i < 20; i++ {
		got := append([]string(nil), ids...)
		// rotate to vary the input order
		got = append(got[i%len(got):], got[:i%len(got)]...)
		sort.Slice(got, func(a, b int) bool { return sam.LessID(got[a], got[b]) })
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("order (-want +got):\n%s", d)
		}
	}
}
