// Package runner takes one backup, restore or verify end to end: dump ->
// pipeline -> fan-out to storages -> manifests -> catalog.
package runner

import (
	"fmt"
	"log/slog"
	"time"

	"filippo.io/age"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Runner runs backups, verifies and restores against one catalog and a set of storages.
type Runner struct {
	Catalog    catalog.Store
	Storages   []storage.Backend // every configured storage, in config order
	Pipeline   pipeline.Options
	Identities []age.Identity // age identities for restore and deep verify; may be empty
	Logger     *slog.Logger
	Clock      clock.Clock // nil: the system clock
	// Observers are told about every backup, verify and deletion.
	Observers []Observer
	// Anomalies says when a successful backup is suspiciously small.
	Anomalies AnomalyPolicy
	// Checks make a completeness check for a raw dump, by dump format
	// ("sql", "pg_custom"); verify runs it over the decompressed content.
	Checks map[string]func() dump.Check
	// RestoreJobs is how many connections a restore (or a drill's) loads
	// data on when its request does not say (dump.RestoreOptions.Jobs);
	// 0 or 1: one.
	RestoreJobs int
	// ProgressInterval is how often a running backup's raw byte count is
	// written to the catalog; 0: DefaultProgressInterval.
	ProgressInterval time.Duration
	// LeaseJudge reports whether another process's lapsed owner lease
	// proves it gone (lease.Keeper.CanJudge: this process has reached the
	// catalog without a break for a whole TTL, in which a live process
	// renews its lease; all leases lapse together while the catalog is
	// away). Until it does, such a process's backups are neither ended nor
	// waited for. Nil: always.
	LeaseJudge func() bool
}

// Job is one database to back up once.
type Job struct {
	Server    string
	Database  string
	Type      string
	Extension string // the raw dump's extension: "sql" or "dump"
	Dumper    dump.Dumper
	Storages  []storage.Backend
	// Progress, when set, is called with the number of raw dump bytes read so far.
	Progress func(rawBytes int64)
}

// Now returns the time of r's clock, in UTC.
func (r *Runner) Now() time.Time {
	if r.Clock != nil {
		return r.Clock.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Storage returns the configured backend with that name, or nil.
func (r *Runner) Storage(name string) storage.Backend {
	for _, s := range r.Storages {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

func (r *Runner) backend(name string) (storage.Backend, error) {
	if b := r.Storage(name); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("storage %q is not configured", name)
}

func jobLogAttrs(b *backup.Backup) []any {
	return []any{"id", b.ID, "server", b.Server, "database", b.Database, "type", b.Type}
}
