package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is one process as /proc/PID/stat shows it.
type proc struct {
	pid, ppid, pgid int
	comm            string
	state           byte
}

// readProc reads /proc/PID/stat; false when the process is gone.
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return proc{}, false
	}
	f := strings.Fields(s[end+1:]) // state ppid pgrp ...
	if len(f) < 3 {
		return proc{}, false
	}
	p := proc{pid: pid, comm: s[open+1 : end], state: f[0][0]}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgid, _ = strconv.Atoi(f[2])
	return p, true
}

// dumpChild waits for the daemon's child that dumps db and returns it.
func dumpChild(t *testing.T, d *daemon, db string) proc {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, dir := range dirs {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			p, ok := readProc(pid)
			if !ok || p.ppid != d.cmd.Process.Pid {
				continue
			}
			args, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
			if strings.Contains(string(args), "\x00"+db+"\x00") { // db is an argument
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dump child of the daemon:\n%s", d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running tells whether p still runs (a zombie does not).
func (p proc) running() bool {
	now, ok := readProc(p.pid)
	return ok && now.ppid == p.ppid && now.state != 'Z'
}

// A terminal's Ctrl-C goes to its whole foreground process group. The dump
// child leads its own group, so it does not see that SIGINT: the daemon
// drains (the backup, held up by a table lock, finishes once the lock goes,
// within shutdown_timeout) and exits 0. A second SIGINT cancels at once:
// the row is interrupted and no child is left.
func TestServeCtrlC(t *testing.T) {
	db := newMariaDB(t, "ctrlc")
	loadMariaDBFixture(t, db, 10)
	lock := mariadbAdmin(t, db)
	locked := false
	unlock := func() {
		if locked {
			lock.Exec("UNLOCK TABLES")
			locked = false
		}
	}
	t.Cleanup(func() { unlock() })
	inGroup := &syscall.SysProcAttr{Setpgid: true} // as a shell starts a foreground job
	newDaemonSetup := func() *setup {
		return newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
			options{types: "  hourly: {schedule: \"@every 1h\"}\n", extra: "daemon: {shutdown_timeout: 2m}\n"})
	}
	// startHeld starts a daemon whose catch-up backup waits on the lock.
	startHeld := func(t *testing.T, s *setup) (*daemon, proc) {
		execAll(t, lock, "LOCK TABLES orders WRITE")
		locked = true
		d := startDaemonWith(t, s, inGroup)
		child := dumpChild(t, d, db)
		if child.pgid == d.cmd.Process.Pid {
			t.Errorf("dump child %d is in the daemon's process group %d", child.pid, child.pgid)
		}
		time.Sleep(300 * time.Millisecond) // let it reach the locked table
		if !child.running() {
			t.Fatalf("dump child ended before the signal:\n%s", d.log())
		}
		return d, child
	}
	ctrlC := func(t *testing.T, d *daemon) {
		if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(t *testing.T, d *daemon, limit time.Duration) error {
		select {
		case err := <-d.done:
			return err
		case <-time.After(limit):
			t.Fatalf("daemon still running after %s:\n%s", limit, d.log())
		}
		return nil
	}

	t.Run("first Ctrl-C drains", func(t *testing.T) {
		s := newDaemonSetup()
		d, child := startHeld(t, s)
		ctrlC(t, d)
		d.waitLog("shutting down: waiting for running backups", 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		if !child.running() {
			t.Fatalf("the dump child died of the Ctrl-C:\n%s", d.log())
		}
		unlock()
		if err := wait(t, d, time.Minute); err != nil {
			t.Fatalf("daemon exited with %v:\n%s", err, d.log())
		}
		all := s.listTimes(t)
		if len(all) != 1 || all[0].Status != "success" {
			t.Fatalf("catalog = %+v, want one successful backup:\n%s", all, d.log())
		}
	})

	t.Run("second Ctrl-C cancels", func(t *testing.T) {
		s := newDaemonSetup()
		d, child := startHeld(t, s)
		ctrlC(t, d)
		d.waitLog("shutting down: waiting for running backups", 10*time.Second)
		ctrlC(t, d)
		if err := wait(t, d, 30*time.Second); err != nil {
			t.Fatalf("daemon exited with %v:\n%s", err, d.log())
		}
		if child.running() {
			syscall.Kill(child.pid, syscall.SIGKILL)
			t.Errorf("dump child %d outlived the daemon", child.pid)
		}
		if err := syscall.Kill(-child.pgid, 0); err != syscall.ESRCH {
			t.Errorf("process group %d of the dump still has members (%v)", child.pgid, err)
		}
		unlock()
		all := s.listTimes(t)
		if len(all) != 1 || all[0].Status != "interrupted" {
			t.Fatalf("catalog = %+v, want one interrupted backup:\n%s", all, d.log())
		}
		if !strings.Contains(d.log(), "second stop signal") {
			t.Errorf("the daemon did not say why it cancelled:\n%s", d.log())
		}
	})
}

// A one-shot backup cancels on the first Ctrl-C (no daemon to drain): the
// row is interrupted, the exit status 1, and the dump child, which leads
// its own process group, ends through that cancellation, not the signal.
func TestBackupCtrlC(t *testing.T) {
	db := newMariaDB(t, "ctrlc1")
	loadMariaDBFixture(t, db, 10)
	lock := mariadbAdmin(t, db)
	execAll(t, lock, "LOCK TABLES orders WRITE")
	t.Cleanup(func() { lock.Exec("UNLOCK TABLES") })
	// A second database waits for the first (per_server 1): the Ctrl-C
	// keeps it from starting, and it gets its line all the same.
	waiting := newMariaDB(t, "ctrlc2")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db, waiting}}}, options{})

	bg := startBackground(t, nil, &syscall.SysProcAttr{Setpgid: true}, "backup", "--config", s.configPath)
	cmd, done := bg.cmd, bg.done
	child := dumpChild(t, &daemon{t: t, cmd: cmd}, db)
	if child.pgid == cmd.Process.Pid {
		t.Errorf("dump child %d is in the command's process group", child.pid)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("backup exited with %v after Ctrl-C, want exit status 1:\n%s", err, bg.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("backup still running 30s after Ctrl-C:\n%s", bg.output())
	}
	if child.running() {
		syscall.Kill(child.pid, syscall.SIGKILL)
		t.Errorf("dump child %d outlived the command", child.pid)
	}
	all := s.listTimes(t)
	if len(all) != 1 || all[0].Status != "interrupted" {
		t.Fatalf("catalog = %+v, want one interrupted backup:\n%s", all, bg.output())
	}
	want := "-\tmy\t" + waiting + "\tmanual\tskipped\t-\tnot started: interrupted\n"
	if !strings.Contains(bg.stdout.String(), want) {
		t.Errorf("stdout lacks the line of the backup that never started, %q:\n%s", want, bg.stdout.String())
	}
}
