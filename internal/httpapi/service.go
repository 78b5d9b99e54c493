// Package httpapi serves the JSON API under /api/v1 (docs/api.md), the health
// endpoints and /metrics, with bearer-token authentication and roles.
//
// It depends only on the Service interface below, which the app implements;
// it reads no config file, flag or environment. Every error reaches the
// client through one mapping (see classify) and never carries secrets, DSNs,
// file paths or stack traces: those go to the log, under the request ID that
// the response also carries.
package httpapi

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// Sentinel errors the Service wraps to choose the HTTP status. Unknown
// backups wrap catalog.ErrNotFound (404).
var (
	// ErrConflict: the request clashes with work in progress (409), e.g. the
	// job already runs or the backup is still running.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request names something that does not exist or cannot
	// be done (400). The error's text is shown to the client, so the Service
	// must keep it free of secrets and paths.
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable: a dependency (catalog, storage) is down for now (503).
	ErrUnavailable = errors.New("service unavailable")
)

// Service is what the API needs from the rest of the program. Names passed in
// have been validated (IDs with backup.ValidID, names by pattern or
// backup.CheckDatabaseName); empty strings mean "not given".
type Service interface {
	// ListBackups returns at most f.Limit backups matching f and the free-text
	// query q (a case-insensitive substring of ID, server, database, type or
	// error; "" matches all), newest first, only IDs lexically smaller than
	// f.Before when that is set. The API pages with Before, so the Service
	// must apply q before the limit.
	ListBackups(ctx context.Context, f catalog.Filter, q string) ([]*backup.Backup, error)
	// GetBackup returns one backup with locations and manifest; an unknown ID
	// wraps catalog.ErrNotFound.
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
	// wraps catalog.ErrNotFound.
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
}

// DownloadInfo describes an object being downloaded.
type DownloadInfo struct {
	Filename string // suggested file name; only its last path element is used
	Size     int64  // bytes; 0 or less when unknown
	Storage  string // the storage it is read from
}

// Job is one server × database × type and its last outcomes.
type Job struct {
	Server           string     `json:"server"`
	Database         string     `json:"database"`
	Type             string     `json:"type"`
	LastSuccess      *time.Time `json:"last_success"`
	LastSuccessID    string     `json:"last_success_id,omitempty"`
	LastFailure      *time.Time `json:"last_failure"`
	LastFailureError string     `json:"last_failure_error,omitempty"`
	NextRun          *time.Time `json:"next_run"` // null for manual-only jobs
	Running          bool       `json:"running"`
	RunningID        string     `json:"running_id,omitempty"`
	// The job's restore drills, from each of its backups' latest finished
	// drill (a backup whose latest drill failed no longer counts as proven;
	// deleted backups do not count). LastDrillSuccess is when the newest
	// successful drill ran ("last proven restorable"), of backup
	// LastDrillSuccessID; null when none did. LastDrill is the newest drill
	// whatever its outcome.
	LastDrillSuccess   *time.Time         `json:"last_drill_success"`
	LastDrillSuccessID string             `json:"last_drill_success_id,omitempty"`
	LastDrill          *time.Time         `json:"last_drill"`
	LastDrillID        string             `json:"last_drill_id,omitempty"`
	LastDrillStatus    backup.DrillStatus `json:"last_drill_status,omitempty"`
	LastDrillError     string             `json:"last_drill_error,omitempty"`
	// LastDrillDifferences counts how the last drill's restored database
	// differed from the backup's fingerprint.
	LastDrillDifferences int `json:"last_drill_differences,omitempty"`
}

// StorageStatus is the usage and health of one storage.
type StorageStatus struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Backups int    `json:"backups"`
	Bytes   int64  `json:"bytes"`
	Healthy bool   `json:"healthy"`
	Error   string `json:"error,omitempty"`
}

// Status is the daemon's state. The API computes UptimeSeconds from
// StartedAt and its clock when StartedAt is set.
type Status struct {
	Version       string          `json:"version"`
	Commit        string          `json:"commit"`
	GoVersion     string          `json:"go_version"`
	StartedAt     time.Time       `json:"started_at"`
	UptimeSeconds float64         `json:"uptime_seconds"`
	Running       []string        `json:"running"` // IDs of running backups
	Storages      []StorageStatus `json:"storages"`
}

// RestoreOptions say where and how a backup is restored.
type RestoreOptions struct {
	ToDatabase string // "" = the backup's own database; created if missing
	Force      bool   // replace an existing, non-empty database (whole or not at all)
	NoOwner    bool   // PostgreSQL: leave object ownership out
}
