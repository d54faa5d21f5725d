package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// outKind is what -o names.
type outKind int

const (
	// outNew: nothing is there yet; the report is written through a
	// temporary file renamed into place.
	outNew outKind = iota
	// outRegular: a regular file (possibly behind a symlink, which is
	// resolved and kept): replaced through a temporary file in its
	// directory, keeping its permissions.
	outRegular
	// outStream: a device, a FIFO, a socket, /dev/stdout or /dev/fd/N, or a
	// symlink to one: opened and written in place, never replaced.
	outStream
	// outDangling: a symlink to nothing: the file it names is created.
	outDangling
)

// outTarget is where a report goes.
type outTarget struct {
	kind outKind
	// path is the file to write: for a symlink to a regular file, the
	// file it resolves to.
	path string
	// mode is the permission of the file replaced (outRegular).
	mode fs.FileMode
	// appendOnly opens a regular file reached through /dev or /proc (like
	// /dev/stdout redirected to a file) for appending, as a shell would.
	appendOnly bool
}

// newFileMode is the permission of a report file -o creates: a report is
// meant to be read and shared.
const newFileMode fs.FileMode = 0o644

// isDevPath reports whether path is under /dev or /proc, where a symlink
// names a stream of this process (/dev/stdout, /dev/fd/N, /proc/self/fd/N)
// rather than a file to replace.
func isDevPath(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	return strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/")
}

// resolveOutput says how to write a report to path, without changing
// anything. Its errors are one line naming path as the user gave it.
func resolveOutput(path string) (outTarget, error) {
	fi, err := os.Lstat(path) //nolint:gosec // G703: the path is the report file the user named with -o
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		di, err := os.Stat(dir) //nolint:gosec // G703: the path is the report file the user named with -o
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return outTarget{}, fmt.Errorf("-o %s: the directory %s does not exist", path, dir)
		case err != nil:
			return outTarget{}, fmt.Errorf("-o %s: %w", path, pathCause(err))
		case !di.IsDir():
			return outTarget{}, fmt.Errorf("-o %s: %s is not a directory", path, dir)
		}
		return outTarget{kind: outNew, path: path, mode: newFileMode}, nil
	}
	if err != nil {
		return outTarget{}, fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return outTarget{kind: outRegular, path: path, mode: m.Perm()}, nil
	case m.IsDir():
		return outTarget{}, fmt.Errorf("-o %s: is a directory; name a file (only -format csv writes a directory)", path)
	case m&fs.ModeSymlink == 0:
		return outTarget{kind: outStream, path: path}, nil
	}
	// A symlink: what it points to decides.
	st, err := os.Stat(path) //nolint:gosec // G703: the path is the report file the user named with -o
	if errors.Is(err, fs.ErrNotExist) {
		return outTarget{kind: outDangling, path: path, mode: newFileMode}, nil
	}
	if err != nil {
		return outTarget{}, fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return outTarget{}, fmt.Errorf("-o %s: is a directory; name a file (only -format csv writes a directory)", path)
	case !m.IsRegular():
		return outTarget{kind: outStream, path: path}, nil
	case isDevPath(path):
		return outTarget{kind: outStream, path: path, appendOnly: true}, nil
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return outTarget{}, fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	return outTarget{kind: outRegular, path: resolved, mode: st.Mode().Perm()}, nil
}

// pathCause is err without the path a *fs.PathError repeats (the caller
// names the user's path).
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkOutput checks up front that a report can be written to path, so a
// bad -o stops the run before anything is read or reclaimed. It creates
// nothing that stays.
func checkOutput(path string) error {
	t, err := resolveOutput(path)
	if err != nil {
		return err
	}
	switch t.kind {
	case outNew, outRegular:
		return probeDir(path, filepath.Dir(t.path))
	case outDangling:
		// The report is created where the symlink points: that
		// directory must exist and take a new file.
		target := canonicalPath(path)
		dir := filepath.Dir(target)
		di, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("-o %s: is a symlink to %s, whose directory %s does not exist", path, target, dir)
		case err != nil:
			return fmt.Errorf("-o %s: is a symlink to %s: %w", path, target, pathCause(err))
		case !di.IsDir():
			return fmt.Errorf("-o %s: is a symlink to %s, but %s is not a directory", path, target, dir)
		}
		return probeDir(path, dir)
	}
	return nil
}

// maxLinks bounds the symlinks canonicalPath follows, like the kernel's
// ELOOP limit.
const maxLinks = 40

// canonicalPath is the absolute path that path names once every symlink
// is followed, also when the file (or a symlink's target) does not exist
// yet: the existing part is resolved and the rest kept as written.
func canonicalPath(path string) string {
	return canonical(path, 0)
}

func canonical(path string, depth int) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	dir := filepath.Dir(abs)
	if dir == abs || depth > maxLinks {
		return abs
	}
	abs = filepath.Join(canonical(dir, depth+1), filepath.Base(abs))
	if target, err := os.Readlink(abs); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return canonical(target, depth+1)
	}
	return abs
}

// sameFile reports whether paths a and b name one file: the same file
// (hard links included) when both exist, else the same canonical path.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	return canonicalPath(a) == canonicalPath(b)
}

// runFile is a file a run reads, or writes besides the report (the
// reclaim journal, a refreshed token), named as the user gave it.
type runFile struct {
	label string // where it comes from, such as -journal or a profile's token_file
	path  string
}

// checkOutputClash refuses an -o that would overwrite one of files: for
// -format csv, one of the files it writes in the directory out. A device,
// FIFO or /dev/stdout is written in place, never replaced: it is no clash.
func checkOutputClash(out, format string, files []runFile) error {
	targets := []string{out}
	if format == "csv" {
		targets = targets[:0]
		for _, t := range csvTables(&Report{}) {
			targets = append(targets, filepath.Join(out, t.file))
		}
	}
	for _, target := range targets {
		if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
			continue
		}
		for _, f := range files {
			if f.path == "" || !sameFile(target, f.path) {
				continue
			}
			what := "is"
			if target != out {
				what = "would write " + target + ", which is"
			}
			return fmt.Errorf("-o %s: %s the same file as %s %s; the report would overwrite it: name another file", out, what, f.label, f.path)
		}
	}
	return nil
}

// probeDir checks that a file can be created in dir (the report is
// written there through a temporary file).
func probeDir(path, dir string) error {
	f, err := os.CreateTemp(dir, ".spoke-probe-*")
	if err != nil {
		return fmt.Errorf("-o %s: cannot write in %s: %w", path, dir, pathCause(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// checkOutputDir checks up front that -format csv can write its files in
// dir: an existing directory, or one that can be created.
func checkOutputDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("-o %s: is not a directory; -format csv writes one file per table into a directory", dir)
		}
		if err := probeDir(dir, dir); err != nil {
			return err
		}
		// A table's file already there (a symlink, say) must be
		// writable too.
		for _, t := range csvTables(&Report{}) {
			file := filepath.Join(dir, t.file)
			if _, err := os.Lstat(file); err == nil {
				if err := checkOutput(file); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("-o %s: %w", dir, pathCause(err))
	}
	// Missing: the nearest existing ancestor must be a directory we can
	// create in.
	parent := filepath.Dir(filepath.Clean(dir))
	for {
		pi, err := os.Stat(parent)
		if err == nil {
			if !pi.IsDir() {
				return fmt.Errorf("-o %s: cannot be created: %s is not a directory", dir, parent)
			}
			return probeDir(dir, parent)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-o %s: %w", dir, pathCause(err))
		}
		up := filepath.Dir(parent)
		if up == parent {
			return fmt.Errorf("-o %s: cannot be created", dir)
		}
		parent = up
	}
}

// writeOutput writes a report to path. A missing file or a regular one
// (also behind a symlink, which stays) is written through a temporary file
// in the same directory, renamed into place once complete; a regular file
// replaced keeps its permissions. Anything else (a device such as
// /dev/null, a FIFO, /dev/stdout, /dev/fd/N) is opened and written in
// place: -o never turns it into a regular file. Errors name path, never a
// temporary file.
func writeOutput(path string, write func(io.Writer) error) error {
	t, err := resolveOutput(path)
	if err != nil {
		return err
	}
	switch t.kind {
	case outStream, outDangling:
		flags := os.O_WRONLY
		if t.appendOnly {
			flags |= os.O_APPEND
		}
		if t.kind == outDangling {
			flags |= os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, t.mode) //nolint:gosec // G304: the path is the report file the user named with -o
		if err != nil {
			return fmt.Errorf("-o %s: %w", path, pathCause(err))
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("-o %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("-o %s: %w", path, pathCause(err))
		}
		return nil
	}
	dir := filepath.Dir(t.path)
	f, err := os.CreateTemp(dir, ".spoke-report-*")
	if err != nil {
		return fmt.Errorf("-o %s: cannot write in %s: %w", path, dir, pathCause(err))
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	if err := os.Chmod(f.Name(), t.mode); err != nil {
		return fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	if err := os.Rename(f.Name(), t.path); err != nil {
		return fmt.Errorf("-o %s: %w", path, pathCause(err))
	}
	return nil
}
