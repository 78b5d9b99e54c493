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

func TestQueryMatchesText(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	started := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	for i, db := range []string{"shop", "crm", "shop_eu", "a%b"} {
		b := fullBackup(started.Add(time.Duration(i)*time.Hour), i+1)
		b.Database = db
		if db == "crm" {
			b.Status, b.Error = backup.StatusFailed, "Access denied for user"
		}
		if err := s.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{"shop": 2, "denied": 1, "%": 1, "_eu": 1, "nothing": 0, "main-mysql": 4} {
		got, err := s.List(ctx, catalog.Filter{Query: q})
		if err != nil || len(got) != want {
			t.Errorf("Query %q: %d backups, %v; want %d", q, len(got), err, want)
		}
	}
}
