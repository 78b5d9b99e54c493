package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// healthy reports whether the daemon of s answers /healthz with 200.
func healthy(s *setup) bool {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + s.listen + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// startHealthy starts a daemon on s and waits until it answers /healthz.
func startHealthy(t *testing.T, s *setup) *daemon {
	t.Helper()
	d := startDaemon(t, s)
	waitFor(t, 30*time.Second, func() bool { return healthy(s) }, func() string { return "no /healthz:\n" + d.log() })
	return d
}

// lockHolder is the record in the catalog's lock file.
func lockHolder(t *testing.T, s *setup) (pid int, since string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "catalog.db.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		PID   int    `json:"pid"`
		Since string `json:"since"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("lock file: %v: %q", err, b)
	}
	return rec.PID, rec.Since
}

// sameCatalogOtherPort writes a copy of s's config that listens elsewhere:
// a second daemon on the same catalog that, were it let in, would run (on
// the same address it would fail to listen anyway, and hide a missing lock).
func sameCatalogOtherPort(t *testing.T, s *setup) *setup {
	t.Helper()
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	b := *s
	b.listen = freeAddr(t)
	b.configPath = filepath.Join(s.dir, "second.yaml")
	doc := strings.Replace(string(cfg), fmt.Sprintf("listen: %q", s.listen), fmt.Sprintf("listen: %q", b.listen), 1)
	if doc == string(cfg) {
		t.Fatalf("no listen address in the config:\n%s", cfg)
	}
	if err := os.WriteFile(b.configPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return &b
}

// A second `gosqlguard serve` on the SQLite catalog of a running one (a
// rolling update) exits 1 at once, naming the first one's pid and start
// time, and the first one goes on. The one-shot commands still work beside
// the daemon. (That a one-shot backup of a job the daemon runs right now is
// refused with "already running" is TestBackupOfRunningJobIsRefused.)
func TestSecondServeIsRefused(t *testing.T) {
	db := newMariaDB(t, "lock")
	loadMariaDBFixture(t, db, 10)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{types: "  hourly: {schedule: \"@every 1h\"}\n"}) // never succeeded: a catch-up run at start
	a := startHealthy(t, s)
	aPID := a.cmd.Process.Pid
	if pid, _ := lockHolder(t, s); pid != aPID {
		t.Errorf("the lock file names pid %d, want the daemon's %d", pid, aPID)
	}
	_, since := lockHolder(t, s)

	second := sameCatalogOtherPort(t, s)
	b := startDaemon(t, second)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the second daemon still runs after 10 s:\n%s", b.log())
	}
	host, _ := os.Hostname()
	want := fmt.Sprintf("error: catalog %s is in use by another gosqlguard serve (pid %d on host %s, version dev, running since %s); only one daemon may use an SQLite catalog",
		filepath.Join(s.dir, "catalog.db"), aPID, host, since)
	if code := b.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(b.log(), want) {
		t.Errorf("second daemon: exit %d, stderr:\n%s\nwant exit 1 and %q", code, b.log(), want)
	}
	if strings.Contains(b.log(), "daemon started") || healthy(second) {
		t.Errorf("the second daemon started:\n%s", b.log())
	}

	if !healthy(s) {
		t.Fatalf("the first daemon stopped answering /healthz:\n%s", a.log())
	}
	if pid, _ := lockHolder(t, s); pid != aPID {
		t.Errorf("after the refusal the lock file names pid %d, want %d", pid, aPID)
	}
	// The first daemon's catch-up run goes on and succeeds.
	var done []listed
	waitFor(t, time.Minute, func() bool {
		done = s.listTimes(t, "--server", "my", "--status", "success")
		return len(done) == 1
	}, func() string { return fmt.Sprintf("%+v\n%s", s.listTimes(t), a.log()) })

	// One-shot commands beside the daemon.
	if res := s.mustRun(t, "list"); !strings.Contains(res.stdout, done[0].ID) {
		t.Errorf("list beside the daemon lacks the daemon's backup %s: %s", done[0].ID, res)
	}
	id := backupID(t, s.mustRun(t, "backup", "--server", "my", "--database", db))
	if got := s.show(t, id); got.Status != "success" {
		t.Errorf("one-shot backup beside the daemon: %+v", got)
	}

	if err, _ := a.stop(syscall.SIGTERM); err != nil {
		t.Errorf("first daemon exit: %v\n%s", err, a.log())
	}
	// Stopped cleanly, it leaves the lock file empty (and in place).
	if b, err := os.ReadFile(filepath.Join(s.dir, "catalog.db.lock")); err != nil || len(b) != 0 {
		t.Errorf("lock file after a clean stop: %q, %v", b, err)
	}
}

// A daemon killed with SIGKILL leaves no stale lock: the next one on the
// same catalog starts.
func TestInstanceLockFreedWhenTheDaemonIsKilled(t *testing.T) {
	db := newMariaDB(t, "lockkill")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{types: "  hourly: {schedule: \"@every 1h\"}\n"})
	a := startHealthy(t, s)
	a.stop(syscall.SIGKILL)
	if pid, _ := lockHolder(t, s); pid != a.cmd.Process.Pid {
		t.Fatalf("the killed daemon's record: pid %d, want %d", pid, a.cmd.Process.Pid)
	}

	next := startHealthy(t, s)
	if strings.Contains(next.log(), "in use by another") {
		t.Errorf("the next daemon saw a holder:\n%s", next.log())
	}
	if pid, _ := lockHolder(t, s); pid != next.cmd.Process.Pid {
		t.Errorf("the lock file names pid %d, want the new daemon's %d", pid, next.cmd.Process.Pid)
	}
	if err, _ := next.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, next.log())
	}
}
