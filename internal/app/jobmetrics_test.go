package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
)

// scrape returns the exposition lines of the named family, without their
// values: `name{labels}`, sorted.
func scrape(t *testing.T, m *metrics.Metrics, name string) (series []string, values map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	values = map[string]string{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		series = append(series, line[:i])
		values[line[:i]] = line[i+1:]
	}
	slices.Sort(series)
	return series, values
}

func jobSeries(name string, jobs ...string) []string {
	var out []string
	for _, j := range jobs {
		p := strings.Split(j, "/")
		out = append(out, name+`{database="`+p[1]+`",server="`+p[0]+`",type="`+p[2]+`"}`)
	}
	slices.Sort(out)
	return out
}

// Every configured job of a scheduled type exports its last success (0
// until it has one), since when the daemon schedules it, and its next run:
// configured databases at once; discovered ones from the catalog until the
// first listing, then from the last listing that worked. Manual types
// declare no scheduled jobs. The outcomes read back from the catalog are
// exported only for jobs the config still has (manual ones included); a
// database a listing no longer finds, and a type a reload drops, lose
// theirs. Every configured server exports gosqlguard_server_info.
func TestJobMetrics(t *testing.T) {
	ctx := context.Background()
	a, _, _ := planApp(t, map[string]dump.Dumper{
		"disc":  listDumper{dbs: []string{"x", "y", "skipme"}},
		"down":  listDumper{err: errors.New("connection refused")},
		"fixed": listDumper{},
	})
	for i := range a.Config.Servers {
		switch srv := &a.Config.Servers[i]; srv.Name {
		case "fixed":
			srv.Databases = []string{"a", "b"}
		default:
			srv.Exclude = []string{"skip*"}
		}
	}
	a.Config.ScheduleTimezone = "UTC"
	a.Config.BackupTypes["daily"] = config.BackupType{Schedule: "30 2 * * *"}
	a.Config.BackupTypes["hourly"] = config.BackupType{Schedule: "@every 1h", Servers: []string{"fixed"}}
	a.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type row struct {
		server, db, typ string
		status          backup.Status
	}
	rows := []row{
		{"disc", "old", "daily", backup.StatusFailed},
		{"disc", "x", "daily", backup.StatusSuccess},
		{"disc", "gone", "daily", backup.StatusDeleted},
		{"disc", "skipped", "daily", backup.StatusFailed},
		{"down", "d1", "daily", backup.StatusFailed},
		{"down", allDatabases, "daily", backup.StatusFailed},
		{"fixed", "a", "hourly", backup.StatusFailed},
		{"fixed", "a", "manual", backup.StatusFailed},    // a manual job of a configured database
		{"fixed", "c", "manual", backup.StatusFailed},    // a database no longer listed
		{"removed", "a", "daily", backup.StatusFailed},   // a server no longer configured
		{"fixed", "a", "weeklyold", backup.StatusFailed}, // a type no longer configured
	}
	for i, r := range rows {
		at := t0.Add(time.Duration(i-len(rows)) * time.Minute)
		b := &backup.Backup{ID: backup.NewID(at), Server: r.server, Database: r.db, Type: r.typ,
			Status: r.status, StartedAt: at, FinishedAt: &at, Warnings: []string{}}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	clk := clock.NewFake(t0)
	d := &daemon{app: a, logger: a.Logger, metrics: metrics.New(), opts: ServeOptions{Clock: clk}}
	d.sched = scheduler.New(scheduler.Options{Clock: clk, Expand: func(context.Context, string, time.Time) []scheduler.Task { return nil }})
	entries, err := a.entries()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.sched.Reload(entries); err != nil {
		t.Fatal(err)
	}
	seed, err := a.Catalog.List(ctx, catalog.Filter{}) // as the daemon does at start
	if err != nil {
		t.Fatal(err)
	}
	d.metrics.Seed(seed)
	d.startJobMetrics(ctx)

	const (
		last     = "gosqlguard_backup_last_success_timestamp_seconds"
		lastFail = "gosqlguard_backup_last_failure_timestamp_seconds"
		next     = "gosqlguard_job_next_run_timestamp_seconds"
		since    = "gosqlguard_job_scheduled_since_timestamp_seconds"
	)
	atStart := []string{"fixed/a/daily", "fixed/b/daily", "fixed/a/hourly", "fixed/b/hourly",
		"disc/old/daily", "disc/x/daily", "down/d1/daily"}
	got, values := scrape(t, d.metrics, last)
	if want := jobSeries(last, atStart...); !slices.Equal(got, want) {
		t.Errorf("at start, last success series:\n got %q\nwant %q", got, want)
	}
	for _, s := range got {
		var want int64 // 0: no success yet
		if s == jobSeries(last, "disc/x/daily")[0] {
			want = t0.Add(-10 * time.Minute).Unix() // its catalog row, read back
		}
		if f, err := strconv.ParseFloat(values[s], 64); err != nil || int64(f) != want {
			t.Errorf("%s = %s, want %d", s, values[s], want)
		}
	}
	failures := []string{"disc/old/daily", "down/d1/daily", "down/*/daily", "fixed/a/hourly", "fixed/a/manual"}
	if got, want := fmtSeries(scrape(t, d.metrics, lastFail)), jobSeries(lastFail, failures...); !slices.Equal(got, want) {
		t.Errorf("at start, last failure series (only those of configured jobs):\n got %q\nwant %q", got, want)
	}
	got, values = scrape(t, d.metrics, next)
	if want := jobSeries(next, atStart...); !slices.Equal(got, want) {
		t.Errorf("at start, next run series:\n got %q\nwant %q", got, want)
	}
	wantNext := map[string]time.Time{"daily": time.Date(2026, 3, 2, 2, 30, 0, 0, time.UTC), "hourly": t0.Add(time.Hour)}
	for _, j := range atStart {
		typ := j[strings.LastIndexByte(j, '/')+1:]
		s := jobSeries(next, j)[0]
		if f, err := strconv.ParseFloat(values[s], 64); err != nil || int64(f) != wantNext[typ].Unix() {
			t.Errorf("%s = %s, want %d", s, values[s], wantNext[typ].Unix())
		}
	}
	checkSince := func(when string, want map[string]time.Time) {
		t.Helper()
		got, values := scrape(t, d.metrics, since)
		var jobs []string
		for j := range want {
			jobs = append(jobs, j)
		}
		if !slices.Equal(got, jobSeries(since, jobs...)) {
			t.Errorf("%s, scheduled since series:\n got %q\nwant %q", when, got, jobSeries(since, jobs...))
		}
		for j, at := range want {
			s := jobSeries(since, j)[0]
			if f, err := strconv.ParseFloat(values[s], 64); err != nil || int64(f) != at.Unix() {
				t.Errorf("%s, %s = %s, want %d", when, s, values[s], at.Unix())
			}
		}
	}
	sinceStart := map[string]time.Time{}
	for _, j := range atStart {
		sinceStart[j] = t0
	}
	checkSince("at start", sinceStart)
	if got, _ := scrape(t, d.metrics, "gosqlguard_server_info"); !slices.Equal(got, []string{
		`gosqlguard_server_info{engine="mysql",server="disc"}`,
		`gosqlguard_server_info{engine="mysql",server="down"}`,
		`gosqlguard_server_info{engine="mysql",server="fixed"}`,
	}) {
		t.Errorf("server info series: %q", got)
	}

	// A tick of daily lists disc an hour later (old is gone, skipme
	// excluded, y new); down does not answer and keeps what the catalog said.
	clk.Advance(time.Hour)
	tick := clk.Now()
	jobs, errs, err := a.Plan(ctx, Selector{Type: "daily"})
	if err != nil {
		t.Fatal(err)
	}
	d.planned(ctx, a, "daily", jobs, errs)
	afterTick := []string{"fixed/a/daily", "fixed/b/daily", "fixed/a/hourly", "fixed/b/hourly",
		"disc/x/daily", "disc/y/daily", "down/d1/daily"}
	if got, _ := scrape(t, d.metrics, last); !slices.Equal(got, jobSeries(last, afterTick...)) {
		t.Errorf("after a tick, last success series:\n got %q\nwant %q", got, jobSeries(last, afterTick...))
	}
	failures = []string{"down/d1/daily", "down/*/daily", "fixed/a/hourly", "fixed/a/manual"}
	if got, want := fmtSeries(scrape(t, d.metrics, lastFail)), jobSeries(lastFail, failures...); !slices.Equal(got, want) {
		t.Errorf("after a tick, last failure series (disc/old no longer listed):\n got %q\nwant %q", got, want)
	}
	afterTickSince := map[string]time.Time{"disc/y/daily": tick}
	for _, j := range afterTick {
		if _, ok := afterTickSince[j]; !ok {
			afterTickSince[j] = t0
		}
	}
	checkSince("after a tick", afterTickSince)

	// A reload that drops the hourly type drops its jobs, their next runs
	// and their outcomes; one that adds a type schedules its jobs since then.
	clk.Advance(time.Hour)
	cfg := *a.Config
	cfg.BackupTypes = map[string]config.BackupType{"manual": {}, "daily": a.Config.BackupTypes["daily"]}
	a.Config = &cfg
	d.publishJobs(ctx)
	afterReload := []string{"fixed/a/daily", "fixed/b/daily", "disc/x/daily", "disc/y/daily", "down/d1/daily"}
	if got, _ := scrape(t, d.metrics, next); !slices.Equal(got, jobSeries(next, afterReload...)) {
		t.Errorf("after a reload, next run series:\n got %q\nwant %q", got, jobSeries(next, afterReload...))
	}
	failures = []string{"down/d1/daily", "down/*/daily", "fixed/a/manual"}
	if got, want := fmtSeries(scrape(t, d.metrics, lastFail)), jobSeries(lastFail, failures...); !slices.Equal(got, want) {
		t.Errorf("after a reload, last failure series (hourly dropped):\n got %q\nwant %q", got, want)
	}
	delete(afterTickSince, "fixed/a/hourly")
	delete(afterTickSince, "fixed/b/hourly")
	checkSince("after a reload", afterTickSince)

	clk.Advance(time.Hour)
	added := clk.Now()
	cfg2 := *a.Config
	cfg2.BackupTypes = maps.Clone(cfg.BackupTypes)
	cfg2.BackupTypes["weekly"] = config.BackupType{Schedule: "0 4 * * 0", Servers: []string{"fixed"}}
	a.Config = &cfg2
	d.publishJobs(ctx)
	afterTickSince["fixed/a/weekly"], afterTickSince["fixed/b/weekly"] = added, added
	checkSince("after a reload adding weekly", afterTickSince)
}

// fmtSeries is the series of a scrape, without its values.
func fmtSeries(series []string, _ map[string]string) []string { return series }

// With a shared catalog, a replica's last-outcome metrics follow what the
// other replicas recorded: a success and a failure inserted behind the
// daemon's back show once synced, and a newer success replaces the older.
func TestSyncSharedMetrics(t *testing.T) {
	ctx := context.Background()
	a, _, _ := planApp(t, map[string]dump.Dumper{"fixed": listDumper{}})
	a.Logger = slog.New(slog.DiscardHandler)
	d := &daemon{app: a, logger: a.Logger, metrics: metrics.New()}
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	insert := func(at time.Time, db string, st backup.Status) {
		t.Helper()
		fin := at.Add(time.Minute)
		b := &backup.Backup{ID: backup.NewID(at), Server: "fixed", Database: db, Type: "daily",
			Status: st, StartedAt: at, FinishedAt: &fin, Warnings: []string{}, Locations: []backup.Location{}}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	const last, lastFail = "gosqlguard_backup_last_success_timestamp_seconds", "gosqlguard_backup_last_failure_timestamp_seconds"
	insert(t0, "a", backup.StatusSuccess)
	insert(t0.Add(time.Second), "a", backup.StatusFailed)
	at := func(name string) int64 {
		t.Helper()
		_, values := scrape(t, d.metrics, name)
		f, err := strconv.ParseFloat(values[jobSeries(name, "fixed/a/daily")[0]], 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return int64(f)
	}
	seen := map[[4]string]string{}
	d.syncCatalogMetrics(ctx, seen)
	if got, want := at(last), t0.Add(time.Minute).Unix(); got != want {
		t.Fatalf("last success after sync = %d, want the other replica's backup's end %d", got, want)
	}
	if got, want := at(lastFail), t0.Add(time.Second+time.Minute).Unix(); got != want {
		t.Fatalf("last failure after sync = %d, want %d", got, want)
	}
	insert(t0.Add(10*time.Minute), "a", backup.StatusSuccess)
	d.syncCatalogMetrics(ctx, seen)
	if got, want := at(last), t0.Add(11*time.Minute).Unix(); got != want {
		t.Fatalf("last success after a newer one = %d, want %d", got, want)
	}
}

// A reload that drops a backup type drops its jobs' series, their last
// failure included (an alert on it would fire for good), while a manual
// job of a configured database keeps its outcome; a reload that brings the
// type back reads its jobs' outcomes back from the catalog and schedules
// them since then.
func TestDaemonReloadJobMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // Saturday 2000-01-01 00:00 UTC
		dir := t.TempDir()
		failed := func(db, typ string, at time.Time) *backup.Backup {
			b := success(db, typ, at)
			b.ID, b.Status = backup.NewID(at.Add(time.Second)), backup.StatusFailed
			return b
		}
		both := "  daily: {schedule: \"0 3 * * *\"}\n  weekly: {schedule: \"0 4 * * 0\"}\n"
		dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"), daemonConfig(dir, both, ""), &fakeServer{dbs: []string{"app"}}, nil,
			success("app", "daily", start.Add(-21*time.Hour)),   // yesterday 03:00: nothing missed
			success("app", "weekly", start.Add(-140*time.Hour)), // last Sunday 04:00: nothing missed
			failed("app", "weekly", start.Add(-139*time.Hour)),
			failed("app", "manual", start.Add(-5*time.Hour)),
			failed("app", "monthly", start.Add(-5*time.Hour))) // a type no longer configured
		synctest.Wait()

		const (
			last     = "gosqlguard_backup_last_success_timestamp_seconds"
			lastFail = "gosqlguard_backup_last_failure_timestamp_seconds"
			since    = "gosqlguard_job_scheduled_since_timestamp_seconds"
		)
		check := func(when, name string, want ...string) map[string]string {
			t.Helper()
			got, values := scrape(t, dt.d.metrics, name)
			var w []string
			for _, j := range want {
				w = append(w, jobSeries(name, "db1/"+j)...)
			}
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("%s, %s series:\n got %q\nwant %q", when, name, got, w)
			}
			return values
		}
		unix := func(v string) int64 {
			t.Helper()
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int64(f)
		}
		// The API's jobs say the same: a job whose type the config lost is
		// removed, with no next run.
		jobs := func(when string, wantRemoved ...string) {
			t.Helper()
			js, err := (&daemonService{d: dt.d}).Jobs(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var removed []string
			for _, j := range js {
				if j.Removed {
					removed = append(removed, j.Database+"/"+j.Type)
					if j.NextRun != nil {
						t.Errorf("%s, removed job %s/%s has a next run %s", when, j.Database, j.Type, j.NextRun)
					}
				} else if j.Type != "manual" && j.NextRun == nil {
					t.Errorf("%s, scheduled job %s/%s has no next run", when, j.Database, j.Type)
				}
			}
			if !slices.Equal(removed, wantRemoved) {
				t.Errorf("%s, removed jobs %q, want %q", when, removed, wantRemoved)
			}
		}
		check("at start", lastFail, "app/weekly", "app/manual")
		check("at start", last, "app/daily", "app/weekly")
		jobs("at start", "app/monthly")
		if v := check("at start", since, "app/daily", "app/weekly"); unix(v[jobSeries(since, "db1/app/weekly")[0]]) != start.Unix() {
			t.Errorf("at start, weekly scheduled since %s, want the start %d", v[jobSeries(since, "db1/app/weekly")[0]], start.Unix())
		}

		time.Sleep(time.Hour)
		dt.writeConfig(daemonConfig(dir, "  daily: {schedule: \"0 3 * * *\"}\n", ""))
		dt.reload <- struct{}{}
		synctest.Wait()
		check("after dropping weekly", lastFail, "app/manual")
		check("after dropping weekly", last, "app/daily")
		check("after dropping weekly", since, "app/daily")
		jobs("after dropping weekly", "app/monthly", "app/weekly")

		time.Sleep(time.Hour)
		back := time.Now()
		dt.writeConfig(daemonConfig(dir, both, ""))
		dt.reload <- struct{}{}
		synctest.Wait()
		if v := check("after weekly is back", lastFail, "app/weekly", "app/manual"); unix(v[jobSeries(lastFail, "db1/app/weekly")[0]]) != start.Add(-139*time.Hour).Unix() {
			t.Errorf("after weekly is back, its last failure = %s, want the catalog's", v[jobSeries(lastFail, "db1/app/weekly")[0]])
		}
		if v := check("after weekly is back", last, "app/daily", "app/weekly"); unix(v[jobSeries(last, "db1/app/weekly")[0]]) != start.Add(-140*time.Hour).Unix() {
			t.Errorf("after weekly is back, its last success = %s, want the catalog's", v[jobSeries(last, "db1/app/weekly")[0]])
		}
		jobs("after weekly is back", "app/monthly")
		v := check("after weekly is back", since, "app/daily", "app/weekly")
		if got := unix(v[jobSeries(since, "db1/app/weekly")[0]]); got != back.Unix() {
			t.Errorf("weekly scheduled since %d, want the reload that brought it back %d", got, back.Unix())
		}
		if got := unix(v[jobSeries(since, "db1/app/daily")[0]]); got != start.Unix() {
			t.Errorf("daily scheduled since %d, want the start %d", got, start.Unix())
		}
	})
}
