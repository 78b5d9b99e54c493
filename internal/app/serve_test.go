package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
)

// The daemon's tests run it in-process inside a synctest bubble: time is
// fake (it starts at 2000-01-01 00:00 UTC, a Saturday, and a time.Sleep of
// the test moves it on at once), and synctest.Wait returns once every
// goroutine of the daemon is blocked, i.e. once what the last step set off
// (a tick, a reload, a cancellation) is done. The daemon runs without its
// HTTP side (run, not serve), with a fake server and a local storage and
// SQLite catalog in t.TempDir().

// fakeServer is the one server of a daemon test: it lists dbs and dumps a
// few bytes of each. While hold is open (not nil, not closed), a dump waits
// for it or for its ctx to end.
type fakeServer struct {
	dump.Dumper // nil: the daemon needs none of the rest

	mu    sync.Mutex
	dbs   []string
	hold  chan struct{}
	dumps int // dumps started
}

func (f *fakeServer) Databases(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.dbs), nil
}

func (f *fakeServer) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	f.mu.Lock()
	f.dumps++
	hold := f.hold
	f.mu.Unlock()
	if _, err := io.WriteString(w, "-- dump of "+db+"\n"); err != nil {
		return dump.Info{}, err
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return dump.Info{}, context.Cause(ctx)
		}
	}
	return dump.Info{Engine: "mariadb", Format: "sql", Extension: "sql"}, nil
}

// started returns the number of dumps started.
func (f *fakeServer) started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dumps
}

func (f *fakeServer) DrillLeftovers(context.Context) ([]string, error) { return nil, nil }

// daemonTest is a daemon running in a test's bubble.
type daemonTest struct {
	t          *testing.T
	configPath string
	server     *fakeServer
	cat        *sqlite.Store
	d          *daemon
	reload     chan struct{}
	stop       context.CancelFunc // the first stop signal
	ended      chan struct{}      // closed when run returned
	runErr     error              // run's result, once ended
}

// wait waits for run to return and returns its result.
func (dt *daemonTest) wait() error {
	<-dt.ended
	return dt.runErr
}

// daemonConfig is a config with one server "db1" (databases discovered)
// and one local storage; types holds the YAML lines under backup_types,
// daemon those under daemon.
func daemonConfig(dir, types, daemon string) string {
	cfg := fmt.Sprintf("catalog: {driver: sqlite, dsn: %q}\n", filepath.Join(dir, "catalog.db")) +
		"schedule_timezone: UTC\n" +
		"servers:\n  - {name: db1, type: mysql, socket: /nonexistent.sock, user: backup}\n" +
		fmt.Sprintf("storages:\n  - {name: local, type: local, path: %q}\n", filepath.Join(dir, "backups")) +
		"backup_types:\n" + types
	if daemon != "" {
		cfg += "daemon:\n" + daemon
	}
	return cfg
}

// writeConfig replaces the daemon's config file (a reload reads it).
func (dt *daemonTest) writeConfig(text string) {
	dt.t.Helper()
	if err := os.WriteFile(dt.configPath, []byte(text), 0o600); err != nil {
		dt.t.Fatal(err)
	}
}

// startDaemon starts a daemon on config text (see daemonConfig, with
// dir = filepath.Dir(configPath)) whose server is srv, after seed has
// filled the catalog. Call it inside the bubble; force, if not nil, is
// the second stop signal. The daemon is stopped and its catalog closed
// when the bubble's function returns.
func startDaemon(t *testing.T, configPath, text string, srv *fakeServer, force context.Context, seed ...*backup.Backup) *daemonTest {
	t.Helper()
	dt := &daemonTest{t: t, configPath: configPath, server: srv, reload: make(chan struct{}), ended: make(chan struct{})}
	dt.writeConfig(text)
	load := func() (*config.Config, error) {
		return config.Load(configPath, func(string) (string, bool) { return "", false })
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dt.cat, err = sqlite.Open(ctx, cfg.Catalog.DSN.Value())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range seed {
		if err := dt.cat.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a, err := build(ctx, cfg, dt.cat, buildOptions{Logger: logger,
		NewDumper: func(config.Server, *slog.Logger) dump.Dumper { return srv }})
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	dt.stop = stop
	var entries []scheduler.Entry
	dt.d, entries, err = a.newDaemon(serveCtx, ServeOptions{Reload: dt.reload, Load: load, Force: force})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(dt.ended)
		dt.runErr = dt.d.run(serveCtx, entries, "")
	}()
	t.Cleanup(func() {
		stop()
		dt.wait()
		dt.cat.Close()
	})
	return dt
}

// rows returns the catalog's backups of a type, oldest first.
func (dt *daemonTest) rows(typ string) []*backup.Backup {
	dt.t.Helper()
	list, err := dt.cat.List(context.Background(), catalog.Filter{Type: typ})
	if err != nil {
		dt.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

// success is a finished successful backup of db1/db of typ at at.
func success(db, typ string, at time.Time) *backup.Backup {
	return &backup.Backup{ID: backup.NewID(at), Server: "db1", Database: db, Type: typ,
		Status: backup.StatusSuccess, StartedAt: at, FinishedAt: &at, Warnings: []string{}}
}

// At start, a type whose last success is older than its latest scheduled
// run runs at once (catch-up); one that missed no run waits for its
// schedule; then each runs on its schedule.
func TestDaemonCatchesUpAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // Saturday 2000-01-01 00:00 UTC
		dir := t.TempDir()
		types := "  daily: {schedule: \"0 3 * * *\"}\n  weekly: {schedule: \"0 4 * * 0\"}\n"
		dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"), daemonConfig(dir, types, ""), &fakeServer{dbs: []string{"app"}}, nil,
			success("app", "daily", start.Add(-45*time.Hour)),   // Thursday 03:00: Friday's run was missed
			success("app", "weekly", start.Add(-140*time.Hour)), // last Sunday 04:00: nothing missed
		)
		synctest.Wait()

		daily := dt.rows("daily")
		if len(daily) != 2 || daily[1].Status != backup.StatusSuccess || !daily[1].StartedAt.Equal(start) {
			t.Fatalf("daily rows after start = %v, want the seeded one and a catch-up success at %v", describe(daily), start)
		}
		if weekly := dt.rows("weekly"); len(weekly) != 1 {
			t.Fatalf("weekly rows after start = %v, want only the seeded one (no run was missed)", describe(weekly))
		}
		next := dt.d.sched.NextRuns()
		if want := start.Add(3 * time.Hour); !next["daily"].Equal(want) {
			t.Errorf("next daily run = %v, want %v", next["daily"], want)
		}
		if want := start.Add(28 * time.Hour); !next["weekly"].Equal(want) {
			t.Errorf("next weekly run = %v, want %v", next["weekly"], want)
		}

		time.Sleep(28 * time.Hour) // to Sunday 04:00
		synctest.Wait()
		daily = dt.rows("daily")
		if len(daily) != 4 || !daily[2].StartedAt.Equal(start.Add(3*time.Hour)) || !daily[3].StartedAt.Equal(start.Add(27*time.Hour)) ||
			daily[2].Status != backup.StatusSuccess || daily[3].Status != backup.StatusSuccess {
			t.Errorf("daily rows on Sunday = %v, want two more, successful at 03:00 on Saturday and Sunday", describe(daily))
		}
		weekly := dt.rows("weekly")
		if len(weekly) != 2 || !weekly[1].StartedAt.Equal(start.Add(28*time.Hour)) || weekly[1].Status != backup.StatusSuccess {
			t.Errorf("weekly rows on Sunday = %v, want a second, successful at Sunday 04:00", describe(weekly))
		}
	})
}

// A stop lets a running backup go on for daemon.shutdown_timeout, then
// cancels it, and it is recorded interrupted; a second stop (Force) cancels
// it at once.
func TestDaemonShutdown(t *testing.T) {
	for _, tc := range []struct {
		name       string
		secondStop bool
		want       time.Duration // from the stop to the end of run
	}{
		{"timeout", false, 2 * time.Minute},
		{"second stop", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				srv := &fakeServer{dbs: []string{"app"}, hold: make(chan struct{})}
				force, secondStop := context.WithCancel(context.Background())
				defer secondStop()
				dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"),
					daemonConfig(dir, "  hourly: {schedule: \"0 * * * *\"}\n", "  shutdown_timeout: 2m\n"), srv, force)
				synctest.Wait() // the catch-up run dumps, held
				if rows := dt.rows("hourly"); len(rows) != 1 || rows[0].Status != backup.StatusRunning {
					t.Fatalf("rows before the stop = %v, want one running", describe(rows))
				}

				stopped := time.Now()
				dt.stop()
				synctest.Wait() // the shutdown waits for the backup
				select {
				case <-dt.ended:
					t.Fatalf("run returned (%v) at once, before the backup ended", dt.runErr)
				default:
				}
				if rows := dt.rows("hourly"); rows[0].Status != backup.StatusRunning {
					t.Fatalf("right after the stop, the backup is %s, want still running", rows[0].Status)
				}
				if got := dt.d.sched.Running(); len(got) != 1 {
					t.Errorf("running tasks after the stop = %v, want the backup", got)
				}
				if tc.secondStop {
					secondStop()
				}
				if err := dt.wait(); err != nil {
					t.Errorf("run = %v, want nil", err)
				}
				if waited := time.Since(stopped); waited != tc.want {
					t.Errorf("run returned %v after the stop, want %v", waited, tc.want)
				}
				rows := dt.rows("hourly")
				if len(rows) != 1 || rows[0].Status != backup.StatusInterrupted || rows[0].FinishedAt == nil || !rows[0].FinishedAt.Equal(stopped.Add(tc.want)) {
					t.Errorf("rows after the shutdown = %v, want the backup interrupted at %v", describe(rows), stopped.Add(tc.want))
				}
			})
		})
	}
}

// describe shows catalog rows in a failure message.
func describe(rows []*backup.Backup) []string {
	var out []string
	for _, b := range rows {
		s := b.Database + "/" + b.Type + " " + string(b.Status) + " at " + b.StartedAt.UTC().Format(time.RFC3339)
		if b.Error != "" {
			s += " (" + b.Error + ")"
		}
		out = append(out, s)
	}
	return out
}
