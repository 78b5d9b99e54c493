// Package postgres is the catalog on a shared PostgreSQL server (10 or
// newer): the shared SQL store (package sqlstore) through pgx's
// database/sql adapter.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	catalogdsn "github.com/gosqlguard/gosqlguard/internal/catalog/dsn"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// Store is the catalog.Store of this driver.
type Store = sqlstore.Store

// ErrSchemaTooNew is returned (wrapped) by Open for a database whose schema
// was written by a newer build than this one.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// Pool settings for a server other processes share: a few connections per
// process, renewed every few minutes so that a failover or a restart of a
// pooler is followed.
const (
	maxOpenConns    = 8
	maxIdleConns    = 4
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = time.Minute
	connectTimeout  = 10 * time.Second
)

// Open connects to the PostgreSQL database named by dsn (a URL
// postgres://user:password@host:port/dbname?sslmode=... or key=value
// pairs, as libpq takes them), checks that it answers and brings the catalog
// schema up to date. A schema written by a newer build gives ErrSchemaTooNew
// and is left untouched. The DSN is a secret: no error names it or its
// password, only the user, host and database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if err := catalogdsn.CheckPostgresURL(dsn); err != nil {
		return nil, fmt.Errorf("catalog: postgres: %w", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN (with the password masked) and may
		// wrap a URL parse error that quotes it whole: say only what is
		// wrong in general terms.
		return nil, errors.New("catalog: postgres: the DSN cannot be parsed " +
			"(want postgres://user:password@host:port/dbname or key=value pairs)")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	where := fmt.Sprintf("catalog: postgres %s@%s/%s", cfg.User, hostOf(cfg), cfg.Database)
	safe := func(err error) error { return fmt.Errorf("%s: %s", where, redact(err, cfg.Password)) }

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, safe(err)
	}
	s := sqlstore.New(db, Dialect)
	if err := s.Migrate(ctx, Migrations); err != nil {
		_ = db.Close()
		if errors.Is(err, sqlstore.ErrSchemaTooNew) {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return nil, safe(err)
	}
	return s, nil
}

func hostOf(cfg *pgx.ConnConfig) string {
	if strings.HasPrefix(cfg.Host, "/") {
		return cfg.Host // a socket directory
	}
	return fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
}

// redact returns err's text with password masked, should a server or
// library message ever echo it.
func redact(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// Dialect is PostgreSQL's SQL for the shared store.
var Dialect = sqlstore.Dialect{
	Name:                "postgres",
	Placeholders:        sqlstore.Dollar,
	Like:                func(col string) string { return col + ` ILIKE ? ESCAPE '\'` },
	Greatest:            "GREATEST",
	OnConflictDoNothing: func(string) string { return "ON CONFLICT DO NOTHING" },
	ReturningID:         true,
	JobPrefix:           sqlstore.SQLiteJobPrefix,
	JobSource:           sqlstore.LooseScanJobSource,
	// READ COMMITTED (the default): every statement sees what committed
	// before it, so a check made after taking a lock sees the work of the
	// lock's previous holder.
	TxOptions:   nil,
	SessionLock: sessionLock,
	TxLock: func(ctx context.Context, tx *sql.Tx, name string) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(name))
		return err
	},
	IsDuplicateKey: func(err error) bool { return sqlState(err) == "23505" },
	Retryable: func(err error) bool {
		st := sqlState(err)
		return st == "40001" || st == "40P01" // serialization failure, deadlock
	},
	MaxLen:      MaxNameLen,
	MaxJobLen:   MaxJobLen,
	MaxLeaseLen: MaxLeaseLen,
	Analyze:     []string{`ANALYZE backups, locations, drills`},
}

// Bounds of the indexed text columns, in characters. Names (servers,
// storages, types) are at most 64 bytes (see package config), database
// names at most 64 characters on every engine; backup IDs are 33.
const (
	MaxNameLen  = 64
	MaxJobLen   = 3*MaxNameLen + 2
	MaxLeaseLen = 255
)

// lockKey is the 64-bit advisory lock key of name, shared with other
// processes of any version that use the same name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("gosqlguard:" + name))
	return int64(h.Sum64())
}

// sessionLock takes the advisory lock of name on conn until release, which
// unlocks it or, if it cannot, closes the connection (ending its session
// and so the lock) rather than return it to the pool still locked.
func sessionLock(ctx context.Context, conn *sql.Conn, name string) (func(), error) {
	key := lockKey(name)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return nil, err
	}
	return sqlstore.Unlocker(ctx, conn, `SELECT pg_advisory_unlock($1)`, key), nil
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
