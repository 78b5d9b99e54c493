package app

import (
	"context"
	"slices"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/owner"
)

// DefaultCallTimeout bounds one storage call of crash recovery and of the
// leftover sweeps (a listing, a delete, a sweep of one storage), on top of
// the storage's own idle_timeout, so that a storage that stalls can hold up
// neither the daemon nor a command for longer.
const DefaultCallTimeout = 5 * time.Minute

// Recover is crash recovery, as the daemon runs it in the background at
// start and a command may run it before its work: backups left running by
// a process of this host that is gone become interrupted (see
// runner.Reclaim: never one of a live process, nor one of another host,
// which is logged and left alone), then the leftovers of interrupted runs
// and the unfinished writes older than daemon.cleanup_age are removed from
// every storage (SweepLeftovers). Each storage call is bounded by
// callTimeout (0: DefaultCallTimeout); ctx ends it all early. What it does
// and what fails is logged; it returns nothing to act on.
func (a *App) Recover(ctx context.Context, callTimeout time.Duration) {
	a.Reclaim(ctx)
	a.SweepLeftovers(ctx, callTimeout)
}

// Reclaim marks the backups left running by a process of this host that is
// gone interrupted (runner.Reclaim) and logs what it did and what it left
// alone. It touches only the catalog, so every command runs it when it
// opens the app (New): a killed run is never shown as running, nor refused
// as running by delete, once its process is gone.
func (a *App) Reclaim(ctx context.Context) {
	rep, err := a.Runner.Reclaim(ctx)
	if err != nil && ctx.Err() == nil {
		a.Logger.Error("crash recovery: cannot mark running backups interrupted", "error", err)
	}
	for _, b := range rep.Interrupted {
		a.Logger.Warn("crash recovery: backup left running by a stopped process is now interrupted",
			"id", b.ID, "server", b.Server, "database", b.Database, "type", b.Type, "reason", b.Error)
	}
	for _, b := range rep.Foreign {
		o := owner.Parse(b.OwnerHost, b.OwnerPID)
		a.Logger.Warn("crash recovery: a backup is recorded running by a process of another host or PID namespace (container); left alone, as its end cannot be told from here",
			"id", b.ID, "server", b.Server, "database", b.Database, "type", b.Type, "host", o.Host, "pid", o.PID,
			"started_at", b.StartedAt.Format(time.RFC3339))
	}
	for _, name := range rep.LeasesRemoved {
		a.Logger.Info("crash recovery: removed the lapsed lease of a process that stopped", "lease", name)
	}
	for _, b := range rep.Leased {
		o := owner.Parse(b.OwnerHost, b.OwnerPID)
		a.Logger.Debug("crash recovery: a backup runs in another replica whose lease is alive; left alone",
			"id", b.ID, "server", b.Server, "database", b.Database, "type", b.Type, "host", o.Host, "pid", o.PID)
	}
	for _, b := range rep.Live {
		a.Logger.Debug("crash recovery: a backup runs in a live process; left alone",
			"id", b.ID, "server", b.Server, "database", b.Database, "type", b.Type, "pid", b.OwnerPID)
	}
}

// SweepLeftovers removes from every storage what interrupted runs left
// (their objects and manifests under the final names, temp files, multipart
// uploads) and other unfinished writes older than daemon.cleanup_age, each
// storage call bounded by callTimeout (0: DefaultCallTimeout), and logs
// what it removed and what failed. A storage that fails is tried again by
// the next sweep.
//
// With names given, only those storages are swept (a one-shot backup sweeps
// the storages it could write, not one that just stalled).
func (a *App) SweepLeftovers(ctx context.Context, callTimeout time.Duration, names ...string) {
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	r := a.Runner
	if len(names) > 0 {
		only := *a.Runner
		only.Storages = nil
		for _, s := range a.Runner.Storages {
			if slices.Contains(names, s.Name()) {
				only.Storages = append(only.Storages, s)
			}
		}
		r = &only
	}
	rep, err := r.SweepLeftovers(ctx, a.Config.Daemon.CleanupAge.D(), callTimeout)
	if err != nil && ctx.Err() == nil {
		a.Logger.Error("cleanup of leftovers failed", "error", err)
	}
	for _, s := range a.Runner.Storages {
		if n := rep.Removed[s.Name()]; n > 0 {
			a.Logger.Info("removed leftovers of unfinished backups", "storage", s.Name(), "count", n)
		}
	}
}

// recover runs once, in the background, at start: crash recovery (Recover),
// then storage and catalog are compared for strays. Serve's end cancels ctx.
func (d *daemon) recover(ctx context.Context) {
	a := d.current()
	a.Reclaim(ctx)
	a.background(ctx, "sweep", func(ctx context.Context) {
		a.SweepLeftovers(ctx, d.callTimeout)
		d.reportStrays(ctx)
	})
}

// sweep removes the leftovers of unfinished writes (see App.SweepLeftovers),
// on one replica at a time.
func (d *daemon) sweep(ctx context.Context) {
	a := d.current()
	a.background(ctx, "sweep", func(ctx context.Context) { a.SweepLeftovers(ctx, d.callTimeout) })
}

// reportStrays logs objects in storage that the catalog does not know, and
// catalog entries whose object is gone.
func (d *daemon) reportStrays(ctx context.Context) {
	a := d.current()
	for _, s := range a.Runner.Storages {
		if ctx.Err() != nil {
			return
		}
		lctx, cancel := context.WithTimeout(ctx, d.callTimeout)
		objs, err := s.List(lctx, "")
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.logger.Error("cannot list storage to check it against the catalog", "storage", s.Name(), "error", err)
			}
			continue
		}
		present := map[string]bool{}
		for _, o := range objs {
			present[o.Key] = true
		}
		list, err := a.Catalog.List(ctx, catalog.Filter{Storage: s.Name()})
		if err != nil {
			if ctx.Err() == nil { // not a shutdown cutting the check short
				d.logger.Error("cannot read the catalog", "error", err)
			}
			return
		}
		known := map[string]bool{}
		for _, b := range list {
			known[b.ID] = true
			if l := b.Location(s.Name()); l != nil && l.Status == backup.LocationSuccess && !present[l.Key] {
				d.logger.Warn("catalog lists a backup whose object is missing", "storage", s.Name(), "id", b.ID, "key", l.Key)
			}
		}
		for _, o := range objs {
			id := backup.IDOfKey(o.Key)
			if id != "" && !known[id] {
				if _, err := a.Catalog.Get(ctx, id); err == nil {
					continue // known, but not with a location here
				}
				d.logger.Warn("object in storage has no catalog entry (catalog rebuild adopts it)", "storage", s.Name(), "key", o.Key)
			}
		}
	}
}
