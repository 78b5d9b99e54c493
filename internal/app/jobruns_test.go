package app

import (
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A tick while the previous run of the same job still runs is skipped and
// counted (gosqlguard_scheduler_skipped_total); once that run ended, the
// next tick runs again.
func TestDaemonSkipsOverlappingRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		dir := t.TempDir()
		srv := &fakeServer{dbs: []string{"app"}, hold: make(chan struct{})}
		dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"),
			daemonConfig(dir, "  hourly: {schedule: \"0 * * * *\"}\n", ""), srv, nil)
		synctest.Wait() // the catch-up run dumps, held

		const skipped = "gosqlguard_scheduler_skipped_total"
		series := `gosqlguard_scheduler_skipped_total{database="app",server="db1",type="hourly"}`
		time.Sleep(time.Hour)
		synctest.Wait() // the 01:00 tick is done
		if rows := dt.rows("hourly"); len(rows) != 1 || rows[0].Status != backup.StatusRunning {
			t.Fatalf("rows after the 01:00 tick = %v, want only the catch-up run, still running", describe(rows))
		}
		if _, values := scrape(t, dt.d.metrics, skipped); values[series] != "1" {
			t.Errorf("%s = %q, want 1", series, values[series])
		}
		if n := srv.started(); n != 1 {
			t.Errorf("%d dumps started, want 1", n)
		}

		close(srv.hold) // the catch-up run ends
		time.Sleep(time.Hour)
		synctest.Wait() // the 02:00 tick is done
		rows := dt.rows("hourly")
		if len(rows) != 2 || rows[0].Status != backup.StatusSuccess || rows[1].Status != backup.StatusSuccess ||
			!rows[1].StartedAt.Equal(start.Add(2*time.Hour)) {
			t.Errorf("rows after the 02:00 tick = %v, want the catch-up run and the 02:00 one, successful", describe(rows))
		}
		if _, values := scrape(t, dt.d.metrics, skipped); values[series] != "1" {
			t.Errorf("after the 02:00 tick, %s = %q, want still 1", series, values[series])
		}
	})
}
