package oauthflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/oauth2"
)

// ErrNoToken means no token has been stored yet.
var ErrNoToken = errors.New("oauthflow: no Aha! token is stored")

// TokenStore keeps one OAuth2 token between runs. Implementations must be
// safe for concurrent use and must not log the token.
type TokenStore interface {
	// Load returns the stored token, or an error wrapping ErrNoToken when
	// there is none.
	Load(ctx context.Context) (*oauth2.Token, error)
	// Save replaces the stored token.
	Save(ctx context.Context, t *oauth2.Token) error
}

// PermissionError means a token file can be read by users other than its
// owner. [FileStore.Load] refuses such a file rather than use a token others
// may have copied.
type PermissionError struct {
	Path string      // the token file
	Mode fs.FileMode // its permission bits, of which group or other ones are set
}

// Error names the file and its mode and says how to fix it.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("oauthflow: token file %s is readable by group or others (mode %04o); restrict it with: chmod 600 %s",
		e.Path, e.Mode.Perm(), e.Path)
}

// TokenFileError means a token file exists but does not hold a usable token.
type TokenFileError struct {
	Path   string // the token file
	Reason string // "is empty", "is not valid JSON (syntax error at byte 12)", ...
}

// Error names the file, what is wrong with it, and how to store a new
// token.
func (e *TokenFileError) Error() string {
	return "oauthflow: token file " + e.Path + " " + e.Reason + "; to store a new token, " + connectHint
}

// TokenPathError means a token file cannot be written where its path says:
// the path is a directory or names no file, or its directory cannot be
// created or written. [FileStore.Save] and [FileStore.CheckWritable] return
// it before anything is written.
type TokenPathError struct {
	Path   string // the token file as given
	Reason string // "is a directory; give a file path such as /tmp/aha-token.json", ...
}

// Error names the path and what is wrong with it.
func (e *TokenPathError) Error() string {
	return "oauthflow: token file " + e.Path + " " + e.Reason
}

// DefaultTokenPath returns the default token file,
// os.UserConfigDir()/samspoke/aha-token.json.
func DefaultTokenPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("oauthflow: no default token file: %w", err)
	}
	return filepath.Join(dir, "samspoke", defaultTokenName), nil
}

// FileStore is a [TokenStore] in one JSON file readable by its owner only
// (mode 0600, directory 0700). Save replaces the file atomically: a crash
// leaves either the old token or the new one, never a torn file.
type FileStore struct {
	// Path is the token file. Its directory is created on Save.
	Path string
}

// fileToken is the on-disk format.
type fileToken struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
}

// Load reads the token. It fails with an error wrapping [ErrNoToken] when the
// file does not exist, a [*PermissionError] when group or others may read
// it, and a [*TokenFileError] when it is empty or malformed.
func (s *FileStore) Load(ctx context.Context) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoToken, s.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("oauthflow: read token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("oauthflow: read token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &TokenFileError{Path: s.Path, Reason: "is not a regular file"}
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, &PermissionError{Path: s.Path, Mode: fi.Mode().Perm()}
	}
	data, err := readLimited(f, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("oauthflow: read token file: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &TokenFileError{Path: s.Path, Reason: "is empty"}
	}
	var ft fileToken
	if err := json.Unmarshal(data, &ft); err != nil {
		// Never quote json's message: it can echo bytes of the token.
		reason := "does not have the expected fields"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			reason = fmt.Sprintf("is not valid JSON (syntax error at byte %d)", se.Offset)
		}
		return nil, &TokenFileError{Path: s.Path, Reason: reason}
	}
	if ft.AccessToken == "" {
		return nil, &TokenFileError{Path: s.Path, Reason: "has no access_token"}
	}
	t := &oauth2.Token{AccessToken: ft.AccessToken, TokenType: ft.TokenType, RefreshToken: ft.RefreshToken}
	if ft.Expiry != nil {
		t.Expiry = ft.Expiry.UTC()
	}
	return t, nil
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is larger than %d bytes", limit)
	}
	return data, nil
}

// checkTarget refuses a Path that Save could not replace with a file: an
// empty one, one ending in a separator, an existing directory or another
// non-regular file (a device, a FIFO, a socket). A missing file is fine.
func (s *FileStore) checkTarget() error {
	switch {
	case s.Path == "":
		return &TokenPathError{Path: `""`, Reason: "is empty; give a file path such as " + filepath.Join("DIR", defaultTokenName)}
	case os.IsPathSeparator(s.Path[len(s.Path)-1]):
		return &TokenPathError{Path: s.Path, Reason: "ends with a path separator; give a file path such as " + filepath.Join(s.Path, defaultTokenName)}
	}
	fi, err := os.Stat(s.Path)
	switch {
	case err != nil:
		// Missing, or unreachable (its directory is a file or cannot be
		// searched): creating the directory and the file says which.
		return nil
	case fi.IsDir():
		return &TokenPathError{Path: s.Path, Reason: "is a directory; give a file path such as " + filepath.Join(s.Path, defaultTokenName)}
	case !fi.Mode().IsRegular():
		return &TokenPathError{Path: s.Path, Reason: "is not a regular file (" + fi.Mode().Type().String() + "); give the path of a regular file"}
	}
	return nil
}

// pathErrReason is err without the path a *fs.PathError repeats.
func pathErrReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// defaultTokenName is the file name DefaultTokenPath uses, suggested when a
// path names a directory.
const defaultTokenName = "aha-token.json"

// CheckWritable reports, without writing a token, whether Save can write
// Path: it is not a directory or another non-regular file, its directory
// exists or can be created (mode 0700), and a file can be created in that
// directory (probed with a temporary file, removed at once). Call it before
// asking a user to authorize, so that a bad path does not waste the
// authorization. Its errors are [*TokenPathError]s.
func (s *FileStore) CheckWritable() error {
	if err := s.checkTarget(); err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &TokenPathError{Path: s.Path, Reason: "cannot be written: its directory " + dir + " cannot be created: " + pathErrReason(err)}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(s.Path)+".*.probe")
	if err != nil {
		return &TokenPathError{Path: s.Path, Reason: "cannot be written: no file can be created in " + dir + ": " + pathErrReason(err)}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Save writes t atomically: a temporary file in the same directory, written
// with mode 0600, synced, then renamed over the token file. A Path that is a
// directory, or otherwise no place for a file, is refused with a
// [*TokenPathError] before anything is written.
func (s *FileStore) Save(ctx context.Context, t *oauth2.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t == nil || t.AccessToken == "" {
		return errors.New("oauthflow: refusing to save a token without an access token")
	}
	if err := s.checkTarget(); err != nil {
		return err
	}
	ft := fileToken{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		ft.Expiry = &e
	}
	data, err := json.MarshalIndent(ft, "", "  ")
	if err != nil {
		return fmt.Errorf("oauthflow: encode token: %w", err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &TokenPathError{Path: s.Path, Reason: "cannot be written: its directory " + dir + " cannot be created: " + pathErrReason(err)}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.Path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("oauthflow: write token file: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("oauthflow: write token file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("oauthflow: write token file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("oauthflow: write token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("oauthflow: write token file: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("oauthflow: replace token file: %w", err)
	}
	ok = true
	// Make the rename durable; not every platform can sync a directory.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// String names the store without its contents.
func (s *FileStore) String() string { return "oauthflow.FileStore(" + s.Path + ")" }
