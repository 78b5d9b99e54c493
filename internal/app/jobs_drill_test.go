package app

import (
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestNoteDrill(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	drilled := func(id string, st backup.Status, at time.Duration, ds backup.DrillStatus, diffs ...string) *backup.Backup {
		b := &backup.Backup{ID: id, Status: st}
		if ds != "" {
			b.Drill = &backup.Drill{At: t0.Add(at), Status: ds, Differences: diffs, Error: map[bool]string{true: "restore failed"}[ds == backup.DrillFailure && len(diffs) == 0]}
		}
		return b
	}
	tests := []struct {
		name                  string
		backups               []*backup.Backup // newest first, as Jobs sees them
		wantSuccess, wantLast string
		wantStatus            backup.DrillStatus
		wantDiffs             int
	}{
		{name: "never drilled", backups: []*backup.Backup{drilled("b2", backup.StatusSuccess, 0, ""), drilled("b1", backup.StatusSuccess, 0, "")}},
		{name: "newest drill wins, not newest backup",
			backups:     []*backup.Backup{drilled("b2", backup.StatusSuccess, time.Hour, backup.DrillSuccess), drilled("b1", backup.StatusSuccess, 2*time.Hour, backup.DrillSuccess)},
			wantSuccess: "b1", wantLast: "b1", wantStatus: backup.DrillSuccess},
		{name: "last drill failed, an older one proves",
			backups:     []*backup.Backup{drilled("b2", backup.StatusSuccess, 2*time.Hour, backup.DrillFailure, "table t: 1 rows, want 2"), drilled("b1", backup.StatusSuccess, time.Hour, backup.DrillSuccess)},
			wantSuccess: "b1", wantLast: "b2", wantStatus: backup.DrillFailure, wantDiffs: 1},
		{name: "a deleted backup proves nothing",
			backups: []*backup.Backup{drilled("b1", backup.StatusDeleted, time.Hour, backup.DrillSuccess)}},
		{name: "an interrupted drill neither proves nor fails",
			backups:     []*backup.Backup{drilled("b3", backup.StatusSuccess, 3*time.Hour, backup.DrillInterrupted), drilled("b2", backup.StatusSuccess, 2*time.Hour, backup.DrillFailure), drilled("b1", backup.StatusSuccess, time.Hour, backup.DrillSuccess)},
			wantSuccess: "b1", wantLast: "b2", wantStatus: backup.DrillFailure},
		{name: "only an interrupted drill",
			backups: []*backup.Backup{drilled("b1", backup.StatusSuccess, time.Hour, backup.DrillInterrupted)}},
		{name: "only a failure",
			backups:  []*backup.Backup{drilled("b1", backup.StatusPartial, time.Hour, backup.DrillFailure)},
			wantLast: "b1", wantStatus: backup.DrillFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j service.Job
			for _, b := range tt.backups {
				noteDrill(&j, b)
			}
			if j.LastDrillSuccessID != tt.wantSuccess || (j.LastDrillSuccess == nil) != (tt.wantSuccess == "") {
				t.Errorf("last successful drill of %q at %v, want of %q", j.LastDrillSuccessID, j.LastDrillSuccess, tt.wantSuccess)
			}
			if j.LastDrillID != tt.wantLast || j.LastDrillStatus != tt.wantStatus || j.LastDrillDifferences != tt.wantDiffs {
				t.Errorf("last drill of %q (%s, %d differences), want of %q (%s, %d)", j.LastDrillID, j.LastDrillStatus, j.LastDrillDifferences,
					tt.wantLast, tt.wantStatus, tt.wantDiffs)
			}
			if tt.wantStatus == backup.DrillFailure && tt.wantDiffs == 0 && j.LastDrillError == "" {
				t.Error("a failed drill's error is not carried")
			}
		})
	}
}
