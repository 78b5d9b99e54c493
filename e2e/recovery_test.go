package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

// lockedMariaDB makes a small database whose orders table a session of
// the test holds write-locked, so that a dump of it waits, until unlock
// (also run at cleanup).
func lockedMariaDB(t *testing.T, prefix string) (db string, unlock func()) {
	t.Helper()
	db = newMariaDB(t, prefix)
	loadMariaDBFixture(t, db, 10)
	lock := mariadbAdmin(t, db) // one connection: the lock stays with it
	execAll(t, lock, "LOCK TABLES orders WRITE")
	locked := true
	unlock = func() {
		if locked {
			execAll(t, lock, "UNLOCK TABLES")
			locked = false
		}
	}
	t.Cleanup(unlock)
	return db, unlock
}

// waitFor polls cond until it holds, failing the test with what() after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, what())
		}
	}
}

// A one-shot backup of a job the daemon runs right now is refused (exit 1,
// "already running", naming the daemon's backup and process) and writes
// nothing; the daemon's backup goes on and succeeds.
func TestBackupOfRunningJobIsRefused(t *testing.T) {
	db, unlock := lockedMariaDB(t, "busy")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{types: "  hourly: {schedule: \"@every 1h\"}\n"}) // never succeeded: a catch-up run at start
	d := startDaemon(t, s)
	var running []listed
	waitFor(t, time.Minute, func() bool {
		running = s.listTimes(t, "--status", "running")
		return len(running) == 1
	}, d.log)

	res := s.run(t, "backup", "--server", "my", "--database", db, "--type", "hourly")
	want := fmt.Sprintf("already running: backup %s of my/%s/hourly started ", running[0].ID, db)
	if res.code != 1 || !strings.Contains(res.stdout+res.stderr, want) ||
		!strings.Contains(res.stdout+res.stderr, "by pid "+strconv.Itoa(d.cmd.Process.Pid)) {
		t.Errorf("backup of the running job: %s\nwant exit 1 and %q by pid %d", res, want, d.cmd.Process.Pid)
	}
	if all := s.listTimes(t); len(all) != 1 {
		t.Errorf("catalog after the refused backup = %+v, want only the daemon's", all)
	}

	unlock()
	waitFor(t, time.Minute, func() bool {
		all := s.listTimes(t)
		return len(all) == 1 && all[0].Status == "success"
	}, func() string { return fmt.Sprintf("%+v\n%s", s.listTimes(t), d.log()) })
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, d.log())
	}
}

// privateDirs lists the private option-file dirs of process pid.
func privateDirs(pid int) []string {
	dirs, _ := filepath.Glob(filepath.Join("/tmp", fmt.Sprintf("gosqlguard-priv-%d-*", pid)))
	return dirs
}

// A backup killed with SIGKILL mid-run leaves its row running, its private
// option file and, had it died between its object and its catalog row,
// files under their final names (planted here: the object and its
// manifest). The next command removes the option file; the next daemon
// start marks the row interrupted and removes the final-named leftovers;
// and a catalog rebuilt from storage into an empty catalog has no success
// for that run.
func TestKilledBackupIsRecovered(t *testing.T) {
	db, _ := lockedMariaDB(t, "killed")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})

	id, key, manifestKey := killedBackup(t, s, db)

	d := startDaemon(t, s)
	waitFor(t, 30*time.Second, func() bool {
		_, err1 := os.Stat(s.objectPath(key))
		_, err2 := os.Stat(s.objectPath(manifestKey))
		return os.IsNotExist(err1) && os.IsNotExist(err2)
	}, func() string { return "the final-named leftovers are still there:\n" + d.log() })
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, d.log())
	}
	b := s.show(t, id)
	if b.Status != "interrupted" || !strings.Contains(b.Error, "stopped before it finished") {
		t.Errorf("after the restart: %s %q, want interrupted", b.Status, b.Error)
	}

	// A catalog rebuilt from storage alone.
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := filepath.Join(s.dir, "rebuilt.yaml")
	if err := os.WriteFile(rebuilt, []byte(strings.Replace(string(cfg), "catalog.db", "rebuilt.db", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, nil, "catalog", "rebuild", "--config", rebuilt)
	res := mustRun(t, nil, "list", "-o", "json", "--config", rebuilt)
	if strings.Contains(res.stdout, id) || strings.Contains(res.stdout, `"success"`) {
		t.Errorf("the rebuilt catalog lists the killed run: %s", res.stdout)
	}
}

// killedBackup starts a one-shot backup of db on server "my" (which must be
// held up, e.g. by lockedMariaDB), SIGKILLs it while the dump tool waits,
// checks that the next command removes its private option file and marks
// its row interrupted, and plants
// what a run killed after storing its object and manifest, before its
// catalog row was final, leaves under the final names. It returns the
// killed run's ID and those two keys.
func killedBackup(t *testing.T, s *setup, db string) (id, key, manifestKey string) {
	t.Helper()
	cmd := exec.Command(binary, "backup", "--server", "my", "--database", db, "--config", s.configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	// The dump tool runs (its option file exists) and waits on the lock.
	waitFor(t, time.Minute, func() bool { return len(privateDirs(pid)) == 1 },
		func() string { return "no private dir of the backup process" })
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	dirs := privateDirs(pid)
	if len(dirs) != 1 {
		t.Fatalf("after SIGKILL the private dirs are %v: the test proves nothing", dirs)
	}
	t.Cleanup(func() { os.RemoveAll(dirs[0]) })

	// Any next command (here list) removes the option file and marks the
	// row of the dead process interrupted.
	if running := s.listTimes(t, "--status", "running"); len(running) != 0 {
		t.Errorf("after SIGKILL and another command, rows still running: %+v", running)
	}
	interrupted := s.listTimes(t, "--status", "interrupted")
	if len(interrupted) != 1 {
		t.Fatalf("after SIGKILL want one interrupted row, got %+v", interrupted)
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("the killed run's private dir %s is still there after the next command (%v)", dirs[0], err)
	}
	id = interrupted[0].ID
	b := s.show(t, id)
	if len(b.Locations) != 1 {
		t.Fatalf("locations %+v", b.Locations)
	}
	// What a run killed after storing its object and manifest, before its
	// catalog row was final, leaves: a rebuild would take it for a success.
	key = b.Locations[0].Key
	object := []byte("-- a dump, complete as far as anyone can tell\n")
	manifest, _ := json.Marshal(map[string]any{
		"format_version": 1, "id": id, "server": "my", "database": db, "type": "manual",
		"engine": "mariadb", "dump_format": "sql", "started_at": time.Now().UTC(), "finished_at": time.Now().UTC(),
		"raw_bytes": len(object), "stored_bytes": len(object), "sha256": strings.Repeat("ab", 32),
		"compression": "none", "object": path.Base(key),
	})
	manifestKey = path.Join(path.Dir(key), id+".manifest.json")
	for k, data := range map[string][]byte{key: object, manifestKey: manifest} {
		if err := os.MkdirAll(filepath.Dir(s.objectPath(k)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.objectPath(k), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	return id, key, manifestKey
}

// In a cron-only setup no daemon ever starts: the next one-shot backup
// marks a killed run interrupted and removes what it left under its final
// names.
func TestNextBackupCleansUpAKilledRun(t *testing.T) {
	db, unlock := lockedMariaDB(t, "killedcron")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})
	id, key, manifestKey := killedBackup(t, s, db)
	unlock()
	mustRun(t, nil, "backup", "--server", "my", "--database", db, "--config", s.configPath)
	for _, k := range []string{key, manifestKey} {
		if _, err := os.Stat(s.objectPath(k)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the next backup (%v)", k, err)
		}
	}
	if b := s.show(t, id); b.Status != "interrupted" {
		t.Errorf("the killed run is %s after the next backup, want interrupted", b.Status)
	}
}

// With an S3 storage that stalls, the daemon answers /healthz within a
// second of its start (crash recovery, which sweeps that storage, runs in
// the background) and stops promptly on SIGTERM.
func TestServeAnswersWhileStorageStalls(t *testing.T) {
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{"none"}}},
		options{s3: s3test.StartStalled(t)})
	start := time.Now()
	d := startDaemon(t, s)
	client := &http.Client{Timeout: 200 * time.Millisecond}
	for {
		resp, err := client.Get("http://" + s.listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > time.Second {
			t.Fatalf("no /healthz within 1 s of start (last: %v):\n%s", err, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("/healthz answered %s after start", time.Since(start).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond) // recovery now waits on the storage
	err, took := d.stop(syscall.SIGTERM)
	if err != nil {
		t.Errorf("daemon exit: %v\n%s", err, d.log())
	}
	if took > 10*time.Second {
		t.Errorf("SIGTERM took %s with a storage that stalls:\n%s", took, d.log())
	}
}
