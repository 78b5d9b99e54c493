package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// A restore marks what it makes as in use with named locks (GET_LOCK), held
// on a connection of its own for as long as the things exist: the scratch
// database under its own name, the hold tables of a swap under
// holdPrefix+tag. The server frees a session's locks when the session ends,
// also when the process is killed, so a scratch database or hold table whose
// lock is free was left by a restore that no longer runs.

// lease is the connection that holds a restore's named locks.
type lease struct {
	pool *sql.DB
	c    *sql.Conn
}

// leaseIdle keeps the lock connection open through a load that takes
// longer than the server's wait_timeout: 365 days, the server's maximum.
const leaseIdle = 31536000

func (d *Dumper) newLease(ctx context.Context) (*lease, error) {
	pool, err := d.open()
	if err != nil {
		return nil, err
	}
	c, err := pool.Conn(ctx)
	if err == nil {
		_, err = c.ExecContext(ctx, fmt.Sprintf("SET SESSION wait_timeout = %d", leaseIdle))
		if err != nil {
			c.Close()
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening the connection that marks the restore's databases as in use: %w", err)
	}
	return &lease{pool: pool, c: c}, nil
}

// take takes the named lock name at once, or fails.
func (l *lease) take(ctx context.Context, name string) error {
	var got sql.NullInt64
	if err := l.c.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		return fmt.Errorf("taking the lock %s: %w", name, err)
	}
	if got.Int64 != 1 {
		return fmt.Errorf("the lock %s is held by another session", name)
	}
	return nil
}

// close ends the session, which frees its locks.
func (l *lease) close() {
	l.c.Close()
	l.pool.Close()
}

// isScratchName accepts the names restoreReplace gives scratch databases.
var isScratchName = dumpoptions.Matches(`^gosqlguard_scratch_[0-9a-f]{12}$`)

// SweepLeftovers drops the scratch databases of restores that no longer
// run (killed, or their server connection lost) and returns their names.
// A scratch database whose lock a running restore holds is left alone; the
// sweep takes each lock itself before it drops, so two sweeps or a restore
// starting meanwhile cannot race it. Hold tables of interrupted swaps are
// logged, never dropped: they hold the data the swap replaced.
func (d *Dumper) SweepLeftovers(ctx context.Context) ([]string, error) {
	pool, err := d.open()
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	c, err := pool.Conn(ctx)
	if err != nil {
		return nil, d.errorf("sweeping leftovers: %w", err)
	}
	defer c.Close()
	names, err := queryColumn(ctx, c, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'gosqlguard\_scratch\_%' ORDER BY 1`)
	if err != nil {
		return nil, d.errorf("sweeping leftovers: listing scratch databases: %w", err)
	}
	var dropped []string
	var errs []error
	for _, name := range names {
		if !isScratchName(name) {
			continue
		}
		var got sql.NullInt64
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
			return dropped, d.errorf("sweeping leftovers: %w", err)
		}
		if got.Int64 != 1 {
			continue // a restore is using it
		}
		_, err := c.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name))
		_, _ = c.ExecContext(ctx, "DO RELEASE_LOCK(?)", name)
		if err != nil {
			errs = append(errs, fmt.Errorf("dropping %s: %w", name, err))
			continue
		}
		d.logger.Warn("dropped a scratch database an interrupted restore left behind", "database", name)
		dropped = append(dropped, name)
	}
	holds, err := staleHolds(ctx, c, "")
	if err != nil {
		errs = append(errs, fmt.Errorf("listing hold tables: %w", err))
	}
	for _, h := range holds {
		d.logger.Warn(holdAdvice, "database", h.db, "table", h.table)
	}
	if err := errors.Join(errs...); err != nil {
		return dropped, d.errorf("sweeping leftovers: %w", err)
	}
	return dropped, nil
}

// holdAdvice is what a log line about a stale hold table says.
const holdAdvice = "a restore was interrupted while it swapped this database: the table holds data it replaced " +
	"(the database may lack views, routines, triggers or events); check the database, then drop the table or restore again"

type holdTable struct{ db, table string }

// staleHolds lists the hold tables (in db, or everywhere if db is "")
// whose swap no longer runs.
func staleHolds(ctx context.Context, c *sql.Conn, db string) ([]holdTable, error) {
	q := `SELECT TABLE_SCHEMA, TABLE_NAME, IS_USED_LOCK(SUBSTRING_INDEX(TABLE_NAME, '_', 3)) IS NULL
		FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'gosqlguard\_hold\_%'`
	args := []any{}
	if db != "" {
		q += " AND TABLE_SCHEMA = ?"
		args = append(args, db)
	}
	rows, err := c.QueryContext(ctx, q+" ORDER BY 1, 2", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []holdTable
	for rows.Next() {
		var h holdTable
		var free bool
		if err := rows.Scan(&h.db, &h.table, &free); err != nil {
			return nil, err
		}
		if free && strings.HasPrefix(h.table, holdPrefix) {
			out = append(out, h)
		}
	}
	return out, rows.Err()
}
