package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is a running `gosqlguard serve`.
type daemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan error
}

func startDaemon(t *testing.T, s *setup) *daemon {
	t.Helper()
	return startDaemonWith(t, s, nil)
}

// startDaemonWith starts the daemon with attr as its SysProcAttr (nil: none).
func startDaemonWith(t *testing.T, s *setup, attr *syscall.SysProcAttr) *daemon {
	t.Helper()
	d := &daemon{t: t, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, "serve", "--config", s.configPath)
	d.cmd.SysProcAttr = attr
	d.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, s.env...) // s.env's PATH, when set, wins
	stderr, _ := d.cmd.StderrPipe()
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.logs.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.String()
}

// waitLog waits until the log contains s.
func (d *daemon) waitLog(s string, timeout time.Duration) {
	d.t.Helper()
	for deadline := time.Now().Add(timeout); !strings.Contains(d.log(), s); {
		if time.Now().After(deadline) {
			d.t.Fatalf("daemon never logged %q:\n%s", s, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop signals the daemon and returns its exit error and how long it took.
func (d *daemon) stop(sig syscall.Signal) (error, time.Duration) {
	start := time.Now()
	d.cmd.Process.Signal(sig)
	select {
	case err := <-d.done:
		return err, time.Since(start)
	case <-time.After(2 * time.Minute):
		d.t.Fatalf("daemon did not stop:\n%s", d.log())
	}
	return nil, 0
}

func (s *setup) list(t *testing.T, args ...string) []shown {
	t.Helper()
	var out []shown
	res := s.mustRun(t, append([]string{"list", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("list: %v\n%s", err, res.stdout)
	}
	return out
}

type listed struct {
	ID         string    `json:"id"`
	Server     string    `json:"server"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

func (s *setup) listTimes(t *testing.T, args ...string) []listed {
	t.Helper()
	var out []listed
	res := s.mustRun(t, append([]string{"list", "-o", "json"}, args...)...)
	json.Unmarshal([]byte(res.stdout), &out)
	return out
}

// A real daemon on an @every 10s schedule backs up MariaDB and PostgreSQL on
// time, and stops cleanly on SIGTERM.
func TestServeSchedules(t *testing.T) {
	my := newMariaDB(t, "serve")
	loadMariaDBFixture(t, my, 100)
	pg := newPostgresDB(t, "serve")
	loadPostgresFixture(t, pg, 100)
	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{my}},
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{pg}},
	}, options{types: "  often: {schedule: \"@every 10s\"}\n", retention: "{often: {keep: 2}}"})

	d := startDaemon(t, s)
	// Catch-up on start, then two ticks on multiples of 10s.
	deadline := time.Now().Add(40 * time.Second)
	for len(s.listTimes(t, "--server", "my", "--status", "success"))+len(s.listTimes(t, "--server", "my", "--status", "deleted")) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 3 backups after 40s:\n%s", d.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	err, took := d.stop(syscall.SIGTERM)
	if err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, d.log())
	}
	t.Logf("stopped in %s", took)

	all := s.listTimes(t)
	onTick := 0
	for _, b := range all {
		if b.Status != "success" && b.Status != "deleted" {
			t.Errorf("backup %s: %s", b.ID, b.Status)
		}
		if off := b.StartedAt.Sub(b.StartedAt.Truncate(10 * time.Second)); off < 2*time.Second {
			onTick++
		}
	}
	if onTick < 4 { // two ticks × two servers, besides the catch-up run
		t.Errorf("only %d backups started within 2s of a 10s tick: %+v", onTick, all)
	}
	for _, srv := range []string{"my", "pg"} {
		if n := len(s.listTimes(t, "--server", srv, "--status", "success")); n > 2 {
			t.Errorf("server %s: %d successful backups kept, retention keeps 2", srv, n)
		}
	}
	if !strings.Contains(d.log(), "retention: beyond the newest 2") {
		t.Errorf("retention did not run after backups:\n%s", d.log())
	}
}

// leftoverTemps lists temp files of unfinished writes under the storage.
func leftoverTemps(s *setup) []string {
	var out []string
	filepath.Walk(s.storageDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// SIGTERM during a long dump: the daemon waits for shutdown_timeout, then
// cancels it; the row is interrupted and nothing is stored. SIGKILL during a
// dump, then a restart: the row becomes interrupted and the leftovers go.
// A tick that finds its job still running is skipped and logged.
func TestServeShutdownAndCrashRecovery(t *testing.T) {
	db := bigMariaDB(t)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{types: "  often: {schedule: \"@every 1s\"}\n", extra: "daemon: {shutdown_timeout: 1s}\ncompression: {codec: gzip, level: 9}\n"})

	t.Run("overlapping tick is skipped", func(t *testing.T) {
		d := startDaemon(t, s)
		d.waitLog("skipped: previous run still running", time.Minute)
		t.Run("SIGTERM during a dump", func(t *testing.T) {
			if got := s.listTimes(t, "--status", "running"); len(got) != 1 {
				t.Fatalf("want one running backup, got %+v", got)
			}
			err, took := d.stop(syscall.SIGTERM)
			if err != nil {
				t.Fatalf("exit %v after SIGTERM:\n%s", err, d.log())
			}
			if took > 20*time.Second {
				t.Errorf("took %s to stop with a 1s shutdown timeout", took)
			}
			all := s.listTimes(t)
			if len(all) != 1 || all[0].Status != "interrupted" {
				t.Fatalf("catalog = %+v, want one interrupted backup (the skipped tick ran nothing)", all)
			}
			if files := storedFiles(t, s); len(files) != 0 {
				t.Errorf("storage holds %v after an interrupted backup", files)
			}
		})
	})

	t.Run("SIGKILL then restart", func(t *testing.T) {
		before := map[string]bool{}
		for _, b := range s.listTimes(t, "--status", "interrupted") {
			before[b.ID] = true
		}
		d := startDaemon(t, s)
		for deadline := time.Now().Add(time.Minute); len(leftoverTemps(s)) == 0; {
			if time.Now().After(deadline) {
				t.Fatalf("no dump in progress:\n%s", d.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
		d.stop(syscall.SIGKILL)
		// The next command (here list) marks the dead daemon's row interrupted.
		var running []string
		for _, b := range s.listTimes(t, "--status", "interrupted") {
			if !before[b.ID] {
				running = append(running, b.ID)
			}
		}
		if len(running) != 1 {
			t.Fatalf("after SIGKILL and a list want one more interrupted row, got %v", running)
		}
		if len(leftoverTemps(s)) == 0 {
			t.Fatal("SIGKILL left no temp file: the test proves nothing")
		}
		// A restart removes the leftovers. Keep it from starting a new dump: the schedule is disabled by a SIGTERM right after recovery.
		d2 := startDaemon(t, s)
		d2.waitLog("removed leftovers of unfinished backups", 30*time.Second)
		d2.stop(syscall.SIGTERM)
		b := s.show(t, running[0])
		if b.Status != "interrupted" || !strings.Contains(b.Error, "stopped before it finished") {
			t.Errorf("after restart: %+v", b)
		}
		if left := leftoverTemps(s); len(left) != 0 {
			t.Errorf("leftovers not removed: %v", left)
		}
	})
}

// SIGHUP reloads the config; an invalid one keeps the running config and says why.
func TestServeReload(t *testing.T) {
	my := newMariaDB(t, "reload")
	loadMariaDBFixture(t, my, 10)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{my}}},
		options{types: "  daily: {schedule: \"30 2 * * *\"}\n"})
	good, _ := os.ReadFile(s.configPath)
	// A stray object that no catalog row knows is reported at start.
	stray := preparedBackup{"my", my, "daily", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 7}
	stray.plant(t, func(key string, data []byte) {
		os.MkdirAll(filepath.Dir(s.objectPath(key)), 0o700)
		os.WriteFile(s.objectPath(key), data, 0o600)
	})
	d := startDaemon(t, s)
	d.waitLog("daemon started", 30*time.Second)
	d.waitLog("object in storage has no catalog entry", 10*time.Second)

	os.WriteFile(s.configPath, append(good, []byte("bogus_key: 1\n")...), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog("config reload failed: keeping the running config", 30*time.Second)
	if !strings.Contains(d.log(), "bogus_key: unknown field") {
		t.Errorf("the reload error does not say why:\n%s", d.log())
	}

	os.WriteFile(s.configPath, []byte(strings.Replace(string(good), "backup_types:\n", "backup_types:\n  often: {schedule: \"@every 2s\"}\n", 1)), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog("config reloaded", 30*time.Second)
	for deadline := time.Now().Add(30 * time.Second); len(s.listTimes(t, "--type", "often", "--status", "success")) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the reloaded schedule never ran:\n%s", d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("exit %v:\n%s", err, d.log())
	}
}

// A scheduled run of a server that is down is a failed backup in the
// catalog (database "*"), not only a log line, so metrics, webhooks and the
// dashboard show it.
func TestServeRecordsUnreachableServer(t *testing.T) {
	s := newSetup(t, []serverSpec{{name: "down", typ: "mysql", socket: filepath.Join(t.TempDir(), "no.sock"), user: "root"}},
		options{types: "  often: {schedule: \"@every 1h\"}\n"})
	d := startDaemon(t, s) // the catch-up run on start finds the server down
	var failed []listed
	for deadline := time.Now().Add(30 * time.Second); len(failed) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no failed backup recorded:\n%s", d.log())
		}
		time.Sleep(100 * time.Millisecond)
		failed = s.listTimes(t, "--status", "failed")
	}
	b := s.show(t, failed[0].ID)
	if !strings.Contains(b.Error, "list databases") || !strings.Contains(b.Error, "no.sock") && !strings.Contains(b.Error, "connect") {
		t.Errorf("failed row error = %q", b.Error)
	}
	if out := s.mustRun(t, "list", "--database", "*", "-o", "json").stdout; !strings.Contains(out, failed[0].ID) {
		t.Errorf("the failed run is not listed under database *: %s", out)
	}
	// "Back up now" of that server says which server does not answer and
	// why (its socket path redacted), and which failed backup it recorded.
	resp, err := http.Post("http://"+s.listen+"/api/v1/backups", "application/json", strings.NewReader(`{"server":"down"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"server_unavailable"`) || !strings.Contains(string(body), "server down: ") ||
		!strings.Contains(string(body), "recorded as failed: ") || strings.Contains(string(body), "no.sock") {
		t.Errorf("backup of the server that is down: %d %s", resp.StatusCode, body)
	}
	// The audit trail names that failed backup (its detail keeps the start
	// of a long message: the ID comes before the server's error).
	id := regexp.MustCompile(`recorded as failed: (\S+?)[ ,]`).FindStringSubmatch(string(body))
	if id == nil {
		t.Fatalf("no failed backup ID in %s", body)
	}
	resp, err = http.Get("http://" + s.listen + "/api/v1/audit?action=backup")
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(trail), id[1]) {
		t.Errorf("the audit trail does not name the failed backup %s: %d %s", id[1], resp.StatusCode, trail)
	}
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
