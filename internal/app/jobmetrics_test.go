package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
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
// until it has one) and its next run: configured databases at once;
// discovered ones from the catalog until the first listing, then from the
// last listing that worked. Manual types declare nothing.
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
	for i, row := range []struct {
		server, db string
		status     backup.Status
	}{
		{"disc", "old", backup.StatusFailed},
		{"disc", "x", backup.StatusSuccess},
		{"disc", "gone", backup.StatusDeleted},
		{"disc", "skipped", backup.StatusFailed},
		{"down", "d1", backup.StatusFailed},
		{"down", allDatabases, backup.StatusFailed},
	} {
		at := t0.Add(time.Duration(i) * time.Minute)
		b := &backup.Backup{ID: backup.NewID(at), Server: row.server, Database: row.db, Type: "daily",
			Status: row.status, StartedAt: at, FinishedAt: &at, Warnings: []string{}}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	d := &daemon{app: a, logger: a.Logger, metrics: metrics.New()}
	d.sched = scheduler.New(scheduler.Options{Clock: clock.NewFake(t0), Expand: func(context.Context, string, time.Time) []scheduler.Task { return nil }})
	entries, err := a.entries()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.sched.Reload(entries); err != nil {
		t.Fatal(err)
	}
	d.startJobMetrics(ctx)

	const last, next = "gosqlguard_backup_last_success_timestamp_seconds", "gosqlguard_job_next_run_timestamp_seconds"
	atStart := []string{"fixed/a/daily", "fixed/b/daily", "fixed/a/hourly", "fixed/b/hourly",
		"disc/old/daily", "disc/x/daily", "down/d1/daily"}
	got, values := scrape(t, d.metrics, last)
	if want := jobSeries(last, atStart...); !slices.Equal(got, want) {
		t.Errorf("at start, last success series:\n got %q\nwant %q", got, want)
	}
	for _, s := range got {
		if values[s] != "0" {
			t.Errorf("%s = %s, want 0 (the catalog row of disc/x is no success the metrics were told of)", s, values[s])
		}
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

	// A tick of daily lists disc (old is gone, skipme excluded, y new);
	// down does not answer and keeps what the catalog said.
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

	// A reload that drops the hourly type drops its jobs.
	cfg := *a.Config
	cfg.BackupTypes = map[string]config.BackupType{"manual": {}, "daily": a.Config.BackupTypes["daily"]}
	a.Config = &cfg
	d.publishJobs(ctx)
	afterReload := []string{"fixed/a/daily", "fixed/b/daily", "disc/x/daily", "disc/y/daily", "down/d1/daily"}
	if got, _ := scrape(t, d.metrics, next); !slices.Equal(got, jobSeries(next, afterReload...)) {
		t.Errorf("after a reload, next run series:\n got %q\nwant %q", got, jobSeries(next, afterReload...))
	}
}

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
	d.syncSharedMetrics(ctx, seen)
	if got, want := at(last), t0.Add(time.Minute).Unix(); got != want {
		t.Fatalf("last success after sync = %d, want the other replica's backup's end %d", got, want)
	}
	if got, want := at(lastFail), t0.Add(time.Second+time.Minute).Unix(); got != want {
		t.Fatalf("last failure after sync = %d, want %d", got, want)
	}
	insert(t0.Add(10*time.Minute), "a", backup.StatusSuccess)
	d.syncSharedMetrics(ctx, seen)
	if got, want := at(last), t0.Add(11*time.Minute).Unix(); got != want {
		t.Fatalf("last success after a newer one = %d, want %d", got, want)
	}
}
