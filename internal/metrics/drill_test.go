package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A drill stopped by a shutdown counts under its own status, never as a
// failure, and moves no last-success time.
func TestDrillOutcomes(t *testing.T) {
	m := New()
	b := finished("b1", backup.StatusSuccess, t0, 0)
	m.DrillFinished(b, backup.Drill{At: t0, Status: backup.DrillInterrupted}, 0)
	m.DrillFinished(b, backup.Drill{At: t0, Status: backup.DrillFailure}, 0)
	m.DrillFinished(b, backup.Drill{At: t0, Status: backup.DrillInterrupted}, 0)
	for status, want := range map[string]float64{"success": 0, "failure": 1, "interrupted": 2} {
		if got := testutil.ToFloat64(m.drills.runs.WithLabelValues("srv1", "db1", "daily", status)); got != want {
			t.Errorf("restore_drill_runs_total{status=%q} = %v, want %v", status, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.drills.lastSuccess); n != 0 {
		t.Errorf("last drill success has %d series, want none", n)
	}
}
