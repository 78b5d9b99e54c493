package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// catalogAtVersion makes a catalog file of schema version (the migrations
// up to it applied, as a build of that time left it) holding one backup row
// of status, and returns its path; the test then opens it with this build.
func catalogAtVersion(t *testing.T, version int, status string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)`}
	for i, m := range migrations[:version] {
		stmts = append(stmts, m...)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO schema_migrations (version, applied_at) VALUES (%d, 'then')`, i+1))
	}
	stmts = append(stmts, `INSERT INTO backups (id, server, "database", type, status, started_at)
		VALUES ('20250301T023000.123Z-000000000001', 'main', 'shop', 'daily', '`+status+`', '2025-03-01T02:30:00.123000000Z')`)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}
