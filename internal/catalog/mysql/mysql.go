// Package mysql is the catalog on a shared MySQL 8 or MariaDB 10.5+
// server: the shared SQL store (package sqlstore) through
// github.com/go-sql-driver/mysql.
package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// The Go MySQL driver logs some connection errors itself (a reset
// connection, a bad packet) to stderr, in its own format, past our logger;
// the same errors reach the catalog's callers, which report them.
func init() { _ = mysql.SetLogger(log.New(io.Discard, "", 0)) }

// Store is the catalog.Store of this driver.
type Store = sqlstore.Store

// ErrSchemaTooNew is returned (wrapped) by Open for a database whose schema
// was written by a newer build than this one.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// SQLMode is the session sql_mode of every catalog connection, whatever the
// DSN or the server says: ANSI_QUOTES for the "database" and "key"
// identifiers of the shared queries, NO_BACKSLASH_ESCAPES for their
// LIKE ... ESCAPE '\', strict tables so that a value that does not fit is
// an error rather than truncated, and no silent engine substitution.
const SQLMode = "ANSI_QUOTES,STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY"

// Pool settings for a server other processes share: a few connections per
// process, renewed before the server's wait_timeout (8 hours by default,
// often lowered) closes them.
const (
	maxOpenConns    = 8
	maxIdleConns    = 4
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = time.Minute
	connectTimeout  = 10 * time.Second
	// lockWait is how long, in seconds, a process waits for another one's
	// lock on a job (InsertUnlessRunning) or on the migrations.
	lockWait = 60
)

// Open connects to the MySQL or MariaDB database named by dsn, in
// go-sql-driver's form user:password@tcp(host:3306)/dbname?param=value
// (or user@unix(/path/to/socket)/dbname), checks that it answers and brings
// the catalog schema up to date. A schema written by a newer build gives
// ErrSchemaTooNew and is left untouched.
//
// Open adds to the DSN what the catalog needs, overriding the DSN's own
// values: the session sql_mode (SQLMode; any sql_mode given is replaced),
// charset utf8mb4, and times read as text (parseTime off: the catalog keeps
// times as fixed-width UTC text, ordered the same on every driver).
//
// The DSN is a secret: no error names it or its password, only the user,
// address and database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's messages may quote parts of the DSN.
		return nil, errors.New("catalog: mysql: the DSN cannot be parsed " +
			"(want user:password@tcp(host:port)/dbname?param=value)")
	}
	if cfg.DBName == "" {
		return nil, errors.New("catalog: mysql: the DSN names no database (want user:password@tcp(host:port)/dbname)")
	}
	for k := range cfg.Params {
		if strings.EqualFold(k, "sql_mode") {
			delete(cfg.Params, k)
		}
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = "'" + SQLMode + "'"
	cfg.ParseTime = false
	if cfg.Timeout == 0 {
		cfg.Timeout = connectTimeout
	}
	where := fmt.Sprintf("catalog: mysql %s@%s/%s", cfg.User, cfg.Addr, cfg.DBName)
	safe := func(err error) error { return fmt.Errorf("%s: %s", where, redact(err, cfg.Passwd)) }
	if err := cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_general_ci")); err != nil {
		return nil, safe(err)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, safe(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)

	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var version string
	if err := db.QueryRowContext(pctx, `SELECT VERSION()`).Scan(&version); err != nil {
		_ = db.Close()
		return nil, safe(err)
	}
	d := Dialect(cfg.DBName)
	s := sqlstore.New(db, d)
	if err := s.Migrate(ctx, migrations(binaryCollation(version))); err != nil {
		_ = db.Close()
		if errors.Is(err, sqlstore.ErrSchemaTooNew) {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return nil, safe(err)
	}
	return s, nil
}

// binaryCollation returns the utf8mb4 collation that compares and sorts
// byte for byte, like SQLite's binary collation, without padding (where
// 'a' = 'a ' would hold): utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin
// on MySQL 8.
func binaryCollation(version string) string {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return "utf8mb4_nopad_bin"
	}
	return "utf8mb4_0900_bin"
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

// Bounds of the indexed text columns, in characters: InnoDB keys are at
// most 3072 bytes, 4 per utf8mb4 character. Names (servers, storages,
// types) are at most 64 bytes (see package config), database names at most
// 64 characters on every engine; backup IDs are 33.
const (
	MaxNameLen  = 64
	MaxJobLen   = 3*MaxNameLen + 2
	MaxLeaseLen = 255
)

// Dialect is MySQL's SQL for the shared store, for the catalog in database
// dbName (GET_LOCK names are server-wide, so they include it).
func Dialect(dbName string) sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:         "mysql",
		Placeholders: sqlstore.Question,
		// The columns compare byte for byte: LOWER on both sides makes
		// the search case-insensitive.
		Like:     func(col string) string { return `LOWER(` + col + `) LIKE LOWER(?) ESCAPE '\'` },
		Greatest: "GREATEST",
		// INSERT IGNORE would turn other errors into warnings too.
		OnConflictDoNothing: func(pk string) string { return "ON DUPLICATE KEY UPDATE " + pk + " = " + pk },
		ReturningID:         false,
		JobSource:           sqlstore.DistinctJobSource,
		// READ COMMITTED: no gap locks (fewer deadlocks between writers of
		// different backups), and a check made after taking a lock sees
		// what the lock's previous holder committed.
		TxOptions: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		SessionLock: func(ctx context.Context, conn *sql.Conn, name string) (func(), error) {
			return getLock(ctx, conn, lockName(dbName, name))
		},
		IsDuplicateKey: func(err error) bool { return errNumber(err) == 1062 },
		Retryable:      func(err error) bool { return errNumber(err) == 1213 }, // deadlock
		MaxLen:         MaxNameLen,
		MaxJobLen:      MaxJobLen,
		MaxLeaseLen:    MaxLeaseLen,
		Analyze:        []string{`ANALYZE TABLE backups, locations, drills`},
	}
}

// lockName is the GET_LOCK name of lock name in database dbName: at most 64
// characters, as the server requires.
func lockName(dbName, name string) string {
	sum := sha256.Sum256([]byte(dbName + "\x00" + name))
	return "gosqlguard:" + hex.EncodeToString(sum[:16])
}

// getLock takes the named lock on conn, waiting up to lockWait seconds,
// until release, which releases it or, if it cannot, closes the connection
// (ending its session and so the lock) rather than return it to the pool
// still locked.
func getLock(ctx context.Context, conn *sql.Conn, name string) (func(), error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, name, lockWait).Scan(&got); err != nil {
		return nil, err
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("lock %s: not granted within %d s (another process holds it)", name, lockWait)
	}
	return sqlstore.Unlocker(ctx, conn, `SELECT RELEASE_LOCK(?)`, name), nil
}

func errNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
