package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A catalog of schema 2 (before owners were recorded) opens: its running
// rows read back with no owner, which recovery takes for a dead process's.
func TestMigrationToOwners(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)`}
	stmts = append(stmts, migrations[0]...)
	stmts = append(stmts, migrations[1]...)
	stmts = append(stmts,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 'then'), (2, 'then')`,
		`INSERT INTO backups (id, server, "database", type, status, started_at)
			VALUES ('20250301T023000.123Z-000000000001', 'main', 'shop', 'daily', 'running', '2025-03-01T02:30:00.123000000Z')`)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()

	s := openAt(t, path)
	b, err := s.Get(ctx, "20250301T023000.123Z-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != backup.StatusRunning || b.OwnerHost != "" || b.OwnerPID != 0 {
		t.Errorf("migrated row = %s %q %d, want running with no owner", b.Status, b.OwnerHost, b.OwnerPID)
	}
	b.OwnerHost, b.OwnerPID = "db1 start 9", 42
	if err := s.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, b.ID); got.OwnerHost != "db1 start 9" || got.OwnerPID != 42 {
		t.Errorf("owner after update = %q %d", got.OwnerHost, got.OwnerPID)
	}
}
