package mysql

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// testSocket is where the local test server listens; GOSQLGUARD_TEST_MYSQL_SOCKET overrides it.
func testSocket() string {
	return dumptest.Socket("GOSQLGUARD_TEST_MYSQL_SOCKET", "/run/mysqld/mysqld.sock")
}

// adminConn is root over the local socket.
func adminConn() dump.Conn {
	return dump.Conn{Name: "test", Socket: testSocket(), User: "root"}
}

// adminDB connects as root or skips (fails in CI).
func adminDB(t *testing.T) *sql.DB {
	t.Helper()
	return adminDBAt(t, testSocket())
}

func adminDBAt(t *testing.T, socket string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "unix", socket, "root"
	cfg.Timeout = 5 * time.Second
	cfg.Logger = nopLogger{}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		testenv.Require(t, "MariaDB/MySQL at "+socket, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// newDatabase creates an empty database dropped at cleanup.
func newDatabase(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	mustExec(t, db, "CREATE DATABASE "+quoteIdent(name)+" CHARACTER SET utf8mb4")
	dropDatabaseAtCleanup(t, db, name)
}

func dropDatabaseAtCleanup(t *testing.T, db *sql.DB, name string) {
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name)) })
}

// newBackupUser creates 'name'@'localhost' with trickyPassword and the
// privileges a dump needs on database dbName.
func newBackupUser(t *testing.T, db *sql.DB, dbName string) dump.Conn {
	t.Helper()
	user := dumptest.UniqueName("gsg_u_")
	pw := "'" + escapeString(trickyPassword) + "'"
	mustExec(t, db, "CREATE USER '"+user+"'@'localhost' IDENTIFIED BY "+pw)
	t.Cleanup(func() { _, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'localhost'") })
	mustExec(t, db,
		"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON "+quoteIdent(dbName)+".* TO '"+user+"'@'localhost'",
		// SHOW CREATE PROCEDURE of another definer's routine reads mysql.proc.
		"GRANT SELECT ON mysql.proc TO '"+user+"'@'localhost'")
	return dump.Conn{Name: "test", Socket: testSocket(), User: user, Password: trickyPassword}
}

func escapeString(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '\'':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
