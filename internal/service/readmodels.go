package service

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

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
	// Removed: the config no longer has this job (its server or backup
	// type was removed, its database taken out of the server's list or
	// excluded, or a discovered database was gone from the server's last
	// listing). Its backups stay in the catalog; it has no next run, and
	// its outcomes no longer raise alarms (the metrics drop its series).
	Removed bool `json:"removed"`
	// The job's restore drills, from each of its backups' latest finished
	// drill (a backup whose latest drill failed no longer counts as proven;
	// backups deleted since still count). LastDrillSuccess is when the newest
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
	Version       string    `json:"version"`
	Commit        string    `json:"commit"`
	GoVersion     string    `json:"go_version"`
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	Running       []string  `json:"running"` // IDs of running backups
	// Operations are the restores and drills this process runs now.
	Operations []Operation     `json:"operations"`
	Storages   []StorageStatus `json:"storages"`
}

// RestoreOptions say where and how a backup is restored.
type RestoreOptions struct {
	ToDatabase string // "" = the backup's own database; created if missing
	Force      bool   // replace an existing, non-empty database (whole or not at all)
	NoOwner    bool   // PostgreSQL: leave object ownership out
}

// Operation is a restore or a restore drill that this process runs now,
// with how far its current pass over the stored object has come. A restore
// reads the object at least twice: a full verify of the copy, then the
// restore itself; a drill then compares what it restored, reading nothing.
type Operation struct {
	Kind     string `json:"kind"` // "restore" or "drill"
	BackupID string `json:"backup_id"`
	// The backup's job.
	Server   string `json:"server"`
	Database string `json:"database"`
	Type     string `json:"type"`
	// Target is where it goes: the database a restore writes, the server a
	// drill restores onto.
	Target    string    `json:"target"`
	StartedAt time.Time `json:"started_at"`
	// Phase is the current pass: "verify <storage>", "restore" or
	// "compare"; "" until the first pass starts (the target is checked).
	Phase          string    `json:"phase"`
	PhaseStartedAt time.Time `json:"phase_started_at,omitzero"`
	ReadBytes      int64     `json:"read_bytes"`  // stored bytes the current pass has read
	TotalBytes     int64     `json:"total_bytes"` // stored bytes each pass reads: the backup's StoredBytes
}

// Progress is a running backup's live progress.
type Progress struct {
	ID, Server, Database, Type string
	StartedAt                  time.Time
	RawBytes                   int64 // bytes read from the dump tool so far
	// ExpectedBytes estimates RawBytes at the end: the raw size of the
	// job's last successful backup (0: unknown).
	ExpectedBytes int64
}
