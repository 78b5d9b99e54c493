package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// RecordPlanError records a failed backup for a plan error that stands for
// backups that could not start, so that they show in the catalog, the
// metrics and the webhooks (the runner's observers) like any other failure:
//
//   - *ServerError (a server whose databases could not be listed): a failed
//     backup of database "*" of that server, with a location per storage of
//     the type, as the daemon has always recorded it;
//   - *RefusedNameError (a discovered database whose name cannot be part of
//     a storage key): a failed backup of that database, its name kept as
//     the server gave it, with no location, since no key may be made of it.
//
// It returns the recorded backup (status failed, error set), or nil and no
// error for any other plan error, which stands for no backup.
//
// What it records is logged at ERROR ("backup could not start"), and so is
// a failure to record it, for the daemon, the CLI and the API alike; a plan
// error that stands for no backup is the caller's to report.
func (a *App) RecordPlanError(ctx context.Context, typ string, planErr error) (*backup.Backup, error) {
	if typ == "" {
		typ = "manual"
	}
	b, err := a.recordPlanError(ctx, typ, planErr)
	if a.Logger != nil {
		if b != nil {
			a.Logger.Error("backup could not start", "id", b.ID, "server", b.Server, "database", b.Database,
				"type", b.Type, "error", planErr)
		}
		if err != nil {
			a.Logger.Error("cannot record a backup that could not start", "type", typ, "error", err)
		}
	}
	return b, err
}

func (a *App) recordPlanError(ctx context.Context, typ string, planErr error) (*backup.Backup, error) {
	var se *ServerError
	var re *RefusedNameError
	switch {
	case errors.As(planErr, &re):
		return a.recordRefused(ctx, typ, re)
	case errors.As(planErr, &se):
		srv := a.Config.Server(se.Server)
		if srv == nil {
			return nil, nil
		}
		job := runner.Job{Server: srv.Name, Database: allDatabases, Type: typ, Extension: extension(srv.Type), Storages: a.storagesFor(typ)}
		b, err := a.Runner.Open(ctx, job)
		if err != nil {
			return nil, fmt.Errorf("record the failed run of server %s: %w", srv.Name, err)
		}
		if err := a.Runner.Fail(ctx, b, planErr); err != nil {
			return b, fmt.Errorf("record the failed run of server %s: %w", srv.Name, err)
		}
		return b, nil
	}
	return nil, nil
}

// recordRefused inserts the failed row of a refused database name directly:
// the runner opens rows with object keys, and none may be made of this name.
func (a *App) recordRefused(ctx context.Context, typ string, re *RefusedNameError) (*backup.Backup, error) {
	now := a.Runner.Now()
	b := &backup.Backup{
		ID:          backup.NewID(now),
		Server:      re.Server,
		Database:    re.Database,
		Type:        typ,
		Status:      backup.StatusFailed,
		StartedAt:   now,
		FinishedAt:  &now,
		Compression: a.Runner.Pipeline.Codec,
		Encrypted:   a.Runner.Pipeline.Encrypted(),
		Error:       re.Error(),
		Warnings:    []string{},
	}
	if err := a.Catalog.Insert(context.WithoutCancel(ctx), b); err != nil {
		return nil, fmt.Errorf("record the refused database of server %s: %w", re.Server, err)
	}
	for _, o := range a.Runner.Observers {
		o.BackupStarted(b)
		o.BackupFinished(b)
	}
	return b, nil
}
