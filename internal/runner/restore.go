package runner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// RestoreRequest says what to restore where.
type RestoreRequest struct {
	Backup     *backup.Backup
	Storage    string      // read from this storage; empty: the first one that verifies
	ToDatabase string      // empty: the backup's own database
	Dumper     dump.Dumper // of the target server
	// Force lets the restore replace an existing, non-empty database.
	Force bool
	// NoOwner leaves object ownership out (PostgreSQL).
	NoOwner bool
	// Drill restores into a drill's scratch database (dump.IsDrillName),
	// a name other restores may not target.
	Drill bool
	// Jobs is how many connections load the data at once
	// (dump.RestoreOptions.Jobs); 0: Runner.RestoreJobs.
	Jobs int
}

// ErrBadTarget marks (wrapped) a restore refused for its target's name,
// which no database may have, before anything was read or changed.
var ErrBadTarget = errors.New("invalid target database name")

// refusal is a restore refused before anything ran: err, whose text it
// has, marked with reason (ErrNotRestorable, ErrBadTarget) for errors.Is.
type refusal struct{ reason, err error }

func refused(reason, err error) error { return &refusal{reason: reason, err: err} }

func (e *refusal) Error() string   { return e.err.Error() }
func (e *refusal) Unwrap() []error { return []error{e.reason, e.err} }

// Restore checks the target, verifies the chosen copy of a backup in full,
// and only then streams it into the target database. A target that is not
// empty without req.Force, or a copy that fails verification, stops the
// restore before anything changed; the engine's Restore replaces the target
// whole or not at all. A restore refused before anything was read (the
// backup's status, encryption without an identity: ErrNotRestorable; a
// target name no database may have: ErrBadTarget) says so with errors.Is.
func (r *Runner) Restore(ctx context.Context, req RestoreRequest) error {
	b := req.Backup
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return refused(ErrNotRestorable, fmt.Errorf("restore %s: backup status is %s, not restorable", b.ID, b.Status))
	}
	if b.Encrypted && len(r.Identities) == 0 {
		return refused(ErrNotRestorable, fmt.Errorf("restore %s: backup is encrypted and no identity_file is configured", b.ID))
	}
	db := req.ToDatabase
	if db == "" {
		db = b.Database
	}
	if err := backup.CheckDatabaseName(db); err != nil {
		return refused(ErrBadTarget, fmt.Errorf("restore %s: target: %w", b.ID, err))
	}
	opts := dump.RestoreOptions{Force: req.Force, NoOwner: req.NoOwner, Drill: req.Drill, Jobs: req.Jobs}
	if opts.Jobs == 0 {
		opts.Jobs = r.RestoreJobs
	}
	if m := b.Manifest; m != nil {
		opts.Database, opts.MaxStatementBytes, opts.RawBytes = m.DatabaseProps, m.MaxStatementBytes, m.RawBytes
	}
	if err := req.Dumper.CheckTarget(ctx, db, opts); err != nil {
		return fmt.Errorf("restore %s: %w", b.ID, err)
	}
	loc, err := r.pickVerified(ctx, b, req.Storage)
	if err != nil {
		return fmt.Errorf("restore %s: %w; target database untouched", b.ID, err)
	}
	s, err := r.backend(loc.Storage)
	if err != nil {
		return err
	}
	log := r.logger().With(jobLogAttrs(b)...).With("storage", loc.Storage, "to_database", db)
	log.Info("restore started")
	readPhase(ctx, "restore")
	err = r.readChecked(ctx, s, b, loc.Key, func(content io.Reader) error {
		return req.Dumper.Restore(ctx, db, content, opts)
	})
	if err != nil {
		if ctx.Err() != nil {
			// Stopped from outside (Ctrl-C, a client that left): not a fault.
			log.Warn("restore canceled", "error", err)
		} else {
			log.Error("restore failed", "error", err)
		}
		return fmt.Errorf("restore %s into %s: %w", b.ID, db, err)
	}
	log.Info("restore finished")
	return nil
}

// pickVerified returns the first location (or the named one) whose object verifies.
func (r *Runner) pickVerified(ctx context.Context, b *backup.Backup, storageName string) (backup.Location, error) {
	if storageName != "" {
		if b.Location(storageName) == nil {
			return backup.Location{}, fmt.Errorf("backup has no copy in storage %q", storageName)
		}
	}
	var errs []error
	for _, loc := range b.Locations {
		if (storageName != "" && loc.Storage != storageName) || loc.Status != backup.LocationSuccess {
			continue
		}
		res := r.verifyLocation(ctx, b, loc)
		if res.Err == nil {
			return loc, nil
		}
		errs = append(errs, fmt.Errorf("storage %s: verify: %w", loc.Storage, res.Err))
		r.logger().Warn("copy failed verification", "id", b.ID, "storage", loc.Storage, "error", res.Err)
	}
	if len(errs) == 0 {
		return backup.Location{}, errors.New("no complete copy in any storage")
	}
	return backup.Location{}, errors.Join(errs...)
}
