package catalogtest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// testStorages: per storage, the successful and partial backups with a
// complete copy there, and the sum of their stored sizes.
func testStorages(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	if got, err := s.Storages(ctx); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Storages of an empty catalog = %#v, %v; want an empty, non-nil slice", got, err)
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	both := func(b *backup.Backup, offsite backup.LocationStatus) *backup.Backup {
		b.Locations = append(b.Locations, backup.Location{Storage: "offsite", Key: b.Locations[0].Key, Status: offsite})
		return b
	}
	a := both(NewBackup(at(0), 1, "srv", "shop", "daily", backup.StatusSuccess), backup.LocationSuccess)
	a.StoredBytes = 1 << 40 // sums are 64-bit
	b := both(NewBackup(at(1), 2, "srv", "shop", "daily", backup.StatusPartial), backup.LocationFailed)
	b.StoredBytes = 300
	c := both(NewBackup(at(2), 3, "srv", "crm", "daily", backup.StatusSuccess), backup.LocationDeleted)
	c.Locations[0].Status = backup.LocationPending
	failed := NewBackup(at(3), 4, "srv", "crm", "daily", backup.StatusFailed)   // its copy does not count
	deleted := NewBackup(at(4), 5, "srv", "crm", "daily", backup.StatusDeleted) // nor does this one
	running := NewBackup(at(5), 6, "srv", "crm", "daily", backup.StatusRunning)
	mustInsert(t, s, a, b, c, failed, deleted, running)

	got, err := s.Storages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.StorageSummary{
		{Storage: "local", Backups: 2, Bytes: 1<<40 + 300},
		{Storage: "offsite", Backups: 1, Bytes: 1 << 40},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Storages = %+v, want %+v", got, want)
	}
}
