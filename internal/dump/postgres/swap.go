package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// querier is what execf needs: a connection or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// objectInUse is SQLSTATE 55006: a database has other sessions.
const objectInUse = "55006"

// putInPlace renames the loaded scratch database to db. An existing db is
// renamed away to a scratch-style name in the same transaction (ALTER
// DATABASE RENAME is transactional), so that db is at every moment either
// the old database or the restored one; the old name is returned for the
// caller to drop. Sessions connected to db block the rename: with force
// they are terminated first, and the log says so.
func (d *Dumper) putInPlace(ctx context.Context, conn *pgx.Conn, scratch, db string, force bool, log *slog.Logger) (old string, err error) {
	if !force {
		// The target was missing or empty when the restore began; it must
		// still be.
		exists, _, err := databaseState(ctx, conn, db)
		if err != nil {
			return "", fmt.Errorf("looking up database %q: %w", db, err)
		}
		if exists {
			held, err := d.userObjects(ctx, db)
			if err != nil {
				return "", err
			}
			if held != "" {
				return "", fmt.Errorf("%w: it holds %s, put there while the restore ran", dump.ErrTargetNotEmpty, held)
			}
			// The rename would wait five seconds for sessions to go; say now.
			sessions, err := openSessions(ctx, conn, db)
			if err != nil {
				return "", err
			}
			if sessions > 0 {
				return "", sessionsError(db, sessions, nil)
			}
		}
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		old, err = d.swap(ctx, conn, scratch, db, force, log)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != objectInUse {
			return old, err
		}
		if !force {
			return "", sessionsError(db, 0, err)
		}
		if attempt == attempts {
			return "", fmt.Errorf("database %q: new sessions kept connecting while it was being replaced: %w", db, err)
		}
	}
}

// openSessions counts the client sessions connected to db. Autovacuum
// workers do not count (the rename ends them itself), nor do sessions that
// end within a second: the server lists a closed connection, such as the
// one that just looked into db, for a moment after it closed.
func openSessions(ctx context.Context, conn *pgx.Conn, db string) (int, error) {
	var n int
	for try := 0; try < 10; try++ {
		err := conn.QueryRow(ctx, `SELECT count(*)::int FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`, db).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("looking up the sessions of %q: %w", db, err)
		}
		if n == 0 {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return n, context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return n, nil
}

func sessionsError(db string, n int, err error) error {
	what := "open sessions"
	if n > 0 {
		what = fmt.Sprintf("%d open sessions", n)
	}
	msg := fmt.Sprintf("database %q has %s, which keep it from being replaced; close them, or restore with --force to end them", db, what)
	if err != nil {
		return fmt.Errorf("%s: %w", msg, err)
	}
	return errors.New(msg)
}

func (d *Dumper) swap(ctx context.Context, conn *pgx.Conn, scratch, db string, force bool, log *slog.Logger) (old string, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		if force {
			var ended int
			err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int
				FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db).Scan(&ended)
			if err != nil {
				return "", fmt.Errorf("ending the sessions connected to %q: %w", db, err)
			}
			if ended > 0 {
				log.Warn("ended the sessions connected to the database to replace it (--force)", "sessions", ended)
			}
		}
		old = scratchName()
		if err := execf(ctx, tx, "ALTER DATABASE %I RENAME TO %I", db, old); err != nil {
			return "", fmt.Errorf("moving the old database aside: %w", err)
		}
	}
	if err := execf(ctx, tx, "ALTER DATABASE %I RENAME TO %I", scratch, db); err != nil {
		return "", fmt.Errorf("renaming the restored database: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("putting the restored database in place: %w", err)
	}
	return old, nil
}

// dropDatabase drops a scratch or replaced database, even after ctx ended,
// and logs a failure: the restore's outcome does not depend on it.
func (d *Dumper) dropDatabase(ctx context.Context, conn *pgx.Conn, name string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if conn.IsClosed() {
		var err error
		if conn, err = d.connectMaintenanceExcept(ctx, name); err != nil {
			log.Error("could not drop a database the restore made; drop it by hand", "drop", name, "error", err)
			return
		}
		defer conn.Close(ctx)
	}
	stmt := "DROP DATABASE IF EXISTS %I WITH (FORCE)"
	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err == nil && version < 130000 {
		stmt = "DROP DATABASE IF EXISTS %I"
	}
	if err := execf(ctx, conn, stmt, name); err != nil {
		log.Error("could not drop a database the restore made; drop it by hand", "drop", name, "error", err)
	}
}

// connectMaintenanceExcept connects to the first maintenance database that
// exists and is not db: a database cannot be renamed or dropped by a
// session connected to it.
func (d *Dumper) connectMaintenanceExcept(ctx context.Context, db string) (*pgx.Conn, error) {
	var errs []error
	for _, m := range maintenanceDBs {
		if m == db {
			continue
		}
		conn, err := d.connect(ctx, m)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}
