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
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}, {"srv1", "db2", "daily"}, {"srv2", "db1", "hourly"}}})

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
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}, {"srv1", "db2", "daily"}, {"srv2", "db1", "hourly"}}}) // a reload
	if v, _ := value(t, m, lastSuccessName, job("srv1", "db2", "daily", "", "")); v != float64(ok.FinishedAt.Unix()) {
		t.Errorf("after a success and a reload: last success %v, want %v", v, ok.FinishedAt.Unix())
	}

	// Jobs no longer scheduled: a never-succeeded one goes, a real success
	// stays while Keep (nil here: all) keeps the job.
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}}})
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
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}, {"srv2", "db1", "daily"}, {"srv1", "db1", "hourly"}, {"srv1", "db1", "once"}}})
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

	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}}})
	if n := countSeries(t, m, name); n != 1 {
		t.Errorf("%d next-run series after a reload kept one job, want 1", n)
	}
}

// A scheduled job exports since when this process schedules it: the At of
// the SetJobs that added it, kept by later calls, gone with the job, and
// new if the job comes back.
func TestJobScheduledSince(t *testing.T) {
	const name = "gosqlguard_job_scheduled_since_timestamp_seconds"
	m := New()
	a, b := Job{"srv1", "db1", "daily"}, Job{"srv1", "db2", "daily"}
	check := func(j Job, want time.Time) {
		t.Helper()
		v, ok := value(t, m, name, job(j.Server, j.Database, j.Type, "", ""))
		switch {
		case want.IsZero() && ok:
			t.Errorf("%v: scheduled since %v, want no series", j, v)
		case !want.IsZero() && (!ok || v != float64(want.Unix())):
			t.Errorf("%v: scheduled since %v (present %v), want %v", j, v, ok, want.Unix())
		}
	}
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{a}})
	check(a, t0)
	check(b, time.Time{})

	reload := t0.Add(5 * time.Hour)
	m.SetJobs(JobConfig{At: reload, Scheduled: []Job{a, b}})
	check(a, t0) // still scheduled: since the start
	check(b, reload)

	m.SetJobs(JobConfig{At: reload.Add(time.Hour), Scheduled: []Job{b}})
	check(a, time.Time{})
	check(b, reload)
	back := reload.Add(2 * time.Hour)
	m.SetJobs(JobConfig{At: back, Scheduled: []Job{a, b}})
	check(a, back)

	// A success does not move it: the alert takes the later of the two.
	m.BackupFinished(finished("s1", backup.StatusSuccess, back.Add(time.Hour), time.Minute))
	check(a, back)
}

// The "last" gauges of a job that Keep refuses are deleted by SetJobs, and
// neither Seed nor a live backup sets them again; scheduled jobs and those
// Keep keeps stay. Keep sees when the outcome happened.
func TestSetJobsKeep(t *testing.T) {
	m := New()
	at := func(db, typ string, status backup.Status, start time.Time) *backup.Backup {
		b := finished(db+"/"+typ+start.String(), status, start, time.Minute)
		b.Database, b.Type = db, typ
		return b
	}
	gone := at("gone", "daily", backup.StatusSuccess, t0)
	gone.Drill = &backup.Drill{At: t0.Add(time.Hour), Seconds: 5, Status: backup.DrillSuccess}
	seeded := []*backup.Backup{
		gone, at("gone", "daily", backup.StatusFailed, t0.Add(2*time.Hour)),
		at("db1", "manual", backup.StatusFailed, t0),
		at("db1", "oldtype", backup.StatusFailed, t0),
		at("db1", "daily", backup.StatusFailed, t0),
		at("dropped", "daily", backup.StatusFailed, t0),
	}
	m.Seed(seeded)
	listed := t0.Add(3 * time.Hour)
	keep := func(j Job, when time.Time) bool {
		switch {
		case j.Type == "oldtype" || j.Database == "gone":
			return false // type or database no longer configured
		case j.Database == "dropped":
			return when.After(listed) // the listing at 3h did not find it
		}
		return true
	}
	// db1/oldtype is scheduled: kept whatever Keep says.
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}, {"srv1", "db1", "oldtype"}}, Keep: keep})

	const (
		lastSuccess = "gosqlguard_backup_last_success_timestamp_seconds"
		lastFailure = "gosqlguard_backup_last_failure_timestamp_seconds"
		rawSize     = "gosqlguard_backup_raw_size_bytes"
		size        = "gosqlguard_backup_size_bytes"
		drill       = "gosqlguard_restore_drill_last_success_timestamp_seconds"
	)
	present := func(name string, labels map[string]string, want bool) {
		t.Helper()
		if _, ok := value(t, m, name, labels); ok != want {
			t.Errorf("%s%v: present %v, want %v", name, labels, ok, want)
		}
	}
	for _, name := range []string{lastSuccess, lastFailure, rawSize, drill} {
		present(name, job("srv1", "gone", "daily", "", ""), false)
	}
	present(size, job("srv1", "gone", "daily", "local", ""), false)
	present(size, job("srv1", "gone", "daily", "s3", ""), false)
	present(lastFailure, job("srv1", "dropped", "daily", "", ""), false)
	present(lastFailure, job("srv1", "db1", "manual", "", ""), true)
	present(lastFailure, job("srv1", "db1", "oldtype", "", ""), true)
	present(lastFailure, job("srv1", "db1", "daily", "", ""), true)

	// Seeded again (a shared catalog's sync) and live: still refused,
	// but an outcome after the listing counts.
	m.Seed(seeded)
	m.BackupFinished(at("gone", "daily", backup.StatusFailed, t0.Add(4*time.Hour)))
	m.DrillFinished(gone, backup.Drill{At: t0.Add(5 * time.Hour), Seconds: 1, Status: backup.DrillSuccess}, time.Second)
	present(lastFailure, job("srv1", "gone", "daily", "", ""), false)
	present(lastSuccess, job("srv1", "gone", "daily", "", ""), false)
	present(drill, job("srv1", "gone", "daily", "", ""), false)
	present(lastFailure, job("srv1", "dropped", "daily", "", ""), false)
	m.BackupFinished(at("dropped", "daily", backup.StatusFailed, listed.Add(time.Minute)))
	present(lastFailure, job("srv1", "dropped", "daily", "", ""), true)
	if n := countSeries(t, m, "gosqlguard_backup_runs_total"); n == 0 {
		t.Error("the counters of refused jobs' live runs are gone too; they count what the process saw")
	}

	// A reload that drops the manual type's job: its failure goes.
	m.SetJobs(JobConfig{At: t0, Scheduled: []Job{{"srv1", "db1", "daily"}}, Keep: func(j Job, when time.Time) bool {
		return j.Type != "manual" && keep(j, when)
	}})
	present(lastFailure, job("srv1", "db1", "manual", "", ""), false)
	present(lastFailure, job("srv1", "db1", "daily", "", ""), true)

	// The running gauge of a job the config no longer has goes too: at
	// once when idle, when its backup ends when one runs.
	const running = "gosqlguard_backups_running"
	idle := at("db1", "weekly", backup.StatusRunning, t0.Add(6*time.Hour))
	busy := at("db1", "hourly", backup.StatusRunning, t0.Add(6*time.Hour))
	for _, b := range []*backup.Backup{idle, busy} {
		m.BackupStarted(b)
	}
	idle.Status = backup.StatusSuccess
	m.BackupFinished(idle)
	present(running, job("srv1", "db1", "weekly", "", ""), true) // 0, still configured
	m.SetJobs(JobConfig{At: t0.Add(7 * time.Hour), Scheduled: []Job{{"srv1", "db1", "daily"}}, Keep: func(j Job, when time.Time) bool {
		return j.Type == "daily"
	}})
	present(running, job("srv1", "db1", "weekly", "", ""), false)
	present(running, job("srv1", "db1", "hourly", "", ""), true) // still running
	busy.Status = backup.StatusFailed
	m.BackupFinished(busy)
	present(running, job("srv1", "db1", "hourly", "", ""), false)
}

// Each configured server exports gosqlguard_server_info, replaced by each SetJobs.
func TestServerInfo(t *testing.T) {
	const name = "gosqlguard_server_info"
	m := New()
	m.SetJobs(JobConfig{At: t0, Servers: []Server{{"maria", "mysql"}, {"pg", "postgres"}}})
	for _, l := range []map[string]string{{"server": "maria", "engine": "mysql"}, {"server": "pg", "engine": "postgres"}} {
		if v, ok := value(t, m, name, l); !ok || v != 1 {
			t.Errorf("%s%v = %v (present %v), want 1", name, l, v, ok)
		}
	}
	m.SetJobs(JobConfig{At: t0, Servers: []Server{{"pg", "postgres"}}})
	if n := countSeries(t, m, name); n != 1 {
		t.Errorf("%d %s series after a reload kept one server, want 1", n, name)
	}
}
