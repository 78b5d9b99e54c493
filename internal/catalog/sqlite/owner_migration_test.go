package sqlite

import (
	"context"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A catalog of schema 2 (before owners were recorded) opens: its running
// rows read back with no owner, which recovery takes for a dead process's.
func TestMigrationToOwners(t *testing.T) {
	ctx := context.Background()
	path := catalogAtVersion(t, 2, "running")

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
