package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/notify"
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

	mu      sync.RWMutex
	app     *App // the current config's components; replaced by a reload
	metrics *metrics.Metrics

	pruneMu sync.Mutex // one retention pass at a time

	progress sync.Map // backup ID -> *progress, while it runs
	expected sync.Map // backup ID -> int64 ExpectedRawBytes, while it runs
	ops      operations

	drills   *drillState
	serveCtx context.Context // Serve's ctx: its end cancels drills

	// callTimeout bounds each storage call of crash recovery and the
	// leftover sweeps (DefaultCallTimeout).
	callTimeout time.Duration

	discovered discoveredDBs // for the job metrics (jobmetrics.go)
}

// Serve runs the daemon until ctx ends: the HTTP API and health at once,
// crash recovery in the background (it never holds up the API, the
// schedules or shutdown, and only ever reclaims backups whose process is
// gone), the schedules of backup_types, retention after each backup and
// every daemon.retention_interval, and config reloads. When ctx ends it
// stops scheduling, lets running backups finish for
// daemon.shutdown_timeout, then cancels them (they are recorded as
// interrupted, within afterCancel at the latest) and returns nil.
//
// The daemon builds its own components from a's config and catalog, with
// its clock, metrics and webhook notifier; a is left as it is, and its
// caller closes it (and so the catalog) once Serve returned.
func (a *App) Serve(ctx context.Context, o ServeOptions) error {
	if err := a.CheckWritable(); err != nil {
		return err
	}
	d, entries, err := a.newDaemon(ctx, o)
	if err != nil {
		return err
	}
	return d.serve(ctx, entries)
}

// newDaemon builds the daemon of a's config: its components, metrics and
// scheduler, and returns the schedule to run. ctx is Serve's.
func (a *App) newDaemon(ctx context.Context, o ServeOptions) (*daemon, []scheduler.Entry, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	entries, err := a.entries()
	if err != nil {
		return nil, nil, err
	}
	d := &daemon{opts: o, logger: a.Logger, metrics: metrics.New(),
		drills: newDrillState(a.Config.Drills.Concurrency), serveCtx: ctx, callTimeout: DefaultCallTimeout}
	d.metrics.SetBuildInfo(o.Version, o.Commit)
	if seed, err := a.Catalog.List(ctx, catalog.Filter{}); err == nil {
		d.metrics.Seed(seed)
	}
	bo := a.opts
	bo.Clock = o.Clock
	bo.Observers = append(slices.Clone(bo.Observers), drillObserver{d.metrics, d})
	bo.Notify = true
	if d.app, err = build(ctx, a.Config, a.Catalog, bo); err != nil {
		return nil, nil, err
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
	return d, entries, nil
}

// serve answers HTTP on http.listen while the daemon runs (run).
func (d *daemon) serve(ctx context.Context, entries []scheduler.Entry) error {
	a, o := d.current(), d.opts
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
		closeNotifier(a.Notifier, 10*time.Second)
		return fmt.Errorf("http: %w", err)
	}
	ln, err := net.Listen("tcp", a.Config.HTTP.Listen)
	if err != nil {
		closeNotifier(a.Notifier, 10*time.Second)
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
	runErr := d.run(ctx, entries, ln.Addr().String())
	stopHTTP()
	bg.Wait()
	return runErr
}

// run is the daemon but its HTTP side: crash recovery in the background,
// the retention and reload loops, the schedule until ctx ends, then the
// shutdown. listen is the HTTP address, for the start's log line.
func (d *daemon) run(ctx context.Context, entries []scheduler.Entry, listen string) error {
	a := d.current()
	recovered := make(chan struct{}) // crash recovery, in the background: the API answers meanwhile
	go func() { defer close(recovered); d.recover(ctx) }()
	var loops sync.WaitGroup
	loops.Add(4)
	go func() { defer loops.Done(); d.retentionLoop(ctx) }()
	go func() { defer loops.Done(); d.reclaimLoop(ctx) }()
	go func() { defer loops.Done(); d.reloadLoop(ctx) }()
	go func() { // leftovers of runs killed before this start
		defer loops.Done()
		a.CleanDrillLeftovers(ctx, nil)
		a.SweepRestoreLeftovers(ctx)
	}()
	a.Logger.Info("daemon started", "listen", listen, "backup_types", len(entries), "next_runs", fmtNextRuns(entries, d.opts.Clock.Now()))

	runErr := d.sched.Run(ctx, entries)
	loops.Wait()
	d.shutdown()
	select {
	case <-recovered:
	case <-time.After(recoveryGrace):
		d.logger.Warn("crash recovery did not stop in time: leaving it")
	}
	closeNotifier(d.current().Notifier, 10*time.Second)
	return runErr
}

// closeNotifier delivers what n queued, for at most timeout; n may be nil.
func closeNotifier(n *notify.Notifier, timeout time.Duration) {
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n.Close(ctx)
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
