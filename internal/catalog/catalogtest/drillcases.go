package catalogtest

import (
	"context"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// testJobsDrillCases: which drill is a job's last one and which its last
// successful one, case by case, each case a job of its own.
func testJobsDrillCases(t *testing.T, s catalog.Store) {
	type drilled struct {
		name   string // b1 is the oldest backup
		status backup.Status
		at     time.Duration // after t0; 0: never drilled
		drill  backup.DrillStatus
		diffs  []string
	}
	tests := []struct {
		name                  string
		backups               []drilled // newest first
		wantSuccess, wantLast string
		wantStatus            backup.DrillStatus
		wantDiffs             int
	}{
		{name: "never drilled", backups: []drilled{{"b2", backup.StatusSuccess, 0, "", nil}, {"b1", backup.StatusSuccess, 0, "", nil}}},
		{name: "newest drill wins, not newest backup",
			backups:     []drilled{{"b2", backup.StatusSuccess, time.Hour, backup.DrillSuccess, nil}, {"b1", backup.StatusSuccess, 2 * time.Hour, backup.DrillSuccess, nil}},
			wantSuccess: "b1", wantLast: "b1", wantStatus: backup.DrillSuccess},
		{name: "last drill failed, an older one proves",
			backups:     []drilled{{"b2", backup.StatusSuccess, 2 * time.Hour, backup.DrillFailure, []string{"table t: 1 rows, want 2"}}, {"b1", backup.StatusSuccess, time.Hour, backup.DrillSuccess, nil}},
			wantSuccess: "b1", wantLast: "b2", wantStatus: backup.DrillFailure, wantDiffs: 1},
		{name: "a drill of a backup deleted since still proves the job",
			backups:     []drilled{{"b2", backup.StatusSuccess, 0, "", nil}, {"b1", backup.StatusDeleted, time.Hour, backup.DrillSuccess, nil}},
			wantSuccess: "b1", wantLast: "b1", wantStatus: backup.DrillSuccess},
		{name: "a failed drill of a backup deleted since is still the last word",
			backups:     []drilled{{"b2", backup.StatusDeleted, 2 * time.Hour, backup.DrillFailure, nil}, {"b1", backup.StatusSuccess, time.Hour, backup.DrillSuccess, nil}},
			wantSuccess: "b1", wantLast: "b2", wantStatus: backup.DrillFailure},
		{name: "an interrupted drill neither proves nor fails",
			backups:     []drilled{{"b3", backup.StatusSuccess, 3 * time.Hour, backup.DrillInterrupted, nil}, {"b2", backup.StatusSuccess, 2 * time.Hour, backup.DrillFailure, nil}, {"b1", backup.StatusSuccess, time.Hour, backup.DrillSuccess, nil}},
			wantSuccess: "b1", wantLast: "b2", wantStatus: backup.DrillFailure},
		{name: "only an interrupted drill",
			backups: []drilled{{"b1", backup.StatusSuccess, time.Hour, backup.DrillInterrupted, nil}}},
		{name: "only a failure",
			backups:  []drilled{{"b1", backup.StatusPartial, time.Hour, backup.DrillFailure, nil}},
			wantLast: "b1", wantStatus: backup.DrillFailure},
	}
	names := map[string]string{} // backup ID → its name in the case
	n := 0
	for i, tt := range tests {
		db := "case" + string(rune('a'+i))
		for k := len(tt.backups) - 1; k >= 0; k-- { // oldest first
			d := tt.backups[k]
			n++
			b := NewBackup(t0.Add(time.Duration(n)*time.Minute), n, "srv", db, "daily", d.status)
			mustInsert(t, s, b)
			names[b.ID] = d.name
			if d.drill != "" {
				drill(t, s, b.ID, t0.Add(d.at), d.drill, d.diffs...)
			}
		}
	}
	js, err := s.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != len(tests) {
		t.Fatalf("Jobs = %d jobs, want %d", len(js), len(tests))
	}
	for i, tt := range tests {
		j := js[i] // ordered by database: casea, caseb, ...
		var gotSuccess, gotLast string
		var gotStatus backup.DrillStatus
		var gotDiffs int
		if d := j.LastDrillSuccess; d != nil {
			gotSuccess = names[d.BackupID]
		}
		if d := j.LastDrill; d != nil {
			gotLast, gotStatus, gotDiffs = names[d.BackupID], d.Status, len(d.Differences)
			if d.Status == backup.DrillFailure && len(d.Differences) == 0 && d.Error == "" {
				t.Errorf("%s: a failed drill's error is not carried", tt.name)
			}
		}
		if gotSuccess != tt.wantSuccess {
			t.Errorf("%s: last successful drill of %q, want of %q", tt.name, gotSuccess, tt.wantSuccess)
		}
		if gotLast != tt.wantLast || gotStatus != tt.wantStatus || gotDiffs != tt.wantDiffs {
			t.Errorf("%s: last drill of %q (%s, %d differences), want of %q (%s, %d)", tt.name, gotLast, gotStatus, gotDiffs,
				tt.wantLast, tt.wantStatus, tt.wantDiffs)
		}
	}
}
