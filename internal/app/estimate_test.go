package app

import (
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// A running backup's estimate is the job's last raw size when it started
// being shown, read from the catalog once, not on every refresh; a later
// backup of the job changes the estimate of the next run, not this one's.
func TestProgressEstimateReadOncePerBackup(t *testing.T) {
	a, _, _ := planApp(t, map[string]dump.Dumper{"s1": listDumper{}})
	svc := &daemonService{d: &daemon{app: a}}
	ctx := t.Context()
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	add := func(at time.Time, st backup.Status, raw int64) *backup.Backup {
		t.Helper()
		b := &backup.Backup{ID: backup.NewID(at), Server: "s1", Database: "db", Type: "daily", Status: st,
			StartedAt: at, RawBytes: raw, Warnings: []string{}}
		if st != backup.StatusRunning {
			b.FinishedAt = &at
		}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	add(t0, backup.StatusSuccess, 1000)
	run := add(t0.Add(time.Hour), backup.StatusRunning, 10)
	expected := func() map[string]int64 {
		out := map[string]int64{}
		for _, p := range svc.Progress(ctx) {
			out[p.ID] = p.ExpectedBytes
		}
		return out
	}
	if got := expected(); got[run.ID] != 1000 {
		t.Fatalf("estimate %v, want 1000 from the last success", got)
	}
	add(t0.Add(30*time.Minute), backup.StatusSuccess, 5000) // a newer success, e.g. another replica's
	if got := expected(); got[run.ID] != 1000 {
		t.Errorf("estimate of the same running backup changed to %v", got)
	}
	run.Status = backup.StatusSuccess
	fin := t0.Add(2 * time.Hour)
	run.FinishedAt, run.RawBytes = &fin, 1200
	if err := a.Catalog.Finish(ctx, run); err != nil {
		t.Fatal(err)
	}
	if got := expected(); len(got) != 0 {
		t.Fatalf("progress after the backup ended: %v", got)
	}
	next := add(t0.Add(3*time.Hour), backup.StatusRunning, 0)
	if got := expected(); got[next.ID] != 1200 {
		t.Errorf("estimate of the next run %v, want 1200 from the newest success", got)
	}
	n := 0
	svc.d.expected.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d estimates kept, want only the running backup's", n)
	}
}
