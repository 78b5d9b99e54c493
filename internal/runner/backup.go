package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Backup dumps job's database once into every one of its storages: Open,
// then Run.
func (r *Runner) Backup(ctx context.Context, job Job) (*backup.Backup, error) {
	b, err := r.Open(ctx, job)
	if err != nil {
		return nil, err
	}
	return b, r.Run(ctx, b, job)
}

// Open checks the job and opens its catalog row (status running, owned by
// this process), so that the backup has an ID before it starts, e.g. while
// it waits for a slot.
//
// A job that a live process runs is not started again: when a running row
// of the same server, database and type is owned by a process of this host
// that may still run it, Open returns an error wrapping ErrAlreadyRunning
// ("already running: backup ID of S/D/T started TIME by pid N") and writes
// nothing. Running rows of the job whose process is gone are ended as
// interrupted on the way (their leftovers go with the next sweep, see
// SweepLeftovers); rows of another host cannot be judged from here and do
// not block (see Reclaim).
func (r *Runner) Open(ctx context.Context, job Job) (*backup.Backup, error) {
	if len(job.Storages) == 0 {
		return nil, errors.New("backup: no storage to write to")
	}
	if err := backup.CheckDatabaseName(job.Database); err != nil {
		return nil, fmt.Errorf("backup: server %s: %w", job.Server, err)
	}
	b := &backup.Backup{
		Server:      job.Server,
		Database:    job.Database,
		Type:        job.Type,
		Status:      backup.StatusRunning,
		StartedAt:   r.Now(),
		Compression: r.Pipeline.Codec,
		Encrypted:   r.Pipeline.Encrypted(),
	}
	b.ID = backup.NewID(b.StartedAt)
	key := backup.ObjectKey(b, job.Extension+"."+r.Pipeline.Extension())
	if r.Pipeline.Extension() == "" {
		key = backup.ObjectKey(b, job.Extension)
	}
	for _, s := range job.Storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s.Name(), Key: key, Status: backup.LocationPending})
	}
	b.OwnerHost, b.OwnerPID = selfOwner()
	leases, err := r.ownerLeases(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	blocker, reclaimed, err := r.Catalog.InsertUnlessRunning(ctx, b, r.claim(leases))
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if blocker != nil {
		return nil, alreadyRunning(blocker)
	}
	for _, id := range reclaimed {
		r.logger().Warn("crash recovery: backup left running by a stopped process is now interrupted",
			"id", id, "server", b.Server, "database", b.Database, "type", b.Type)
	}
	observers(r.Observers).started(b)
	return b, nil
}

// Abandon records an opened backup that never ran (shutdown while it waited).
func (r *Runner) Abandon(ctx context.Context, b *backup.Backup, reason string) error {
	return r.close(ctx, b, backup.StatusInterrupted, reason)
}

// Fail records an opened backup that could not start, e.g. because its
// server did not answer, so that the failure is in the catalog, the metrics
// and the notifications like any other.
func (r *Runner) Fail(ctx context.Context, b *backup.Backup, cause error) error {
	return r.close(ctx, b, backup.StatusFailed, cause.Error())
}

func (r *Runner) close(ctx context.Context, b *backup.Backup, status backup.Status, reason string) error {
	now := r.Now()
	b.Status, b.FinishedAt, b.Error = status, &now, reason
	for i := range b.Locations {
		b.Locations[i].Status = backup.LocationFailed
	}
	err := r.Catalog.Update(context.WithoutCancel(ctx), b)
	observers(r.Observers).finished(b)
	return err
}

// Run takes the backup that Open prepared.
//
// The catalog row is written last, after every object and manifest is
// durable. On return b has its final status; the error is non-nil unless that
// status is success.
func (r *Runner) Run(ctx context.Context, b *backup.Backup, job Job) error {
	key := b.Locations[0].Key
	targets := make([]storage.Target, len(job.Storages))
	for i, s := range job.Storages {
		targets[i] = storage.Target{Backend: s, Key: key}
	}
	b.StartedAt = r.Now()
	log := r.logger().With(jobLogAttrs(b)...)
	log.Info("backup started", "storages", len(targets))
	obs := observers(r.Observers)

	fan := storage.NewFanOut(ctx, targets)
	pw, err := pipeline.NewWriter(fan, r.Pipeline)
	var info dump.Info
	if err == nil {
		rec := r.recordProgress(ctx, b.ID)
		progress := rec.set
		if job.Progress != nil {
			progress = func(n int64) { rec.set(n); job.Progress(n) }
		}
		info, err = job.Dumper.Dump(ctx, job.Database, progressWriter{pw, progress})
		rec.end()
		if err == nil {
			err = pw.Close() // flush the compressor's and age's trailers into the storages
		} else {
			pw.Close()
		}
	}
	results := fan.Close(err) // a non-nil err aborts every Put: nothing under the final key
	dumpErr := err
	b.FinishedAt = ptr(r.Now())
	if pw != nil {
		b.RawBytes, b.StoredBytes, b.SHA256 = pw.RawBytes(), pw.StoredBytes(), pw.SHA256()
	}
	b.Manifest = r.manifest(b, info, key)
	if dumpErr == nil {
		if a := r.sizeAnomaly(ctx, b); a != nil {
			b.Manifest.SizeAnomaly = a
			b.Manifest.Warnings = append(b.Manifest.Warnings, anomalyWarning(a))
		}
	}
	b.Warnings = b.Manifest.WarningList()
	for _, w := range b.Warnings {
		log.Warn("backup warning", "warning", w)
	}

	// Manifests next to every object that made it; a storage that cannot take
	// its manifest loses the object too, so that every stored object is self-describing.
	mctx := context.WithoutCancel(ctx)
	var storageErrs []error
	for i, res := range results {
		loc := &b.Locations[i]
		if dumpErr == nil && res.Err == nil {
			res.Err = r.putManifest(ctx, res.Backend, backup.ManifestKey(b), b.Manifest)
			if res.Err != nil {
				removeObject(ctx, res.Backend, key)
			}
		}
		switch {
		case res.Err == nil && dumpErr == nil:
			loc.Status = backup.LocationSuccess
		default:
			loc.Status = backup.LocationFailed
			if dumpErr == nil || !errors.Is(res.Err, dumpErr) {
				loc.Error = res.Err.Error()
				storageErrs = append(storageErrs, fmt.Errorf("storage %s: %w", loc.Storage, res.Err))
				if ctx.Err() == nil || !errors.Is(res.Err, context.Canceled) {
					// A write stopped by our own cancellation (shutdown,
					// Ctrl-C) is no storage fault: the backup's end says
					// it was interrupted.
					log.Error("storage failed", "storage", loc.Storage, "error", res.Err)
					obs.storageError(b, loc.Storage, "put", res.Err)
				}
			}
		}
	}
	b.Status, err = r.outcome(ctx, b, dumpErr, storageErrs)
	if err != nil {
		b.Error = err.Error()
	}
	if b.Status == backup.StatusFailed || b.Status == backup.StatusInterrupted {
		// Nothing was stored; RawBytes still says how far the dump got.
		b.StoredBytes, b.SHA256, b.Manifest, b.Warnings = 0, "", nil, []string{}
	}
	uerr := r.finalUpdate(mctx, b, log)
	obs.finished(b)
	if errors.Is(uerr, ErrTakenOver) {
		log.Error("backup ended by another process while it ran (this process's lease lapsed): the catalog keeps its end, and what it stored goes with the next leftover sweep",
			"status", b.Status, errorAttr(b.Error))
	}
	if uerr != nil {
		return errors.Join(err, fmt.Errorf("backup: %w", uerr))
	}
	log.Log(mctx, backupLevel(b.Status), "backup finished", "status", b.Status, "raw_bytes", b.RawBytes,
		"stored_bytes", b.StoredBytes, "seconds", math.Round(b.FinishedAt.Sub(b.StartedAt).Seconds()*1000)/1000, errorAttr(b.Error))
	return err
}

// ErrTakenOver is returned (wrapped) by Run for a backup that another
// process ended while it ran: one sharing the catalog took this process for
// dead once its lease lapsed (a pause, a partition) and recorded the
// backup interrupted, and may have removed its objects as leftovers.
var ErrTakenOver = errors.New("another process ended this backup while it ran")

// finalUpdateWindow bounds how long finalUpdate keeps trying to record a
// backup's end while the catalog does not answer (a restart, a failover).
var finalUpdateWindow = 2 * time.Minute

// finalUpdateBackoff is finalUpdate's first wait between attempts.
var finalUpdateBackoff = time.Second

// finalUpdate records b's end, unless another process ended it meanwhile
// (see ErrTakenOver): then the catalog keeps that end, b takes it, and what
// b stored stays pending, for the leftover sweep to remove, rather than
// claim a copy that a sweep may already have deleted.
//
// A catalog that fails is tried again, backing off from 1s to 15s, for up
// to finalUpdateWindow, then in the background for as long as the process
// runs (recordEndLater): the backup is stored, and a row left running
// would keep its job from running. The first failure is logged at WARN,
// the move to the background at ERROR.
func (r *Runner) finalUpdate(ctx context.Context, b *backup.Backup, log *slog.Logger) error {
	deadline := time.Now().Add(finalUpdateWindow)
	wait := finalUpdateBackoff
	for attempt := 1; ; attempt++ {
		err := r.Catalog.Finish(ctx, b)
		if errors.Is(err, catalog.ErrNotRunning) {
			return r.takenOver(ctx, b)
		}
		if err == nil {
			if attempt > 1 {
				log.Info("recorded the backup's end in the catalog after all", "attempts", attempt)
			}
			return nil
		}
		if errors.Is(err, catalog.ErrNotFound) || time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			log.Error("cannot record the backup's end in the catalog: trying again every "+laterRetry.String()+
				" while this process runs; if it stops first, the next leftover sweep adopts the stored copies",
				"status", b.Status, "attempts", attempt, "error", err)
			if !errors.Is(err, catalog.ErrNotFound) {
				go r.recordEndLater(*b, log)
			}
			return err
		}
		if attempt == 1 {
			log.Warn("cannot record the backup's end in the catalog; trying again for up to "+finalUpdateWindow.String(),
				"status", b.Status, "error", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// laterRetry is how often recordEndLater tries.
var laterRetry = 30 * time.Second

// recordEndLater goes on trying to record b's end, every laterRetry, for as
// long as this process runs, once finalUpdate gave up: else the row would
// stay running, owned by a live process, and the job would be refused as
// running until a restart.
func (r *Runner) recordEndLater(b backup.Backup, log *slog.Logger) {
	ctx := context.Background()
	for {
		time.Sleep(laterRetry)
		err := r.Catalog.Finish(ctx, &b)
		switch {
		case errors.Is(err, catalog.ErrNotRunning), errors.Is(err, catalog.ErrNotFound):
			return // ended by another process meanwhile, or deleted
		case err == nil:
			log.Info("recorded the backup's end in the catalog after all", "status", b.Status)
			return
		}
	}
}

// takenOver gives b the end another process recorded for it and returns
// ErrTakenOver saying what that end is.
func (r *Runner) takenOver(ctx context.Context, b *backup.Backup) error {
	cur, err := r.Catalog.Get(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTakenOver, err)
	}
	*b = *cur
	return fmt.Errorf("%w: recorded %s: %s", ErrTakenOver, cur.Status, cur.Error)
}

// outcome decides the final status from the dump's and the storages' errors.
func (r *Runner) outcome(ctx context.Context, b *backup.Backup, dumpErr error, storageErrs []error) (backup.Status, error) {
	ok := 0
	for _, l := range b.Locations {
		if l.Status == backup.LocationSuccess {
			ok++
		}
	}
	switch {
	case ctx.Err() != nil && (dumpErr != nil || ok == 0):
		// Cancelled while dumping, or before any manifest was stored.
		return backup.StatusInterrupted, fmt.Errorf("interrupted: %w", context.Cause(ctx))
	case dumpErr != nil && (errors.Is(dumpErr, storage.ErrAllFailed) || len(storageErrs) == len(b.Locations)):
		return backup.StatusFailed, errors.Join(storageErrs...)
	case dumpErr != nil:
		return backup.StatusFailed, dumpErr
	case ok == len(b.Locations):
		return backup.StatusSuccess, nil
	case ok > 0:
		return backup.StatusPartial, errors.Join(storageErrs...)
	}
	return backup.StatusFailed, errors.Join(storageErrs...)
}

// removeObject deletes the object of a storage that could not take its
// manifest. It goes on after ctx is cancelled, but only briefly, so that
// shutdown never waits on a stalled storage; what it leaves is a leftover
// for recovery.
func removeObject(ctx context.Context, s storage.Backend, key string) {
	dctx, cancel := storage.Detach(ctx, cleanupLimit, cleanupGrace)
	defer cancel()
	s.Delete(dctx, key)
}

// cleanupLimit bounds a removal after a failure; cleanupGrace is how long it
// may go on once the backup is cancelled (a variable for tests).
const cleanupLimit = 5 * time.Minute

var cleanupGrace = 5 * time.Second

func (r *Runner) putManifest(ctx context.Context, s storage.Backend, key string, m *backup.Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if _, err := s.Put(ctx, key, bytes.NewReader(append(data, '\n'))); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

func (r *Runner) manifest(b *backup.Backup, d dump.Info, key string) *backup.Manifest {
	m := &backup.Manifest{
		FormatVersion:     backup.ManifestFormatVersion,
		ID:                b.ID,
		Server:            b.Server,
		Database:          b.Database,
		Type:              b.Type,
		Engine:            d.Engine,
		ServerVersion:     d.ServerVersion,
		DumpTool:          d.Tool,
		DumpToolVersion:   d.ToolVersion,
		DumpFlags:         d.Flags,
		DumpFormat:        d.Format,
		StartedAt:         b.StartedAt,
		RawBytes:          b.RawBytes,
		StoredBytes:       b.StoredBytes,
		SHA256:            b.SHA256,
		Compression:       b.Compression,
		MaxStatementBytes: d.MaxStatementBytes,
		Position:          d.Position,
		DatabaseProps:     d.Database,
		Fingerprint:       d.Fingerprint,
		Warnings:          d.Warnings,
		Object:            key[strings.LastIndexByte(key, '/')+1:],
	}
	if b.FinishedAt != nil {
		m.FinishedAt = *b.FinishedAt
	}
	if r.Pipeline.Encrypted() {
		m.Encryption = &backup.Encryption{Format: "age"}
		for _, rc := range r.Pipeline.Recipients {
			m.Encryption.Recipients = append(m.Encryption.Recipients, pipeline.Fingerprint(rc))
		}
	}
	return m
}

type progressWriter struct {
	w        *pipeline.Writer
	progress func(int64)
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if p.progress != nil {
		p.progress(p.w.RawBytes())
	}
	return n, err
}

func ptr[T any](v T) *T { return &v }
