package app

import (
	"context"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// The estimate is the job's newest success, else the database's newest
// success of another type; failures and other databases never count.
func TestExpectedRawBytes(t *testing.T) {
	a, _, _ := planApp(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	add := func(db, typ string, status backup.Status, raw int64) {
		t.Helper()
		at = at.Add(time.Hour)
		b := &backup.Backup{ID: backup.NewID(at), Server: "main", Database: db, Type: typ, Status: status, StartedAt: at, RawBytes: raw}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	job := runner.Job{Server: "main", Database: "shop", Type: "daily"}
	if n := a.ExpectedRawBytes(ctx, job); n != 0 {
		t.Errorf("empty catalog: %d, want 0", n)
	}
	add("shop", "manual", backup.StatusSuccess, 500)
	add("other", "daily", backup.StatusSuccess, 900)
	if n := a.ExpectedRawBytes(ctx, job); n != 500 {
		t.Errorf("only a manual success: %d, want 500", n)
	}
	add("shop", "daily", backup.StatusSuccess, 1000)
	add("shop", "daily", backup.StatusFailed, 7)
	if n := a.ExpectedRawBytes(ctx, job); n != 1000 {
		t.Errorf("%d, want the job's last success, 1000", n)
	}
}
