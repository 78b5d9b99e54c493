package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// A catalog of schema 5 (before the audit trail) opens at 6 with its
// backups intact and an empty audit trail that takes entries.
func TestMigrationToAudit(t *testing.T) {
	ctx := context.Background()
	path := catalogAtVersion(t, 5, "success")

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
