package dump

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// PrivateDir is a temporary directory only this user can enter (0700), for
// the 0600 option and password files a child reads its secrets from. Remove
// it with a defer right after creating it, so that it goes whatever happens.
type PrivateDir struct {
	path string
}

// NewPrivateDir creates a PrivateDir under base ("" means the system temp
// dir), named for this process (see privateDirPattern), so that the next
// start can remove it should this process be killed before its deferred
// removal runs (SweepPrivateDirs).
func NewPrivateDir(base string) (*PrivateDir, error) {
	p, err := os.MkdirTemp(base, privateDirPattern())
	if err != nil {
		return nil, fmt.Errorf("creating private temp dir: %w", err)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		_ = os.RemoveAll(p)
		return nil, fmt.Errorf("creating private temp dir: %w", err)
	}
	return &PrivateDir{path: p}, nil
}

// Path is the directory's absolute path.
func (d *PrivateDir) Path() string { return d.path }

// WriteFile creates name (a plain file name) in the directory with mode 0600
// and returns its path. It never follows or reuses an existing file.
func (d *PrivateDir) WriteFile(name string, data []byte) (string, error) {
	if name == "" || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return "", errors.New("private dir: bad file name")
	}
	p := filepath.Join(d.path, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(p)
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	return p, nil
}

// Remove deletes the directory and everything in it.
func (d *PrivateDir) Remove() error {
	return os.RemoveAll(d.path)
}
