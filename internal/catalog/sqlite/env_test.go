package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// t0 is the start time of the first fixture backup.
var t0 = time.Date(2025, 3, 1, 2, 30, 0, 123456789, time.UTC)

func openStore(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "catalog.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// idAt returns a valid, time-sortable ID for a backup started at ts; n makes
// it unique among backups started in the same millisecond.
func idAt(ts time.Time, n int) string {
	return ts.UTC().Format("20060102T150405.000Z") + fmt.Sprintf("-%012x", n)
}

func ptr[T any](v T) *T { return &v }

// fullBackup returns a finished backup with every field set.
func fullBackup(started time.Time, n int) *backup.Backup {
	id := idAt(started, n)
	finished := started.Add(90*time.Second + 17*time.Nanosecond)
	return &backup.Backup{
		ID:          id,
		Server:      "main-mysql",
		Database:    "shop",
		Type:        "daily",
		Status:      backup.StatusSuccess,
		StartedAt:   started,
		FinishedAt:  &finished,
		RawBytes:    1 << 33,
		StoredBytes: 123456789,
		SHA256:      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Compression: "zstd",
		Encrypted:   true,
		OwnerHost:   "db1 boot 5f0c2a8e-1d4b-4c1e-9a55-0f3b6e2d7c11 start 4711",
		OwnerPID:    31337,
		Locations: []backup.Location{
			{Storage: "offsite", Key: "main-mysql/shop/" + id + ".sql.zst.age", Status: backup.LocationSuccess},
			{Storage: "local", Key: "main-mysql/shop/" + id + ".sql.zst.age", Status: backup.LocationFailed, Error: "disk full"},
		},
		Manifest: &backup.Manifest{
			FormatVersion:   backup.ManifestFormatVersion,
			ID:              id,
			Server:          "main-mysql",
			Database:        "shop",
			Type:            "daily",
			Engine:          "mariadb",
			ServerVersion:   "11.4.2-MariaDB",
			DumpTool:        "mariadb-dump",
			DumpToolVersion: "11.4.2",
			DumpFlags:       []string{"--single-transaction", "--routines"},
			DumpFormat:      "sql",
			StartedAt:       started,
			FinishedAt:      finished,
			RawBytes:        1 << 33,
			StoredBytes:     123456789,
			SHA256:          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Compression:     "zstd",
			Encryption:      &backup.Encryption{Format: "age", Recipients: []string{"aa11", "bb22"}},
			Position:        &backup.Position{BinlogFile: "mysql-bin.000042", BinlogPos: 1234567, GTID: "0-1-4711"},
			Object:          "main-mysql/shop/" + id + ".sql.zst.age",
		},
	}
}

// normalize returns a deep copy of b as the store returns it: times in UTC,
// locations never nil.
func normalize(b *backup.Backup) *backup.Backup {
	c := *b
	c.StartedAt = c.StartedAt.UTC()
	if c.FinishedAt != nil {
		c.FinishedAt = ptr(c.FinishedAt.UTC())
	}
	if c.DeletedAt != nil {
		c.DeletedAt = ptr(c.DeletedAt.UTC())
	}
	c.Locations = append([]backup.Location{}, b.Locations...)
	c.Warnings = append([]string{}, b.Warnings...) // nil and empty read back alike
	if b.Manifest != nil {
		m := *b.Manifest
		m.StartedAt = m.StartedAt.UTC()
		m.FinishedAt = m.FinishedAt.UTC()
		m.DumpFlags = slices.Clone(m.DumpFlags)
		if m.Encryption != nil {
			e := *m.Encryption
			e.Recipients = slices.Clone(e.Recipients)
			m.Encryption = &e
		}
		if m.Position != nil {
			p := *m.Position
			m.Position = &p
		}
		c.Manifest = &m
	}
	return &c
}

func assertBackup(t *testing.T, got, want *backup.Backup) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("backup %s:\n got %+v\nwant %+v", want.ID, g, w)
		if g.Manifest != nil && w.Manifest != nil && !reflect.DeepEqual(*g.Manifest, *w.Manifest) {
			t.Errorf("manifest:\n got %+v\nwant %+v", *g.Manifest, *w.Manifest)
		}
	}
	// normalize hides a zone change; the instants themselves must match exactly.
	if !got.StartedAt.Equal(want.StartedAt) {
		t.Errorf("StartedAt = %v, want %v", got.StartedAt, want.StartedAt)
	}
}

func ids(bs []*backup.Backup) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func mustInsert(t *testing.T, s *Store, bs ...*backup.Backup) {
	t.Helper()
	for _, b := range bs {
		if err := s.Insert(context.Background(), b); err != nil {
			t.Fatalf("Insert(%s): %v", b.ID, err)
		}
	}
}
