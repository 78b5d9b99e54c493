package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// DropDrill drops a restore drill's database, ending its sessions first:
// a drill database is nobody's to keep open. See dump.Dumper.
func (d *Dumper) DropDrill(ctx context.Context, db string) error {
	if !dump.IsDrillName(db) {
		return d.errorf("drop drill: %q is not a drill database name; refusing to drop it", db)
	}
	conn, err := d.connectMaintenance(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return d.errorf("drop drill %q: %w", db, err)
	}
	// Sessions that connect between these two statements are ended by
	// FORCE (PostgreSQL 13 on); before 13 the DROP fails and says so.
	_, err = conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db)
	if err != nil {
		return d.errorf("drop drill %q: ending its sessions: %w", db, err)
	}
	q := "DROP DATABASE IF EXISTS " + pgx.Identifier{db}.Sanitize()
	if version >= 130000 {
		q += " WITH (FORCE)"
	}
	if _, err := conn.Exec(ctx, q); err != nil {
		return d.errorf("drop drill %q: %w", db, err)
	}
	return nil
}

// DrillLeftovers lists drill databases on the server, sorted. See dump.Dumper.
func (d *Dumper) DrillLeftovers(ctx context.Context) ([]string, error) {
	conn, err := d.connectMaintenance(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1", dump.DrillPrefix)
	if err != nil {
		return nil, d.errorf("listing drill databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.errorf("listing drill databases: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !dump.IsDrillName(n) })
	slices.Sort(names)
	return names, nil
}
