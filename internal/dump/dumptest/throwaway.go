package dumptest

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Throwaway is a database server a test starts for itself, for what the
// shared test servers cannot show (a binary log, password authentication).
type Throwaway struct {
	// Dir holds the server's data, socket and log; it is removed at cleanup.
	Dir string
	// Cred is the system user the server must run as when the test runs as
	// root (database servers refuse to run as root); nil otherwise.
	Cred *syscall.Credential

	t testing.TB
}

// NewThrowaway makes the directory for a throwaway server, its name starting
// with prefix. When the test runs as root, the directory is handed to the
// system user owner, and the test is skipped when there is no such user.
//
// The directory is made in the system temp dir rather than by t.TempDir:
// its path stays short enough for a socket, and the server's user can reach it.
func NewThrowaway(t testing.TB, prefix, owner string) *Throwaway {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Throwaway{Dir: dir, t: t}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(owner)
		if err != nil {
			t.Skipf("running as root and there is no %s user", owner)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.Cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return s
}

// Start starts srv with its stdout and stderr in the file server.log in Dir
// and waits until ready returns nil. At cleanup the server is sent stop, and
// SIGKILL should it still run 20 seconds later. The test fails, showing the
// log, when the server exits or is not ready within 30 seconds.
func (s *Throwaway) Start(srv *exec.Cmd, stop os.Signal, ready func() error) {
	t := s.t
	t.Helper()
	logFile := filepath.Join(s.Dir, "server.log")
	log, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close() // the server has its own descriptor
	srv.Stdout, srv.Stderr = log, log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(stop)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
	})
	readLog := func() string {
		b, _ := os.ReadFile(logFile)
		return string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("throwaway server did not come up: %v\n%s", err, readLog())
		}
		select {
		case <-done:
			t.Fatalf("throwaway server exited\n%s", readLog())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
