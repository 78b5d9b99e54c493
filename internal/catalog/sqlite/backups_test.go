package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func TestInsertGetRoundTrip(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		b    func() *backup.Backup
	}{
		{"every field", func() *backup.Backup { return fullBackup(t0, 1) }},
		{"running, no finish, no manifest, no locations", func() *backup.Backup {
			return &backup.Backup{
				ID: idAt(t0, 2), Server: "pg", Database: "crm", Type: "manual",
				Status: backup.StatusRunning, StartedAt: t0,
			}
		}},
		{"pending location, postgres manifest with LSN", func() *backup.Backup {
			b := fullBackup(t0, 3)
			b.Status = backup.StatusRunning
			b.FinishedAt = nil
			b.Encrypted = false
			b.Locations = []backup.Location{{Storage: "local", Key: "k", Status: backup.LocationPending}}
			b.Manifest.Encryption = nil
			b.Manifest.Position = &backup.Position{LSN: "0/16B3748"}
			b.Manifest.DumpFlags = nil
			return b
		}},
		{"non-UTC times with nanoseconds", func() *backup.Backup {
			b := fullBackup(t0.In(berlin), 4)
			b.FinishedAt = ptr(t0.Add(time.Hour + 1).In(berlin))
			b.Manifest.StartedAt = b.StartedAt
			return b
		}},
		{"zero start time and empty strings", func() *backup.Backup {
			return &backup.Backup{ID: "x", Status: backup.StatusFailed, Error: "dump tool missing"}
		}},
		{"unicode and quotes", func() *backup.Backup {
			b := fullBackup(t0, 5)
			b.Database = `weird "db" 'ñame'; DROP TABLE backups;--`
			b.Error = "línea 1\nline 2"
			b.Locations[0].Key = "ключ/with space"
			return b
		}},
	}
	s := openStore(t)
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.b()
			if err := s.Insert(ctx, want); err != nil {
				t.Fatalf("Insert: %v", err)
			}
			got, err := s.Get(ctx, want.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			assertBackup(t, got, want)
			if got.StartedAt.Location() != time.UTC {
				t.Errorf("StartedAt location = %v, want UTC", got.StartedAt.Location())
			}
			if want.FinishedAt != nil && !got.FinishedAt.Equal(*want.FinishedAt) {
				t.Errorf("FinishedAt = %v, want %v", got.FinishedAt, want.FinishedAt)
			}
			if got.Locations == nil {
				t.Error("Locations is nil, want empty slice")
			}
		})
	}
}

func TestInsertRejects(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	existing := fullBackup(t0, 1)
	mustInsert(t, s, existing)

	tests := []struct {
		name string
		b    *backup.Backup
	}{
		{"duplicate id", fullBackup(t0, 1)},
		{"nil backup", nil},
		{"empty id", &backup.Backup{Status: backup.StatusRunning}},
		{"invalid status", &backup.Backup{ID: "a", Status: "weird"}},
		{"storage twice", &backup.Backup{ID: "b", Status: backup.StatusRunning, Locations: []backup.Location{
			{Storage: "local", Key: "1"}, {Storage: "local", Key: "2"}}}},
		{"empty storage", &backup.Backup{ID: "c", Status: backup.StatusRunning, Locations: []backup.Location{{Key: "1"}}}},
		{"time out of range", &backup.Backup{ID: "d", Status: backup.StatusRunning, StartedAt: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Insert(ctx, tc.b); err == nil {
				t.Fatal("Insert succeeded, want error")
			}
		})
	}
	// Nothing above may have changed or added anything.
	all, err := s.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("List returned %v, want only %s", ids(all), existing.ID)
	}
	assertBackup(t, all[0], existing)
}

func TestInsertDuplicateSaysSo(t *testing.T) {
	s := openStore(t)
	b := fullBackup(t0, 1)
	mustInsert(t, s, b)
	err := s.Insert(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Insert error = %v, want one saying it already exists", err)
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		before func() *backup.Backup
		change func(b *backup.Backup)
	}{
		{"running to success", func() *backup.Backup {
			b := fullBackup(t0, 1)
			b.Status, b.FinishedAt, b.Manifest, b.RawBytes, b.StoredBytes, b.SHA256 = backup.StatusRunning, nil, nil, 0, 0, ""
			for i := range b.Locations {
				b.Locations[i].Status = backup.LocationPending
			}
			return b
		}, func(b *backup.Backup) {
			full := fullBackup(b.StartedAt, 1)
			*b = *full
		}},
		{"locations replaced, fewer and new", func() *backup.Backup { return fullBackup(t0, 2) }, func(b *backup.Backup) {
			b.Status = backup.StatusPartial
			b.Locations = []backup.Location{
				{Storage: "s3-eu", Key: "new/key", Status: backup.LocationSuccess},
			}
		}},
		{"all locations removed, manifest and finish cleared", func() *backup.Backup { return fullBackup(t0, 3) }, func(b *backup.Backup) {
			b.Locations = nil
			b.Manifest = nil
			b.FinishedAt = nil
			b.Status = backup.StatusDeleted
		}},
		{"every scalar field changed", func() *backup.Backup { return fullBackup(t0, 4) }, func(b *backup.Backup) {
			b.Server, b.Database, b.Type = "pg", "crm", "weekly"
			b.Status = backup.StatusFailed
			b.StartedAt = b.StartedAt.Add(-time.Nanosecond)
			b.FinishedAt = ptr(b.StartedAt.Add(time.Minute))
			b.RawBytes, b.StoredBytes = 1, 2
			b.SHA256, b.Compression, b.Encrypted = "00", "gzip", false
			b.Error = "pg_dump: exit status 1"
			b.Locations[0].Status = backup.LocationDeleted
			b.Locations[0].Error = "gone"
			b.Manifest.Position = nil
		}},
	}
	s := openStore(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.before()
			mustInsert(t, s, b)
			tc.change(b)
			if err := s.Update(ctx, b); err != nil {
				t.Fatalf("Update: %v", err)
			}
			got, err := s.Get(ctx, b.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			assertBackup(t, got, b)
		})
	}
}

func TestUpdateFailureChangesNothing(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	b := fullBackup(t0, 1)
	mustInsert(t, s, b)
	bad := normalize(b)
	bad.Status = backup.StatusFailed
	bad.Locations = append(bad.Locations, bad.Locations[0]) // storage twice
	if err := s.Update(ctx, bad); err == nil {
		t.Fatal("Update succeeded, want error")
	}
	got, err := s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertBackup(t, got, b)
}

func TestNotFound(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	mustInsert(t, s, fullBackup(t0, 1))
	missing := idAt(t0, 2)

	if _, err := s.Get(ctx, missing); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, fullBackup(t0, 2)); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Update(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, missing); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Update(unknown) created a backup: Get error = %v", err)
	}
	if err := s.Update(ctx, fullBackup(t0, 1)); errors.Is(err, catalog.ErrNotFound) || err != nil {
		t.Errorf("Update(known) error = %v, want nil", err)
	}
}

func TestMarkInterrupted(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var running []string
	var others []*backup.Backup
	for i, st := range []backup.Status{
		backup.StatusRunning, backup.StatusSuccess, backup.StatusRunning, backup.StatusFailed,
		backup.StatusPartial, backup.StatusRunning, backup.StatusDeleted, backup.StatusInterrupted,
	} {
		b := fullBackup(t0.Add(time.Duration(i)*time.Hour), i)
		b.Status = st
		if st == backup.StatusRunning {
			b.FinishedAt = nil
			running = append(running, b.ID)
		} else {
			others = append(others, b)
		}
		mustInsert(t, s, b)
	}
	now := t0.Add(48*time.Hour + 5*time.Nanosecond)

	for _, id := range running[:2] {
		done, err := s.MarkInterrupted(ctx, id, now, "gosqlguard stopped during the backup")
		if err != nil || !done {
			t.Fatalf("MarkInterrupted(%s) = %v, %v; want true", id, done, err)
		}
		b, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != backup.StatusInterrupted {
			t.Errorf("%s status = %s, want interrupted", id, b.Status)
		}
		if b.FinishedAt == nil || !b.FinishedAt.Equal(now) {
			t.Errorf("%s finished_at = %v, want %v", id, b.FinishedAt, now)
		}
		if b.Error != "gosqlguard stopped during the backup" {
			t.Errorf("%s error = %q", id, b.Error)
		}
		if len(b.Locations) != 2 {
			t.Errorf("%s has %d locations, want them kept (2)", id, len(b.Locations))
		}
	}
	if b, _ := s.Get(ctx, running[2]); b.Status != backup.StatusRunning {
		t.Errorf("%s, not named, is %s", running[2], b.Status)
	}
	// A row that is not running (any longer) is left as it is.
	for _, want := range others {
		done, err := s.MarkInterrupted(ctx, want.ID, now, "again")
		if err != nil || done {
			t.Errorf("MarkInterrupted(%s %s) = %v, %v; want false", want.ID, want.Status, done, err)
		}
		b, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertBackup(t, b, want)
	}
	if done, err := s.MarkInterrupted(ctx, running[0], now.Add(time.Hour), "again"); err != nil || done {
		t.Errorf("second MarkInterrupted = %v, %v; want false", done, err)
	}
	if done, err := s.MarkInterrupted(ctx, idAt(t0, 999), now, "x"); err != nil || done {
		t.Errorf("MarkInterrupted(unknown) = %v, %v; want false, nil", done, err)
	}
}

// InsertUnlessRunning shows claim every running backup of the same job
// (and no other), ends the ones claim gives up as interrupted, and writes
// nothing while one blocks.
func TestInsertUnlessRunning(t *testing.T) {
	ctx := context.Background()
	running := func(n int, owner string, pid int) *backup.Backup {
		b := fullBackup(t0.Add(time.Duration(n)*time.Minute), n)
		b.Status, b.FinishedAt, b.Manifest, b.OwnerHost, b.OwnerPID = backup.StatusRunning, nil, nil, owner, pid
		return b
	}
	next := func(n int) *backup.Backup {
		b := running(n, "me", 1)
		b.Locations = []backup.Location{{Storage: "local", Key: "k", Status: backup.LocationPending}}
		return b
	}
	t.Run("a live one blocks", func(t *testing.T) {
		s := openStore(t)
		dead, live := running(1, "gone", 7), running(2, "alive", 8)
		other := running(3, "alive", 9)
		other.Database = "crm"
		finished := fullBackup(t0, 4)
		for _, b := range []*backup.Backup{dead, live, other, finished} {
			mustInsert(t, s, b)
		}
		var seen []string
		claim := func(b *backup.Backup) (string, bool) {
			seen = append(seen, b.ID)
			if b.OwnerHost == "gone" {
				return "interrupted: its process is gone", false
			}
			return "", b.OwnerHost == "alive"
		}
		b := next(5)
		blocker, interrupted, err := s.InsertUnlessRunning(ctx, b, claim)
		if err != nil {
			t.Fatal(err)
		}
		if blocker == nil || blocker.ID != live.ID || blocker.OwnerPID != 8 || !blocker.StartedAt.Equal(live.StartedAt) {
			t.Errorf("blocker = %+v, want %s", blocker, live.ID)
		}
		if interrupted != nil {
			t.Errorf("interrupted = %v with a blocker, want none", interrupted)
		}
		if !slices.Equal(seen, []string{dead.ID, live.ID}) {
			t.Errorf("claim saw %v, want the two running rows of the job %v", seen, []string{dead.ID, live.ID})
		}
		if _, err := s.Get(ctx, b.ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("the blocked backup was written: %v", err)
		}
		if got, _ := s.Get(ctx, dead.ID); got.Status != backup.StatusRunning {
			t.Errorf("a blocked insert still ended %s: %s", dead.ID, got.Status)
		}
	})
	t.Run("dead ones are ended, others let it pass", func(t *testing.T) {
		s := openStore(t)
		dead, foreign := running(1, "gone", 7), running(2, "elsewhere", 8)
		mustInsert(t, s, dead)
		mustInsert(t, s, foreign)
		claim := func(b *backup.Backup) (string, bool) {
			if b.OwnerHost == "gone" {
				return "interrupted: its process is gone", false
			}
			return "", false
		}
		b := next(5)
		blocker, interrupted, err := s.InsertUnlessRunning(ctx, b, claim)
		if err != nil || blocker != nil {
			t.Fatalf("InsertUnlessRunning = %v, %v", blocker, err)
		}
		if !slices.Equal(interrupted, []string{dead.ID}) {
			t.Errorf("interrupted = %v, want %v", interrupted, []string{dead.ID})
		}
		got, err := s.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertBackup(t, got, b)
		old, _ := s.Get(ctx, dead.ID)
		if old.Status != backup.StatusInterrupted || old.Error != "interrupted: its process is gone" ||
			old.FinishedAt == nil || !old.FinishedAt.Equal(b.StartedAt) || len(old.Locations) != 2 {
			t.Errorf("the dead one after = %+v", old)
		}
		if f, _ := s.Get(ctx, foreign.ID); f.Status != backup.StatusRunning {
			t.Errorf("the foreign one is %s, want left running", f.Status)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				b := fullBackup(t0.Add(time.Duration(i)*time.Minute), w*1000+i)
				b.Server = fmt.Sprintf("server-%d", w)
				b.Status = backup.StatusRunning
				if err := s.Insert(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d insert %d: %w", w, i, err)
					return
				}
				b.Status = backup.StatusSuccess
				b.Locations = b.Locations[:1]
				if err := s.Update(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d update %d: %w", w, i, err)
					return
				}
				if _, err := s.List(ctx, catalog.Filter{Server: b.Server, Limit: 5}); err != nil {
					errs <- fmt.Errorf("writer %d list %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	all, err := s.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*each {
		t.Fatalf("List returned %d backups, want %d", len(all), writers*each)
	}
	for _, b := range all {
		if b.Status != backup.StatusSuccess || len(b.Locations) != 1 {
			t.Errorf("%s: status %s with %d locations, want success with 1", b.ID, b.Status, len(b.Locations))
		}
	}
}

func TestContextCancelled(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Insert(ctx, fullBackup(t0, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Insert with cancelled context: error = %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, catalog.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List with cancelled context: error = %v, want context.Canceled", err)
	}
}

// A backup's warnings live in its manifest and come back with it, never nil.
func TestWarningsComeFromTheManifest(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	b := fullBackup(time.Date(2025, 3, 1, 2, 30, 0, 0, time.UTC), 1)
	b.Manifest.Warnings = []string{"a statement is 20000000 bytes"}
	mustInsert(t, s, b)
	got, err := s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) != 1 || got.Warnings[0] != b.Manifest.Warnings[0] {
		t.Errorf("Warnings = %q, want the manifest's", got.Warnings)
	}
	b.Manifest = nil
	b.ID = "20250301T023000.000Z-0000000000ff"
	mustInsert(t, s, b)
	if got, err := s.Get(ctx, b.ID); err != nil || got.Warnings == nil || len(got.Warnings) != 0 {
		t.Errorf("Warnings without a manifest = %#v, %v; want an empty list", got.Warnings, err)
	}
}
