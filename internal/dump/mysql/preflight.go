package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// ErrMissingPrivilege means the backup user could not read some of the
// database's objects, so the dump would lack them without a word from the
// dump tool.
var ErrMissingPrivilege = errors.New("the backup user lacks privileges the dump needs")

// source is what Dump learns about the database before the dump starts.
type source struct {
	props     backup.DatabaseProps
	versioned []string // system-versioned tables, whose history needs --dump-history
	maxPacket int64    // the server's max_allowed_packet
}

// inspectDatabase reads the database's defaults, its system-versioned
// tables and the server's packet limit.
func inspectDatabase(ctx context.Context, conn *sql.DB, db string) (source, error) {
	var src source
	err := conn.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, db).
		Scan(&src.props.CharacterSet, &src.props.Collation)
	if errors.Is(err, sql.ErrNoRows) {
		return src, fmt.Errorf("database %q does not exist or this user may not see it", db)
	}
	if err != nil {
		return src, fmt.Errorf("reading the database's defaults: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&src.maxPacket); err != nil {
		return src, fmt.Errorf("reading max_allowed_packet: %w", err)
	}
	src.versioned, err = queryColumn(ctx, conn, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'SYSTEM VERSIONED' ORDER BY 1`, db)
	if err != nil {
		return src, fmt.Errorf("listing system-versioned tables: %w", err)
	}
	return src, nil
}

// checkPrivileges fails when the dump would silently lack objects: without
// TRIGGER the tool sees no triggers, without EVENT no events, and without
// read access to routine bodies no routines of other definers, and it exits
// 0 all the same. Kinds the flags leave out on purpose (--skip-triggers,
// --skip-events, --skip-routines) are not checked.
func checkPrivileges(ctx context.Context, conn *sql.DB, db string, flags []string) error {
	lines, err := queryColumn(ctx, conn, "SHOW GRANTS")
	if err != nil {
		return fmt.Errorf("reading this user's grants: %w", err)
	}
	g := parseGrants(lines)
	var problems []string
	var tables, withData []string // tables that can have triggers; and those plus sequences
	if !g.onDatabase("SELECT", db) || !g.onDatabase("TRIGGER", db) {
		rows, err := queryRows(ctx, conn, `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY 1`, db)
		if err != nil {
			return fmt.Errorf("listing tables: %w", err)
		}
		for _, r := range rows {
			if slices.Contains(flags, "--ignore-table="+db+"."+r[0]) {
				continue // left out on purpose
			}
			if !slices.Contains(flags, "--ignore-table-data="+db+"."+r[0]) {
				withData = append(withData, r[0])
			}
			if r[1] != "SEQUENCE" {
				tables = append(tables, r[0])
			}
		}
	}
	// Without SELECT on a table the dump tool writes its CREATE TABLE, no
	// rows, and exits 0.
	if missing := lacking(g, "SELECT", db, withData); len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("SELECT on %s: the rows of %s would be missing (grant SELECT on the database)",
			quoteIdent(db), nameList("table", missing)))
	}
	if !slices.Contains(flags, "--skip-triggers") {
		if missing := lacking(g, "TRIGGER", db, tables); len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("TRIGGER on %s: the triggers of %s would be missing (grant TRIGGER, or add --skip-triggers to dump_options)",
				quoteIdent(db), nameList("table", missing)))
		}
	}
	if !slices.Contains(flags, "--skip-events") && !g.onDatabase("EVENT", db) {
		problems = append(problems, fmt.Sprintf("EVENT on %s: its events would be missing (grant EVENT, or add --skip-events to dump_options)", quoteIdent(db)))
	}
	if !slices.Contains(flags, "--skip-routines") {
		if p := routineProblem(ctx, conn, g, db); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingPrivilege, strings.Join(problems, "; "))
	}
	return nil
}

// lacking returns the tables of db on which priv is not granted.
func lacking(g grants, priv, db string, tables []string) []string {
	if g.onDatabase(priv, db) {
		return nil
	}
	var missing []string
	for _, t := range tables {
		if !g.onTable(priv, db, t) {
			missing = append(missing, t)
		}
	}
	return missing
}

// queryRows returns the first two columns of every row.
func queryRows(ctx context.Context, conn *sql.DB, q string, args ...any) ([][2]string, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var a, b sql.NullString
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out = append(out, [2]string{a.String, b.String})
	}
	return out, rows.Err()
}

// routineProblem says what is wrong when the user cannot read the body of
// every routine: the dump tool skips routines whose body it cannot read.
// MariaDB and MySQL 5.7 keep bodies in mysql.proc (whose SELECT grant,
// direct or through a role, the probe finds); MySQL 8 needs global SELECT
// or SHOW_ROUTINE.
func routineProblem(ctx context.Context, conn *sql.DB, g grants, db string) string {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.proc WHERE db = ?", db).Scan(&n); err == nil {
		return ""
	}
	if hasPriv(g.global, "SELECT") || hasPriv(g.global, "SHOW_ROUTINE") || hasPriv(g.global, "SHOW CREATE ROUTINE") {
		return ""
	}
	p := fmt.Sprintf("SELECT on mysql.proc (MariaDB; MySQL 8: SHOW_ROUTINE): routines of %s defined by other users would be missing", quoteIdent(db))
	hidden, err := queryColumn(ctx, conn, `SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES
		WHERE ROUTINE_SCHEMA = ? AND ROUTINE_DEFINITION IS NULL ORDER BY 1`, db)
	if err == nil && len(hidden) > 0 {
		p += ", among them " + strings.Join(hidden, ", ")
	}
	return p + " (grant SELECT ON mysql.proc, or add --skip-routines to dump_options)"
}

// nameList renders up to ten names for a message.
func nameList(kind string, names []string) string {
	const most = 10
	quoted := make([]string, 0, most)
	for _, n := range names[:min(len(names), most)] {
		quoted = append(quoted, quoteIdent(n))
	}
	s := kind + " " + strings.Join(quoted, ", ")
	if len(names) > 1 {
		s = kind + "s " + strings.Join(quoted, ", ")
	}
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}

// queryColumn returns the first column of every row (NULL as "").
func queryColumn(ctx context.Context, conn querier, q string, args ...any) ([]string, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}
