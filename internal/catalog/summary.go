package catalog

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// FailureStatuses are the statuses that count as a job's failure in a
// JobSummary: the backup ended, and not (only) well.
var FailureStatuses = []backup.Status{backup.StatusFailed, backup.StatusPartial, backup.StatusInterrupted}

// JobSummary is what the catalog knows of one job (server × database ×
// type): its newest backup of each outcome and its newest restore drills.
// A nil field means the job has no such backup or drill.
type JobSummary struct {
	Server   string
	Database string
	Type     string
	// Last is the newest backup of the job (by ID), whatever its status,
	// deleted ones included.
	Last *JobBackup
	// LastSuccess is the newest backup with status success.
	LastSuccess *JobBackup
	// LastFailure is the newest backup with one of FailureStatuses.
	LastFailure *JobBackup
	// Running is the newest backup still running.
	Running *JobBackup
	// LastDrill is the newest (by Drill.At; on a tie, of the newer backup)
	// of the drills that count: each backup's newest finished drill (not
	// running, not interrupted, which proves nothing either way), deleted
	// backups included: a drill proves the job's backups restorable when it
	// ran, and retention soon deletes the backup a weekly drill restored
	// (the last-drill-success metric, too, outlives it). A backup whose
	// newest drill failed no longer counts as proven, whatever an earlier
	// drill of it found.
	LastDrill *JobDrill
	// LastDrillSuccess is the newest of the drills that count whose status
	// is success ("last proven restorable").
	LastDrillSuccess *JobDrill
}

// JobBackup is one backup as a JobSummary names it.
type JobBackup struct {
	ID        string
	Status    backup.Status
	StartedAt time.Time
	Error     string // the backup's error; "" when none
}

// JobDrill is one finished restore drill and the backup it restored.
type JobDrill struct {
	BackupID string
	backup.Drill
}

// StorageSummary is how much of one storage the catalog accounts for: the
// backups with status success or partial that have a complete copy
// (location status success) there.
type StorageSummary struct {
	Storage string
	Backups int   // how many such backups
	Bytes   int64 // the sum of their stored sizes, in bytes
}
