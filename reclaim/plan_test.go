package reclaim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/sam"
)

func TestNewPlanOneActionPerUser(t *testing.T) {
	ann := user("10")
	ann.Identifiers = []sam.Identifier{"roadmaps_seat", "develop_seat"}
	bob := user("9")
	bob.Activity = sam.Never()
	closed := cand("prod", &bob, "develop_seat")
	closed.State = sam.ClosedSkipped

	dev := cand("prod", &ann, "develop_seat")
	// A second source saw Ann later: the plan keeps the latest sighting.
	dev.LastActivity = sam.Seen(t0.AddDate(0, 0, -100))
	cands := []sam.Candidate{
		cand("prod", &ann, "roadmaps_seat"),
		dev,
		cand("", &bob, "roadmaps_seat"),
		closed,
	}
	got, err := NewPlan("prod", sam.ReclaimDisable, cands)
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{
		Profile: "prod",
		Mode:    sam.ReclaimDisable,
		Actions: []Action{
			{
				Profile: "prod", ExternalUserID: "9", Email: "user9@example.com",
				Models: []string{"Aha! Roadmaps"}, Identifiers: []sam.Identifier{"roadmaps_seat"},
				PlannedActivity: sam.Never(), Mode: sam.ReclaimDisable,
			},
			{
				Profile: "prod", ExternalUserID: "10", Email: "user10@example.com",
				Models:          []string{"Aha! Develop", "Aha! Roadmaps"},
				Identifiers:     []sam.Identifier{"develop_seat", "roadmaps_seat"},
				PlannedActivity: sam.Seen(t0.AddDate(0, 0, -100)), Mode: sam.ReclaimDisable,
			},
		},
		NotActionable: []sam.Candidate{closed},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestNewPlanRefuses(t *testing.T) {
	u := user("1")
	other := cand("staging", &u, "roadmaps_seat")
	noID := cand("prod", &u, "roadmaps_seat")
	noID.ExternalUserID = ""
	tests := []struct {
		name  string
		mode  sam.ReclaimMode
		cands []sam.Candidate
	}{
		{"not a mode name", "Delete user", nil},
		{"no mode", "", nil},
		{"other profile", sam.ReclaimDisable, []sam.Candidate{other}},
		{"no user id", sam.ReclaimDisable, []sam.Candidate{noID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := NewPlan("prod", tt.mode, tt.cands); err == nil {
				t.Errorf("NewPlan = %+v, want an error", p)
			}
		})
	}
}

func TestNewPlanEmpty(t *testing.T) {
	p, err := NewPlan("prod", sam.ReclaimDowngrade, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 0 || p.Mode != sam.ReclaimDowngrade {
		t.Errorf("empty plan = %+v", p)
	}
}
