// Package backup holds the domain types shared by every layer: what a backup
// is, where it is stored and what its manifest records. It does no I/O.
package backup

import (
	"time"
)

// Status is the life-cycle state of one backup in the catalog.
type Status string

// Backup statuses, as the catalog, the CLI and the API name them.
const (
	StatusRunning     Status = "running"
	StatusSuccess     Status = "success"
	StatusPartial     Status = "partial"
	StatusFailed      Status = "failed"
	StatusInterrupted Status = "interrupted"
	StatusDeleted     Status = "deleted"
)

// Statuses lists every valid status, for validating filters.
var Statuses = []Status{StatusRunning, StatusSuccess, StatusPartial, StatusFailed, StatusInterrupted, StatusDeleted}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// LocationStatus is the state of one backup's object in one storage.
type LocationStatus string

// Location statuses.
const (
	LocationPending LocationStatus = "pending"
	LocationSuccess LocationStatus = "success"
	LocationFailed  LocationStatus = "failed"
	LocationDeleted LocationStatus = "deleted"
)

// Location is where one backup's object lives in one storage.
type Location struct {
	Storage string         `json:"storage"`
	Key     string         `json:"key"`
	Status  LocationStatus `json:"status"`
	Error   string         `json:"error,omitempty"`
}

// Backup is one catalog entry: one database dumped once, stored in one or more storages.
type Backup struct {
	ID          string     `json:"id"`
	Server      string     `json:"server"`
	Database    string     `json:"database"`
	Type        string     `json:"type"`
	Status      Status     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	RawBytes    int64      `json:"raw_bytes"`
	StoredBytes int64      `json:"stored_bytes"`
	SHA256      string     `json:"sha256"`
	Compression string     `json:"compression"`
	Encrypted   bool       `json:"encrypted"`
	Locations   []Location `json:"locations"`
	Error       string     `json:"error"`
	// Warnings are what the backup found worth a word though it succeeded
	// (they are kept in the manifest); never nil in JSON.
	Warnings []string `json:"warnings"`
	// DeletedAt and DeleteReason say when and why retention or a user deleted the backup.
	DeletedAt    *time.Time `json:"deleted_at,omitempty"`
	DeleteReason string     `json:"delete_reason,omitempty"`
	Manifest     *Manifest  `json:"manifest,omitempty"`
	// Drill is the last restore drill of this backup; nil until one ran.
	Drill *Drill `json:"drill"`
	// OwnerHost and OwnerPID name the process that runs (or ran) the
	// backup: its host string (host name, boot ID, process start time; see
	// package owner) and process ID, so that another process can tell a live
	// run from one that a dead process left running. Empty in rows written
	// by versions that did not record it, and in rebuilt rows.
	OwnerHost string `json:"-"`
	OwnerPID  int    `json:"-"`
	// ProgressAt is when RawBytes of a running backup was last written to
	// the catalog (the bytes its dump had produced by then); nil when never
	// and once the backup ends, when RawBytes is the dump's final size.
	ProgressAt *time.Time `json:"progress_at,omitempty"`
}

// Location returns the location in the named storage, or nil.
func (b *Backup) Location(storage string) *Location {
	for i := range b.Locations {
		if b.Locations[i].Storage == storage {
			return &b.Locations[i]
		}
	}
	return nil
}
