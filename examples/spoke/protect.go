package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A protect entry (-protect, -protect-file or a config profile's protect
// list) names one user never to reclaim: an Aha! user id or an email. All
// three lists follow one rule, protectEntryProblem: a protect list is a
// safety list, and an entry that can name no one (a typo, two entries on
// one line) must stop the run rather than silently protect nobody. A
// well-formed entry that matches no user is a protect_unmatched warning.

// maxProtectFileSize caps a -protect-file, like an entitlements file's
// sam.MaxEntitlementsFileSize: it lists a few people, not an account.
const maxProtectFileSize = 8 << 20

// maxEmailLen is the longest email address there can be (RFC 5321's path
// limit less the angle brackets).
const maxEmailLen = 254

// maxUserIDLen is the most digits an Aha! user id has (19, and room for
// one more).
const maxUserIDLen = 20

// protectEntryProblem says why entry (trimmed, not empty) cannot be a
// protect entry, or returns "" when it is an email or an Aha! user id.
func protectEntryProblem(entry string) string {
	if !utf8.ValidString(entry) {
		return "is not valid UTF-8"
	}
	if strings.Trim(entry, "0123456789") == "" {
		if len(entry) > maxUserIDLen {
			return fmt.Sprintf("has %d digits: an Aha! user id has at most %d", len(entry), maxUserIDLen)
		}
		return ""
	}
	if len(entry) > maxEmailLen {
		return fmt.Sprintf("is longer than %d bytes: neither an email nor an Aha! user id", maxEmailLen)
	}
	if strings.ContainsFunc(entry, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`,;<>()[]\"`, r)
	}) {
		return "is not one email or user id (list one per entry, no spaces, commas or semicolons)"
	}
	local, domain, ok := strings.Cut(entry, "@")
	if !ok {
		return "is neither an email (name@example.com) nor an Aha! user id (digits)"
	}
	if local == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "is not an email such as name@example.com"
	}
	return ""
}

// parseProtectList splits -protect's comma-separated list and checks each
// entry.
func parseProtectList(list string) ([]string, error) {
	var out []string
	for i, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if msg := protectEntryProblem(p); msg != "" {
			return nil, usagef("-protect: entry %d %q %s", i+1, truncate(p, 60), msg)
		}
		out = append(out, p)
	}
	return out, nil
}

// readProtectFile reads one email or user id per line; blank lines and #
// comments are ignored. Every problem is a usage error naming the file and
// the line.
func readProtectFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-protect-file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxProtectFileSize+1))
	if err != nil {
		return nil, usagef("-protect-file %s: %v", path, pathCause(err))
	}
	if len(data) > maxProtectFileSize {
		return nil, usagef("-protect-file %s: is larger than %d bytes (8 MiB); a protect file lists a few people", path, maxProtectFileSize)
	}
	return parseProtectFile(data, path)
}

// parseProtectFile is readProtectFile for data in memory.
func parseProtectFile(data []byte, path string) ([]string, error) {
	// Editors on some systems start UTF-8 files with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var out []string
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if !utf8.Valid(line) {
			return nil, usagef("%s: line %d: is not valid UTF-8", path, n)
		}
		s := string(line)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if msg := protectEntryProblem(s); msg != "" {
			return nil, usagef("%s: line %d: %q %s", path, n, truncate(s, 60), msg)
		}
		out = append(out, s)
	}
	return out, nil
}
