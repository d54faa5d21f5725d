package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browserProbe is appended to a copy of the HTML report before a real
// browser loads it. After layout it measures what a reader sees, and
// writes the figures into the page as JSON, which --dump-dom hands back.
// The report itself has no script; only this copy does.
const browserProbe = `<script>
(function () {
  function box(el) { var r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }
  var main = document.querySelector("main");
  var out = {
    viewport: window.innerWidth,
    docWidth: document.documentElement.scrollWidth,
    main: box(main),
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; }),
    cards: [], tables: [], headings: []
  };
  document.querySelectorAll("section.card.model").forEach(function (c) {
    var bars = c.querySelectorAll("svg.bars rect");
    var spread = c.querySelector("svg.spread");
    out.cards.push({
      model: c.dataset.model,
      owned: Number(c.dataset.owned), used: Number(c.dataset.used),
      unlimited: c.dataset.unlimited === "true",
      box: box(c),
      overflows: c.scrollWidth > c.clientWidth,
      track: box(bars[0]).w,
      ownedW: box(c.querySelector("rect.owned")).w,
      usedW: box(c.querySelector("rect.used")).w,
      usedFill: getComputedStyle(c.querySelector("rect.used")).fill,
      status: box(c.querySelector(".status")),
      statusText: c.querySelector(".status").textContent,
      spreadW: box(spread).w,
      spread: Array.prototype.map.call(spread.querySelectorAll("rect"), function (r) {
        return {count: Number(r.dataset.count), w: box(r).w, x: box(r).x};
      })
    });
  });
  document.querySelectorAll("table").forEach(function (t) {
    var wrap = t.parentElement, tallest = 0, line = 0;
    t.querySelectorAll("tbody td").forEach(function (td) {
      tallest = Math.max(tallest, td.getBoundingClientRect().height);
      line = parseFloat(getComputedStyle(td).lineHeight);
    });
    out.tables.push({id: t.id, box: box(wrap), rows: t.tBodies.length ? t.tBodies[0].rows.length : 0,
      wider: t.scrollWidth > wrap.clientWidth, scrolls: getComputedStyle(wrap).overflowX === "auto",
      tallestCell: tallest, lineHeight: line});
  });
  document.querySelectorAll("h1, h2").forEach(function (h) {
    out.headings.push({text: h.textContent, box: box(h)});
  });
  var pre = document.createElement("pre");
  pre.id = "samspoke-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

type probeBox struct{ X, Y, W, H float64 }

func (b probeBox) right() float64  { return b.X + b.W }
func (b probeBox) bottom() float64 { return b.Y + b.H }

type probeResult struct {
	Viewport  float64
	DocWidth  float64
	Main      probeBox
	Resources []string
	Cards     []struct {
		Model      string
		Owned      int64
		Used       int64
		Unlimited  bool
		Box        probeBox
		Overflows  bool
		Track      float64
		OwnedW     float64
		UsedW      float64
		UsedFill   string
		Status     probeBox
		StatusText string
		SpreadW    float64
		Spread     []struct{ Count, W, X float64 }
	}
	Tables []struct {
		ID      string
		Box     probeBox // the table's box: its scrolling wrapper
		Rows    int
		Wider   bool // the table is wider than its wrapper
		Scrolls bool // the wrapper scrolls sideways
		// TallestCell is the height of the tallest body cell, LineHeight
		// that of one line of its text.
		TallestCell, LineHeight float64
	}
	Headings []struct {
		Text string
		Box  probeBox
	}
}

// findBrowser returns a Chromium-family browser to render with:
// $SAMSPOKE_BROWSER, else the first of the usual names on PATH.
func findBrowser() (string, error) {
	if b := os.Getenv("SAMSPOKE_BROWSER"); b != "" {
		return exec.LookPath(b)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser, google-chrome or headless_shell on PATH (set SAMSPOKE_BROWSER)")
}

// renderInBrowser loads page in a headless browser at the given window
// width and returns what the probe measured.
func renderInBrowser(t *testing.T, browser, page string, width int) probeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// The browser runs as whoever runs the tests, root in CI: its sandbox
	// refuses root, and the page is our own file.
	cmd := exec.CommandContext(ctx, browser, // #nosec G204 -- a browser the test looked up, on a file the test wrote
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(),
		fmt.Sprintf("--window-size=%d,1000", width),
		"--virtual-time-budget=5000",
		"--dump-dom", "file://"+page)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, stderr.String())
	}
	m := regexp.MustCompile(`<pre id="samspoke-probe">([^<]*)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the browser's page has no probe output (did the page load?); stderr:\n%s", stderr.String())
	}
	// --dump-dom escapes text as HTML: the JSON's quotes and ampersands.
	js := strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(string(m[1]))
	var res probeResult
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("probe output: %v\n%s", err, js)
	}
	return res
}

// TestHTMLReportInBrowser renders the HTML report in a real browser
// (headless Chromium) and checks what a reader sees: nothing loaded from
// anywhere, no sideways scrolling, each model's bars drawn in proportion
// to rights owned and used (red when over), the activity spread filling
// its bar in proportion, cards that neither overlap nor spill, and tables
// inside the page (scrolling in their own box when the window is narrow).
// CI installs Chromium (.ci/run) and requires this test;
// elsewhere it is skipped when no browser is found.
func TestHTMLReportInBrowser(t *testing.T) {
	t.Parallel()
	browser, err := findBrowser()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must render the HTML report in a browser: %v", err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	r := demoReports(t, "html", out)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(string(raw), "</body>")
	if i < 0 {
		t.Fatal("the report has no </body>")
	}
	page := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(page, []byte(string(raw[:i])+browserProbe+string(raw[i:])), 0o600); err != nil {
		t.Fatal(err)
	}

	const px = 1.0 // layout tolerance: sub-pixel rounding
	near := func(a, b float64) bool { return math.Abs(a-b) <= px }
	for _, width := range []int{1280, 800} {
		res := renderInBrowser(t, browser, page, width)
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			if len(res.Resources) != 0 {
				t.Errorf("the page loaded %v; it must be self-contained", res.Resources)
			}
			if res.DocWidth > res.Viewport {
				t.Errorf("page is %.0f px wide in a %.0f px window: it scrolls sideways", res.DocWidth, res.Viewport)
			}
			if len(res.Cards) != len(r.Positions) || len(res.Cards) == 0 {
				t.Fatalf("%d model cards drawn, want %d", len(res.Cards), len(r.Positions))
			}
			for i, c := range res.Cards {
				p := r.Positions[i]
				if c.Model != p.Model || c.Owned != p.RightsOwned || c.Used != p.RightsUsed {
					t.Errorf("card %d shows %s owned %d used %d, report has %s %d %d", i, c.Model, c.Owned, c.Used, p.Model, p.RightsOwned, p.RightsUsed)
				}
				if c.Box.W < 200 || c.Box.H < 150 {
					t.Errorf("%s: card is %.0f×%.0f px, too small to read", c.Model, c.Box.W, c.Box.H)
				}
				if c.Overflows {
					t.Errorf("%s: content spills out of its card", c.Model)
				}
				if c.Status.W == 0 || c.Status.right() > c.Box.right()+px || c.StatusText != string(p.Status) {
					t.Errorf("%s: status badge %q at %+v, card %+v; want %q inside the card", c.Model, c.StatusText, c.Status, c.Box, p.Status)
				}
				// Bars: the larger of owned and used fills the track, the
				// other in proportion; unlimited fills it.
				scale := float64(max(c.Owned, c.Used))
				wantOwned, wantUsed := c.Track*float64(c.Owned)/scale, c.Track*float64(c.Used)/scale
				if c.Unlimited {
					wantOwned = c.Track
				}
				if scale == 0 {
					wantOwned, wantUsed = 0, 0
				}
				if !near(c.OwnedW, wantOwned) || !near(c.UsedW, wantUsed) {
					t.Errorf("%s: bars owned %.1f used %.1f px of %.1f, want %.1f and %.1f (owned %d, used %d)",
						c.Model, c.OwnedW, c.UsedW, c.Track, wantOwned, wantUsed, c.Owned, c.Used)
				}
				over := !c.Unlimited && c.Used > c.Owned
				if red := c.UsedFill == "rgb(210, 69, 47)"; red != over {
					t.Errorf("%s: used bar is %s; over the rights owned: %v", c.Model, c.UsedFill, over)
				}
				// The activity spread: consecutive segments, each as wide as
				// its share, together the whole bar.
				var total, sum float64
				for _, s := range c.Spread {
					total += s.Count
					sum += s.W
				}
				if total > 0 && !near(sum, c.SpreadW) {
					t.Errorf("%s: spread segments fill %.1f of %.1f px", c.Model, sum, c.SpreadW)
				}
				for k, s := range c.Spread {
					if total > 0 && !near(s.W, c.SpreadW*s.Count/total) {
						t.Errorf("%s: spread segment %d (%v of %v) is %.1f px, want %.1f", c.Model, k, s.Count, total, s.W, c.SpreadW*s.Count/total)
					}
					if k > 0 && s.W > 0 && c.Spread[k-1].W > 0 && !near(s.X, c.Spread[k-1].X+c.Spread[k-1].W) {
						t.Errorf("%s: spread segment %d starts at %.1f, not where %d ends", c.Model, k, s.X, k-1)
					}
				}
				for j := range i {
					o := res.Cards[j].Box
					if c.Box.X < o.right()-px && o.X < c.Box.right()-px && c.Box.Y < o.bottom()-px && o.Y < c.Box.bottom()-px {
						t.Errorf("cards %s and %s overlap", res.Cards[j].Model, c.Model)
					}
				}
			}
			rows := map[string]int{}
			for _, tb := range res.Tables {
				rows[tb.ID] = tb.Rows
				if tb.Box.X < res.Main.X-px || tb.Box.right() > res.Main.right()+px {
					t.Errorf("table %s spans %.0f–%.0f px, outside the page's %.0f–%.0f", tb.ID, tb.Box.X, tb.Box.right(), res.Main.X, res.Main.right())
				}
				// A table too wide for a narrow window scrolls in its own box
				// rather than pushing the page sideways.
				if tb.Wider && !tb.Scrolls {
					t.Errorf("table %s is wider than its box, which does not scroll", tb.ID)
				}
				// No column squeezed to a word a line: a reason reads in a
				// few lines at most.
				if lines := tb.TallestCell / tb.LineHeight; tb.LineHeight == 0 || lines > 4.5 {
					t.Errorf("table %s: its tallest cell is %.0f px, %.1f lines of text", tb.ID, tb.TallestCell, lines)
				}
			}
			for id, want := range map[string]int{"candidates": len(r.Candidates), "protected": len(r.Protected), "actions": len(r.Actions)} {
				if rows[id] != want {
					t.Errorf("table %s shows %d rows, want %d", id, rows[id], want)
				}
			}
			for _, h := range res.Headings {
				if h.Box.H == 0 || h.Box.W == 0 {
					t.Errorf("heading %q is not visible", h.Text)
				}
			}
		})
	}
}
