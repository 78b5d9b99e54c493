// Package dump defines how a database is dumped to a stream and restored from
// one. Engines live in the mysql and postgres subpackages; both run the
// database's own client tools as child processes (argv only, never a shell).
package dump

import (
	"context"
	"errors"
	"io"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Conn says how to reach one database server. Password is a secret: it never
// reaches argv, a child's environment, a log line or an error message.
type Conn struct {
	Name        string // the server's name from the config, for messages
	Host        string
	Port        int
	Socket      string // MySQL: socket file; PostgreSQL: socket directory
	User        string
	Password    string
	DumpOptions []string // extra flags for the dump tool, already checked against the allow-list
}

// Info describes a finished dump; it goes into the manifest.
type Info struct {
	Engine        string // mysql | mariadb | postgres
	ServerVersion string
	Tool          string // mariadb-dump | mysqldump | pg_dump
	ToolVersion   string
	Flags         []string // the dump tool's flags, without connection or secret options
	Format        string   // sql | pg_custom
	Extension     string   // file extension of the raw dump: "sql" or "dump"
	Position      *backup.Position
	// Database holds the source database's own properties, read at dump
	// time, for a restore to recreate them.
	Database *backup.DatabaseProps
	// Fingerprint counts the dump's rows per table and objects per kind, as
	// the dump streamed through (nil when the engine cannot count).
	Fingerprint *backup.Fingerprint
	// MaxStatementBytes is the longest statement of a SQL dump (0: unknown).
	MaxStatementBytes int64
	// Warnings are facts worth a word at backup time that do not make the
	// dump incomplete (e.g. a statement the source server could not take back).
	Warnings []string
}

// RestoreOptions say how Restore treats its target. The zero value restores
// with ownership into a database that is missing or empty.
type RestoreOptions struct {
	// Database holds the source database's properties from the manifest;
	// nil for backups taken before they were recorded.
	Database *backup.DatabaseProps
	// MaxStatementBytes is the manifest's longest statement (SQL dumps), for
	// a check of the target server's max_allowed_packet before anything changes.
	MaxStatementBytes int64
	// Force lets Restore replace an existing, non-empty database, whole or
	// not at all.
	Force bool
	// NoOwner leaves object ownership out (PostgreSQL): every restored
	// object then belongs to the restoring user.
	NoOwner bool
	// Drill marks a restore drill's restore into its scratch database: a
	// target that IsDrillName accepts is then allowed, although no other
	// restore may target a reserved name (ReservedName).
	Drill bool
	// Jobs is how many connections may load the data at once; 0 or 1 loads
	// it on one, as the engine's stock client does. The engine decides how
	// far it can split a given dump; the result is the same either way.
	Jobs int
	// RawBytes is the size in bytes of the raw (decompressed, decrypted)
	// dump Restore will read, from the manifest; 0 when unknown. An engine
	// that must spool the dump to a file before loading it in parallel
	// checks the free space against it, and loads on one connection when
	// it is unknown.
	RawBytes int64
}

// ErrTargetNotEmpty is returned (wrapped) by CheckTarget and Restore when the
// target database exists, holds objects and RestoreOptions.Force is not set.
var ErrTargetNotEmpty = errors.New("target database exists and is not empty (use --force to replace it)")

// ErrTargetRefused marks (see RefuseTarget) a restore error for a target
// the request may not have as asked: a name the engine cannot take, a
// system, reserved, maintenance or template database. The request is at
// fault, not the backup or the server; nothing was changed.
var ErrTargetRefused = errors.New("restore target refused")

// refusedTarget is an error marked with ErrTargetRefused, its text unchanged.
type refusedTarget struct{ error }

func (r refusedTarget) Unwrap() error        { return r.error }
func (r refusedTarget) Is(target error) bool { return target == ErrTargetRefused }

// RefuseTarget marks err (a CheckTarget refusal) with ErrTargetRefused
// without changing its text.
func RefuseTarget(err error) error { return refusedTarget{err} }

// ErrTargetUnchanged marks (wrapped, with errors.Join or %w) a restore error
// after which the target database is exactly as it was before; a restore
// error without it may have changed the target.
var ErrTargetUnchanged = errors.New("target database unchanged")

// Dumper dumps and restores the databases of one server.
type Dumper interface {
	// Databases lists every non-system database on the server, sorted.
	Databases(ctx context.Context) ([]string, error)
	// Dump writes database db's complete dump to w. It returns after the
	// tool exited and everything it wrote reached w. A non-nil error means
	// the dump is not complete and must not be kept: the tool failed, was
	// killed, or its output lacks the completion marker.
	Dump(ctx context.Context, db string, w io.Writer) (Info, error)
	// CheckTarget checks, before anything is read or changed, that db is a
	// valid name on this server and may be restored into with opts: it
	// returns ErrTargetNotEmpty for an existing, non-empty database without
	// opts.Force, and an error naming the limit when the server cannot take
	// the dump (e.g. max_allowed_packet below opts.MaxStatementBytes).
	CheckTarget(ctx context.Context, db string, opts RestoreOptions) error
	// Restore reads a dump made by Dump from r into database db, all or
	// nothing: it loads into a database of its own first and puts the result
	// in place only when the load succeeded. A database that did not exist
	// before is created with opts.Database's properties, and dropped again
	// when the restore fails; an existing one (only with opts.Force) is
	// replaced whole or left exactly as it was. Its errors wrap
	// ErrTargetUnchanged whenever the target is as it was.
	Restore(ctx context.Context, db string, r io.Reader, opts RestoreOptions) error
	// Fingerprint counts what database db holds now, keyed and counted as
	// the fingerprint Dump records (Info.Fingerprint), so that a restored
	// database can be compared with its backup.
	Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error)
	// DropDrill drops a restore drill's database; it refuses any name
	// IsDrillName does not accept. A database that does not exist is no error.
	DropDrill(ctx context.Context, db string) error
	// DrillLeftovers lists the drill databases on the server (IsDrillName),
	// e.g. left by an interrupted run.
	DrillLeftovers(ctx context.Context) ([]string, error)
}

// Check inspects a raw dump as it streams through, at backup time and again
// when a stored copy is verified, and says at the end whether the dump is
// complete. Writes never fail; a Check holds at most a few KiB of the dump.
type Check interface {
	io.Writer
	// Complete returns nil when everything written so far is one complete
	// dump, else an error that says what is missing.
	Complete() error
}
