package mysql

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// throwawayServer starts a private MariaDB with the binary log on, listening
// only on a socket in a fresh directory, and stops it at cleanup. Its root
// user authenticates by password (empty).
func throwawayServer(t *testing.T) dump.Conn {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server; skipped with -short")
	}
	installDB, err1 := exec.LookPath("mariadb-install-db")
	mariadbd, err2 := exec.LookPath("mariadbd")
	if err2 != nil {
		mariadbd, err2 = exec.LookPath("/usr/sbin/mariadbd")
	}
	if err1 != nil || err2 != nil {
		skipOrFail(t, "mariadb-install-db or mariadbd not installed")
	}
	dir, err := os.MkdirTemp("", "gsg-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var userArgs []string
	if os.Geteuid() == 0 { // mariadbd refuses to run as root
		u, err := user.Lookup("mysql")
		if err != nil {
			t.Skip("running as root and there is no mysql user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		userArgs = []string{"--user=mysql"}
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	install := exec.Command(installDB, append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, userArgs...)...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	srv := exec.Command(mariadbd, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--skip-networking", "--log-bin=" + filepath.Join(data, "binlog"), "--server-id=7",
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + filepath.Join(dir, "err.log"),
		"--innodb-buffer-pool-size=16M"}, userArgs...)...)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
	})
	conn := dump.Conn{Name: "throwaway", Socket: sock, User: "root"}
	d := New(conn, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := d.Databases(context.Background()); err == nil {
			return conn
		} else if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			t.Fatalf("throwaway server did not come up: %v\n%s", err, log)
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			t.Fatalf("throwaway server exited\n%s", log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestDumpRecordsBinlogPosition(t *testing.T) {
	root := throwawayServer(t)
	admin := adminDBAt(t, root.Socket)
	mustExec(t, admin,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.t (id INT PRIMARY KEY)",
		"INSERT INTO shop.t VALUES (1), (2)")

	t.Run("privileged", func(t *testing.T) {
		var out bytes.Buffer
		info, err := New(root, nil).Dump(context.Background(), "shop", &out)
		if err != nil {
			t.Fatal(err)
		}
		var file string
		var pos uint64
		var gtid string
		if err := admin.QueryRow("SELECT @@gtid_binlog_pos").Scan(&gtid); err != nil {
			t.Fatal(err)
		}
		rows, err := admin.Query("SHOW MASTER STATUS")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		vals[0], vals[1] = &file, &pos
		for i := 2; i < len(vals); i++ {
			vals[i] = new(any)
		}
		rows.Next()
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		p := info.Position
		if p == nil || p.BinlogFile != file || p.BinlogPos != pos || p.GTID != gtid {
			t.Errorf("position %+v, want %s:%d gtid %q", p, file, pos, gtid)
		}
		if !strings.Contains(strings.Join(info.Flags, " "), "--master-data=2 --gtid") {
			t.Errorf("flags %q", info.Flags)
		}
		if strings.Contains(out.String(), "\nCHANGE MASTER") {
			t.Error("the position is not commented out")
		}
	})

	t.Run("without binlog privileges", func(t *testing.T) {
		mustExec(t, admin,
			"CREATE USER 'plain'@'localhost' IDENTIFIED BY 'pw'",
			"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON shop.* TO 'plain'@'localhost'")
		conn := root
		conn.User, conn.Password = "plain", "pw"
		info, err := New(conn, nil).Dump(context.Background(), "shop", &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if info.Position != nil || strings.Contains(strings.Join(info.Flags, " "), "master-data") {
			t.Errorf("position %+v, flags %q; want none", info.Position, info.Flags)
		}
	})

	t.Run("binlog monitor without reload", func(t *testing.T) {
		mustExec(t, admin,
			"CREATE USER 'mon'@'localhost' IDENTIFIED BY 'pw'",
			"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON shop.* TO 'mon'@'localhost'",
			"GRANT BINLOG MONITOR ON *.* TO 'mon'@'localhost'")
		conn := root
		conn.User, conn.Password = "mon", "pw"
		info, err := New(conn, nil).Dump(context.Background(), "shop", &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if info.Position == nil || info.Position.BinlogFile == "" {
			t.Errorf("position %+v", info.Position)
		}
	})
}
