package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// testSocketDir is where the local test server's socket is;
// GOSQLGUARD_TEST_PG_SOCKET_DIR overrides it.
func testSocketDir() string {
	return dumptest.Socket("GOSQLGUARD_TEST_PG_SOCKET_DIR", "/run/postgresql")
}

func adminConn() dump.Conn {
	return dump.Conn{Name: "test", Socket: testSocketDir(), User: "postgres"}
}

// adminDB connects as postgres to the maintenance database or skips (fails in CI).
func adminDB(t *testing.T) *pgx.Conn {
	t.Helper()
	return connectAt(t, adminConn(), "postgres")
}

func connectAt(t *testing.T, c dump.Conn, db string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(connInfo(c, db))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = c.Password
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		testenv.Require(t, "PostgreSQL at "+pgHost(c), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// newDatabase creates an empty database dropped at cleanup.
func newDatabase(t *testing.T, admin *pgx.Conn, name string) {
	t.Helper()
	mustExec(t, admin, "CREATE DATABASE "+ident(name))
	dropDatabaseAtCleanup(t, admin, name)
}

func dropDatabaseAtCleanup(t *testing.T, admin *pgx.Conn, name string) {
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
	})
}
