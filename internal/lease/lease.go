// Package lease lets several processes share one catalog (replicas of the
// daemon, one-shot commands) without a coordinator: each live process holds
// an owner lease in the catalog and renews it every third of its TTL, and a
// task that must run on one replica at a time (retention, leftover sweeps,
// restore drills) runs under a task lease. A process whose owner lease has
// lapsed is taken for dead: another one ends its running backups as
// interrupted (see runner.Reclaim) and takes over.
//
// Leases compare times of different hosts: the hosts' clocks must agree to
// well under the TTL (NTP).
package lease

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/owner"
)

// Name prefixes in the catalog's lease table.
const (
	// OwnerPrefix starts the lease of a live process: "owner/" + its
	// recorded host string + " pid " + its PID (see OwnerName).
	OwnerPrefix = "owner/"
	// TaskPrefix starts the lease of a task that runs on one process at a
	// time: "task/retention", "task/sweep", "task/drills".
	TaskPrefix = "task/"
)

// OwnerName is the name of the owner lease of the process recorded as
// hostRecord and pid on the backups it runs (backup.Backup.OwnerHost and
// OwnerPID).
func OwnerName(hostRecord string, pid int) string {
	return OwnerPrefix + hostRecord + " pid " + strconv.Itoa(pid)
}

// Self is the owner lease name of this process.
func Self() string {
	o := owner.Self()
	return OwnerName(o.Record(), o.PID)
}

// Store is what leases need of the catalog.
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (catalog.Lease, bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Keeper holds this process's owner lease and renews it every TTL/3 until
// Stop. Build it with Start.
//
// It also tells how long this process has reached the catalog without a
// break (CanJudge): all leases lapse together while the catalog is away, so
// a lapsed lease proves its holder dead only to a process that itself kept
// reaching the catalog for a whole TTL since, time in which a live holder
// renews its lease.
type Keeper struct {
	store  Store
	name   string
	ttl    time.Duration
	clock  clock.Clock
	logger *slog.Logger

	mu           sync.Mutex
	reachedSince time.Time // start of the current run of successful renewals; zero while failing
	lastRenewed  time.Time
	outageLogged bool // the lapse was logged; a recovery is logged once
	stop         chan struct{}
	done         chan struct{}
	stopOnce     sync.Once
}

// Start takes this process's owner lease for ttl and renews it in the
// background. It fails if the lease cannot be written (catalog away), or is
// held by another holder (never expected: the name is this process's own).
// c nil: the system clock.
func Start(ctx context.Context, store Store, ttl time.Duration, c clock.Clock, logger *slog.Logger) (*Keeper, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("lease: ttl %s is not positive", ttl)
	}
	if c == nil {
		c = clock.System{}
	}
	k := &Keeper{store: store, name: Self(), ttl: ttl, clock: c, logger: logger,
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := k.renew(ctx); err != nil {
		return nil, err
	}
	now := c.Now()
	k.reachedSince, k.lastRenewed = now, now
	go k.loop()
	return k, nil
}

// Name is the lease's name, which is also its holder.
func (k *Keeper) Name() string { return k.name }

// TTL is the lease's time to live, as the keeper was started with.
func (k *Keeper) TTL() time.Duration { return k.ttl }

// CanJudge reports whether this process has renewed its lease without a
// break for at least a TTL: only then does another holder's lapsed lease
// prove that holder gone (see Keeper).
func (k *Keeper) CanJudge() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.reachedSince.IsZero() && k.clock.Now().Sub(k.reachedSince) >= k.ttl
}

// Reachable reports whether the last renewal reached the catalog.
func (k *Keeper) Reachable() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.reachedSince.IsZero()
}

func (k *Keeper) renew(ctx context.Context) error {
	now := k.clock.Now()
	cur, ok, err := k.store.AcquireLease(ctx, k.name, k.name, now, now.Add(k.ttl))
	if err != nil {
		return fmt.Errorf("lease: renew %s: %w", k.name, err)
	}
	if !ok {
		return fmt.Errorf("lease: %s is held by %s", k.name, cur.Holder)
	}
	return nil
}

// loop renews the lease every ttl/3. A renewal that fails is tried again at
// the next tick. The first failure is logged at WARN, the lapse of the
// lease (other processes may take this one for dead) once at ERROR, and the
// return of the catalog once at INFO: an outage is a few lines, not one per
// tick.
func (k *Keeper) loop() {
	defer close(k.done)
	every := k.ttl / 3
	tick(k.clock, every, k.stop, func() {
		ctx, cancel := context.WithTimeout(context.Background(), every)
		err := k.renew(ctx)
		cancel()
		k.record(err)
	})
}

// tick calls fn every interval on c until stop is closed.
func tick(c clock.Clock, every time.Duration, stop <-chan struct{}, fn func()) {
	for {
		t := c.NewTimer(every)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C():
		}
		fn()
	}
}

func (k *Keeper) record(err error) {
	now := k.clock.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case err == nil:
		if k.reachedSince.IsZero() {
			k.reachedSince = now
			k.logger.Info("this process's lease is renewed again: the catalog answers", "lease", k.name,
				"unreachable_for", now.Sub(k.lastRenewed).Round(time.Second).String())
		}
		k.lastRenewed, k.outageLogged = now, false
	case !k.reachedSince.IsZero():
		k.reachedSince = time.Time{}
		k.logger.Warn("cannot renew this process's lease; trying again every "+(k.ttl/3).String(), "lease", k.name, "error", err)
	case !k.outageLogged && now.Sub(k.lastRenewed) >= k.ttl:
		k.outageLogged = true
		k.logger.Error("lease lapsed: other processes sharing the catalog may take this one for dead and end its running backups",
			"lease", k.name, "last_renewed", k.lastRenewed.UTC().Format(time.RFC3339), "error", err)
	}
}

// Stop ends the renewals and releases the lease (bounded by ctx), so that
// the process is not taken for dead once gone but simply absent. Call it
// once the process's backups have ended. Later calls do nothing.
func (k *Keeper) Stop(ctx context.Context) error {
	var err error
	k.stopOnce.Do(func() {
		close(k.stop)
		<-k.done
		err = k.store.ReleaseLease(ctx, k.name, k.name)
	})
	return err
}

// RunExclusive runs fn if holder gets task lease TaskPrefix+task for ttl,
// renews the lease every ttl/3 while fn runs, and releases it when fn
// returns. It reports whether fn ran; when it did not, cur says who holds
// the lease until when. An error taking the lease is returned and fn does
// not run. c nil: the system clock.
func RunExclusive(ctx context.Context, store Store, task, holder string, ttl time.Duration, c clock.Clock,
	fn func(ctx context.Context)) (ran bool, cur catalog.Lease, err error) {
	if c == nil {
		c = clock.System{}
	}
	name := TaskPrefix + task
	now := c.Now()
	cur, ok, err := store.AcquireLease(ctx, name, holder, now, now.Add(ttl))
	if err != nil || !ok {
		return false, cur, err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick(c, ttl/3, stop, func() {
			now := c.Now()
			rctx, cancel := context.WithTimeout(ctx, ttl/3)
			_, _, _ = store.AcquireLease(rctx, name, holder, now, now.Add(ttl)) // a miss is retried next tick
			cancel()
		})
	}()
	defer func() {
		close(stop)
		<-done
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ttl/3)
		defer cancel()
		if rerr := store.ReleaseLease(rctx, name, holder); rerr != nil && err == nil {
			err = rerr
		}
	}()
	fn(ctx)
	return true, cur, nil
}
