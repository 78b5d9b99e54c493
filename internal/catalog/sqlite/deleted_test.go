package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// A deleted backup stays in the catalog, searchable, with when and why.
func TestDeletedBackupKeepsWhenAndWhy(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	started := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	b := fullBackup(started, 1)
	if err := s.Insert(ctx, b); err != nil {
		t.Fatal(err)
	}
	deleted := started.Add(15 * 24 * time.Hour)
	b.Status = backup.StatusDeleted
	b.DeletedAt = &deleted
	b.DeleteReason = "retention: older than 14d"
	for i := range b.Locations {
		b.Locations[i].Status = backup.LocationDeleted
	}
	if err := s.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertBackup(t, got, b)
	list, err := s.List(ctx, catalog.Filter{Status: backup.StatusDeleted})
	if err != nil || len(list) != 1 || list[0].DeleteReason != b.DeleteReason || !list[0].DeletedAt.Equal(deleted) {
		t.Fatalf("List(deleted) = %+v, %v", list, err)
	}
}
