package app

import (
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A reload puts a new schedule in force at once; a config that does not
// load, or that names another catalog, keeps the running one.
func TestDaemonReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		dir := t.TempDir()
		dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"),
			daemonConfig(dir, "  daily: {schedule: \"0 3 * * *\"}\n", ""), &fakeServer{dbs: []string{"app"}}, nil,
			success("app", "daily", start.Add(-21*time.Hour))) // yesterday 03:00: nothing missed
		synctest.Wait()
		if next := dt.d.sched.NextRuns()["daily"]; !next.Equal(start.Add(3 * time.Hour)) {
			t.Fatalf("next daily run at start = %v, want 03:00", next)
		}

		dt.writeConfig(daemonConfig(dir, "  daily: {schedule: \"30 1 * * *\"}\n", ""))
		dt.reload <- struct{}{}
		synctest.Wait()
		if next := dt.d.sched.NextRuns()["daily"]; !next.Equal(start.Add(90 * time.Minute)) {
			t.Fatalf("next daily run after the reload = %v, want 01:30", next)
		}
		time.Sleep(90 * time.Minute)
		synctest.Wait()
		rows := dt.rows("daily")
		if len(rows) != 2 || !rows[1].StartedAt.Equal(start.Add(90*time.Minute)) || rows[1].Status != backup.StatusSuccess {
			t.Fatalf("daily rows at 01:30 = %v, want a second, successful at 01:30", describe(rows))
		}

		applied := dt.d.current()
		for _, bad := range []struct{ name, config string }{
			{"invalid schedule", daemonConfig(dir, "  daily: {schedule: \"0 25 * * *\"}\n", "")},
			{"another catalog", daemonConfig(t.TempDir(), "  daily: {schedule: \"0 5 * * *\"}\n", "")},
		} {
			dt.writeConfig(bad.config)
			dt.reload <- struct{}{}
			synctest.Wait()
			if next, want := dt.d.sched.NextRuns()["daily"], start.Add(25*time.Hour+30*time.Minute); !next.Equal(want) {
				t.Errorf("%s: next daily run = %v, want %v as before", bad.name, next, want)
			}
			if dt.d.current() != applied {
				t.Errorf("%s: the daemon's components were replaced", bad.name)
			}
		}
	})
}
