package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
)

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
// With a shared catalog each task first claims the job's slot, and runs
// only if its claim is the first (see coordination.go).
func (d *daemon) expand(ctx context.Context, typ string, slot time.Time) []scheduler.Task {
	if typ == drillEntry {
		// The drills of a slot run on the replica that claims it, and on
		// one replica at a time.
		if a := d.current(); a.claimSlot(ctx, drillEntry, slot) {
			a.background(ctx, "drills", d.expandDrills) // submits its drills itself, as drill slots free
		}
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
			Run: func(ctx context.Context) {
				if a.claimSlot(ctx, jobKey(job), slot) {
					d.runJob(ctx, a, job)
				}
			},
		}
	}
	return tasks
}

// recordUnreachable records the failed backups a plan error stands for (a
// server that is down, a database whose name is refused; see
// RecordPlanError), so that they show in the catalog, the metrics and the
// webhooks instead of only in the log.
func (d *daemon) recordUnreachable(ctx context.Context, a *App, typ string, planErr error) {
	// RecordPlanError logs what it records and what fails; an error that
	// stands for no backup is only logged.
	if b, err := a.RecordPlanError(ctx, typ, planErr); b == nil && err == nil {
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

// progress is a running backup's live byte count, for the web UI.
type progress struct {
	id, server, database, typ string
	started                   time.Time
	raw                       atomic.Int64
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

// prune applies retention to every storage, one pass at a time: in this
// process, and among replicas sharing the catalog.
func (d *daemon) prune(ctx context.Context, why string) {
	d.pruneMu.Lock()
	defer d.pruneMu.Unlock()
	a := d.current()
	a.background(ctx, "retention", func(ctx context.Context) { d.pruneOnce(ctx, a, why) })
}

func (d *daemon) pruneOnce(ctx context.Context, a *App, why string) {
	if a.Shared() {
		if n, err := a.Catalog.PruneClaims(ctx, a.Runner.Now().Add(-claimRetention)); err != nil {
			d.logger.Warn("cannot prune old slot claims", "error", err)
		} else if n > 0 {
			d.logger.Debug("pruned old slot claims", "count", n)
		}
	}
	plans, err := a.Runner.Prune(ctx, a.RetentionPolicies(), false)
	deleted := 0
	for _, p := range plans {
		for _, dec := range p.Decisions {
			if dec.Action == retention.Delete {
				deleted++
			}
		}
	}
	if err != nil {
		d.logger.Error("retention pass failed", "trigger", why, "error", err)
	} else if deleted > 0 {
		d.logger.Info("retention pass done", "trigger", why, "deleted", deleted)
	}
	// A pass that changed nothing and failed at nothing (most of them: one
	// follows every backup) would only bury the others.
	if deleted > 0 || (err != nil && ctx.Err() == nil) {
		d.auditRetention(ctx, a, plans, err)
	}
}

// auditRetention records a retention pass of the daemon's own in the audit
// trail, as actor audit.Daemon; a failure to record is logged.
func (d *daemon) auditRetention(ctx context.Context, a *App, plans []retention.StoragePlan, err error) {
	rec := audit.Recorder{Append: a.Catalog.AppendAudit, Clock: d.opts.Clock, Logger: d.logger}
	for _, e := range audit.RetentionEntries(plans, err) {
		e.Actor = audit.Daemon
		rec.Record(ctx, e)
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

// reclaimLoop runs crash recovery in the catalog (App.Reclaim) every half
// lease_ttl, so that the backups of a replica (or one-shot command) that
// died are ended as interrupted soon after its lease lapsed, and those of a
// killed one-shot command beside an SQLite daemon soon after it died.
//
// It also brings the last-outcome metrics up to what the other replicas
// and one-shot commands ran (syncCatalogMetrics).
func (d *daemon) reclaimLoop(ctx context.Context) {
	seen := map[[4]string]string{}
	for {
		t := d.opts.Clock.NewTimer(d.current().leaseTTL() / 2)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		a := d.current()
		if a.Shared() && !a.opts.Lease.Reachable() {
			continue // the catalog is away: the lease keeper says so, once
		}
		a.Reclaim(ctx)
		d.syncCatalogMetrics(ctx, seen)
	}
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

func fmtNextRuns(entries []scheduler.Entry, now time.Time) string {
	var parts []string
	for _, e := range entries {
		parts = append(parts, e.Name+"="+e.Schedule.Next(now).Format(time.RFC3339))
	}
	return fmt.Sprint(parts)
}
