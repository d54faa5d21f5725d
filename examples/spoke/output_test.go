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
