package postgres

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// restoreFlags make a restore all-or-nothing: one transaction, stop at the
// first error. Ownership is not restored (the owners may not exist on the
// target); privileges are.
var restoreFlags = []string{"--no-owner", "--clean", "--if-exists", "--exit-on-error", "--single-transaction"}

// CheckTarget checks the target before anything is read or changed. See
// dump.Dumper.
func (d *Dumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	if err := ValidateDatabaseName(db); err != nil {
		return d.errorf("restore: %w", err)
	}
	return nil
}

// Restore creates db when missing and restores the archive read from r into
// it in one transaction. See dump.Dumper.
func (d *Dumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if err := d.CheckTarget(ctx, db, opts); err != nil {
		return err
	}
	tool, err := dump.LookTool("restore tool", d.Tools.Restore, "pg_restore")
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	if err := d.createDatabase(ctx, db); err != nil {
		return err
	}
	err = d.withPassFile(func(dir string, env []string) error {
		args := append(connArgs(d.conn), restoreFlags...)
		args = append(args, dbnameArg(db))
		cmd := d.command(tool, dir, env, args)
		cmd.Stdin = r
		stderr, err := cmd.Run(ctx)
		if err == nil && stderr != "" {
			d.logger.Warn("restore tool wrote to stderr", "database", db, "stderr", stderr)
		}
		return err
	})
	if err != nil {
		return d.errorf("restore into %q: %w", db, err)
	}
	return nil
}

func (d *Dumper) createDatabase(ctx context.Context, db string) error {
	conn, err := d.connectMaintenance(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return d.errorf("looking up database %q: %w", db, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return d.errorf("creating database %q: %w", db, err)
	}
	return nil
}
