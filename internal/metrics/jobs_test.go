package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

const lastSuccessName = "gosqlguard_backup_last_success_timestamp_seconds"

// A configured job exports its last success as 0 until it has one, so that
// an alert on its age fires; a success (live or seeded) replaces the 0 and
// is never reset by a later SetJobs.
func TestSetJobsLastSuccess(t *testing.T) {
	m := New()
	seeded := finished("s1", backup.StatusSuccess, t0, time.Minute) // srv1/db1/daily
	m.Seed([]*backup.Backup{seeded})
	m.SetJobs([]Job{{"srv1", "db1", "daily"}, {"srv1", "db2", "daily"}, {"srv2", "db1", "hourly"}})

	if v, ok := value(t, m, lastSuccessName, job("srv1", "db1", "daily", "", "")); !ok || v != float64(seeded.FinishedAt.Unix()) {
		t.Errorf("seeded job: last success %v (present %v), want the seeded time", v, ok)
	}
	for _, j := range []map[string]string{job("srv1", "db2", "daily", "", ""), job("srv2", "db1", "hourly", "", "")} {
		if v, ok := value(t, m, lastSuccessName, j); !ok || v != 0 {
			t.Errorf("job %v that never succeeded: last success %v (present %v), want 0", j, v, ok)
		}
	}

	// A failure leaves the 0; a success replaces it.
	fail := finished("f1", backup.StatusFailed, t0, time.Minute, backup.LocationFailed, backup.LocationFailed)
	fail.Database = "db2"
	m.BackupFinished(fail)
	if v, _ := value(t, m, lastSuccessName, job("srv1", "db2", "daily", "", "")); v != 0 {
		t.Errorf("after a failure: last success %v, want 0", v)
	}
	ok := finished("o1", backup.StatusSuccess, t0.Add(time.Hour), time.Minute)
	ok.Database = "db2"
	m.BackupFinished(ok)
	m.SetJobs([]Job{{"srv1", "db1", "daily"}, {"srv1", "db2", "daily"}, {"srv2", "db1", "hourly"}}) // a reload
	if v, _ := value(t, m, lastSuccessName, job("srv1", "db2", "daily", "", "")); v != float64(ok.FinishedAt.Unix()) {
		t.Errorf("after a success and a reload: last success %v, want %v", v, ok.FinishedAt.Unix())
	}

	// Jobs dropped from the config: a never-succeeded one goes, a real
	// success stays (as Seed keeps those of unconfigured jobs).
	m.SetJobs([]Job{{"srv1", "db1", "daily"}})
	if _, ok := value(t, m, lastSuccessName, job("srv2", "db1", "hourly", "", "")); ok {
		t.Error("a dropped job that never succeeded still exports a last success")
	}
	if _, ok := value(t, m, lastSuccessName, job("srv1", "db2", "daily", "", "")); !ok {
		t.Error("a dropped job lost the last success it had")
	}
}

// The next run of each job is its backup type's, read at each scrape.
func TestJobNextRun(t *testing.T) {
	const name = "gosqlguard_job_next_run_timestamp_seconds"
	m := New()
	m.SetJobs([]Job{{"srv1", "db1", "daily"}, {"srv2", "db1", "daily"}, {"srv1", "db1", "hourly"}, {"srv1", "db1", "once"}})
	if n := countSeries(t, m, name); n != 0 {
		t.Errorf("%d next-run series before the scheduler is known, want 0", n)
	}
	var mu sync.Mutex
	next := map[string]time.Time{"daily": t0.Add(24 * time.Hour), "hourly": t0.Add(time.Hour)}
	m.SetNextRuns(func() map[string]time.Time {
		mu.Lock()
		defer mu.Unlock()
		return map[string]time.Time{"daily": next["daily"], "hourly": next["hourly"]}
	})
	check := func(labels map[string]string, want time.Time) {
		t.Helper()
		if v, ok := value(t, m, name, labels); !ok || v != float64(want.Unix()) {
			t.Errorf("next run of %v = %v (present %v), want %v", labels, v, ok, want.Unix())
		}
	}
	check(job("srv1", "db1", "daily", "", ""), t0.Add(24*time.Hour))
	check(job("srv2", "db1", "daily", "", ""), t0.Add(24*time.Hour))
	check(job("srv1", "db1", "hourly", "", ""), t0.Add(time.Hour))
	if _, ok := value(t, m, name, job("srv1", "db1", "once", "", "")); ok {
		t.Error("a type with no next run exports one")
	}

	mu.Lock()
	next["hourly"] = t0.Add(2 * time.Hour) // the scheduler moved on
	mu.Unlock()
	check(job("srv1", "db1", "hourly", "", ""), t0.Add(2*time.Hour))

	m.SetJobs([]Job{{"srv1", "db1", "daily"}})
	if n := countSeries(t, m, name); n != 1 {
		t.Errorf("%d next-run series after a reload kept one job, want 1", n)
	}
}
