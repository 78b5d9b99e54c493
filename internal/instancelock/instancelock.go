// Package instancelock keeps a second `gosqlguard serve` off an SQLite
// catalog that a running daemon uses: two daemons on one catalog would each
// run the schedule, recover "crashed" runs the other is doing and sweep the
// other's files.
//
// The lock is an exclusive flock(2) on a file beside the catalog (the
// catalog's path + ".lock"). The kernel drops a flock when the last
// descriptor of its open file goes, that is when the process ends however
// it ends: a daemon killed with SIGKILL or by the OOM killer leaves no stale
// lock behind, and nothing has to guess whether a recorded holder is alive.
// The descriptor is opened close-on-exec (Go's default), so the dump tools
// the daemon starts do not inherit it and cannot keep the lock alive after
// the daemon died.
//
// While the lock is held its file names the holder (host, PID, since when,
// version) as one JSON line, so that a refused start can say who is in the
// way. flock is advisory and per host: it keeps out the processes that ask
// for it (every `gosqlguard serve`), and on a network file system it may
// not reach across machines (where SQLite itself is unsafe anyway).
package instancelock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Suffix is appended to the catalog's path to name its lock file.
const Suffix = ".lock"

// ErrHeld is wrapped by the error of Acquire when another process holds the
// lock. The error is a *HeldError.
var ErrHeld = errors.New("catalog is locked by another daemon")

// Holder is the process that holds a lock, as its lock file records it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`             // when the daemon started, UTC, to the second
	Version string    `json:"version,omitempty"` // program version; "" when unknown
}

// HeldError is the refusal of Acquire: another process holds the lock of
// Catalog. Holder is nil when its lock file could not be read or named no
// holder (see Reason).
type HeldError struct {
	Catalog string // the catalog path as given to Acquire
	Holder  *Holder
	Reason  string // why the holder is unknown; "" when Holder is set
}

func (e *HeldError) Error() string {
	who := "holder unknown: " + e.Reason
	if h := e.Holder; h != nil {
		who = fmt.Sprintf("pid %d on host %s", h.PID, h.Host)
		if h.Version != "" {
			who += ", version " + h.Version
		}
		who += ", running since " + h.Since.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("catalog %s is in use by another gosqlguard serve (%s); "+
		"only one daemon may use an SQLite catalog: stop it first, "+
		"or use a shared catalog (postgres or mysql) to run several", e.Catalog, who)
}

// Unwrap makes errors.Is(err, ErrHeld) hold.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held lock. Release it when the daemon stops; the process's end
// releases it too.
type Lock struct {
	path string
	mu   sync.Mutex
	f    *os.File // nil once released
}

// How long a refused Acquire waits for the holder's record when the lock
// file names nobody yet (a holder between its flock and its write) or a
// process of this host that is gone (the record of an earlier holder, about
// to be overwritten).
var (
	recordWait  = time.Second
	recordRetry = 20 * time.Millisecond
)

// maxRecord bounds what is read of a lock file.
const maxRecord = 4096

// Acquire takes the lock of the SQLite catalog at catalogPath without
// waiting: an exclusive flock on catalogPath+".lock" (the lock file sits
// beside the catalog's real file when catalogPath is a symlink). The lock
// file is created with mode 0600, its directory with mode 0700, like the
// catalog. self names the caller; a zero PID, Host or Since is filled in
// with this process's PID, the host name and the current time.
//
// Once the lock is taken the file is rewritten with self (truncate, write,
// fsync). When another process holds the lock the error is a *HeldError
// (errors.Is(err, ErrHeld)) naming that holder; any other error (the
// directory cannot be made, the file system has no flock) is returned
// wrapped with the lock file's path.
func Acquire(catalogPath string, self Holder) (*Lock, error) {
	if catalogPath == "" {
		return nil, errors.New("catalog lock: empty catalog path")
	}
	path := lockPath(catalogPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("catalog lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("catalog lock %s: %w", path, err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder, reason := readHolder(f)
			return nil, &HeldError{Catalog: catalogPath, Holder: holder, Reason: reason}
		}
		return nil, fmt.Errorf("catalog lock %s: flock: %w", path, err)
	}
	if err := writeHolder(f, fill(self)); err != nil {
		_ = flock(f, unix.LOCK_UN)
		_ = f.Close()
		return nil, fmt.Errorf("catalog lock %s: write holder: %w", path, err)
	}
	return &Lock{path: path, f: f}, nil
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release empties the lock file, unlocks it and closes it. Calls after the
// first do nothing.
//
// The file itself stays. Removing it would race with the next daemon: a
// process that opened the file just before the unlink would take the lock
// on the unlinked file, while a third one creates a new file under the same
// name and locks that one, and both would run. Emptying it first keeps it
// from naming a holder that is gone (a killed holder's record stays, but
// nobody reads a record without finding the lock held).
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	_ = f.Truncate(0)
	errUnlock := flock(f, unix.LOCK_UN)
	errClose := f.Close()
	if err := errors.Join(errUnlock, errClose); err != nil {
		return fmt.Errorf("catalog lock %s: release: %w", l.path, err)
	}
	return nil
}

// lockPath is the lock file of the catalog at catalogPath: beside the file
// the path resolves to, so that two spellings of one catalog (a symlink, a
// symlinked directory) share one lock.
func lockPath(catalogPath string) string {
	p, err := filepath.Abs(catalogPath)
	if err != nil {
		p = catalogPath
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(dir, filepath.Base(p)) // the catalog does not exist yet
	}
	return p + Suffix
}

// flock is flock(2) on f, retried when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func fill(h Holder) Holder {
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	if h.Since.IsZero() {
		h.Since = time.Now()
	}
	h.Since = h.Since.UTC().Truncate(time.Second)
	return h
}

// writeHolder replaces the content of f with h's record and syncs it.
func writeHolder(f *os.File, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads the record of the process holding f's lock. A holder
// that has just taken the lock may not have written its record yet, and
// the file may still hold the record of an earlier holder (killed, so its
// record was never emptied): both are waited out for up to recordWait.
// When no plausible record comes, the holder is nil and reason says why.
func readHolder(f *os.File) (holder *Holder, reason string) {
	host, _ := os.Hostname()
	deadline := time.Now().Add(recordWait)
	for {
		h, reason := parseHolder(f)
		if h != nil && h.Host == host && !alive(h.PID) {
			h, reason = nil, fmt.Sprintf("the lock file names pid %d, which is gone", h.PID)
		}
		if h != nil || time.Now().After(deadline) {
			return h, reason
		}
		time.Sleep(recordRetry)
	}
}

func parseHolder(f *os.File) (*Holder, string) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, maxRecord))
	if err != nil {
		return nil, fmt.Sprintf("reading %s: %v", f.Name(), err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, f.Name() + " names no holder"
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil || h.PID <= 0 || h.Host == "" || h.Since.IsZero() {
		return nil, fmt.Sprintf("%s does not name a holder: %q", f.Name(), truncate(string(b), 200))
	}
	return &h, ""
}

// alive reports whether process pid of this host exists (signal 0; EPERM:
// it exists, as another user's).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
