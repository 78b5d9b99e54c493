package metrics

import (
	"testing"
	"time"

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

// SyncDrills follows the catalog's count of proven drills: a later failed
// drill of the proving backup takes the value back to an older proof, and
// a job with none loses its series; a success this process saw after the
// catalog was read is kept.
func TestSyncDrills(t *testing.T) {
	m := New()
	job := Job{Server: "srv1", Database: "db1", Type: "daily"}
	value := func() (float64, int) {
		return testutil.ToFloat64(m.drills.lastSuccess.WithLabelValues("srv1", "db1", "daily")), testutil.CollectAndCount(m.drills.lastSuccess)
	}
	before := time.Now()
	b := finished("b2", backup.StatusSuccess, t0, 0)
	m.DrillFinished(b, backup.Drill{At: t0.Add(time.Hour), Seconds: 60, Status: backup.DrillSuccess}, time.Minute)
	live := float64(t0.Add(time.Hour + time.Minute).Unix())

	older := t0.Add(10 * time.Minute) // backup b1's drill, still counting
	m.SyncDrills(map[Job]time.Time{job: older}, before)
	if v, _ := value(); v != live {
		t.Errorf("a catalog read before the drill this process saw replaced it: %v, want %v", v, live)
	}
	m.SyncDrills(map[Job]time.Time{job: older}, time.Now())
	if v, n := value(); v != float64(older.Unix()) || n != 1 {
		t.Errorf("after b2's later drill failed: %v (%d series), want b1's %v", v, n, float64(older.Unix()))
	}
	m.SyncDrills(map[Job]time.Time{}, time.Now())
	if n := testutil.CollectAndCount(m.drills.lastSuccess); n != 0 {
		t.Errorf("a job no drill proves has %d series, want none", n)
	}
	m.SyncDrills(map[Job]time.Time{job: older}, time.Now()) // e.g. a one-shot command's drill
	if v, _ := value(); v != float64(older.Unix()) {
		t.Errorf("a proof read from the catalog: %v, want %v", v, float64(older.Unix()))
	}
}
