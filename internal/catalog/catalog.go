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
	// Update replaces everything stored for b.ID: status, times, sizes,
	// checksum, error, locations and manifest. Unknown IDs give ErrNotFound.
	Update(ctx context.Context, b *backup.Backup) error
	// Get returns one backup with its locations and manifest.
	Get(ctx context.Context, id string) (*backup.Backup, error)
	// List returns the backups matching f, newest first.
	List(ctx context.Context, f Filter) ([]*backup.Backup, error)
	// Close releases the store.
	Close() error
}
