package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/notify"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
)

// afterCancel bounds how long shutdown waits for cancelled backups to record
// themselves as interrupted; those still running then are recorded so by
// shutdown itself.
const afterCancel = 30 * time.Second

// recoveryGrace bounds how long shutdown waits for the start-up crash
// recovery, cancelled with Serve's ctx, to return.
const recoveryGrace = 5 * time.Second

// ServeOptions configure the daemon.
type ServeOptions struct {
	Clock clock.Clock // nil: the system clock
	// Reload receives a value for each SIGHUP; Load then reads the config anew.
	Reload <-chan struct{}
	Load   func() (*config.Config, error)
	// Version and Commit are shown by /status and the build_info metric.
	Version, Commit string
	// Force, when it ends (a second stop signal), cuts the shutdown short:
	// running backups are cancelled at once instead of after
	// daemon.shutdown_timeout. Nil: only the timeout does.
	Force context.Context
}

// daemon is the state of one Serve call.
type daemon struct {
	opts   ServeOptions
	logger *slog.Logger
	sched  *scheduler.Scheduler

	mu       sync.RWMutex
	app      *App // the current config's components; replaced by a reload
	notifier *notify.Notifier
	metrics  *metrics.Metrics

	pruneMu sync.Mutex // one retention pass at a time

	progress sync.Map // backup ID -> *progress, while it runs

	drills   *drillState
	serveCtx context.Context // Serve's ctx: its end cancels drills

	// callTimeout bounds each storage call of crash recovery and the
	// leftover sweeps (DefaultCallTimeout).
	callTimeout time.Duration

	discovered discoveredDBs // for the job metrics (jobmetrics.go)
}

// progress is a running backup's live byte count, for the web UI.
type progress struct {
	id, server, database, typ string
	started                   time.Time
	raw                       atomic.Int64
}

// Serve runs the daemon until ctx ends: the HTTP API and health at once,
// crash recovery in the background (it never holds up the API, the
// schedules or shutdown, and only ever reclaims backups whose process is
// gone), the schedules of backup_types, retention after each backup and
// every daemon.retention_interval, and config reloads. When ctx ends it
// stops scheduling, lets running backups finish for
// daemon.shutdown_timeout, then cancels them (they are recorded as
// interrupted, within afterCancel at the latest) and returns nil.
func (a *App) Serve(ctx context.Context, o ServeOptions) error {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	d := &daemon{opts: o, logger: a.Logger, app: a, metrics: metrics.New(),
		drills: newDrillState(a.Config.Drills.Concurrency), serveCtx: ctx, callTimeout: DefaultCallTimeout}
	d.metrics.SetBuildInfo(o.Version, o.Commit)
	if seed, err := a.Catalog.List(ctx, catalog.Filter{}); err == nil {
		d.metrics.Seed(seed)
	}
	d.notifier = newNotifier(a)
	a.Runner.Clock = o.Clock
	a.Runner.Observers = []runner.Observer{d.metrics, d.notifier}
	entries, err := a.entries()
	if err != nil {
		return err
	}
	d.sched = scheduler.New(scheduler.Options{
		Clock:       o.Clock,
		Logger:      a.Logger,
		Total:       a.Config.Concurrency.Total,
		PerServer:   a.Config.Concurrency.PerServer,
		Expand:      d.expand,
		LastSuccess: d.lastSuccess,
		OnSkip: func(t scheduler.Task) {
			if parts := strings.SplitN(t.Key, "/", 3); len(parts) == 3 {
				d.metrics.JobSkipped(parts[0], parts[1], parts[2])
			}
		},
	})
	d.startJobMetrics(ctx)
	svc := &daemonService{d: d, version: o.Version, commit: o.Commit, started: o.Clock.Now()}
	handler, err := newHTTPHandler(httpOptions{
		Service:       svc,
		Tokens:        a.Config.HTTP.Auth.Tokens,
		MetricsPublic: a.Config.HTTP.Auth.MetricsPublic,
		Metrics:       d.metrics.Handler(),
		Listen:        a.Config.HTTP.Listen,
		SecureCookies: a.Config.HTTP.SecureCookies,
		Logger:        a.Logger,
	})
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	ln, err := net.Listen("tcp", a.Config.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		if err := serveHTTP(httpCtx, ln, handler, a.Logger); err != nil {
			a.Logger.Error("http server stopped", "error", err)
		}
	}()
	recovered := make(chan struct{}) // crash recovery, in the background: the API answers meanwhile
	go func() { defer close(recovered); d.recover(ctx) }()
	var loops sync.WaitGroup
	loops.Add(3)
	go func() { defer loops.Done(); d.retentionLoop(ctx) }()
	go func() { defer loops.Done(); d.reloadLoop(ctx) }()
	go func() { // leftovers of runs killed before this start
		defer loops.Done()
		a.CleanDrillLeftovers(ctx, nil)
		a.SweepRestoreLeftovers(ctx)
	}()
	a.Logger.Info("daemon started", "listen", ln.Addr().String(), "backup_types", len(entries), "next_runs", fmtNextRuns(entries, o.Clock.Now()))

	runErr := d.sched.Run(ctx, entries)
	loops.Wait()
	d.shutdown()
	select {
	case <-recovered:
	case <-time.After(recoveryGrace):
		d.logger.Warn("crash recovery did not stop in time: leaving it")
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	d.notifier.Close(closeCtx)
	cancel()
	stopHTTP()
	bg.Wait()
	return runErr
}

// newNotifier builds the webhook notifier of a config.
func newNotifier(a *App) *notify.Notifier {
	var hooks []notify.Webhook
	for _, w := range a.Config.Notifications.Webhooks {
		hooks = append(hooks, notify.Webhook{URL: w.URL.Value(), Events: w.Events})
	}
	return notify.New(hooks, a.Logger)
}

// shutdown lets running backups finish for the shutdown timeout, then cancels them.
func (d *daemon) shutdown() {
	timeout := d.current().Config.Daemon.ShutdownTimeout.D()
	running := d.sched.Running()
	if len(running) > 0 {
		d.logger.Info("shutting down: waiting for running backups", "running", running, "timeout", timeout)
	}
	force := d.opts.Force
	if force == nil {
		force = context.Background()
	}
	wait, cancel := context.WithTimeout(force, timeout)
	defer cancel()
	if err := d.sched.Drain(wait); err != nil {
		why := "shutdown timeout reached"
		if force.Err() != nil {
			why = "second stop signal"
		}
		d.logger.Warn(why+": cancelling running backups", "running", d.sched.Running())
		after, cancel := context.WithTimeout(context.Background(), afterCancel)
		defer cancel()
		if d.sched.Drain(after) != nil {
			// A run that did not end even so (a storage that stalls without
			// a bound) must not leave its row running: it is ours, and this
			// process ends now.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ids, err := d.current().Runner.InterruptOwn(ctx, "interrupted: the daemon stopped before the backup finished")
			if err != nil {
				d.logger.Error("cannot record the backups still running as interrupted", "error", err)
			}
			if len(ids) > 0 {
				d.logger.Warn("backups that did not stop in time are recorded as interrupted", "ids", ids)
			}
		}
	}
	d.logger.Info("daemon stopped")
}

func (d *daemon) current() *App {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.app
}

// entries are the scheduled backup types of the config (manual has no schedule).
func (a *App) entries() ([]scheduler.Entry, error) {
	loc, err := time.LoadLocation(a.Config.ScheduleTimezone)
	if err != nil {
		return nil, fmt.Errorf("schedule_timezone: %w", err)
	}
	var out []scheduler.Entry
	for name, bt := range a.Config.BackupTypes {
		if bt.Schedule == "" {
			continue
		}
		s, err := scheduler.Parse(bt.Schedule, loc)
		if err != nil {
			return nil, fmt.Errorf("backup_types.%s.schedule: %w", name, err)
		}
		out = append(out, scheduler.Entry{Name: name, Schedule: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	drill, err := a.drillEntryOf(loc)
	if err != nil {
		return nil, err
	}
	if drill != nil {
		out = append(out, *drill)
	}
	return out, nil
}

// expand turns a tick of a backup type into one task per server × database.
func (d *daemon) expand(ctx context.Context, typ string) []scheduler.Task {
	if typ == drillEntry {
		d.expandDrills(ctx) // submits its drills itself, as drill slots free
		return nil
	}
	a := d.current()
	jobs, errs, err := a.Plan(ctx, Selector{Type: typ})
	if err != nil {
		d.logger.Error("cannot plan scheduled backups", "type", typ, "error", err)
		return nil
	}
	for _, e := range errs {
		d.recordUnreachable(ctx, a, typ, e)
	}
	d.planned(ctx, a, typ, jobs, errs)
	tasks := make([]scheduler.Task, len(jobs))
	for i, job := range jobs {
		tasks[i] = scheduler.Task{
			Key:    jobKey(job),
			Server: job.Server,
			Run:    func(ctx context.Context) { d.runJob(ctx, a, job) },
		}
	}
	return tasks
}

// recordUnreachable records the failed backups a plan error stands for (a
// server that is down, a database whose name is refused; see
// RecordPlanError), so that they show in the catalog, the metrics and the
// webhooks instead of only in the log.
func (d *daemon) recordUnreachable(ctx context.Context, a *App, typ string, planErr error) {
	b, err := a.RecordPlanError(ctx, typ, planErr) // logs what it records
	if err != nil {
		d.logger.Error("cannot record the failed run", "type", typ, "error", err)
	}
	if b == nil {
		d.logger.Error("scheduled backup could not start", "type", typ, "error", planErr)
	}
}

// runJob takes one scheduled backup, then applies retention.
func (d *daemon) runJob(ctx context.Context, a *App, job runner.Job) {
	b, err := a.Runner.Open(ctx, job)
	if errors.Is(err, runner.ErrAlreadyRunning) {
		// Another process (a one-shot backup) runs this job right now.
		d.logger.Warn("skipped: already running in another process", "job", jobKey(job), "error", err)
		d.metrics.JobSkipped(job.Server, job.Database, job.Type)
		return
	}
	if err != nil {
		d.logger.Error("cannot start backup", "job", jobKey(job), "error", err)
		return
	}
	d.runOpened(ctx, a, b, job)
}

// runOpened runs a backup whose row is open, then applies retention.
func (d *daemon) runOpened(ctx context.Context, a *App, b *backup.Backup, job runner.Job) {
	p := &progress{id: b.ID, server: b.Server, database: b.Database, typ: b.Type, started: d.opts.Clock.Now()}
	d.progress.Store(b.ID, p)
	job.Progress = p.raw.Store
	err := a.Runner.Run(ctx, b, job)
	d.progress.Delete(b.ID)
	if err != nil || ctx.Err() != nil {
		return // the runner logged it; retention waits for a good backup
	}
	d.prune(ctx, "after backup "+b.ID)
}

// prune applies retention to every storage, one pass at a time.
func (d *daemon) prune(ctx context.Context, why string) {
	d.pruneMu.Lock()
	defer d.pruneMu.Unlock()
	a := d.current()
	plans, err := a.Runner.Prune(ctx, a.RetentionPolicies(), false)
	deleted := 0
	for _, p := range plans {
		for _, dec := range p.Decisions {
			if dec.Action == "delete" {
				deleted++
			}
		}
	}
	if err != nil {
		d.logger.Error("retention pass failed", "trigger", why, "error", err)
	} else if deleted > 0 {
		d.logger.Info("retention pass done", "trigger", why, "deleted", deleted)
	}
}

// lastSuccess is the start of the type's newest successful backup, of any of
// its jobs; catch-up fires when even that is older than the last scheduled run.
func (d *daemon) lastSuccess(typ string) (time.Time, bool) {
	if typ == drillEntry {
		return d.lastDrill()
	}
	a := d.current()
	ctx := context.Background()
	list, err := a.Catalog.List(ctx, catalog.Filter{Type: typ, Status: backup.StatusSuccess, Limit: 1})
	if err != nil || len(list) == 0 {
		return time.Time{}, false
	}
	return list[0].StartedAt, true
}

// retentionLoop runs retention and leftover cleanup every retention_interval.
func (d *daemon) retentionLoop(ctx context.Context) {
	for {
		interval := d.current().Config.Daemon.RetentionInterval.D()
		t := d.opts.Clock.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		d.prune(ctx, "regular pass")
		d.sweep(ctx)
	}
}

// reloadLoop applies a new config on each reload signal; an invalid config
// keeps the running one and says why.
func (d *daemon) reloadLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.opts.Reload:
		}
		if err := d.reload(ctx); err != nil {
			d.logger.Error("config reload failed: keeping the running config", "error", err)
		}
	}
}

func (d *daemon) reload(ctx context.Context) error {
	if d.opts.Load == nil {
		return errors.New("reload is not available")
	}
	cfg, err := d.opts.Load()
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		d.logger.Warn("config reload: "+w.Message, "path", w.Path)
	}
	old := d.current()
	if cfg.Catalog.Driver != old.Config.Catalog.Driver || cfg.Catalog.DSN.Value() != old.Config.Catalog.DSN.Value() {
		return errors.New("the catalog settings changed: restart the daemon to use another catalog")
	}
	next, err := build(ctx, cfg, old.Logger, old.Catalog)
	if err != nil {
		return err
	}
	entries, err := next.entries()
	if err != nil {
		return err
	}
	if err := d.sched.Reload(entries); err != nil {
		return err
	}
	next.Runner.Clock = old.Runner.Clock
	notifier := newNotifier(next)
	next.Runner.Observers = []runner.Observer{d.metrics, notifier}
	d.mu.Lock()
	oldNotifier := d.notifier
	d.app, d.notifier = next, notifier
	d.mu.Unlock()
	d.publishJobs(ctx)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		oldNotifier.Close(ctx) // deliver what the old config queued
	}()
	if !reflect.DeepEqual(cfg.HTTP, old.Config.HTTP) {
		d.logger.Warn("http settings (listen address, tokens) change only with a restart")
	}
	if cfg.Concurrency != old.Config.Concurrency {
		d.logger.Warn("concurrency limits change only with a restart")
	}
	d.logger.Info("config reloaded", "backup_types", len(entries), "next_runs", fmtNextRuns(entries, d.opts.Clock.Now()))
	return nil
}

func fmtNextRuns(entries []scheduler.Entry, now time.Time) string {
	var parts []string
	for _, e := range entries {
		parts = append(parts, e.Name+"="+e.Schedule.Next(now).Format(time.RFC3339))
	}
	return fmt.Sprint(parts)
}
