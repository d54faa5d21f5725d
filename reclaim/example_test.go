package reclaim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/samspoke/samspoke/reclaim"
	"github.com/samspoke/samspoke/sam"
)

// vendor is a two-user account standing in for a real spoke.
type vendor struct{ users map[string]*sam.User }

func (v *vendor) LookupUser(_ context.Context, id string) (sam.User, error) {
	u, ok := v.users[id]
	if !ok {
		return sam.User{}, fmt.Errorf("user %s: %w", id, sam.ErrUserNotFound)
	}
	return *u, nil
}

func (v *vendor) Reclaim(_ context.Context, id string, _ sam.ReclaimMode) error {
	v.users[id].Enabled = false
	return nil
}

func Example() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	longAgo := sam.Seen(now.AddDate(0, -6, 0))
	v := &vendor{users: map[string]*sam.User{
		"1001": {ExternalID: "1001", Email: "ann@example.com", Enabled: true, Identifiers: []sam.Identifier{"roadmaps_seat", "develop_seat"}, Activity: longAgo},
		"1002": {ExternalID: "1002", Email: "bob@example.com", Enabled: true, Identifiers: []sam.Identifier{"roadmaps_seat"}, Activity: longAgo},
	}}
	// The candidates come from the reconcile engine; Ann holds two seats.
	cands := []sam.Candidate{
		{Profile: "prod", ExternalUserID: "1001", Email: "ann@example.com", Model: "Aha! Roadmaps", Identifier: "roadmaps_seat", LastActivity: longAgo},
		{Profile: "prod", ExternalUserID: "1001", Email: "ann@example.com", Model: "Aha! Develop", Identifier: "develop_seat", LastActivity: longAgo},
		{Profile: "prod", ExternalUserID: "1002", Email: "bob@example.com", Model: "Aha! Roadmaps", Identifier: "roadmaps_seat", LastActivity: longAgo},
	}
	plan, err := reclaim.NewPlan("prod", sam.ReclaimDisable, cands)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Bob signs in after the plan was made.
	v.users["1002"].Activity = sam.Seen(now.Add(-time.Hour))

	dir, err := os.MkdirTemp("", "reclaim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	journal, err := reclaim.OpenJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer journal.Close()

	rep, err := reclaim.Apply(context.Background(), v, plan, reclaim.Options{
		MaxActions: 10,
		Journal:    journal,
		Now:        func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range rep.Actions {
		fmt.Println(a.ExternalUserID, a.Email, a.Action, a.Outcome, a.Models)
	}
	fmt.Println("freed:", rep.Freed, "failed:", rep.Failed())
	// Output:
	// 1001 ann@example.com disable applied [Aha! Develop Aha! Roadmaps]
	// 1002 bob@example.com disable canceled [Aha! Roadmaps]
	// freed: [1001] failed: false
}
