package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// fixture fills database name with tables, a view, a trigger, a procedure
// and data that trips naive dumps: 4-byte UTF-8, binary with NULs, CRLF,
// quotes, backslashes, NULLs.
func fixture(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Objects are created unqualified, as applications do: a trigger or view
	// created with a schema-qualified name keeps that name in the dump.
	for _, q := range []string{
		"USE " + quoteIdent(name),
		"CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(100) CHARACTER SET utf8mb4, data MEDIUMBLOB, note MEDIUMTEXT, price DECIMAL(10,2), at DATETIME(6))",
		"CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT)",
		"CREATE VIEW cheap AS SELECT id, label FROM items WHERE price < 10",
		"CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item) VALUES (NEW.id)",
		"CREATE PROCEDURE touch(IN x INT)\r\nBEGIN\r\n  SELECT x;\r\nEND",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows := [][]any{
		{1, "plain", []byte("abc"), "note", "1.50", "2026-01-02 03:04:05.123456"},
		{2, "emoji 🦀 and ü", []byte{0, 1, 2, 0xff, 0, '\'', '\\', '\n'}, "line1\r\nline2\ttab", "99.99", nil},
		{3, `quote ' double " back \ semi ; --comment`, nil, nil, nil, nil},
		{4, "/*!50000 not a comment */", bytes.Repeat([]byte{0xAB}, 70000), strings.Repeat("long ", 20000), "0.01", "1970-01-01 00:00:01"},
	}
	for _, r := range rows {
		if _, err := c.ExecContext(ctx, "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", r...); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot returns everything in database name that a round trip must keep.
func snapshot(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, HEX(label), HEX(data), HEX(note), price, at FROM " + quoteIdent(name) + ".items ORDER BY id",
		"SELECT id, item FROM " + quoteIdent(name) + ".audit ORDER BY id",
		"SELECT id, HEX(label) FROM " + quoteIdent(name) + ".cheap ORDER BY id",
		"SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + name + "' ORDER BY TABLE_NAME",
		"SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '" + name + "'",
		"SELECT ROUTINE_NAME, HEX(ROUTINE_DEFINITION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '" + name + "'",
	} {
		b.WriteString(dumpRows(t, db, q))
		b.WriteString("--\n")
	}
	return b.String()
}

func TestDumpRestoreRoundTrip(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	fixture(t, admin, src)
	conn := newBackupUser(t, admin, src)

	ctx := context.Background()
	var out bytes.Buffer
	info, err := New(conn, slog.Default()).Dump(ctx, src, &out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Engine != "mariadb" && info.Engine != "mysql" || info.ServerVersion == "" ||
		info.Tool == "" || info.ToolVersion == "" || info.Format != "sql" || info.Extension != "sql" {
		t.Errorf("info = %+v", info)
	}
	for _, f := range info.Flags {
		if strings.Contains(f, "defaults") || strings.Contains(f, trickyPassword) {
			t.Errorf("flag %q in Info.Flags", f)
		}
	}
	if !slices.Contains(info.Flags, "--single-transaction") {
		t.Errorf("flags %q", info.Flags)
	}
	if bytes.Contains(out.Bytes(), []byte("CREATE DATABASE")) || bytes.Contains(out.Bytes(), []byte("USE `")) {
		t.Error("dump names its database; it must restore under any name")
	}

	// Restore as root: the dump's DEFINER clauses name root.
	if err := New(adminConn(), nil).Restore(ctx, dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	want, got := snapshot(t, admin, src), snapshot(t, admin, dst)
	if got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}
	var charset string
	if err := admin.QueryRow("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", dst).Scan(&charset); err != nil || charset != "utf8mb4" {
		t.Errorf("target charset %q, %v", charset, err)
	}
}

func TestRestoreWithBackupUser(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_`odd ")+"x"
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	mustExec(t, admin,
		"CREATE TABLE "+quoteIdent(src)+".t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO "+quoteIdent(src)+".t VALUES (1, 'a'), (2, 'b')")
	conn := newBackupUser(t, admin, src)
	mustExec(t, admin, "GRANT ALL PRIVILEGES ON "+quoteIdent(strings.ReplaceAll(dst, "_", `\_`))+".* TO '"+conn.User+"'@'localhost'")

	d := New(conn, nil)
	var out bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	if err := d.Restore(context.Background(), dst, &out, dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM " + quoteIdent(dst) + ".t").Scan(&n); err != nil || n != 2 {
		t.Errorf("restored %d rows, %v", n, err)
	}
}

func TestRestoreBadInputFails(t *testing.T) {
	admin := adminDB(t)
	dst := dumptest.UniqueName("gsg_dst_")
	dropDatabaseAtCleanup(t, admin, dst)
	err := New(adminConn(), nil).Restore(context.Background(), dst, strings.NewReader("CREATE TABLE t (a INT);\nTHIS IS NOT SQL;\n"), dump.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "exit status") {
		t.Errorf("got %v, want the client's failure", err)
	}
}

func TestDatabases(t *testing.T) {
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_list_")
	newDatabase(t, admin, name)
	dumptest.CheckDatabases(t, New(adminConn(), nil), name, "mysql", "information_schema", "performance_schema", "sys")
}

func TestWrongPassword(t *testing.T) {
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_pw_")
	newDatabase(t, admin, name)
	conn := newBackupUser(t, admin, name)
	conn.Password = `wr0ng'"$; pass`
	d := New(conn, nil)
	_, err := d.Dump(context.Background(), name, io.Discard)
	if err == nil {
		t.Fatal("dump with a wrong password succeeded")
	}
	if _, err2 := d.Databases(context.Background()); err2 == nil {
		t.Fatal("Databases with a wrong password succeeded")
	}
	for _, e := range []error{err} {
		for _, secret := range []string{conn.Password, trickyPassword} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error %q contains the password", e)
			}
		}
		if !strings.Contains(e.Error(), "Access denied") {
			t.Errorf("error %q does not say why", e)
		}
	}
}

func TestUnknownDatabase(t *testing.T) {
	adminDB(t)
	var out bytes.Buffer
	_, err := New(adminConn(), nil).Dump(context.Background(), dumptest.UniqueName("gsg_none_"), &out)
	if err == nil {
		t.Fatal("dump of an unknown database succeeded")
	}
	if !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %q does not say the database is missing", err)
	}
}

func TestMissingTool(t *testing.T) {
	d := New(adminConn(), nil)
	d.Tools.Dump = filepath.Join(t.TempDir(), "mariadb-dump")
	_, err := d.Dump(context.Background(), "test", io.Discard)
	if !errors.Is(err, dump.ErrToolNotFound) || !strings.HasPrefix(err.Error(), "dump tool not found: ") {
		t.Errorf("got %v", err)
	}
	d.Tools.Client = filepath.Join(t.TempDir(), "mariadb")
	err = d.Restore(context.Background(), "test", strings.NewReader(""), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrToolNotFound) || !strings.HasPrefix(err.Error(), "client tool not found: ") {
		t.Errorf("got %v", err)
	}
}

func TestBadNameAndOptionsRejected(t *testing.T) {
	d := New(adminConn(), nil)
	if _, err := d.Dump(context.Background(), "--all-databases", io.Discard); err == nil {
		t.Error("option-like database name accepted")
	}
	d2 := New(dump.Conn{Socket: testSocket(), User: "root", DumpOptions: []string{"--result-file=/tmp/x"}}, nil)
	if _, err := d2.Dump(context.Background(), "test", io.Discard); err == nil {
		t.Error("--result-file accepted")
	}
}

// bigFixture makes a database whose dump is several MiB, so that the tool
// is still writing when a test interferes.
func bigFixture(t *testing.T, admin *sql.DB) string {
	t.Helper()
	name := dumptest.UniqueName("gsg_big_")
	newDatabase(t, admin, name)
	q := quoteIdent(name)
	mustExec(t, admin,
		"CREATE TABLE "+q+".big (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1000))",
		"INSERT INTO "+q+".big (pad) SELECT REPEAT('x', 1000) FROM "+q+".seq_1_to_20000")
	return name
}

func TestDumpCancelledMidStream(t *testing.T) {
	admin := adminDB(t)
	dumptest.CheckDumpCancelled(t, New(adminConn(), nil), bigFixture(t, admin))
}

func TestDumpKilledMidStream(t *testing.T) {
	admin := adminDB(t)
	d := New(adminConn(), nil)
	dumptest.CheckDumpKilled(t, d, &d.Process, bigFixture(t, admin))
}

// TestDumpWithoutMarkerFails runs a stand-in tool that exits 0 after a
// truncated dump.
func TestDumpWithoutMarkerFails(t *testing.T) {
	adminDB(t)
	fake := filepath.Join(t.TempDir(), "mariadb-dump")
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB'; exit 0; fi\n" +
		"printf -- '-- MariaDB dump\\nCREATE TABLE t (a INT);\\nINSERT INTO t VALUES (1'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d := New(adminConn(), nil)
	d.Tools.Dump = fake
	_, err := d.Dump(context.Background(), "test", io.Discard)
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("got %v, want ErrIncomplete", err)
	}
}

// TestSecretsNeverVisibleToOtherProcesses checks, while the dump tool runs,
// that the password is in neither its argv nor its environment, and that
// the option file holding it is private.
func TestSecretsNeverVisibleToOtherProcesses(t *testing.T) {
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_proc_")
	newDatabase(t, admin, name)
	// Far more than the pipe and our buffers hold, in many statements: the
	// tool is still writing, so still there to be looked at, when the
	// first bytes reach the writer (which holds the pipeline up meanwhile).
	mustExec(t, admin, "CREATE TABLE "+quoteIdent(name)+".t (a INT, b TEXT)",
		"INSERT INTO "+quoteIdent(name)+".t SELECT seq, REPEAT('x', 1000) FROM "+quoteIdent(name)+".seq_1_to_8000")
	conn := newBackupUser(t, admin, name)
	t.Setenv("MYSQL_PWD", trickyPassword) // must not reach the child

	d := New(conn, nil)
	var pid int
	d.OnStart = func(_ string, p int) { pid = p }
	var optFile string
	checked := false
	w := &dumptest.SlowWriter{AfterFirst: func() {
		checked = true
		args, _ := dumptest.CheckChildHides(t, pid, trickyPassword, "MYSQL_PWD")
		if len(args) < 2 || !strings.HasPrefix(args[1], "--defaults-extra-file=") {
			t.Fatalf("first argument %q is not the option file", args)
		}
		optFile = strings.TrimPrefix(args[1], "--defaults-extra-file=")
		dumptest.CheckPrivateFile(t, optFile)
	}}
	if _, err := d.Dump(context.Background(), name, w); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the writer was never called")
	}
	if _, err := os.Stat(filepath.Dir(optFile)); !os.IsNotExist(err) {
		t.Errorf("private dir left behind: %v", err)
	}
}

// TestToolWrongPasswordRedacted runs the real client through the same
// option-file path with a wrong password: the tool's own error must come
// back, without the password.
func TestToolWrongPasswordRedacted(t *testing.T) {
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_pw_")
	newDatabase(t, admin, name)
	conn := newBackupUser(t, admin, name)
	conn.Password = `wr0ng'"$; pass #\x`
	d := New(conn, nil)
	client, err := dump.LookTool("client tool", "", "mariadb", "mysql")
	if err != nil {
		t.Fatal(err)
	}
	err = d.withOptionFile(func(dir, optFile string) error {
		_, err := d.command(client, dir, optFile, "--batch", "--execute=SELECT 1").Run(context.Background())
		return err
	})
	var xe *dump.ExitError
	if !errors.As(err, &xe) || !strings.Contains(err.Error(), "Access denied") || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("got %v, want the client's access-denied exit", err)
	}
	if strings.Contains(err.Error(), conn.Password) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestDumpFlags(t *testing.T) {
	maria := "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
	mysql80 := "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"
	mysql57 := "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)"
	tests := []struct {
		name  string
		srv   server
		tool  string
		extra []string
		want  []string // flags after baseFlags
	}{
		{"mariadb no binlog", server{mariadb: true}, maria, nil, nil},
		{"mariadb binlog", server{mariadb: true, binlog: true}, maria, []string{"--skip-triggers"},
			[]string{"--master-data=2", "--gtid", "--skip-triggers"}},
		{"mysql 8 tool, mariadb server", server{mariadb: true, binlog: true}, mysql80, nil,
			[]string{"--column-statistics=0", "--source-data=2"}},
		{"mysql 8", server{binlog: true}, mysql80, nil,
			[]string{"--set-gtid-purged=COMMENTED", "--source-data=2"}},
		{"mysql 8 own gtid choice", server{}, mysql80, []string{"--set-gtid-purged=ON"},
			[]string{"--set-gtid-purged=ON"}},
		{"mysql 5.7", server{binlog: true}, mysql57, nil,
			[]string{"--master-data=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dumpFlags(tt.srv, tt.tool, tt.extra)
			if !slices.Equal(got[:len(baseFlags)], baseFlags) {
				t.Fatalf("base flags changed: %q", got)
			}
			if rest := got[len(baseFlags):]; !slices.Equal(rest, tt.want) && len(rest)+len(tt.want) > 0 {
				t.Errorf("got %q, want %q", rest, tt.want)
			}
		})
	}
}
