package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// socketDSN reaches the shared test server as root, over its socket.
const socketDSN = "root@unix(/run/mysqld/mysqld.sock)/"

// freshDatabase creates a uniquely named database on the test server, drops
// it when t ends and returns a DSN for it.
func freshDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("mysql", socketDSN)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	testenv.Require(t, "MariaDB", err)
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	name := "gsg_cat_" + hex.EncodeToString(buf[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		_ = admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return socketDSN + name
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), freshDatabase(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
