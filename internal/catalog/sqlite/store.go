// Package sqlite is the embedded catalog: a catalog.Store kept in one SQLite
// file, through the pure-Go modernc.org/sqlite driver (no cgo).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// busyTimeoutMillis is how long a statement waits for another connection's
// (or another process's) write lock before failing with SQLITE_BUSY.
const busyTimeoutMillis = 5000

// Store is a catalog.Store in an SQLite database. It is safe for concurrent
// use: readers run in parallel (WAL), writers take the write lock when their
// transaction begins and queue behind each other for up to busy_timeout.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

var _ catalog.Store = (*Store)(nil)

// Open opens the catalog at path, creating the file (mode 0600) and its
// parent directory (mode 0700) if missing, and brings the schema up to date.
// A database written by a newer build gives ErrSchemaTooNew and is left
// untouched.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("catalog: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	// Creating the file here, rather than letting SQLite do it under the
	// umask, keeps the catalog private: SQLite gives the -wal and -shm files
	// the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	// A small pool: WAL lets these read in parallel; writes serialise anyway.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)

	s := &Store{Store: sqlstore.New(db, dialect), db: db}
	if err := migrateWhenFree(ctx, s); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	return s, nil
}

// migrateWhenFree brings the schema up to date, trying again for up to
// busy_timeout while SQLite answers SQLITE_BUSY. A connection's first
// statement switches the file to WAL (see dsn), which needs the database to
// itself and, unlike other statements, does not wait for busy_timeout:
// processes that open a fresh catalog at once (cron starting several
// one-shot commands) would otherwise fail at random.
func migrateWhenFree(ctx context.Context, s *Store) error {
	deadline := time.Now().Add(busyTimeoutMillis * time.Millisecond)
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		err := s.Migrate(ctx, migrations)
		if err == nil || !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var e interface{ Code() int }
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// dialect is SQLite's SQL: LIKE is ASCII case-insensitive already, and
// BEGIN IMMEDIATE (see dsn) serialises write transactions, so no lock is
// needed around InsertUnlessRunning or the migrations.
var dialect = sqlstore.Dialect{
	Name:                "sqlite",
	Placeholders:        sqlstore.Question,
	Like:                func(col string) string { return col + ` LIKE ? ESCAPE '\'` },
	Greatest:            "MAX",
	OnConflictDoNothing: func(string) string { return "ON CONFLICT DO NOTHING" },
	ReturningID:         true,
	JobPrefix:           sqlstore.SQLiteJobPrefix,
	JobSource:           sqlstore.SQLiteJobSource,
	IsDuplicateKey: func(err error) bool {
		var e interface{ Code() int }
		return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
}

// dsn builds a file: URI for path with the connection settings every pooled
// connection needs. The path is percent-encoded, so names containing '?', '#'
// or '%' open the file they name.
//
// _txlock=immediate makes every read-write transaction take the write lock
// at BEGIN, where busy_timeout applies; a deferred transaction that reads
// and then writes can instead fail at once with SQLITE_BUSY under WAL.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Path: filepath.ToSlash(path)}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}
