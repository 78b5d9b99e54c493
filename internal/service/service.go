// Package service is the contract between the daemon and its HTTP surfaces:
// the Service interface that the app implements and both the JSON API
// (internal/httpapi) and the web UI (internal/web) call, the read models it
// returns, the kinds of error it signals and the one classification of those
// errors that both surfaces show.
//
// It knows nothing of HTTP, config or how backups are made.
package service

import (
	"context"
	"io"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// Service is what the HTTP surfaces need from the rest of the program. Names
// passed in have been validated (IDs with backup.ValidID, names by pattern or
// backup.CheckDatabaseName); empty strings mean "not given".
type Service interface {
	// ListBackups returns at most f.Limit backups matching f and the free-text
	// query q (a case-insensitive substring of ID, server, database, type or
	// error; "" matches all), newest first, only IDs lexically smaller than
	// f.Before when that is set. The API pages with Before, so the Service
	// must apply q before the limit.
	ListBackups(ctx context.Context, f catalog.Filter, q string) ([]*backup.Backup, error)
	// GetBackup returns one backup with locations and manifest; an unknown ID
	// wraps ErrNotFound.
	GetBackup(ctx context.Context, id string) (*backup.Backup, error)
	// StartBackups starts every matching job now and returns the IDs of the
	// backups it started. typ is never empty (the API defaults it to
	// "manual"). ErrConflict when the job(s) already run; ErrInvalid for
	// unknown names.
	StartBackups(ctx context.Context, server, database, typ string) ([]string, error)
	// DeleteBackup deletes the backup from every storage and marks it
	// deleted; ErrConflict while it is running.
	DeleteBackup(ctx context.Context, id string) error
	// Download opens the stored object in the named storage (any complete
	// copy when storage is ""). The caller closes the reader.
	Download(ctx context.Context, id, storage string) (io.ReadCloser, DownloadInfo, error)
	// VerifyBackup reads every copy back now. A bad copy is reported in its
	// result's Err; the error is for verification that could not run at all
	// (when both come back, the API shows the results and logs the error).
	VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error)
	// RestoreBackup restores the backup as opts say. It returns when done;
	// ErrConflict when the target exists and is not empty without opts.Force.
	RestoreBackup(ctx context.Context, id string, opts RestoreOptions) error
	// DrillBackup restores the backup into a scratch database, compares it
	// with the backup's fingerprint, drops it and returns the drill (a failed
	// drill is a result, not an error). ErrConflict when a drill of the
	// backup already runs; ErrInvalid when it cannot be restored.
	DrillBackup(ctx context.Context, id string) (backup.Drill, error)
	// BackupDrills returns the restore drills of one backup, newest first,
	// one still running included (with status "running"); an unknown ID
	// wraps ErrNotFound.
	BackupDrills(ctx context.Context, id string) ([]backup.Drill, error)
	// Jobs lists every server × database × type with its last outcomes.
	Jobs(ctx context.Context) ([]Job, error)
	// Retention plans retention for every storage and, unless dryRun,
	// applies the plan.
	Retention(ctx context.Context, dryRun bool) ([]retention.StoragePlan, error)
	// Status reports version, running backups and storage usage.
	Status(ctx context.Context) (Status, error)
	// Ready returns nil when the daemon can serve (catalog reachable, ...).
	Ready(ctx context.Context) error
	// Progress lists the running backups with the bytes read so far.
	Progress(ctx context.Context) []Progress
	// Operations lists the restores and restore drills this process runs
	// now (API, UI or scheduled drills), oldest first.
	Operations(ctx context.Context) []Operation
	// ConfigSummary is the running config as YAML with every secret shown
	// as <secret>.
	ConfigSummary() string
	// RecordAudit appends e to the audit trail and sets e.ID; e's texts are
	// already free of secrets (see package audit, which calls it).
	RecordAudit(ctx context.Context, e *catalog.AuditEntry) error
	// AuditLog returns the audit entries matching f, newest first, at most
	// f.Limit of them (0: all). Never nil on success.
	AuditLog(ctx context.Context, f catalog.AuditFilter) ([]catalog.AuditEntry, error)
}
