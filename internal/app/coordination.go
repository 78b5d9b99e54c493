package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/lease"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// Several processes may share one catalog. With SQLite, one daemon uses it
// (serve takes a file lock; one-shot commands run beside it, on the same
// host). With a shared catalog (postgres, mysql), any number of replicas
// and one-shot commands on any hosts do, coordinated by the catalog alone:
//
//   - each process holds an owner lease, renewed every third of
//     daemon.lease_ttl (lease.Keeper); its running backups are judged by it
//     (runner.Reclaim): once it lapsed, any other process ends them as
//     interrupted;
//   - a scheduled slot of a job runs where its claim was inserted first
//     (catalog.Store.ClaimSlot): a unique row per job and slot rather than
//     rows locked with SELECT ... FOR UPDATE SKIP LOCKED, because an
//     insert that conflicts is atomic on every SQL server and driver, needs
//     no transaction held while the backup runs, and leaves a record of who
//     ran what; a replica that dies mid-backup loses that slot, and the
//     job's next slot is claimed by a survivor;
//   - retention, leftover sweeps and restore drills each run under a task
//     lease, on one replica at a time (lease.RunExclusive).

// claimRetention is how long slot claims are kept: far longer than any
// clock skew or late tick that could claim the same slot again.
const claimRetention = 7 * 24 * time.Hour

// stopLease releases an owner lease, if any, within a few seconds.
func stopLease(k *lease.Keeper, logger *slog.Logger) {
	if k == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := k.Stop(ctx); err != nil {
		logger.Warn("cannot release this process's lease; it lapses by itself", "lease", k.Name(), "error", err)
	}
}

// leaseTTL is the lease TTL in force: the one this process's lease was
// taken with (daemon.lease_ttl at start; a reload does not change it).
func (a *App) leaseTTL() time.Duration {
	if a.Shared() {
		return a.opts.Lease.TTL()
	}
	return a.Config.Daemon.LeaseTTL.D()
}

// Shared reports whether the catalog is shared with other replicas
// (postgres, mysql), whose work this process coordinates with.
func (a *App) Shared() bool { return a.opts.Lease != nil }

// ErrTaskBusy is returned (wrapped) by Prune when another process sharing
// the catalog is applying retention right now.
var ErrTaskBusy = errors.New("another process sharing the catalog runs this task now")

// exclusive runs fn under task lease task when the catalog is shared, so
// that one replica at a time runs it. It returns nil if fn ran; when
// another process holds the lease, fn is skipped (that process does the
// work) and the error wraps ErrTaskBusy and names the holder; an error
// taking the lease is returned too. Without a shared catalog fn always runs.
func (a *App) exclusive(ctx context.Context, task string, fn func(ctx context.Context)) error {
	if !a.Shared() {
		fn(ctx)
		return nil
	}
	ran, cur, err := lease.RunExclusive(ctx, a.Catalog, task, a.opts.Lease.Name(), a.leaseTTL(), a.opts.Clock, fn)
	switch {
	case err != nil:
		return fmt.Errorf("%s: cannot take its lease: %w", task, err)
	case !ran:
		return fmt.Errorf("%s: %w (%s, until %s)", task, ErrTaskBusy, strings.TrimPrefix(cur.Holder, lease.OwnerPrefix),
			cur.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// background runs fn like exclusive, for the daemon's own passes: a pass
// another process runs is skipped quietly (logged at DEBUG), one whose
// lease cannot be taken is logged at ERROR.
func (a *App) background(ctx context.Context, task string, fn func(ctx context.Context)) {
	err := a.exclusive(ctx, task, fn)
	switch {
	case errors.Is(err, ErrTaskBusy):
		a.Logger.Debug("skipped: another replica runs this task", "task", task, "error", err)
	case err != nil && ctx.Err() == nil:
		a.Logger.Error("skipped a task that runs on one replica at a time", "task", task, "error", err)
	}
}

// Prune applies retention to the storages in policies (see runner.Prune).
// With a shared catalog a pass that deletes runs on one process at a time:
// when another one is applying retention, it returns an error wrapping
// ErrTaskBusy and deletes nothing. A dry run reads only and always runs.
func (a *App) Prune(ctx context.Context, policies map[string]retention.Policy, dryRun bool) ([]retention.StoragePlan, error) {
	if dryRun {
		return a.Runner.Prune(ctx, policies, true)
	}
	var (
		plans []retention.StoragePlan
		perr  error
	)
	if err := a.exclusive(ctx, "retention", func(ctx context.Context) {
		plans, perr = a.Runner.Prune(ctx, policies, false)
	}); err != nil {
		return nil, err
	}
	return plans, perr
}

// claimSlot reports whether this process runs job's scheduled slot: always
// without a shared catalog; with one, when its claim is the first.
func (a *App) claimSlot(ctx context.Context, job string, slot time.Time) bool {
	if !a.Shared() {
		return true
	}
	ok, holder, err := a.Catalog.ClaimSlot(ctx, job, slot, a.opts.Lease.Name(), a.Runner.Now())
	switch {
	case err != nil:
		// Running it twice is better than not at all: the catalog refuses a
		// second run of a job that runs, and a slot is lost only if every
		// replica fails to claim it. Mostly the catalog is away, and the
		// backup's start fails and says so.
		a.Logger.Debug("cannot claim a scheduled slot; running it anyway", "job", job, "slot", slot.UTC().Format(time.RFC3339), "error", err)
		return true
	case !ok:
		a.Logger.Debug("skipped: another replica runs this slot", "job", job, "slot", slot.UTC().Format(time.RFC3339), "holder", holder)
	}
	return ok
}
