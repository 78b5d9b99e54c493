package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/lease"
	"github.com/gosqlguard/gosqlguard/internal/owner"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// ErrAlreadyRunning is returned (wrapped) by Open for a job that a live
// process runs right now. The message names that backup:
// "already running: backup ID of S/D/T started TIME by pid N", followed by
// " on host H" when that process is of another host.
var ErrAlreadyRunning = errors.New("already running")

func alreadyRunning(b *backup.Backup) error {
	where := ""
	if o := owner.Parse(b.OwnerHost, b.OwnerPID); !o.Local() {
		where = " on host " + o.Host
	}
	return fmt.Errorf("%w: backup %s of %s/%s/%s started %s by pid %d%s", ErrAlreadyRunning,
		b.ID, b.Server, b.Database, b.Type, b.StartedAt.UTC().Format(time.RFC3339), b.OwnerPID, where)
}

// InterruptedReason starts the error recorded on a backup whose process
// stopped before it finished; why follows in parentheses.
const InterruptedReason = "interrupted: the process running this backup stopped before it finished"

// leftoversRemoved is the error of a location whose leftovers a sweep removed.
const leftoversRemoved = "the run did not finish; what it left here was removed"

// selfOwner is what Open records as a backup's owner: this process.
func selfOwner() (host string, pid int) {
	o := owner.Self()
	return o.Record(), o.PID
}

// canJudge reports whether a lapsed owner lease proves its holder gone to
// this process (see LeaseJudge).
func (r *Runner) canJudge() bool { return r.LeaseJudge == nil || r.LeaseJudge() }

// ownerLeases returns the owner leases of the processes sharing the
// catalog (see package lease), by name; none with SQLite, where every
// process is of this host and judged by its PID.
func (r *Runner) ownerLeases(ctx context.Context) (map[string]catalog.Lease, error) {
	ls, err := r.Catalog.Leases(ctx, lease.OwnerPrefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]catalog.Lease, len(ls))
	for _, l := range ls {
		out[l.Name] = l
	}
	return out, nil
}

// ownerState judges the process running b: gone says why it is known to be
// gone ("" when it may run), live that it is known to run. A process with
// an owner lease is judged by it alone: alive until it lapses, whatever
// else is known, so that recovery never touches the runs of a process
// whose lease is alive; a lapsed one proves it gone only when canJudge
// (see Runner.LeaseJudge), and is otherwise neither gone nor live. One
// without a lease is judged by its PID if it is of this host (see owner),
// and is neither known gone nor live if it is of another.
func ownerState(b *backup.Backup, leases map[string]catalog.Lease, now time.Time, canJudge bool) (gone string, live bool) {
	if l, ok := leases[lease.OwnerName(b.OwnerHost, b.OwnerPID)]; ok {
		switch {
		case now.Before(l.Expires):
			return "", true
		case !canJudge:
			return "", false
		}
		return fmt.Sprintf("its lease expired at %s: the process stopped renewing it", l.Expires.UTC().Format(time.RFC3339)), false
	}
	if why := backupOwnerGone(b); why != "" {
		return why, false
	}
	return "", owner.Parse(b.OwnerHost, b.OwnerPID).Local()
}

// claim returns Open's catalog.Claim: a running backup of the job whose
// process is gone is ended; one of a live process (its lease alive, or of
// this host) blocks; one of another host without a lease, which cannot be
// judged from here, lets the job start (a host that is gone for good must
// not lock its jobs out).
func (r *Runner) claim(leases map[string]catalog.Lease) catalog.Claim {
	now, canJudge := r.Now(), r.canJudge()
	return func(b *backup.Backup) (interrupt string, block bool) {
		gone, live := ownerState(b, leases, now, canJudge)
		if gone != "" {
			return InterruptedReason + " (" + gone + ")", false
		}
		return "", live
	}
}

// ReclaimReport sorts the backups Reclaim found running.
type ReclaimReport struct {
	// Interrupted were left running by a process that is gone and are now
	// interrupted; Error says why.
	Interrupted []*backup.Backup
	// Live run in a process of this host that may still run them.
	Live []*backup.Backup
	// Foreign are recorded by a process of another host, whose end cannot
	// be told from here: they are left running.
	Foreign []*backup.Backup
	// Leased run in a process of another host whose lease is alive.
	Leased []*backup.Backup
	// LeasesRemoved are the lapsed owner leases removed once none of their
	// backups was left running.
	LeasesRemoved []string
}

// Reclaim is crash recovery in the catalog: every backup still running
// whose process is known to be gone becomes interrupted, finished now, with
// the reason in its error. A process sharing the catalog with an owner
// lease (package lease) is gone once its lease lapsed, and never before.
// One without a lease is gone if it is of this host and no longer exists,
// its ID now belongs to another process or program, or it ran before the
// host rebooted; so is the owner of a row of an older version, which
// recorded none. Live ones and those of another host are left alone and
// reported. Lapsed owner leases none of whose backups is left running are
// removed. Leftovers in storage go with SweepLeftovers.
func (r *Runner) Reclaim(ctx context.Context) (ReclaimReport, error) {
	var rep ReclaimReport
	running, err := r.Catalog.List(ctx, catalog.Filter{Status: backup.StatusRunning})
	if err != nil {
		return rep, fmt.Errorf("reclaim: %w", err)
	}
	leases, err := r.ownerLeases(ctx)
	if err != nil {
		return rep, fmt.Errorf("reclaim: %w", err)
	}
	now, canJudge := r.Now(), r.canJudge()
	var errs []error
	held := map[string]bool{}                // owner leases of the backups left running
	for i := len(running) - 1; i >= 0; i-- { // oldest first
		b := running[i]
		why, live := ownerState(b, leases, now, canJudge)
		switch {
		case why != "":
			reason := InterruptedReason + " (" + why + ")"
			done, err := r.Catalog.MarkInterrupted(ctx, b.ID, now, reason)
			if err != nil {
				errs = append(errs, err)
				held[lease.OwnerName(b.OwnerHost, b.OwnerPID)] = true
				continue
			}
			if done {
				b.Status, b.FinishedAt, b.Error = backup.StatusInterrupted, &now, reason
				rep.Interrupted = append(rep.Interrupted, b)
			}
			continue
		case owner.Parse(b.OwnerHost, b.OwnerPID).Local():
			rep.Live = append(rep.Live, b)
		case live:
			rep.Leased = append(rep.Leased, b)
		default:
			rep.Foreign = append(rep.Foreign, b)
		}
		held[lease.OwnerName(b.OwnerHost, b.OwnerPID)] = true
	}
	for name, l := range leases {
		if held[name] || now.Before(l.Expires) || !canJudge {
			continue
		}
		done, err := r.Catalog.DeleteLease(ctx, name, now)
		if err != nil {
			errs = append(errs, err)
		} else if done {
			rep.LeasesRemoved = append(rep.LeasesRemoved, name)
		}
	}
	sort.Strings(rep.LeasesRemoved)
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("reclaim: %w", err)
	}
	return rep, nil
}

// InterruptOwn ends as interrupted, with reason, every backup this process
// owns that is still running: at shutdown, for runs that were cancelled and
// did not record their end in time. Their leftovers go with the next sweep.
// It returns their IDs.
func (r *Runner) InterruptOwn(ctx context.Context, reason string) ([]string, error) {
	running, err := r.Catalog.List(ctx, catalog.Filter{Status: backup.StatusRunning})
	if err != nil {
		return nil, fmt.Errorf("interrupt: %w", err)
	}
	host, pid := selfOwner()
	var ids []string
	var errs []error
	for _, b := range running {
		if b.OwnerHost != host || b.OwnerPID != pid {
			continue
		}
		done, err := r.Catalog.MarkInterrupted(ctx, b.ID, r.Now(), reason)
		if err != nil {
			errs = append(errs, err)
		} else if done {
			ids = append(ids, b.ID)
		}
	}
	return ids, errors.Join(errs...)
}

// adoptComplete gives back its end to an interrupted backup whose run
// stored a complete copy before its process stopped recording (killed, or
// the catalog away when it ended): in a storage where it is pending, its
// object and manifest exist under their final names, the manifest is of
// this backup and object, and the object has the size and SHA-256 the
// manifest records (a run writes its manifest only once its object is
// complete). The backup then becomes success, or
// partial when some storage holds no such copy, with the manifest's
// times, sizes and checksum, and is recorded; other pending locations stay
// pending, for the sweep. uncertain reports that a storage failed to say
// (then nothing is decided, and the sweep leaves the backup for its next
// pass).
func (r *Runner) adoptComplete(ctx context.Context, b *backup.Backup, call func(func(ctx context.Context) error) error) (uncertain bool, err error) {
	var m *backup.Manifest
	complete := map[string]bool{}
	for _, l := range b.Locations {
		if l.Status != backup.LocationPending || l.Key == "" || storage.CheckKey(l.Key) != nil {
			continue
		}
		s, err := r.backend(l.Storage)
		if err != nil {
			continue // no longer configured
		}
		var lm *backup.Manifest
		err = call(func(ctx context.Context) (err error) {
			lm, err = readManifest(ctx, s, backup.ManifestKey(b))
			return err
		})
		var bad badManifest
		switch {
		case storage.IsNotExist(err), errors.As(err, &bad):
			continue
		case err != nil:
			return true, nil
		case lm.ID != b.ID || backup.ObjectKeyOf(backup.ManifestKey(b), lm.Object) != l.Key:
			continue
		}
		var info storage.Info
		err = call(func(ctx context.Context) (err error) {
			info, err = s.Stat(ctx, l.Key)
			return err
		})
		switch {
		case storage.IsNotExist(err):
			continue
		case err != nil:
			return true, nil
		case info.Size != lm.StoredBytes:
			continue
		}
		// The whole object is read back: only a copy whose checksum is the
		// manifest's comes back. The read is bounded by the storage's
		// idle_timeout, not by the call timeout, which a large object may
		// outlast.
		sum, err := objectSHA256(ctx, s, l.Key)
		switch {
		case storage.IsNotExist(err):
			continue
		case err != nil:
			return true, nil
		case sum == lm.SHA256:
			complete[l.Storage], m = true, lm
		}
	}
	if m == nil {
		return false, nil
	}
	adopted := fromManifest(m)
	adopted.OwnerHost, adopted.OwnerPID = b.OwnerHost, b.OwnerPID
	adopted.Warnings = m.WarningList()
	adopted.Locations = slices.Clone(b.Locations)
	var missing []string
	for i := range adopted.Locations {
		l := &adopted.Locations[i]
		if complete[l.Storage] {
			l.Status, l.Error = backup.LocationSuccess, ""
		} else if l.Status != backup.LocationDeleted {
			missing = append(missing, l.Storage)
		}
	}
	if len(missing) > 0 {
		adopted.Status = backup.StatusPartial
		adopted.Error = "the run stopped before it recorded its end; no complete copy in " + strings.Join(missing, ", ")
	}
	if err := r.Catalog.Update(context.WithoutCancel(ctx), adopted); err != nil {
		return false, err
	}
	r.logger().Warn("a backup recorded interrupted had stored a complete copy before its process stopped recording: adopted",
		"id", b.ID, "status", adopted.Status, "complete_in", slices.Sorted(maps.Keys(complete)))
	*b = *adopted
	return false, nil
}

// objectSHA256 reads the object at key and returns its SHA-256, hex.
func objectSHA256(ctx context.Context, s storage.Backend, key string) (string, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SweepReport says what SweepLeftovers removed.
type SweepReport struct {
	// Removed counts, per storage, the objects, manifests, temp files and
	// uploads removed.
	Removed map[string]int
	// Cleaned are the interrupted backups whose leftovers are now gone from
	// every storage they were written to.
	Cleaned []string
}

// SweepLeftovers removes what writes that never finished left in storage:
//
//   - for every interrupted backup with a location still pending (its
//     process died mid-run), the object and the manifest under their final
//     names (a run killed between storing its object and its manifest, or
//     before its catalog row was final, leaves them) and the temp files and
//     uploads of those keys, whatever their age; the location then becomes
//     failed, so a later pass does not look again;
//   - in every storage that can have them (storage.Sweeper), the other
//     unfinished writes older than olderThan, so that a write a live
//     process is making is never touched.
//
// Each storage call is bounded by callTimeout (0: none but ctx's). A
// storage that fails is skipped and its locations stay pending for the next
// pass; the errors are returned together with what was done.
func (r *Runner) SweepLeftovers(ctx context.Context, olderThan, callTimeout time.Duration) (SweepReport, error) {
	rep := SweepReport{Removed: map[string]int{}}
	list, err := r.Catalog.List(ctx, catalog.Filter{Status: backup.StatusInterrupted})
	if err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	call := func(fn func(ctx context.Context) error) error {
		if callTimeout <= 0 {
			return fn(ctx)
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		return fn(cctx)
	}
	var (
		dirty []*backup.Backup // interrupted, with leftovers to remove
		errs  []error
	)
	final := map[string][]string{}
	for _, b := range list {
		uncertain, err := r.adoptComplete(ctx, b, call)
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case uncertain:
			continue // a storage did not answer: no key is removed before it does
		}
		has := false
		for _, l := range b.Locations {
			if l.Status == backup.LocationPending && l.Key != "" && storage.CheckKey(l.Key) == nil {
				final[l.Storage] = append(final[l.Storage], l.Key, backup.ManifestKey(b))
				has = true
			}
		}
		if has {
			dirty = append(dirty, b)
		}
	}
	clean := map[string]bool{} // storages whose dead keys are all gone
	for _, s := range r.Storages {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		name, ok := s.Name(), true
		for _, key := range final[name] {
			err := call(func(ctx context.Context) error { return s.Delete(ctx, key) })
			switch {
			case err == nil:
				rep.Removed[name]++
				r.logger().Warn("removed what an interrupted backup left under its final name", "storage", name, "key", key)
			case !storage.IsNotExist(err):
				ok = false
				errs = append(errs, fmt.Errorf("storage %s: delete %s: %w", name, key, err))
			}
		}
		if sw, isSweeper := s.(storage.Sweeper); isSweeper {
			var n int
			err := call(func(ctx context.Context) (err error) {
				n, err = sw.Sweep(ctx, final[name], olderThan)
				return err
			})
			rep.Removed[name] += n
			if err != nil {
				ok = false
				errs = append(errs, fmt.Errorf("storage %s: %w", name, err))
			}
		}
		clean[name] = ok
	}
	for _, b := range dirty {
		changed, all := false, true
		for i := range b.Locations {
			l := &b.Locations[i]
			if l.Status != backup.LocationPending {
				continue
			}
			if clean[l.Storage] {
				l.Status, l.Error = backup.LocationFailed, leftoversRemoved
				changed = true
			} else {
				all = false
			}
		}
		if changed {
			if err := r.Catalog.Update(context.WithoutCancel(ctx), b); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if all {
			rep.Cleaned = append(rep.Cleaned, b.ID)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	return rep, nil
}
