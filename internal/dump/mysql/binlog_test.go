package mysql

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// throwawayServer starts a private MariaDB with the binary log on, listening
// only on a socket in a fresh directory, and stops it at cleanup. Its root
// user authenticates by password (empty). extra are further server options.
func throwawayServer(t *testing.T, extra ...string) dump.Conn {
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
		testenv.Require(t, "tools mariadb-install-db and mariadbd", errors.Join(err1, err2))
	}
	tw := dumptest.NewThrowaway(t, "gsg-mariadb-", "mysql")
	var userArgs []string
	if tw.Cred != nil { // mariadbd switches to the user itself
		userArgs = []string{"--user=mysql"}
	}
	data, sock := filepath.Join(tw.Dir, "data"), filepath.Join(tw.Dir, "sock")
	install := exec.Command(installDB, append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, userArgs...)...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	// Without --log-error the server logs to stderr, which Start keeps.
	srv := exec.Command(mariadbd, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--skip-networking", "--log-bin=" + filepath.Join(data, "binlog"), "--server-id=7",
		"--pid-file=" + filepath.Join(tw.Dir, "pid"), "--innodb-buffer-pool-size=16M"}, append(userArgs, extra...)...)...)
	conn := dump.Conn{Name: "throwaway", Socket: sock, User: "root"}
	tw.Start(srv, syscall.SIGTERM, func() error {
		_, err := New(conn, nil).Databases(context.Background())
		return err
	})
	return conn
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
			"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON shop.* TO 'plain'@'localhost'",
			"GRANT SELECT ON mysql.proc TO 'plain'@'localhost'")
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
			"GRANT SELECT ON mysql.proc TO 'mon'@'localhost'",
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
