// Package postgres dumps and restores PostgreSQL databases with pg_dump
// (custom format) and pg_restore.
//
// The password reaches the tools only through a 0600 password file in a
// private temporary directory, named by PGPASSFILE in the child's otherwise
// minimal environment; server queries use pgx with the password set on the
// parsed config.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// Tools overrides where the client tools are; empty fields mean pg_dump and
// pg_restore on PATH.
type Tools struct {
	Dump    string
	Restore string
}

// Dumper dumps and restores the databases of one PostgreSQL server.
// Set the exported fields before first use.
type Dumper struct {
	Tools Tools
	// Process holds TempDir, WaitDelay and OnStart, the settings the
	// client tools run with.
	dump.Process

	conn   dump.Conn
	logger *slog.Logger
	// onScratch, when set, learns the name of each scratch database (tests).
	onScratch func(name string)
}

var _ dump.Dumper = (*Dumper)(nil)

// New returns a Dumper for the server c. A nil logger discards.
func New(c dump.Conn, logger *slog.Logger) *Dumper {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Dumper{conn: c, logger: logger.With("server", c.Name)}
}

// dumpFlags are always passed to pg_dump: the custom format, uncompressed
// because the pipeline compresses better and faster.
var dumpFlags = []string{"--format=custom", "--compress=0"}

// Databases lists the databases that accept connections, without templates,
// the postgres maintenance database, a restore's scratch databases and
// restore drills' databases, sorted.
func (d *Dumper) Databases(ctx context.Context) ([]string, error) {
	conn, err := d.connectMaintenance(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database
		WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres'
			AND left(datname, length($1)) <> $1 ORDER BY datname`, ScratchPrefix)
	if err != nil {
		return nil, d.errorf("listing databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.errorf("listing databases: %w", err)
	}
	names = slices.DeleteFunc(names, dump.IsDrillName)
	slices.Sort(names) // the server's collation may order differently
	return names, nil
}

// Dump writes a custom-format archive of db to w. See dump.Dumper.
func (d *Dumper) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return dump.Info{}, d.errorf("dump: %w", err)
	}
	if err := ValidateDumpOptions(d.conn.DumpOptions); err != nil {
		return dump.Info{}, d.errorf("dump: %w", err)
	}
	tool, err := dump.LookTool("dump tool", d.Tools.Dump, "pg_dump")
	if err != nil {
		return dump.Info{}, err
	}
	info := dump.Info{
		Engine:    "postgres",
		Tool:      filepath.Base(tool),
		Flags:     append(slices.Clone(dumpFlags), d.conn.DumpOptions...),
		Format:    "pg_custom",
		Extension: "dump",
	}
	// The position and the database's properties are read just before the
	// dump starts: the dump's snapshot is at or after them.
	info.ServerVersion, info.Position, info.Database, err = d.inspect(ctx, db)
	if err != nil {
		return info, err
	}
	err = d.withPassFile(func(dir string, env []string) error {
		v, err := dump.ToolVersion(ctx, tool, dir)
		if err != nil {
			return fmt.Errorf("%s --version: %w", info.Tool, err)
		}
		info.ToolVersion = v

		args := append(connArgs(d.conn), info.Flags...)
		args = append(args, dbnameArg(db))
		check := newArchiveCheck()
		check.countObjects()
		cmd := d.command(tool, dir, env, args)
		cmd.Stdout = io.MultiWriter(w, check)
		d.logger.Debug("dump starting", "database", db, "tool", info.Tool, "flags", info.Flags)
		stderr, err := cmd.Run(ctx)
		if err != nil {
			return err
		}
		// pg_dump's exit status is not enough: a stream cut short by
		// anything between it and us must not count as a dump.
		if err := check.Complete(); err != nil {
			return fmt.Errorf("%s exited 0 but %w", info.Tool, err)
		}
		info.Fingerprint = check.fingerprint()
		if stderr != "" {
			d.logger.Warn("dump tool wrote to stderr", "database", db, "tool", info.Tool, "stderr", stderr)
		}
		return nil
	})
	if err != nil {
		return info, d.errorf("dump of %q: %w", db, err)
	}
	return info, nil
}

// inspect returns the server version, the current WAL position (the
// replay position on a standby) and the database's own properties.
func (d *Dumper) inspect(ctx context.Context, db string) (string, *backup.Position, *backup.DatabaseProps, error) {
	conn, err := d.connect(ctx, db)
	if err != nil {
		return "", nil, nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	props, err := readProps(ctx, conn, db)
	if err != nil {
		return "", nil, nil, d.errorf("reading the properties of database %q: %w", db, err)
	}
	var version string
	var lsn sql.NullString
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version'),
		CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text`).
		Scan(&version, &lsn)
	if err != nil {
		return "", nil, nil, d.errorf("reading server version and WAL position: %w", err)
	}
	if !lsn.Valid {
		return version, nil, props, nil
	}
	return version, &backup.Position{LSN: lsn.String}, props, nil
}

// withPassFile makes a private directory holding the password file, calls
// fn with the directory and the child's extra environment, and removes the
// directory whatever happens. PGPASSFILE is set even without a password (the
// file is then empty), so that no ~/.pgpass of the daemon's user is consulted.
func (d *Dumper) withPassFile(fn func(dir string, env []string) error) error {
	line := ""
	if d.conn.Password != "" {
		var err error
		if line, err = pgpassLine(d.conn.User, d.conn.Password); err != nil {
			return err
		}
	}
	return d.WithPrivateFile(d.logger, "pgpass", []byte(line), func(dir, file string) error {
		return fn(dir, []string{"PGPASSFILE=" + file})
	})
}

// command returns the child for tool; the password reaches it only through
// the password file named in env.
func (d *Dumper) command(tool, dir string, env, args []string) *dump.Cmd {
	return d.Command(tool, dir, env, args, d.secrets())
}

// errorf wraps an error and redacts the password should it ever be echoed.
func (d *Dumper) errorf(format string, args ...any) error {
	return redact.Error(fmt.Errorf("postgres server %q: "+format, append([]any{d.conn.Name}, args...)...), d.secrets()...)
}

func (d *Dumper) secrets() []string { return []string{d.conn.Password} }
