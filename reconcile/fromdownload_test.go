package reconcile_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samspoke/samspoke/reconcile"
	"github.com/samspoke/samspoke/sam"
)

// TestFromDownloadMergesActivity follows the README's library example:
// download, pull, FromDownload, Evaluate. A user who never logged in
// (accessed_at null: "never", a complete lifetime signal) but acted an hour
// ago through the API (the audit log saw it) is active, not a candidate;
// the download itself is not changed.
func TestFromDownloadMergesActivity(t *testing.T) {
	d := &sam.Download{Self: "9", Users: []sam.User{
		user("1", sam.Never(), complete),                                // never logged in, audited an hour ago
		user("2", sam.Never(), complete),                                // never logged in, never audited
		user("3", sam.Seen(now.AddDate(-1, 0, 0)), complete),            // old login, audited 10 days ago
		user("4", sam.Seen(now.AddDate(0, 0, -1)), complete),            // a recent login beats an older audit
		user("5", sam.Unknown()),                                        // unknown, audited: seen
		user("6", sam.Unknown()),                                        // unknown, a zero time in the pull is no sighting
		user("9", sam.Seen(now.AddDate(-1, 0, 0)), complete),            // the connection's own user
		user("10", sam.Seen(now.AddDate(-1, 0, 0)), complete, disabled), // disabled: consumes nothing
	}}
	before := slices.Clone(d.Users)
	pull := &sam.ActivityPull{
		Covered: sam.Window{Since: cutoff, Until: now},
		Latest: map[string]time.Time{
			"1": now.Add(-time.Hour),
			"3": now.AddDate(0, 0, -10),
			"4": now.AddDate(0, 0, -30),
			"5": now.AddDate(0, 0, -5),
			"6": {},
		},
		Records: 4,
	}
	p := reconcile.FromDownload("acme", d, pull)
	if d := cmp.Diff(before, d.Users); d != "" {
		t.Errorf("FromDownload changed the download's users (-before +after):\n%s", d)
	}
	if p.Self != "9" || !p.ActivityCoverage.Equal(cutoff) {
		t.Errorf("Self %q, coverage %v; want 9 and the pull's covered start %v", p.Self, p.ActivityCoverage, cutoff)
	}
	r := eval(t, reconcile.Input{Profiles: []reconcile.Profile{p}})
	cands, prot := verdicts(r)
	var ids []string
	for _, c := range cands {
		ids = append(ids, c.ID)
	}
	if d := cmp.Diff([]string{"2"}, ids); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]sam.ProtectReason{"6": sam.ProtectActivityUnknown, "9": sam.ProtectSelf}, prot); d != "" {
		t.Errorf("protected (-want +got):\n%s", d)
	}
	want := map[string]sam.Activity{
		"1": sam.Seen(now.Add(-time.Hour)),
		"3": sam.Seen(now.AddDate(0, 0, -10)),
		"4": sam.Seen(now.AddDate(0, 0, -1)),
		"5": sam.Seen(now.AddDate(0, 0, -5)),
		"6": sam.Unknown(),
	}
	for _, s := range r.Subscriptions {
		if w, ok := want[s.ExternalUserID]; ok && s.LastActivity != w {
			t.Errorf("user %s: last activity %v, want %v", s.ExternalUserID, s.LastActivity, w)
		}
	}

	// Without the pull, the never-logged-in user is judged by its own
	// signal: a candidate.
	r = eval(t, reconcile.Input{Profiles: []reconcile.Profile{reconcile.FromDownload("acme", d, nil)}})
	if c, _ := verdicts(r); len(c) != 3 || c[0].ID != "1" {
		t.Errorf("without a pull: candidates %v; want users 1, 2 and 3", c)
	}
}

// TestFromDownloadShortCoverage: a pull that reached less far back than the
// cutoff protects the users without a complete signal of their own.
func TestFromDownloadShortCoverage(t *testing.T) {
	d := &sam.Download{Users: []sam.User{
		user("1", sam.Never()),           // no lifetime signal: the pull is all there is
		user("2", sam.Never(), complete), // a complete signal of its own
	}}
	pull := &sam.ActivityPull{Covered: sam.Window{Since: now.AddDate(0, 0, -30), Until: now}, Latest: map[string]time.Time{}}
	cands, prot := verdicts(eval(t, reconcile.Input{Profiles: []reconcile.Profile{reconcile.FromDownload("acme", d, pull)}}))
	if len(cands) != 1 || cands[0].ID != "2" || len(prot) != 1 || prot["1"] != sam.ProtectShortHistory {
		t.Errorf("candidates %v, protected %v; want user 2, and user 1 protected for a short history", cands, prot)
	}
}

// TestDownloadWarnings: the download's warnings reach the result once per
// profile, as download_warning, after a reclaim's re-evaluation too.
func TestDownloadWarnings(t *testing.T) {
	const msg = "2 users came without a readable accessed_at"
	a := reconcile.FromDownload("acme", &sam.Download{Users: []sam.User{user("1", sam.Unknown())}, Warnings: []string{msg}}, nil)
	b := reconcile.FromDownload("beta", &sam.Download{Users: []sam.User{user("2", sam.Seen(now))}}, nil)
	in := reconcile.Input{Profiles: []reconcile.Profile{b, a}}
	want := []reconcile.Warning{{Code: reconcile.WarnDownload, Profile: "acme", Message: msg}}
	for _, in := range []reconcile.Input{in, in.WithDisabled("acme", "1")} {
		var got []reconcile.Warning
		for _, w := range eval(t, in).Warnings {
			if w.Code == reconcile.WarnDownload {
				got = append(got, w)
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("download warnings (-want +got):\n%s", d)
		}
	}
}
