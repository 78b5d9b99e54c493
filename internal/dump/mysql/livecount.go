package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// noDataEngines are the engines whose tables the dump tools write without
// data (mysqldump's check_if_ignore_table): their rows live in other
// tables or on another server, so they count 0 here as in the dump.
var noDataEngines = map[string]bool{"MRG_MYISAM": true, "MRG_ISAM": true, "FEDERATED": true}

// Fingerprint counts what database db holds now, in one consistent
// snapshot of its InnoDB tables: COUNT(*) per table (FOR SYSTEM_TIME ALL for
// system-versioned ones), objects from information_schema. See dump.Dumper.
func (d *Dumper) Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint: %w", err)
	}
	pool, err := d.open()
	if err != nil {
		return backup.Fingerprint{}, err
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint of %q: %w", db, err)
	}
	defer conn.Close()
	var exists int
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&exists)
	if err == nil && exists == 0 {
		err = errors.New("no such database")
	}
	if err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint of %q: %w", db, err)
	}
	c, err := liveCounts(ctx, conn, db)
	if err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint of %q: %w", db, err)
	}
	return c.fingerprint(), nil
}

// unlimitSession lifts a statement time limit a user or the server's
// default may set (MariaDB's max_statement_time, MySQL's
// max_execution_time): counting a large table may take longer, and that
// must not fail a drill whose restore worked.
func unlimitSession(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SET SESSION max_statement_time = 0")
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == errUnknownSystemVariable {
		_, err = conn.ExecContext(ctx, "SET SESSION max_execution_time = 0")
	}
	return err
}

// errUnknownSystemVariable is ER_UNKNOWN_SYSTEM_VARIABLE.
const errUnknownSystemVariable = 1193

func liveCounts(ctx context.Context, conn *sql.Conn, db string) (*counts, error) {
	if err := unlimitSession(ctx, conn); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read only
	type table struct {
		name      string
		versioned bool
	}
	var tables []table
	c := &counts{rows: map[string]int64{}}
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_NAME, TABLE_TYPE, COALESCE(ENGINE, '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", db)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, kind, engine string
		if err := rows.Scan(&name, &kind, &engine); err != nil {
			rows.Close()
			return nil, err
		}
		switch kind {
		case "VIEW":
			c.views++
		case "SEQUENCE":
			c.sequences++
		case "BASE TABLE", "SYSTEM VERSIONED":
			c.table(name)
			if !noDataEngines[strings.ToUpper(engine)] {
				tables = append(tables, table{name, kind == "SYSTEM VERSIONED"})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		q := "SELECT COUNT(*) FROM " + quoteIdent(db) + "." + quoteIdent(t.name)
		if t.versioned {
			q += " FOR SYSTEM_TIME ALL"
		}
		var n int64
		if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, err
		}
		c.rows[t.name] = n
	}
	for _, k := range []struct {
		into *int64
		q    string
	}{
		{&c.routines, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')"},
		{&c.triggers, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"},
		{&c.events, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"},
	} {
		if err := conn.QueryRowContext(ctx, k.q, db).Scan(k.into); err != nil {
			return nil, err
		}
	}
	return c, nil
}
