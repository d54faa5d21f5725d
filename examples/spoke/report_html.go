package main

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed report.html.tmpl
var htmlFS embed.FS

// htmlTemplate is the -format html page: self-contained (inline CSS, inline
// SVG, no script, nothing loaded from elsewhere). html/template escapes every
// value taken from the report.
var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"owned":   ownedText,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"dash":    orDash,
	"pct":     pct,
	"seatsOfUsers": func(cs []candidate) string {
		seats, users := seatsAndUsers(cs)
		return plural(seats, "seat") + " of " + plural(users, "user")
	},
	"timeOr": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"intOr": func(n *int) string {
		if n == nil {
			return "—"
		}
		return strconv.Itoa(*n)
	},
}).ParseFS(htmlFS, "report.html.tmpl"))

// htmlModel is one position's card: the bar of rights owned against used,
// and the activity spread.
type htmlModel struct {
	position
	Label string
	// OwnedPct and UsedPct are the bars' widths, in percent of the larger.
	OwnedPct, UsedPct string
	Spread            []spreadBucket
}

type spreadBucket struct {
	Name  string
	Class string
	Count int64
	// Pct is the bucket's width in the stacked bar; X its start.
	Pct, X string
}

type htmlPage struct {
	*Report
	Models []htmlModel
	// Mode says whether the run changed anything; PositionsTitle heads
	// the positions (after a reclaim: whether they moved).
	Mode, PositionsTitle string
	// Reclaims are the reclaim summaries: the account's, or each
	// profile's.
	Reclaims []htmlReclaim
}

// htmlReclaim is one reclaim summary: the counts, then the lines that
// need the reader's attention.
type htmlReclaim struct {
	Label  string
	Counts string
	Notes  []string
}

func pct(part, whole int64) string {
	if whole <= 0 || part <= 0 {
		return "0"
	}
	// Display geometry only: integer arithmetic to two decimals.
	hundredths := part * 10000 / whole
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}

func htmlModels(r *Report) []htmlModel {
	out := make([]htmlModel, 0, len(r.Positions))
	for _, p := range r.Positions {
		m := htmlModel{position: p, Label: p.Model}
		if r.Profiles != nil {
			if p.Profile == "" {
				m.Label += " — all profiles"
			} else {
				m.Label += " — " + p.Profile
			}
		}
		scale := max(p.RightsOwned, p.RightsUsed)
		if p.Unlimited {
			scale = p.RightsUsed
			m.OwnedPct = "100"
		} else {
			m.OwnedPct = pct(p.RightsOwned, scale)
		}
		m.UsedPct = pct(p.RightsUsed, scale)
		s := p.Spread
		buckets := []spreadBucket{
			{Name: "0–30 days", Class: "b0", Count: s.Days0To30},
			{Name: "30–60 days", Class: "b1", Count: s.Days30To60},
			{Name: "60–90 days", Class: "b2", Count: s.Days60To90},
			{Name: "90+ days", Class: "b3", Count: s.Days90Plus},
			{Name: "never", Class: "b4", Count: s.Never},
			{Name: "unknown", Class: "b5", Count: s.Unknown},
		}
		var total, acc int64
		for _, b := range buckets {
			total += b.Count
		}
		for i := range buckets {
			buckets[i].X = pct(acc, total)
			buckets[i].Pct = pct(buckets[i].Count, total)
			acc += buckets[i].Count
		}
		m.Spread = buckets
		out = append(out, m)
	}
	return out
}

// writeHTML writes the report as one self-contained HTML page. Every
// string from the account is shown through [visible] (and escaped by
// html/template): a control or bidi character cannot hide or reorder what
// the reader sees.
func writeHTML(w io.Writer, r *Report) error {
	r = visibleReport(r)
	page := htmlPage{Report: r, Models: htmlModels(r), Mode: modeLine(r), PositionsTitle: positionsTitle(r)}
	add := func(label string, x *reclaimBlock) {
		lines := reclaimLines(x)
		page.Reclaims = append(page.Reclaims, htmlReclaim{Label: label, Counts: lines[0], Notes: lines[1:]})
	}
	if r.Reclaim != nil {
		add("", r.Reclaim)
	}
	for _, p := range r.Profiles {
		if p.Reclaim != nil {
			add(" — "+p.Name, p.Reclaim)
		}
	}
	return htmlTemplate.Execute(w, page)
}
