package instancelock

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holderEnv tells TestHelperHoldingProcess which catalog to lock.
const holderEnv = "GOSQLGUARD_TEST_HOLD_LOCK"

// holderSince is the start time the helper process records.
var holderSince = time.Date(2026, 11, 30, 9, 12, 3, 0, time.UTC)

// child is a helper process that holds a catalog's lock.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// holdInChild starts this test binary as a process that takes the lock of
// catalog, and returns once it holds it. Closing its stdin makes it release
// the lock and exit 0; it is killed at cleanup.
func holdInChild(t *testing.T, catalog string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldingProcess$")
	cmd.Env = append(os.Environ(), holderEnv+"="+catalog)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	if line := c.line(t); line != "held" {
		t.Fatalf("helper process: %q, want held", line)
	}
	return c
}

// line reads the child's next output line, failing after 30 s.
func (c *child) line(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		s, _ := c.out.ReadString('\n')
		got <- strings.TrimSpace(s)
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("helper process said nothing for 30 s")
		return ""
	}
}

// TestHelperHoldingProcess is the process holdInChild starts: it holds the
// lock until its stdin closes, then releases it and says so.
func TestHelperHoldingProcess(t *testing.T) {
	catalog := os.Getenv(holderEnv)
	if catalog == "" {
		t.Skip("a helper process, run by holdInChild")
	}
	l, err := Acquire(catalog, Holder{Since: holderSince, Version: "v9.8.7"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("held")
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
	}
	if err := l.Release(); err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("released")
	os.Exit(0)
}

func readRecord(t *testing.T, path string) Holder {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("lock file %s: %v: %q", path, err, b)
	}
	return h
}

func TestAcquireWritesHolderPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	catalog := filepath.Join(dir, "catalog.db")
	start := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 3600))
	l, err := Acquire(catalog, Holder{Since: start, Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if l.Path() != catalog+".lock" {
		t.Errorf("Path() = %q, want %q", l.Path(), catalog+".lock")
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, l.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	host, _ := os.Hostname()
	got := readRecord(t, l.Path())
	want := Holder{PID: os.Getpid(), Host: host, Since: time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC), Version: "v1.2.3"}
	if got != want {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	b, _ := os.ReadFile(l.Path())
	if !strings.Contains(string(b), `"since":"2026-01-02T02:04:05Z"`) {
		t.Errorf("since is not RFC 3339 UTC: %s", b)
	}
	if _, err := os.Stat(catalog); !os.IsNotExist(err) {
		t.Errorf("Acquire touched the catalog itself: %v", err)
	}
}

// A second daemon, in another process, is refused with ErrHeld and a
// message naming the holder; once the holder releases, the lock is free.
func TestSecondProcessIsRefusedUntilRelease(t *testing.T) {
	catalog := filepath.Join(t.TempDir(), "catalog.db")
	c := holdInChild(t, catalog)

	_, err := Acquire(catalog, Holder{})
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire: %v, want ErrHeld", err)
	}
	var he *HeldError
	if !errors.As(err, &he) || he.Holder == nil {
		t.Fatalf("second Acquire: %#v, want a *HeldError naming the holder", err)
	}
	host, _ := os.Hostname()
	want := fmt.Sprintf("catalog %s is in use by another gosqlguard serve (pid %d on host %s, version v9.8.7, running since 2026-11-30T09:12:03Z); "+
		"only one daemon may use an SQLite catalog: stop it first, or use a shared catalog (postgres or mysql) to run several",
		catalog, c.cmd.Process.Pid, host)
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	// The refused attempt left the holder's record alone.
	if got := readRecord(t, catalog+".lock"); got.PID != c.cmd.Process.Pid {
		t.Errorf("record after the refusal = %+v", got)
	}

	c.stdin.Close()
	if line := c.line(t); line != "released" {
		t.Fatalf("helper process: %q, want released", line)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if b, err := os.ReadFile(catalog + ".lock"); err != nil || len(b) != 0 {
		t.Errorf("lock file after release: %q, %v; want it there and empty", b, err)
	}
	l, err := Acquire(catalog, Holder{})
	if err != nil {
		t.Fatalf("Acquire after the holder released: %v", err)
	}
	if got := readRecord(t, l.Path()); got.PID != os.Getpid() {
		t.Errorf("record = %+v, want this process", got)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// A holder killed with SIGKILL cannot release; the kernel does, and its
// stale record does not get in the way.
func TestKilledHolderLeavesNoStaleLock(t *testing.T) {
	catalog := filepath.Join(t.TempDir(), "catalog.db")
	c := holdInChild(t, catalog)
	if _, err := Acquire(catalog, Holder{}); !errors.Is(err, ErrHeld) {
		t.Fatalf("Acquire while the child holds it: %v, want ErrHeld", err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	if got := readRecord(t, catalog+".lock"); got.PID != c.cmd.Process.Pid {
		t.Fatalf("the killed holder's record = %+v, want its pid %d still written", got, c.cmd.Process.Pid)
	}
	l, err := Acquire(catalog, Holder{Version: "v2"})
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	if got := readRecord(t, l.Path()); got.PID != os.Getpid() || got.Version != "v2" {
		t.Errorf("record = %+v, want this process's", got)
	}
}

func TestReleaseThenAcquireAgain(t *testing.T) {
	catalog := filepath.Join(t.TempDir(), "catalog.db")
	l, err := Acquire(catalog, Holder{})
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, not the process: a second open
	// in this process is refused too.
	if _, err := Acquire(catalog, Holder{}); !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire in the same process: %v, want ErrHeld", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	l2, err := Acquire(catalog, Holder{})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

// Two spellings of one catalog (through a symlinked directory) share a lock.
func TestSymlinkedCatalogSharesTheLock(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(filepath.Join(real, "catalog.db"), Holder{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := Acquire(filepath.Join(dir, "link", "catalog.db"), Holder{}); !errors.Is(err, ErrHeld) {
		t.Errorf("Acquire through the symlink: %v, want ErrHeld", err)
	}
}

// A lock held by a process that wrote no record (or a record that is not
// this package's) is still refused; the message says the holder is unknown.
func TestHeldWithoutRecord(t *testing.T) {
	defer func(w time.Duration) { recordWait = w }(recordWait)
	recordWait = 100 * time.Millisecond
	catalog := filepath.Join(t.TempDir(), "catalog.db")
	f, err := os.OpenFile(catalog+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ content, want string }{
		{"", "holder unknown: " + catalog + ".lock names no holder"},
		{"garbage", "does not name a holder: \"garbage\""},
		{`{"pid":` + strconv.Itoa(1<<22+12345) + `,"host":"` + hostname() + `","since":"2026-01-01T00:00:00Z"}`, "which is gone"},
	} {
		if err := f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(tc.content), 0); err != nil {
			t.Fatal(err)
		}
		_, err := Acquire(catalog, Holder{})
		var he *HeldError
		if !errors.As(err, &he) || he.Holder != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("content %q: %v, want ErrHeld with %q", tc.content, err, tc.want)
		}
	}
}

func hostname() string { h, _ := os.Hostname(); return h }

func TestAcquireErrors(t *testing.T) {
	if _, err := Acquire("", Holder{}); err == nil {
		t.Error("Acquire(\"\") succeeded")
	}
	// The lock's directory is a file: not ErrHeld, and it says where.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(filepath.Join(file, "catalog.db"), Holder{})
	if err == nil || errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), file) {
		t.Errorf("Acquire under a file: %v", err)
	}
}
