package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
)

// A restore marks its scratch database as alive with a session advisory
// lock keyed by the scratch's name, taken before the database is created and
// held by the restore's maintenance connection until it ends. A scratch
// database whose lock is free belongs to a restore that died (killed, host
// lost): SweepLeftovers drops it. Advisory locks belong to the database the
// session is connected to, so the sweep tries the lock in every maintenance
// database a restore may have used.

// lockScratch takes the advisory lock that marks name as a live restore's.
func lockScratch(ctx context.Context, conn *pgx.Conn, name string) error {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		return fmt.Errorf("marking the scratch database %q as in use: %w", name, err)
	}
	return nil
}

// SweepLeftovers drops the scratch databases (gosqlguard_scratch_*) of
// restores that died, and returns their names. A scratch database of a
// restore still running is never touched.
func (d *Dumper) SweepLeftovers(ctx context.Context) ([]string, error) {
	var conns []*pgx.Conn
	for _, m := range maintenanceDBs {
		c, err := d.connect(ctx, m)
		if err != nil {
			continue // a maintenance database that does not exist holds no lock
		}
		defer c.Close(context.WithoutCancel(ctx))
		conns = append(conns, c)
	}
	if len(conns) == 0 {
		return nil, d.errorf("sweeping leftover scratch databases: no maintenance database answered")
	}
	rows, err := conns[0].Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1`, ScratchPrefix)
	if err != nil {
		return nil, d.errorf("listing scratch databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.errorf("listing scratch databases: %w", err)
	}
	var dropped []string
	for _, name := range names {
		locked := 0
		for _, c := range conns {
			var ok bool
			if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, name).Scan(&ok); err != nil || !ok {
				break
			}
			locked++
		}
		if locked == len(conns) { // nobody holds it: its restore is gone
			log := d.logger.With("drop", name)
			d.dropDatabase(ctx, conns[0], name, log)
			log.Warn("dropped the scratch database of a restore that did not finish")
			dropped = append(dropped, name)
		}
		for _, c := range conns[:locked] {
			_, _ = c.Exec(ctx, `SELECT pg_advisory_unlock(hashtext($1))`, name)
		}
	}
	return dropped, nil
}

// sweepBefore runs SweepLeftovers before a restore, logging what it did;
// its failure never stops the restore.
func (d *Dumper) sweepBefore(ctx context.Context, log *slog.Logger) {
	if _, err := d.SweepLeftovers(ctx); err != nil {
		log.Warn("could not sweep leftover scratch databases", "error", err)
	}
}
