//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoJSON runs the demo with -format json -o out and returns the exit
// status and stderr.
func demoJSON(t *testing.T, out string, extra ...string) (int, string) {
	t.Helper()
	code, _, errs := spokeRun(t, env{}, append([]string{"-format", "json", "-quiet", "-o", out}, extra...))
	return code, errs
}

func isReport(t *testing.T, data []byte) {
	t.Helper()
	var r struct {
		Profile string `json:"profile"`
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Profile != "demo" {
		t.Errorf("not the demo's JSON report (%v): %.80q", err, data)
	}
}

// nullDevice returns a character device like /dev/null to write to. As
// root (who could replace /dev/null itself if -o went wrong) it is a new
// node in dir; otherwise /dev/null, which a user cannot replace.
func nullDevice(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return "/dev/null"
	}
	p := filepath.Join(dir, "null")
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod: %v", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("the device cannot be opened here (nodev mount?): %v", err)
	}
	f.Close()
	return p
}

// TestOutputKeepsWhatIsThere checks that -o writes through what the path
// names without replacing it: a FIFO stays a FIFO, a pipe's /dev/fd/N is
// written, a device stays a device, a symlink stays a symlink (its target
// is replaced), and a replaced file keeps its permissions.
func TestOutputKeepsWhatIsThere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			defer f.Close()
			data, _ := io.ReadAll(f)
			got <- data
		}()
		code, errs := demoJSON(t, fifo)
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO was replaced (exit %d): %v %v", code, fi.Mode(), err)
		}
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		select {
		case data := <-got:
			isReport(t, data)
		case <-time.After(10 * time.Second):
			t.Fatal("nothing read from the FIFO")
		}
	})

	t.Run("/dev/fd/N of a pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got := make(chan []byte, 1)
		go func() { data, _ := io.ReadAll(r); got <- data }()
		code, errs := demoJSON(t, fmt.Sprintf("/dev/fd/%d", w.Fd()))
		w.Close()
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		isReport(t, <-got)
	})

	t.Run("device", func(t *testing.T) {
		dev := nullDevice(t, dir)
		if code, errs := demoJSON(t, dev); code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		if fi, err := os.Lstat(dev); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("%s is no longer a device: %v %v", dev, fi.Mode(), err)
		}
	})

	t.Run("symlink to a file", func(t *testing.T) {
		target := filepath.Join(dir, "real.json")
		if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if code, errs := demoJSON(t, link); code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced: %v %v", fi.Mode(), err)
		}
		data, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		isReport(t, data)
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
			t.Errorf("target mode %v, want 0600 kept", fi.Mode().Perm())
		}
	})

	t.Run("file keeps its mode", func(t *testing.T) {
		p := filepath.Join(dir, "kept.json")
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o640); err != nil {
			t.Fatal(err)
		}
		if code, errs := demoJSON(t, p); code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v (%v), want 0640 kept", fi.Mode().Perm(), err)
		}
	})
}

// TestOutputCheckedFirst checks that a bad -o is a usage error found
// before the run (so before any reclaim), naming the user's path and never
// a temporary file.
func TestOutputCheckedFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, format, out string
		want              string
	}{
		{"missing directory", "json", filepath.Join(dir, "nope", "r.json"), "does not exist"},
		{"a directory (json)", "json", dir, "is a directory"},
		{"a directory (text)", "text", dir, "is a directory"},
		{"a directory (html)", "html", dir, "is a directory"},
		{"under a file", "text", filepath.Join(file, "r.txt"), "not a directory"},
		{"csv onto a file", "csv", file, "not a directory"},
		{"csv under a file", "csv", filepath.Join(file, "sub", "dir"), "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := spokeRun(t, env{}, []string{"-reclaim", "-format", tt.format, "-o", tt.out})
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and no report", code, out)
			}
			if !strings.Contains(errs, "-o "+tt.out) || !strings.Contains(errs, tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("stderr %q: want one line naming -o %s and %q", errs, tt.out, tt.want)
			}
			if strings.Contains(errs, ".spoke-") {
				t.Errorf("stderr names a temporary file: %q", errs)
			}
		})
	}
	// A csv directory that can be created is fine, and created.
	sub := filepath.Join(dir, "a", "b")
	if code, _, errs := spokeRun(t, env{}, []string{"-format", "csv", "-o", sub}); code != 0 {
		t.Fatalf("csv into a new directory: exit %d:\n%s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(sub, "positions.csv")); err != nil {
		t.Error(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".spoke-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestOutputNeverOverwritesInputs checks that -o naming a file the run
// reads or journals (the same path, another spelling of it, a symlink or a
// hard link to it, or for -format csv a table file in the directory) is a
// usage error found before the run, naming both settings, and leaves the
// file as it was.
func TestOutputNeverOverwritesInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	journal := file("journal.jsonl", "")
	ents := file("ents.json", "[]")
	protect := file("protect.txt", "ceo@example.com\n")
	token := file("token.json", `{"access_token":"x"}`)
	cfgEnts := file("cfg-ents.json", "[]")
	cfgToken := file("cfg-token.json", `{"access_token":"y"}`)
	cfg := file("accounts.json", `[{"name":"acme","aha_url":"https://acme.aha.io","token_file":"cfg-token.json","entitlements":"cfg-ents.json"}]`)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("ents.json", link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.json")
	if err := os.Link(ents, hard); err != nil {
		t.Fatal(err)
	}
	csvDir := filepath.Join(dir, "csv")
	if err := os.Mkdir(csvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	csvEnts := filepath.Join(csvDir, "positions.csv")
	if err := os.WriteFile(csvEnts, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	missingJournal := filepath.Join(dir, "new-journal.jsonl")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string // the setting named
	}{
		{"the journal", []string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-o", journal}, "-journal " + journal},
		{"the journal, without -reclaim", []string{"-journal", journal, "-o", journal}, "-journal " + journal},
		{"a journal not created yet", []string{"-reclaim", "-journal", missingJournal, "-o", missingJournal}, "-journal " + missingJournal},
		{"the entitlements", []string{"-entitlements", ents, "-o", ents}, "-entitlements " + ents},
		{"the entitlements, spelled otherwise", []string{"-entitlements", ents, "-o", filepath.Join(sub, "..", "ents.json")}, "-entitlements " + ents},
		{"a symlink to the entitlements", []string{"-entitlements", ents, "-o", link}, "-entitlements " + ents},
		{"a hard link to the entitlements", []string{"-entitlements", ents, "-o", hard}, "-entitlements " + ents},
		{"the protect file", []string{"-protect-file", protect, "-o", protect}, "-protect-file " + protect},
		{"the token file", []string{"-aha-url", "https://acme.aha.io", "-token-file", token, "-o", token}, "-token-file " + token},
		{"the config", []string{"-config", cfg, "-o", cfg}, "-config " + cfg},
		{"a profile's token file", []string{"-config", cfg, "-o", cfgToken}, `profile "acme": token_file ` + cfgToken},
		{"a profile's entitlements", []string{"-config", cfg, "-format", "html", "-o", cfgEnts}, `profile "acme": entitlements ` + cfgEnts},
		{"a csv table file", []string{"-entitlements", csvEnts, "-format", "csv", "-o", csvDir}, "-entitlements " + csvEnts},
	}
	before := map[string]string{}
	for _, p := range []string{journal, ents, protect, token, cfg, cfgEnts, cfgToken, csvEnts} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = string(data)
	}
	for _, tt := range tests {
		code, out, errs := spokeRun(t, env{}, tt.args)
		if code != 2 || out != "" {
			t.Errorf("%s: exit %d, stdout %q; want 2 and no report", tt.name, code, out)
		}
		if !strings.Contains(errs, "-o ") || !strings.Contains(errs, "same file as "+tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%s: stderr %q; want one line saying -o is the same file as %s", tt.name, errs, tt.want)
		}
	}
	for p, want := range before {
		if data, err := os.ReadFile(p); err != nil || string(data) != want {
			t.Errorf("%s changed: %q (%v), want %q", p, data, err, want)
		}
	}
	if _, err := os.Stat(missingJournal); err == nil {
		t.Errorf("%s was created", missingJournal)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".spoke-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	// A report next to its inputs is fine.
	if code, _, errs := spokeRun(t, env{}, []string{"-entitlements", ents, "-journal", journal, "-format", "json", "-o", filepath.Join(dir, "report.json")}); code != 0 {
		t.Errorf("a report beside its inputs: exit %d:\n%s", code, errs)
	}
}

// TestOutputNotTheDefaultJournal checks that -o naming the default
// journal of the account (in the user's config directory) is refused.
func TestOutputNotTheDefaultJournal(t *testing.T) {
	cfgHome := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	t.Setenv("HOME", cfgHome) // macOS: Library/Application Support under it
	def, err := defaultJournal("acme")
	if err != nil {
		t.Skip(err)
	}
	if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
		t.Fatal(err)
	}
	code, _, errs := spokeRun(t, env{}, []string{"-aha-url", "https://acme.aha.io", "-reclaim", "-o", def})
	if code != 2 || !strings.Contains(errs, "same file as the default reclaim journal "+def) {
		t.Errorf("exit %d, stderr %q; want 2 naming the default journal", code, errs)
	}
	if _, err := os.Stat(def); err == nil {
		t.Errorf("%s was written", def)
	}
}

// TestOutputDanglingSymlink checks that -o naming a symlink whose target's
// directory does not exist is refused before the run, and that one whose
// target can be created is written.
func TestOutputDanglingSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "dangling.txt")
	if err := os.Symlink(filepath.Join(dir, "nonexistent", "x"), bad); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "journal.jsonl")
	code, out, errs := spokeRun(t, env{}, []string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-o", bad})
	if code != 2 || out != "" || !strings.Contains(errs, "-o "+bad) || !strings.Contains(errs, "does not exist") {
		t.Errorf("exit %d, stderr %q; want 2 saying the symlink's directory does not exist", code, errs)
	}
	if _, err := os.Stat(journal); err == nil {
		t.Errorf("the run started: %s exists", journal)
	}
	// A csv directory holding such a symlink is refused the same way.
	csvDir := filepath.Join(dir, "csv")
	if err := os.Mkdir(csvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nonexistent", "y"), filepath.Join(csvDir, "actions.csv")); err != nil {
		t.Fatal(err)
	}
	code, _, errs = spokeRun(t, env{}, []string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "csv", "-o", csvDir})
	if code != 2 || !strings.Contains(errs, "actions.csv") || !strings.Contains(errs, "does not exist") {
		t.Errorf("csv: exit %d, stderr %q; want 2 naming actions.csv", code, errs)
	}
	// A dangling symlink into an existing directory: the report is
	// written where it points, and the symlink stays.
	good := filepath.Join(dir, "good.json")
	target := filepath.Join(dir, "target.json")
	if err := os.Symlink("target.json", good); err != nil {
		t.Fatal(err)
	}
	if code, errs := demoJSON(t, good); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	data, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	isReport(t, data)
}

// TestReportFailsAfterReclaim checks that when the report cannot be
// written after a reclaim applied actions, the error says so and where
// they are journaled.
func TestReportFailsAfterReclaim(t *testing.T) {
	t.Parallel()
	if f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err != nil {
		t.Skipf("no /dev/full: %v", err)
	} else {
		f.Close()
	}
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	code, _, errs := spokeRun(t, env{}, []string{"-reclaim", "-max-reclaim", "0", "-journal", journal, "-format", "json", "-o", "/dev/full"})
	applied := 0
	for _, e := range readJournal(t, journal) {
		if e.Outcome == "applied" {
			applied++
		}
	}
	if applied == 0 {
		t.Fatalf("the demo reclaim applied nothing (exit %d):\n%s", code, errs)
	}
	want := fmt.Sprintf("the reclaim ran: %d actions applied in Aha!", applied)
	if code != 1 || !strings.Contains(errs, "writing the report: -o /dev/full") || !strings.Contains(errs, want) || !strings.Contains(errs, "journaled in "+journal) {
		t.Errorf("exit %d, stderr %q; want 1 saying %q and the journal", code, errs, want)
	}
}
