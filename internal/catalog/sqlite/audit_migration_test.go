package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// A catalog of schema 5 (before the audit trail) opens at 6 with its
// backups intact and an empty audit trail that takes entries.
func TestMigrationToAudit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)`}
	for _, m := range migrations[:5] {
		stmts = append(stmts, m...)
	}
	stmts = append(stmts,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 'then'), (2, 'then'), (3, 'then'), (4, 'then'), (5, 'then')`,
		`INSERT INTO backups (id, server, "database", type, status, started_at)
			VALUES ('20250301T023000.123Z-000000000001', 'main', 'shop', 'daily', 'success', '2025-03-01T02:30:00.123000000Z')`)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()

	s := openAt(t, path)
	if _, err := s.Get(ctx, "20250301T023000.123Z-000000000001"); err != nil {
		t.Fatal(err)
	}
	if es, err := s.Audit(ctx, catalog.AuditFilter{}); err != nil || len(es) != 0 {
		t.Fatalf("Audit after migration = %v, %v; want empty", es, err)
	}
	e := catalog.AuditEntry{At: time.Now(), Actor: "admin", Action: catalog.AuditDelete, Target: "20250301T023000.123Z-000000000001", Outcome: catalog.AuditOK}
	if err := s.AppendAudit(ctx, &e); err != nil || e.ID == 0 {
		t.Fatalf("AppendAudit after migration: id %d, %v", e.ID, err)
	}
}
