// Package sqlstore is the one SQL implementation of catalog.Store, shared by
// the catalog drivers (sqlite, postgres, mysql). A driver opens the
// *sql.DB, describes its SQL in a Dialect and gives its migrations; the
// queries themselves are written once, with ? placeholders, in SQL that all
// three engines accept, and the Dialect fills in the few places where they
// differ.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// Placeholders is how a driver numbers query parameters.
type Placeholders int

const (
	// Question: every parameter is ? (SQLite, MySQL).
	Question Placeholders = iota
	// Dollar: parameters are $1, $2, ... (PostgreSQL).
	Dollar
)

// Dialect is what differs between the SQL engines behind the Store.
type Dialect struct {
	// Name names the driver in errors ("sqlite", "postgres", "mysql").
	Name string
	// Placeholders: how the ? of the shared queries are sent.
	Placeholders Placeholders
	// Like returns a case-insensitive (ASCII at least) LIKE of column col
	// against one parameter, with \ as the escape character.
	Like func(col string) string
	// Greatest is the function returning the largest of its (non-NULL)
	// arguments: "MAX" on SQLite, "GREATEST" elsewhere.
	Greatest string
	// OnConflictDoNothing returns what follows an INSERT into a table with
	// primary key column pk so that a duplicate key inserts nothing and
	// counts 0 affected rows, while every other error stays an error.
	OnConflictDoNothing func(pk string) string
	// ReturningID: INSERT ... RETURNING id works; otherwise the drill ID
	// comes from sql.Result.LastInsertId.
	ReturningID bool
	// JobSource is the FROM clause of the Jobs query that yields one row
	// per job with columns b.server, b."database" and b.type; JobPrefix
	// goes before the rest of its WITH list (a recursive CTE, say), ending
	// in a comma, or is empty.
	JobPrefix, JobSource string
	// TxOptions are those of every read-write transaction.
	TxOptions *sql.TxOptions
	// SessionLock, if set, takes the named lock on conn (a session-level
	// lock, held until release, which must work even after ctx ends) for
	// work that must not run twice at once: migrations, and the
	// transactions of InsertUnlessRunning unless TxLock is set. TxLock, if
	// set, takes it inside a transaction instead, held until the
	// transaction ends. Neither: the engine serialises write transactions
	// anyway (SQLite).
	SessionLock func(ctx context.Context, conn *sql.Conn, name string) (release func(), err error)
	TxLock      func(ctx context.Context, tx *sql.Tx, name string) error
	// IsDuplicateKey reports whether err is a primary key violation.
	IsDuplicateKey func(err error) bool
	// Retryable reports whether a transaction that failed with err (a
	// deadlock, a serialization failure) may succeed if run again. Nil:
	// never.
	Retryable func(err error) bool
	// MaxLen bounds, in characters, the text of the indexed columns
	// (server, database, type, storage, id, job, lease name), where the
	// engine needs bounded keys. Values over it are refused, never
	// truncated. Zero: no bound.
	MaxLen int
	// MaxJobLen and MaxLeaseLen bound a claim's job and a lease's name.
	MaxJobLen, MaxLeaseLen int
	// Analyze are the statements that refresh the planner's statistics of
	// the catalog tables, as the server does on its own after many writes
	// (autovacuum, InnoDB's persistent statistics). Empty: nothing to do.
	Analyze []string
}

// Store is a catalog.Store on a database/sql connection pool. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
	d  Dialect
}

var _ catalog.Store = (*Store)(nil)

// New returns the Store on db with dialect d. The schema must be up to date
// (see Migrate). Close closes db.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, d: d}
}

// DB returns the connection pool.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database. Calls after the first are no-ops.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("catalog: close: %w", err)
	}
	return nil
}

// Analyze refreshes the planner's statistics of the catalog's tables, which
// the server otherwise does on its own some time after many writes; a
// benchmark calls it after seeding so that it measures the settled plans.
func (s *Store) Analyze(ctx context.Context) error {
	for _, q := range s.d.Analyze {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("catalog: analyze: %w", err)
		}
	}
	return nil
}

// dbtx is what a pool, a connection and a transaction have in common.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, x dbtx, q string, args ...any) (sql.Result, error) {
	return x.ExecContext(ctx, s.rebind(q), args...)
}

func (s *Store) queryRows(ctx context.Context, x dbtx, q string, args ...any) (*sql.Rows, error) {
	return x.QueryContext(ctx, s.rebind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, x dbtx, q string, args ...any) *sql.Row {
	return x.QueryRowContext(ctx, s.rebind(q), args...)
}

// rebind turns the ? placeholders of q into the dialect's.
func (s *Store) rebind(q string) string {
	if s.d.Placeholders != Dollar {
		return q
	}
	return Rebind(q)
}

// Rebind replaces each ? of q outside quoted literals and identifiers
// ('...', "...") with $1, $2, ... in order.
func Rebind(q string) string {
	var (
		b     strings.Builder
		n     int
		quote byte
	)
	b.Grow(len(q) + 16)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote reopens at once: same result
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// inTx runs fn in a read-write transaction, committing if fn returns nil.
// A transaction the dialect says may succeed if retried is run again, up
// to three times in all, so fn must be repeatable.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inLockedTx(ctx, "", fn)
}

// inLockedTx is inTx holding the dialect's lock named lock (if not empty)
// from before the transaction's first statement until after it ends.
func (s *Store) inLockedTx(ctx context.Context, lock string, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.txOnce(ctx, lock, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (s *Store) txOnce(ctx context.Context, lock string, fn func(tx *sql.Tx) error) error {
	var x interface {
		BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	} = s.db
	if lock != "" && s.d.TxLock == nil && s.d.SessionLock != nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		release, err := s.d.SessionLock(ctx, conn, lock)
		if err != nil {
			return err
		}
		defer release()
		x = conn
	}
	tx, err := x.BeginTx(ctx, s.d.TxOptions)
	if err != nil {
		return err
	}
	if lock != "" && s.d.TxLock != nil {
		if err := s.d.TxLock(ctx, tx, lock); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// checkLen refuses a value of column col longer than max characters (max 0:
// no bound).
func checkLen(col, v string, max int) error {
	if max <= 0 {
		return nil
	}
	if utf8.RuneCountInString(v) > max {
		return fmt.Errorf("%s %q is longer than the catalog allows (%d characters)", col, v, max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s %q is not valid UTF-8", col, v)
	}
	return nil
}

// boolInt stores a boolean as the 0/1 integer the schema holds.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ErrBadConn, returned from the function given to sql.Conn.Raw, makes
// database/sql close that connection instead of returning it to the pool:
// the way to drop a session whose lock could not be released.
var ErrBadConn = driver.ErrBadConn

// Unlocker returns the release of a session lock a driver took on conn:
// it runs unlock (a query answering true, or 1, once the lock is released)
// and, if that fails, closes the connection (ending its session, and so
// the lock) rather than return it to the pool still locked. It is bounded
// by 10 seconds, whatever became of ctx.
func Unlocker(ctx context.Context, conn *sql.Conn, unlock string, args ...any) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var ok sql.NullBool
		if err := conn.QueryRowContext(ctx, unlock, args...).Scan(&ok); err != nil || !ok.Bool {
			_ = conn.Raw(func(any) error { return ErrBadConn })
		}
	}
}
