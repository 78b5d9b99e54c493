package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned (wrapped) by Migrate for a database whose
// schema was written by a newer build than this one.
var ErrSchemaTooNew = errors.New("catalog schema is newer than this build supports")

// Migrations is a driver's schema history: Steps[i] brings the schema from
// version i to version i+1, one statement per string. Entries are only ever
// appended, with the same numbering and meaning on every driver: a released
// migration is never edited, because databases already at its version will
// not run it again.
type Migrations [][]string

// createMigrationsTable is valid on every engine.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER     NOT NULL PRIMARY KEY,
	applied_at VARCHAR(40) NOT NULL
)`

// migrateLock names the lock that serialises migrations of one database.
const migrateLock = "migrate"

// Migrate applies every migration of ms the database lacks, each in its own
// transaction together with its schema_migrations row, re-checking the
// version inside it. Processes that start at once on the same database
// queue behind the dialect's lock (SQLite: the write lock), so each
// migration runs once.
//
// Where DDL commits on its own (MySQL), a migration and its row are not
// atomic: a process that dies between them leaves the DDL applied and the
// version unrecorded, and the next start runs the migration again. Such a
// driver's migrations must therefore be safe to run twice (CREATE TABLE IF
// NOT EXISTS with its indexes inline, say).
//
// A database at a version above len(ms) gives ErrSchemaTooNew and is left
// untouched.
func (s *Store) Migrate(ctx context.Context, ms Migrations) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.d.SessionLock != nil {
		release, err := s.d.SessionLock(ctx, conn, migrateLock)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer release()
	}
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	current, err := s.schemaVersion(ctx, conn)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: database is at version %d, this build knows up to %d; upgrade gosqlguard",
			ErrSchemaTooNew, current, len(ms))
	}
	for v := current + 1; v <= len(ms); v++ {
		if err := s.applyMigration(ctx, conn, v, ms[v-1]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, version int, stmts []string) error {
	tx, err := conn.BeginTx(ctx, s.d.TxOptions)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	current, err := s.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current >= version {
		return nil // applied by another process since we looked
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UTC().Format(timeLayout)); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) schemaVersion(ctx context.Context, q dbtx) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
