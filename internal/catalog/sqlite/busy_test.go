package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A new catalog file that another process holds locked while it makes it
// (switching it to WAL, creating the schema) is opened once that process is
// done, not refused with SQLITE_BUSY: processes that start at once on a
// fresh catalog (a cron of one-shot backups) all get in.
func TestOpenWaitsForAnotherOpenerOfANewCatalog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec("CREATE TABLE x (a INTEGER)"); err != nil {
		t.Fatal(err)
	}
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO x VALUES (1)"); err != nil { // the write lock of a rollback journal
		t.Fatal(err)
	}
	time.AfterFunc(700*time.Millisecond, func() { tx.Commit() })
	start := time.Now()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open while another connection briefly held the new file: %v", err)
	}
	s.Close()
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Errorf("Open returned after %s, before the other connection let go", waited)
	}
}
