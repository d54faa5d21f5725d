package sam_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/samspoke/samspoke/sam"
)

func ExampleLoadEntitlements() {
	cat, _ := sam.NewCatalog(sam.SoftwareModel{Publisher: "Aha! Labs", Product: "Aha! Roadmaps", Identifiers: []sam.Identifier{"roadmaps_seat"}})
	file := `[{"model": "Aha! Roadmaps", "rights": 25, "unit_cost": "59.00", "currency": "USD", "period": "monthly", "start": "2026-01-01"}]`
	ents, err := sam.LoadEntitlements(strings.NewReader(file), "entitlements.json", cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	annual, _ := ents[0].AnnualUnitCost()
	fmt.Println(ents[0].Model, ents[0].Rights, annual.StringFixed(2), ents[0].Currency)

	_, err = sam.LoadEntitlements(strings.NewReader(`[{"model": "Aha! Roadmaps", "rights": -2, "start": "2026-01-01"}]`), "entitlements.json", cat)
	fmt.Println(err)
	// Output:
	// Aha! Roadmaps 25 708.00 USD
	// entitlements.json: record 1: field "rights": is -2; it cannot be negative
}

func ExampleProfile_Publish() {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p := sam.NewProfile("acme", "Aha! Subscription", "aha-acme")
	if _, err := p.Publish(at); err != nil {
		fmt.Println(err)
	}
	p, _ = p.RecordValidation(at, nil).Publish(at)
	fmt.Println(p.Status)
	p = p.SetReclaim(false) // still published; candidates are still produced
	fmt.Println(p.Status)
	p = p.SetDownloadActivity(false) // changes what is pulled
	fmt.Println(p.Status)
	// Output:
	// sam: cannot publish profile "acme": profile has not been validated since it last changed: validate the connection first
	// published
	// published
	// draft
}

func ExampleReclamationRule_Advance() {
	rule := sam.ReclamationRule{ThresholdDays: 60, Notify: &sam.NotifyStep{DeadlineDays: 7}}
	found := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := sam.Candidate{ExternalUserID: "42", State: sam.Ready}

	c, _ = rule.Advance(c, found) // the caller notifies the user
	deadline, _ := rule.NotifyDeadline(c)
	fmt.Println(c.State, "until", deadline.Format(time.DateOnly))

	_, moved := rule.Advance(c, found.AddDate(0, 0, 3))
	fmt.Println("after 3 days, moved:", moved)

	c, _ = rule.Advance(c, deadline) // no answer by the deadline
	fmt.Println(c.State)

	if _, err := c.Transition(sam.AwaitingUser, deadline); err != nil {
		fmt.Println(err)
	}
	// Output:
	// awaiting_user until 2026-03-08
	// after 3 days, moved: false
	// awaiting_revocation
	// sam: a candidate cannot move from awaiting_revocation to awaiting_user
}
