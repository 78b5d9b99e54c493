// Package catalog defines the Store that records every backup, and its filters.
// Implementations live in subpackages (sqlite).
package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// ErrNotFound is returned (wrapped) by Get for an unknown ID.
var ErrNotFound = errors.New("backup not found")

// MinIDPrefix is the shortest ID prefix that stands for a backup ID, in
// characters: shorter ones match too many backups to be meant.
const MinIDPrefix = 4

// Filter selects backups. Zero fields match everything.
type Filter struct {
	Server   string
	Database string
	Type     string
	Status   backup.Status
	Storage  string    // backups with a location in this storage
	Since    time.Time // started at or after
	Until    time.Time // started before
	Before   string    // cursor: only IDs lexically smaller than this one
	Query    string    // free text found in the ID, server, database, type or error
	Limit    int       // 0: no limit
}

// Store is the catalog of backups. Results are newest first (by ID, which is time-sortable).
type Store interface {
	// Insert adds a new backup (usually status running) with its locations.
	Insert(ctx context.Context, b *backup.Backup) error
	// InsertUnlessRunning inserts b unless a running backup of the same
	// server, database and type blocks it; see Claim. It returns the
	// blocking backup (and then writes nothing), or the IDs of the running
	// backups of that job it ended as interrupted.
	InsertUnlessRunning(ctx context.Context, b *backup.Backup, claim Claim) (blocker *backup.Backup, interrupted []string, err error)
	// MarkInterrupted ends backup id as interrupted, finished at now, with
	// reason as its error, if it is still running; it reports whether it did.
	MarkInterrupted(ctx context.Context, id string, now time.Time, reason string) (bool, error)
	// Update replaces everything stored for b.ID: status, times, sizes,
	// checksum, error, locations and manifest. Unknown IDs give ErrNotFound.
	Update(ctx context.Context, b *backup.Backup) error
	// Get returns one backup with its locations and manifest.
	Get(ctx context.Context, id string) (*backup.Backup, error)
	// List returns the backups matching f, newest first.
	List(ctx context.Context, f Filter) ([]*backup.Backup, error)
	// IDsWithPrefix returns the IDs that start with prefix (compared byte
	// for byte), ascending, at most limit of them (limit <= 0: all), and
	// how many match in all.
	IDsWithPrefix(ctx context.Context, prefix string, limit int) (ids []string, total int, err error)
	// InsertDrill records a drill of d.BackupID as running and sets d.ID.
	InsertDrill(ctx context.Context, d *DrillRecord) error
	// FinishDrill stores d's outcome (status, seconds, differences, error).
	FinishDrill(ctx context.Context, d *DrillRecord) error
	// Drills returns the drills of one backup, newest first, running ones included.
	Drills(ctx context.Context, backupID string) ([]DrillRecord, error)
	// RunningDrills returns every drill still marked running, on any server.
	RunningDrills(ctx context.Context) ([]DrillRecord, error)
	// Jobs summarises every job (server × database × type) that has at
	// least one backup in the catalog, ordered by server, database and type
	// (byte order); see JobSummary. Its cost grows with the number of jobs
	// and of drills, not with the number of backups. Never nil.
	Jobs(ctx context.Context) ([]JobSummary, error)
	// Storages summarises the usage of every storage that holds a complete
	// copy of a successful or partial backup, ordered by name; see
	// StorageSummary. A storage without one is absent. Never nil.
	Storages(ctx context.Context) ([]StorageSummary, error)
	// Close releases the store.
	Close() error
}

// Claim decides about a running backup of the job that InsertUnlessRunning
// opens (running has its ID, times and owner, no locations): a non-empty
// interrupt reason ends it as interrupted (its process is gone); otherwise
// block says whether it keeps the new backup from starting (its process may
// still run it).
type Claim func(running *backup.Backup) (interrupt string, block bool)

// DrillRunning is the status of a drill that has not finished (or whose
// process died before it could say how it ended).
const DrillRunning backup.DrillStatus = "running"

// DrillRecord is a restore drill as the catalog keeps it. Get and List fill
// a backup's Drill with its newest finished one.
type DrillRecord struct {
	ID       int64
	BackupID string
	backup.Drill
	// Scratch is the drill database restored into (dump.IsDrillName).
	Scratch string
	// Host and PID name the process running the drill, so that another
	// process can tell whether a running drill's database is a leftover.
	Host string
	PID  int
}
