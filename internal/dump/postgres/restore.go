package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// restoreFlags make a load on one connection stop at the first error and
// run in one transaction. The load goes into a fresh scratch database, so
// nothing needs cleaning first.
var restoreFlags = []string{"--exit-on-error", "--single-transaction"}

// parallelRestoreFlags load a spooled archive on jobs connections, stopping
// at the first error. pg_restore cannot combine --jobs with
// --single-transaction: the all-or-nothing guarantee rests on the scratch
// database alone, which is dropped when the load fails and put in place
// only when it succeeded, as it is for a load on one connection.
func parallelRestoreFlags(jobs int) []string {
	return []string{"--exit-on-error", "--jobs=" + strconv.Itoa(jobs)}
}

// ScratchPrefix starts the name of every database a restore loads into
// before it is put in place, and of a replaced database until it is
// dropped. Databases lists none of them.
const ScratchPrefix = dump.ScratchPrefix

// maxPeekBytes bounds how much of an archive's start is held while its
// table of contents is read for the owners it names.
const maxPeekBytes = 256 << 20

// cleanupTimeout bounds the work done after a failure or cancellation.
const cleanupTimeout = 30 * time.Second

// CheckTarget checks the target before anything is read or changed. See
// dump.Dumper.
//
// An existing database counts as empty when it holds nothing a user made:
// no schema but public, no object in public or any other user schema
// (tables, views, sequences, functions, types, operators, ...), no
// extension but plpgsql, no large object, no event trigger and no
// publication. A database just made by CREATE DATABASE is empty.
func (d *Dumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	if err := ValidateDatabaseName(db); err != nil {
		return dump.RefuseTarget(d.errorf("restore: %w; %w", err, dump.ErrTargetUnchanged))
	}
	if err := dump.CheckReservedTarget(db, opts); err != nil {
		return dump.RefuseTarget(d.errorf("restore into %q: %w; %w", db, err, dump.ErrTargetUnchanged))
	}
	if slices.Contains(maintenanceDBs, db) && !opts.Force {
		// Empty or not, the server's maintenance database is never replaced by accident.
		return dump.RefuseTarget(d.errorf("restore into %q: it is the server's maintenance database; restore into another name, or replace it with --force; %w", db, dump.ErrTargetUnchanged))
	}
	if err := validateProps(opts.Database); err != nil {
		return d.errorf("restore into %q: %w; %w", db, err, dump.ErrTargetUnchanged)
	}
	conn, err := d.connectMaintenanceExcept(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return d.checkTarget(ctx, conn, db, opts)
}

func (d *Dumper) checkTarget(ctx context.Context, conn *pgx.Conn, db string, opts dump.RestoreOptions) error {
	exists, template, err := databaseState(ctx, conn, db)
	if err != nil {
		return d.errorf("looking up database %q: %w; %w", db, err, dump.ErrTargetUnchanged)
	}
	switch {
	case !exists:
		return nil
	case template:
		return dump.RefuseTarget(d.errorf("restore into %q: it is a template database; %w", db, dump.ErrTargetUnchanged))
	case opts.Force:
		return nil
	}
	held, err := d.userObjects(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	if held != "" {
		return d.errorf("restore into %q: %w: it holds %s; %w", db, dump.ErrTargetNotEmpty, held, dump.ErrTargetUnchanged)
	}
	return nil
}

func databaseState(ctx context.Context, conn *pgx.Conn, db string) (exists, template bool, err error) {
	err = conn.QueryRow(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, db).Scan(&template)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	return err == nil, template, err
}

// userObjects describes what a user made in database db ("" when empty).
func (d *Dumper) userObjects(ctx context.Context, db string) (string, error) {
	conn, err := d.connect(ctx, db)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const q = `WITH ns AS (
			SELECT oid, nspname FROM pg_namespace
			WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
		), objs AS (
			SELECT CASE classid WHEN 'pg_class'::regclass THEN 'relation'
				WHEN 'pg_proc'::regclass THEN 'function'
				WHEN 'pg_type'::regclass THEN 'type'
				ELSE 'other object' END AS kind
			FROM pg_depend WHERE refclassid = 'pg_namespace'::regclass AND deptype = 'n' AND refobjid IN (SELECT oid FROM ns)
			UNION ALL SELECT 'schema' FROM ns WHERE nspname <> 'public'
			UNION ALL SELECT 'extension' FROM pg_extension WHERE extname <> 'plpgsql'
			UNION ALL SELECT 'large object' FROM pg_largeobject_metadata
			UNION ALL SELECT 'event trigger' FROM pg_event_trigger
			UNION ALL SELECT 'publication' FROM pg_publication
		)
		SELECT kind, count(*) FROM objs GROUP BY kind ORDER BY kind`
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return "", d.errorf("inspecting database %q: %w", db, err)
	}
	type row struct {
		Kind string
		N    int64
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return "", d.errorf("inspecting database %q: %w", db, err)
	}
	var parts []string
	for _, c := range counts {
		s := fmt.Sprintf("%d %s", c.N, c.Kind)
		if c.N != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), nil
}

// Restore loads the archive read from r into a scratch database created
// with opts.Database's properties, applies the database's settings,
// comment and privileges, and only then puts it in place of db in one
// transaction. See dump.Dumper.
//
// With opts.Jobs > 1 the archive is first spooled to a private file (see
// spool.go), checked whole, and loaded by pg_restore --jobs; when
// opts.RawBytes is unknown (0) or the file system lacks room for the
// archive and spoolMargin, the load streams on one connection instead, and
// the log says why. The spool file is removed whatever happens.
func (d *Dumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if err := d.CheckTarget(ctx, db, opts); err != nil {
		return err
	}
	tool, err := dump.LookTool("restore tool", d.Tools.Restore, "pg_restore")
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	unchanged := func(format string, args ...any) error {
		return d.errorf("restore into %q: "+format+"; %w", append(append([]any{db}, args...), dump.ErrTargetUnchanged)...)
	}

	// The table of contents comes first: read it to learn the owners the
	// archive names before anything is created.
	head, toc, err := peekTOC(r)
	if err != nil {
		return unchanged("reading the archive: %w", err)
	}
	archive := io.MultiReader(bytes.NewReader(head), r)
	check := NewCheck()
	input := io.TeeReader(archive, check)

	conn, err := d.connectMaintenanceExcept(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	plan, err := d.planDatabase(ctx, conn, db, opts, toc)
	if err != nil {
		return unchanged("%w", err)
	}
	// A parallel load spools the archive before anything is created.
	dbLog := d.logger.With("database", db)
	spoolDir, err := d.prepareSpool(opts, dbLog)
	if err != nil {
		return unchanged("%w", err)
	}
	var spooled *spool
	if spoolDir != nil {
		defer func() {
			if err := spoolDir.Remove(); err != nil {
				dbLog.Warn("could not remove the spooled archive; remove it by hand", "path", spoolDir.Path(), "error", err)
			}
		}()
		if spooled, err = spoolArchive(ctx, spoolDir, archive, opts.RawBytes, dbLog); err != nil {
			return unchanged("%w", err)
		}
	}
	d.sweepBefore(ctx, dbLog)
	scratch := scratchName()
	if d.onScratch != nil {
		d.onScratch(scratch)
	}
	if err := lockScratch(ctx, conn, scratch); err != nil {
		return unchanged("%w", err)
	}
	if err := d.createDatabase(ctx, conn, scratch, plan); err != nil {
		return unchanged("%w", err)
	}
	log := d.logger.With("database", db, "scratch", scratch)
	placed := false
	defer func() {
		if !placed {
			d.dropDatabase(ctx, conn, scratch, log)
		}
	}()

	err = d.withPassFile(func(dir string, env []string) error {
		flags := restoreFlags
		if spooled != nil && spooled.offsetsErr == nil {
			flags = parallelRestoreFlags(opts.Jobs)
			log.Info("parallel load starting", "jobs", opts.Jobs)
		}
		args := append(connArgs(d.conn), flags...)
		if opts.NoOwner {
			args = append(args, "--no-owner")
		}
		args = append(args, dbnameArg(scratch))
		if spooled != nil {
			args = append(args, spooled.path)
		}
		cmd := d.command(tool, dir, env, args)
		if spooled == nil {
			cmd.Stdin = input
		}
		stderr, err := cmd.Run(ctx)
		if err == nil && stderr != "" {
			log.Warn("restore tool wrote to stderr", "stderr", stderr)
		}
		return err
	})
	if err != nil {
		return unchanged("%w", explainRestoreError(err, opts.Drill))
	}
	if spooled == nil {
		// pg_restore stops reading at the last block it needs; what it
		// left must still be the rest of one whole archive. (A spooled
		// archive was checked whole before the load.)
		if _, err := io.Copy(io.Discard, input); err != nil {
			return unchanged("reading the archive: %w", err)
		}
		if err := check.Complete(); err != nil {
			return unchanged("%w", err)
		}
	}
	if err := d.applyProps(ctx, conn, scratch, plan, log); err != nil {
		return unchanged("%w", err)
	}
	old, err := d.putInPlace(ctx, conn, scratch, db, opts.Force, log)
	if err != nil {
		return unchanged("%w", err)
	}
	placed = true
	if old != "" {
		d.dropDatabase(ctx, conn, old, log)
	}
	return nil
}

// peekTOC reads r until the archive's table of contents has passed and
// returns the bytes read and the check that parsed them. A TOC larger than
// maxPeekBytes is not waited for: the owners are then checked by the
// restore itself.
func peekTOC(r io.Reader) ([]byte, *archiveCheck, error) {
	c := newArchiveCheck()
	c.collectOwners()
	var head []byte
	buf := make([]byte, 64<<10)
	for !c.tocDone && c.err == nil && len(head) < maxPeekBytes {
		n, err := r.Read(buf)
		head = append(head, buf[:n]...)
		c.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	if !c.tocDone && len(head) < maxPeekBytes {
		return nil, nil, c.Complete()
	}
	return head, c, nil
}

// scratchName returns a fresh name for a database a restore works in.
func scratchName() string { return dump.NewScratchName() }

// execf runs a statement that the server renders with its own format():
// %I quotes an identifier, %L a literal. Nothing from a manifest is ever
// spliced into SQL by hand.
func execf(ctx context.Context, conn querier, format string, args ...string) error {
	params := []any{format}
	ph := []string{"$1::text"}
	for i, a := range args {
		params = append(params, a)
		ph = append(ph, fmt.Sprintf("$%d::text", i+2))
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format("+strings.Join(ph, ", ")+")", params...).Scan(&stmt); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, stmt)
	return err
}
