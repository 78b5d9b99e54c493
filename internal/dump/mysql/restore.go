package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// CheckTarget checks the target before anything is read or changed. See
// dump.Dumper.
func (d *Dumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	if err := ValidateDatabaseName(db); err != nil {
		return dump.RefuseTarget(d.errorf("restore: %w; %w", err, dump.ErrTargetUnchanged))
	}
	if err := checkTargetName(db, opts); err != nil {
		return dump.RefuseTarget(d.errorf("restore into %q: %w; %w", db, err, dump.ErrTargetUnchanged))
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
		noun := "objects"
		if objects == 1 {
			noun = "object"
		}
		return d.errorf("restore into %q: %w: it holds %d %s; %w", db, dump.ErrTargetNotEmpty, objects, noun, dump.ErrTargetUnchanged)
	}
	if exists && objects > 0 {
		if err := checkForeignReferences(ctx, conn, db); err != nil {
			return d.errorf("restore into %q: %w; %w", db, err, dump.ErrTargetUnchanged)
		}
	}
	return nil
}

// checkTargetName refuses the server's own schemas and the names this
// program gives its transient databases and tables (dump.CheckReservedTarget).
func checkTargetName(db string, opts dump.RestoreOptions) error {
	if systemDatabases[strings.ToLower(db)] {
		return fmt.Errorf("%s is a system schema of the server; restore into another database", db)
	}
	return dump.CheckReservedTarget(db, opts)
}

// targetState reports whether db exists and how many tables, views,
// routines, events and triggers it holds (as far as this user can see).
func targetState(ctx context.Context, conn *sql.DB, db string) (exists bool, objects int, err error) {
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&objects)
	if err != nil || objects == 0 {
		return false, 0, err
	}
	const q = `SELECT
		(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?)`
	err = conn.QueryRowContext(ctx, q, db, db, db, db).Scan(&objects)
	return true, objects, err
}

// cleanupTimeout bounds dropping what a failed or cancelled restore made,
// which runs even after ctx is done.
const cleanupTimeout = 5 * time.Minute

// Restore loads r into db, all or nothing. See dump.Dumper.
//
// A missing db is created and loaded directly (nobody used it before), and
// dropped again when the load fails. An existing one (empty, or with
// opts.Force) is never loaded into: the dump goes into a scratch database
// first, which swap then puts in its place.
//
// Before it starts, it drops the scratch databases of interrupted restores
// (SweepLeftovers).
func (d *Dumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if err := d.CheckTarget(ctx, db, opts); err != nil {
		return err
	}
	tool, err := dump.LookTool("client tool", d.Tools.Client, "mariadb", "mysql")
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	pool, err := d.open()
	if err != nil {
		return unchanged(err)
	}
	defer pool.Close()
	exists, _, err := targetState(ctx, pool, db)
	if err != nil {
		return d.errorf("restore into %q: inspecting it: %w", db, unchanged(err))
	}
	if _, err := d.SweepLeftovers(ctx); err != nil {
		d.logger.Warn("could not sweep what interrupted restores left", "error", err)
	}
	if !exists {
		return d.restoreNew(ctx, pool, tool, db, r, opts)
	}
	return d.restoreReplace(ctx, pool, tool, db, r, opts)
}

// restoreNew creates db, loads r into it and drops it if that fails.
func (d *Dumper) restoreNew(ctx context.Context, pool *sql.DB, tool, db string, r io.Reader, opts dump.RestoreOptions) error {
	// Without IF NOT EXISTS: a database someone made since the check is theirs.
	if err := createDatabase(ctx, pool, db, opts); err != nil {
		return d.errorf("restore into %q: creating it: %w", db, unchanged(explainRestoreError(err, failure{})))
	}
	err := d.load(ctx, pool, tool, db, r, opts)
	if err == nil {
		return nil
	}
	if derr := dropDatabase(ctx, pool, db); derr != nil {
		return d.errorf("restore into %q: %w; the partly restored database could not be dropped: %v", db, err, derr)
	}
	return d.errorf("restore into %q: %w; the database it created is dropped again", db, unchanged(err))
}

// restoreReplace loads r into a scratch database, swaps it in for db, and
// drops the scratch database whatever happened. A lease marks the scratch
// database (and the swap's hold tables) as in use until it is dropped.
func (d *Dumper) restoreReplace(ctx context.Context, pool *sql.DB, tool, db string, r io.Reader, opts dump.RestoreOptions) error {
	scratch := dump.NewScratchName()
	l, err := d.newLease(ctx)
	if err != nil {
		return d.errorf("restore into %q: %w", db, unchanged(err))
	}
	defer l.close() // after the scratch database is dropped
	if err := l.take(ctx, scratch); err != nil {
		return d.errorf("restore into %q: %w", db, unchanged(err))
	}
	d.warnStaleHolds(ctx, l, db)
	if err := createDatabase(ctx, pool, scratch, opts); err != nil {
		return d.errorf("restore into %q: creating scratch database %s: %w", db, scratch, unchanged(explainRestoreError(err, failure{})))
	}
	err = d.load(ctx, pool, tool, scratch, r, opts)
	if err != nil {
		err = unchanged(err)
	} else {
		err = d.swap(ctx, pool, scratch, db, l)
	}
	if derr := dropDatabase(ctx, pool, scratch); derr != nil {
		d.logger.Warn("scratch database left behind", "database", scratch, "error", derr)
		if err != nil {
			err = fmt.Errorf("%w; scratch database %s could not be dropped: %v", err, scratch, derr)
		}
	}
	if err != nil {
		return d.errorf("restore into %q: %w", db, err)
	}
	return nil
}

// warnStaleHolds logs the hold tables an interrupted swap left in db. They
// count as the target's tables: this restore replaces them with the rest.
func (d *Dumper) warnStaleHolds(ctx context.Context, l *lease, db string) {
	holds, err := staleHolds(ctx, l.c, db)
	if err != nil {
		d.logger.Warn("could not look for hold tables of interrupted restores", "database", db, "error", err)
	}
	for _, h := range holds {
		d.logger.Warn(holdAdvice+"; this restore replaces it with the rest of the database", "database", h.db, "table", h.table)
	}
}

// load feeds the dump r into database db: on one client process, or with
// opts.Jobs > 1 split over that many connections (loadParallel).
func (d *Dumper) load(ctx context.Context, pool *sql.DB, tool, db string, r io.Reader, opts dump.RestoreOptions) error {
	definers := newDefinerTracker()
	in := r
	if opts.Drill {
		in = disableEvents(in)
	}
	var err error
	if opts.Jobs > 1 {
		err = d.loadParallel(ctx, tool, db, in, opts, definers)
	} else {
		err = d.loadSerial(ctx, tool, db, in, definers)
	}
	if err == nil {
		return nil
	}
	f := failure{definerAt: definers.at, needed: opts.MaxStatementBytes}
	if code, _ := errorCode(err); code == 1153 || code == 2006 || code == 2013 || errors.Is(err, mysql.ErrPktTooLarge) {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = pool.QueryRowContext(qctx, "SELECT @@global.max_allowed_packet").Scan(&f.packet)
	}
	return explainRestoreError(err, f)
}

// loadSerial feeds the dump r to one client process, into database db, as a
// restore by hand would; definers sees every line.
func (d *Dumper) loadSerial(ctx context.Context, tool, db string, r io.Reader, definers *definerTracker) error {
	return d.withOptionFile(func(dir, optFile string) error {
		// --binary-mode keeps \r\n in routine bodies and NULs intact and
		// stops the client from running client commands found in the dump.
		// The failing statement (it may hold table data) stays out of
		// stderr, hence of error messages; "loose" because only MariaDB's
		// client knows the option.
		cmd := d.command(tool, dir, optFile,
			"--default-character-set=utf8mb4", "--binary-mode", "--max-allowed-packet=1G",
			"--loose-skip-print-query-on-error", "--database="+db)
		cmd.Stdin = io.TeeReader(r, definers)
		stderr, err := cmd.Run(ctx)
		if err == nil && stderr != "" {
			d.logger.Warn("client wrote to stderr", "database", db, "stderr", stderr)
		}
		return err
	})
}

// createDatabase creates name (it must not exist) with the source's default
// character set and collation when they are known, else utf8mb4.
func createDatabase(ctx context.Context, pool *sql.DB, name string, opts dump.RestoreOptions) error {
	_, err := pool.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+databaseDefaults(opts))
	return err
}

// dropDatabase drops a database this restore created. It runs even when ctx
// is done: a cancelled restore must not leave it behind.
func dropDatabase(ctx context.Context, pool *sql.DB, name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, err := pool.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name))
	return err
}

// unchanged marks err as one after which the target is as it was.
func unchanged(err error) error {
	if err == nil || errors.Is(err, dump.ErrTargetUnchanged) {
		return err
	}
	return fmt.Errorf("%w; %w", err, dump.ErrTargetUnchanged)
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
var isCharsetName = dumpoptions.Matches(`^[A-Za-z0-9_]{1,64}$`)

// disableEvents returns r's dump with every event disabled: a drill's copy
// of an event must never run (its body may name other databases). The
// returned reader reads r only while it is read itself.
func disableEvents(r io.Reader) io.Reader {
	return &filteredReader{r: r, buf: &bytes.Buffer{}, chunk: make([]byte, 64<<10)}
}

// filteredReader passes r through a sqlFilter that disables events.
type filteredReader struct {
	r      io.Reader
	buf    *bytes.Buffer
	chunk  []byte
	filter *sqlFilter
	err    error
}

func (f *filteredReader) Read(p []byte) (int, error) {
	if f.filter == nil {
		f.filter = newSQLFilter(f.buf, nil)
		f.filter.disableEvents = true
	}
	for f.buf.Len() == 0 && f.err == nil {
		n, err := f.r.Read(f.chunk)
		if n > 0 {
			f.filter.Write(f.chunk[:n]) //nolint:errcheck // a bytes.Buffer never fails
		}
		if err != nil {
			f.filter.Close() //nolint:errcheck // as above
			f.err = err
		}
	}
	if f.buf.Len() > 0 {
		return f.buf.Read(p)
	}
	return 0, f.err
}
