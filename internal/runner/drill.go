package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// cleanupTimeout bounds dropping a drill's scratch database and recording
// the drill after its context ended.
const cleanupTimeout = 2 * time.Minute

// DrillObserver is told about every finished restore drill. Observers that
// implement it (metrics, notifications) get the call; restore is how long
// the restore itself took, zero when it failed.
type DrillObserver interface {
	DrillFinished(b *backup.Backup, d backup.Drill, restore time.Duration)
}

// DrillRequest says which backup to drill on which server.
type DrillRequest struct {
	Backup *backup.Backup
	Server string      // the server restored onto, as recorded
	Dumper dump.Dumper // of that server
	// NoOwner leaves ownership out (PostgreSQL), for a server that may lack
	// the backup's roles.
	NoOwner bool
}

// DrillResult is a finished drill and where it ran.
type DrillResult struct {
	backup.Drill
	Scratch string        // the scratch database, dropped again
	Restore time.Duration // the restore's own time; 0 when it failed
}

// ErrNotRestorable marks (wrapped) a backup that cannot be restored or
// drilled at all: its status, or (restore) encryption without an identity.
var ErrNotRestorable = errors.New("backup is not restorable")

// Drill restores b into a fresh scratch database (dump.NewDrillName) through
// Restore (which verifies the copy first), counts the result with the
// server's Fingerprint, compares it with the manifest's fingerprint, and
// drops the scratch database again, also when the restore failed or ctx
// was cancelled. The drill is recorded in the catalog before anything is
// created, so a leftover of a killed run can be told from a live drill.
// The error is non-nil only when no drill ran (ErrNotRestorable, the
// catalog refused the record); otherwise the result's Status says how the
// drill went: DrillInterrupted when ctx ended before it could tell.
func (r *Runner) Drill(ctx context.Context, req DrillRequest) (DrillResult, error) {
	b := req.Backup
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return DrillResult{}, fmt.Errorf("drill %s: %w: status is %s", b.ID, ErrNotRestorable, b.Status)
	}
	rec := &catalog.DrillRecord{
		BackupID: b.ID,
		Scratch:  dump.NewDrillName(),
		Host:     drillHost(),
		PID:      os.Getpid(),
		Drill:    backup.Drill{At: r.Now(), Server: req.Server, Differences: []string{}},
	}
	r.drills().add(rec.Scratch)
	defer r.drills().remove(rec.Scratch)
	if err := r.Catalog.InsertDrill(ctx, rec); err != nil {
		return DrillResult{}, fmt.Errorf("drill %s: %w", b.ID, err)
	}
	log := r.logger().With(jobLogAttrs(b)...).With("drill_server", req.Server, "scratch", rec.Scratch)
	log.Info("restore drill started")

	res := DrillResult{Scratch: rec.Scratch}
	var problems []string
	started := r.Now()
	err := r.Restore(ctx, RestoreRequest{Backup: b, ToDatabase: rec.Scratch, Dumper: req.Dumper, NoOwner: req.NoOwner, Drill: true})
	if err != nil {
		problems = append(problems, err.Error())
	} else {
		res.Restore = r.Now().Sub(started)
		readPhase(ctx, "compare")
		got, err := req.Dumper.Fingerprint(ctx, rec.Scratch)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("count the restored database: %v", err))
		case b.Manifest != nil && b.Manifest.Fingerprint != nil:
			rec.Compared = true
			if d := b.Manifest.Fingerprint.Differences(got); d != nil {
				rec.Differences = d
			}
		}
	}

	// Cleanup runs whatever happened to ctx: a drill never leaves its
	// scratch database behind when it can help it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// A restore that failed with its target unchanged made no database
	// (the engines drop what they created): nothing to drop, and a server
	// that is down would only repeat its error.
	if !errors.Is(err, dump.ErrTargetUnchanged) {
		if err := req.Dumper.DropDrill(cctx, rec.Scratch); err != nil {
			log.Error("cannot drop the drill's scratch database; a later drill run removes it", "error", err)
			problems = append(problems, fmt.Sprintf("drop scratch database %s: %v", rec.Scratch, err))
		}
	}
	rec.Seconds = time.Since(started).Seconds()
	rec.Status = backup.DrillSuccess
	if len(problems) > 0 || len(rec.Differences) > 0 {
		rec.Status = backup.DrillFailure
	}
	if len(problems) > 0 {
		rec.Error = joinLines(problems)
	}
	// A drill stopped from outside (shutdown, Ctrl-C) proves nothing either
	// way: its errors are the cancellation's. Only differences it found
	// before still make it a failure.
	if ctx.Err() != nil && len(rec.Differences) == 0 {
		rec.Status, rec.Error = backup.DrillInterrupted, "drill interrupted: "+context.Cause(ctx).Error()
	}
	if err := r.Catalog.FinishDrill(cctx, rec); err != nil {
		log.Error("cannot record the drill's outcome", "error", err)
	}
	res.Drill = rec.Drill
	log.Log(cctx, drillLevel(rec.Status), "restore drill finished", "status", rec.Status, "seconds", rec.Seconds,
		"compared", rec.Compared, "differences", len(rec.Differences), errorAttr(rec.Error))
	for _, o := range r.Observers {
		if do, ok := o.(DrillObserver); ok {
			do.DrillFinished(b, res.Drill, res.Restore)
		}
	}
	return res, nil
}

func joinLines(lines []string) string {
	out := lines[0]
	for _, l := range lines[1:] {
		out += "\n" + l
	}
	return out
}

// CleanDrillLeftovers drops the drill databases on one server that this
// catalog proves are its own and abandoned: recorded as running by a process
// of this host that is gone (no such process, its ID now another program's,
// the host rebooted since), or by this process, which no longer runs it.
// A drill database the catalog does not record as running (another
// installation's, or made by hand) and one recorded by another host are left
// alone and logged. Running records whose process is gone are closed as
// failures. Only names dump.IsDrillName accepts are ever dropped. It returns
// the dropped names.
func (r *Runner) CleanDrillLeftovers(ctx context.Context, server string, d dump.Dumper) ([]string, error) {
	names, err := d.DrillLeftovers(ctx)
	if err != nil {
		return nil, fmt.Errorf("drill leftovers on %s: %w", server, err)
	}
	running, err := r.Catalog.RunningDrills(ctx)
	if err != nil {
		return nil, fmt.Errorf("drill leftovers on %s: %w", server, err)
	}
	byScratch := map[string]catalog.DrillRecord{}
	for _, rec := range running {
		if rec.Server == server {
			byScratch[rec.Scratch] = rec
		}
	}
	// gone says why a record's process is known to be gone, "" while it
	// may still run the drill.
	gone := map[string]string{}
	for name, rec := range byScratch {
		why := ownerGone(rec.Host, rec.PID)
		if why == "" && rec.PID == os.Getpid() && !r.drills().has(rec.Scratch) {
			why = "this process no longer runs it"
		}
		gone[name] = why
	}
	var dropped []string
	var errs []error
	for _, name := range names {
		if !dump.IsDrillName(name) {
			continue
		}
		rec, ok := byScratch[name]
		if !ok {
			r.logger().Warn("a drill database this catalog does not record as running: left alone (another installation's, or one whose drop failed); drop it by hand if nothing uses it",
				"server", server, "database", name)
			continue
		}
		if gone[name] == "" {
			r.logger().Info("a drill database kept: the process that records it as running may still run it",
				"server", server, "database", name, "host", rec.Host, "pid", rec.PID)
			continue
		}
		if err := d.DropDrill(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("drop %s on %s: %w", name, server, err))
			continue
		}
		r.logger().Warn("dropped a leftover drill database", "server", server, "database", name, "reason", gone[name])
		dropped = append(dropped, name)
	}
	for name, rec := range byScratch {
		if gone[name] == "" {
			continue
		}
		rec.Status = backup.DrillFailure
		rec.Error = "interrupted: the process running the drill stopped before it finished (" + gone[name] + ")"
		if err := r.Catalog.FinishDrill(ctx, &rec); err != nil {
			errs = append(errs, err)
		}
	}
	return dropped, errors.Join(errs...)
}

// activeDrills are the scratch databases this process is drilling into now.
type activeDrills struct {
	mu    sync.Mutex
	names map[string]bool
}

func (a *activeDrills) add(n string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.names == nil {
		a.names = map[string]bool{}
	}
	a.names[n] = true
}

func (a *activeDrills) remove(n string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.names, n)
}

func (a *activeDrills) has(n string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.names[n]
}

// processDrills is shared by every Runner of the process: a config reload
// builds a new Runner while drills of the old one may still run.
var processDrills activeDrills

func (r *Runner) drills() *activeDrills { return &processDrills }
