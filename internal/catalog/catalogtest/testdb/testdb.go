// Package testdb gives tests a fresh, empty database on the shared
// PostgreSQL and MariaDB/MySQL servers of the test machine (over their local
// sockets, as superuser), dropped when the test ends. A server that cannot
// be reached skips the test, or fails it in CI (see testenv).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

const (
	// postgresDSN reaches the PostgreSQL server as postgres over its socket.
	postgresDSN = "host=/run/postgresql user=postgres dbname="
	// mysqlDSN reaches the MariaDB/MySQL server as root over its socket.
	mysqlDSN = "root@unix(/run/mysqld/mysqld.sock)/"
)

// Postgres creates a uniquely named PostgreSQL database and returns a DSN
// for it.
func Postgres(t testing.TB) string {
	t.Helper()
	name := fresh(t, "PostgreSQL", "pgx", postgresDSN+"postgres", " WITH (FORCE)")
	return postgresDSN + name
}

// MySQL creates a uniquely named MariaDB/MySQL database and returns a DSN
// for it, in go-sql-driver's form.
func MySQL(t testing.TB) string {
	t.Helper()
	name := fresh(t, "MariaDB", "mysql", mysqlDSN, "")
	return mysqlDSN + name
}

func fresh(t testing.TB, what, driver, admin, dropSuffix string) string {
	t.Helper()
	db, err := sql.Open(driver, admin)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	testenv.Require(t, what, err)
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	name := "gsg_cat_" + hex.EncodeToString(buf[:])
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		_ = db.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + dropSuffix); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}
