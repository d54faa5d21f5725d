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
	if t.kind == outNew || t.kind == outRegular {
		return probeDir(path, filepath.Dir(t.path))
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
		return probeDir(dir, dir)
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
