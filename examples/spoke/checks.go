package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/samspoke/samspoke/sam"
)

// Warning codes the command adds to those of package reconcile.
const (
	// warnProtectUnmatched: a -protect, -protect-file or config protect
	// entry matches no user of the account(s) it applies to; a typo in a
	// safety list must be visible.
	warnProtectUnmatched = "protect_unmatched"
	// warnNowBeforeData: -now is earlier than some of the account's data
	// (users active or created after it).
	warnNowBeforeData = "now_before_data"
	// warnTokenExpiresSoon: the -token-file's access token expires within
	// 15 minutes and cannot be refreshed (no OAuth app in the
	// environment); a run that outlasts it stops with 401.
	warnTokenExpiresSoon = "token_expires_soon"
)

// unmatchedProtect returns the entries that match no user in users, in
// their order, each once. An entry matches a user the way package
// reconcile matches exclusions: by exact external id, or by email compared
// trimmed and case-insensitively.
func unmatchedProtect(entries []string, users ...[]sam.User) []string {
	ids, emails := map[string]bool{}, map[string]bool{}
	for _, us := range users {
		for i := range us {
			ids[us[i].ExternalID] = true
			if us[i].Email != "" {
				emails[sam.NormalizeEmail(us[i].Email)] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || seen[e] {
			continue
		}
		seen[e] = true
		if !ids[e] && !emails[sam.NormalizeEmail(e)] {
			out = append(out, e)
		}
	}
	return out
}

// maxProtectWarnings is how many unmatched protect entries of one list
// are warned of one by one; the rest are counted in one more warning.
const maxProtectWarnings = 20

// protectWarnings are the warnings for a list's unmatched entries: one
// each, up to maxProtectWarnings, then one counting the others.
func protectWarnings(profile string, unmatched []string, where string) []warning {
	var out []warning
	for i, x := range unmatched {
		if i == maxProtectWarnings {
			out = append(out, warning{Profile: profile, Code: warnProtectUnmatched,
				Message: fmt.Sprintf("%d more protect entries (%s) match no user of the account: check them for typos; they protect no one", len(unmatched)-i, where)})
			break
		}
		out = append(out, protectWarning(profile, x, where))
	}
	return out
}

// protectWarning is the warning for an unmatched protect entry; where
// names the list it came from.
func protectWarning(profile, entry, where string) warning {
	return warning{Profile: profile, Code: warnProtectUnmatched,
		Message: fmt.Sprintf("protect entry %q (%s) matches no user of the account: check it for a typo; it protects no one", truncate(entry, 80), where)}
}

// afterNow counts the users whose known activity or creation is after now.
func afterNow(users []sam.User, now time.Time) int {
	n := 0
	for i := range users {
		u := &users[i]
		if (u.Activity.State == sam.ActivitySeen && u.Activity.At.After(now)) || u.Created.After(now) {
			n++
		}
	}
	return n
}

// nowWarning is the warning for a -now earlier than n users' data.
func nowWarning(profile string, now time.Time, n int) warning {
	users := "users were"
	if n == 1 {
		users = "user was"
	}
	return warning{Profile: profile, Code: warnNowBeforeData,
		Message: fmt.Sprintf("-now %s is in the past of the account's data: %d %s active or created after it; the report judges them as of -now, not as they are",
			now.Format(time.RFC3339), n, users)}
}
