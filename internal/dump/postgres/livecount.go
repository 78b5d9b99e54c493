package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Predicates of the live count (see archiveCounts for what is counted):
// userSchema leaves out the system's schemas; notMember leaves out objects
// that belong to an extension, and notInternal also those the system made
// for another object (a range type's constructors), which pg_dump leaves
// out too. Relations keep their internal dependencies: an identity
// sequence is dumped on its own.
const (
	userSchema  = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast$|temp_|toast_temp_)'`
	notMember   = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %s::regclass AND d.objid = o.oid AND d.deptype = 'e')`
	notInternal = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %s::regclass AND d.objid = o.oid AND d.deptype IN ('e', 'i'))`
)

// liveQueries count each kind of object; each selects one count.
var liveQueries = map[string]string{
	"schemas": `SELECT count(*) FROM pg_namespace o WHERE nspname <> 'public' AND ` + userSchema + ` AND ` +
		fmt.Sprintf(notMember, "'pg_namespace'"),
	"sequences":          relkindCount("S"),
	"views":              relkindCount("v"),
	"materialized_views": relkindCount("m"),
	"functions": `SELECT count(*) FROM pg_proc o JOIN pg_namespace n ON n.oid = o.pronamespace WHERE ` + userSchema +
		` AND ` + fmt.Sprintf(notInternal, "'pg_proc'"),
	// Composite types of tables, array types and multiranges come with
	// other objects; pg_dump does not dump them on their own.
	"types": `SELECT count(*) FROM pg_type o JOIN pg_namespace n ON n.oid = o.typnamespace WHERE ` + userSchema +
		` AND o.typtype IN ('b', 'c', 'd', 'e', 'r')
		AND (o.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = o.typrelid) = 'c')
		AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = o.oid) AND ` + fmt.Sprintf(notInternal, "'pg_type'"),
	// pg_dump leaves out the extensions initdb made (oids below 16384).
	"extensions":    `SELECT count(*) FROM pg_extension WHERE oid >= 16384`,
	"large_objects": `SELECT count(*) FROM pg_largeobject_metadata`,
}

func relkindCount(kind string) string {
	return `SELECT count(*) FROM pg_class o JOIN pg_namespace n ON n.oid = o.relnamespace WHERE o.relkind = '` + kind +
		`' AND ` + userSchema + ` AND ` + fmt.Sprintf(notMember, "'pg_class'")
}

// tablesQuery lists the tables whose rows are counted: ordinary and
// partitioned tables and partitions.
var tablesQuery = `SELECT nspname, relname FROM pg_class o JOIN pg_namespace n ON n.oid = o.relnamespace
	WHERE o.relkind IN ('r', 'p') AND ` + userSchema + ` AND ` + fmt.Sprintf(notMember, "'pg_class'")

// Fingerprint counts what database db holds now, in one repeatable-read
// snapshot: COUNT(*) FROM ONLY each table (a partitioned table's rows are
// its partitions'), objects from the catalogs. See dump.Dumper.
func (d *Dumper) Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint: %w", err)
	}
	conn, err := d.connect(ctx, db)
	if err != nil {
		return backup.Fingerprint{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	fp, err := liveCounts(ctx, conn)
	if err != nil {
		return backup.Fingerprint{}, d.errorf("fingerprint of %q: %w", db, err)
	}
	return fp, nil
}

// immuneSession undoes the limits a database or role may set for its
// sessions (ALTER DATABASE/ROLE ... SET), which a restore copies onto a
// drill database: counting a large table may take longer than the source's
// statement_timeout, and that must not fail a drill whose restore worked.
// Session settings override database and role ones.
const immuneSession = `SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0`

func liveCounts(ctx context.Context, conn *pgx.Conn) (backup.Fingerprint, error) {
	fp := backup.Fingerprint{Rows: map[string]int64{}, Objects: map[string]int64{}}
	if _, err := conn.Exec(ctx, immuneSession); err != nil {
		return fp, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fp, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only
	rows, err := tx.Query(ctx, tablesQuery)
	if err != nil {
		return fp, err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Schema, Name string }])
	if err != nil {
		return fp, err
	}
	for _, t := range tables {
		var n int64
		q := "SELECT count(*) FROM ONLY " + pgx.Identifier{t.Schema, t.Name}.Sanitize()
		if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
			return fp, err
		}
		fp.Rows[tableKey(t.Schema, t.Name)] = n
	}
	fp.Objects["tables"] = int64(len(tables))
	for kind, q := range liveQueries {
		var n int64
		if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
			return fp, err
		}
		fp.Objects[kind] = n
	}
	return fp, nil
}
