package mysql

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// DropDrill drops a restore drill's database. See dump.Dumper.
func (d *Dumper) DropDrill(ctx context.Context, db string) error {
	if !dump.IsDrillName(db) {
		return d.errorf("drop drill: %q is not a drill database name; refusing to drop it", db)
	}
	pool, err := d.open()
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(db)); err != nil {
		return d.errorf("drop drill %q: %w", db, err)
	}
	return nil
}

// DrillLeftovers lists drill databases on the server, sorted. See dump.Dumper.
func (d *Dumper) DrillLeftovers(ctx context.Context) ([]string, error) {
	pool, err := d.open()
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	// LIKE narrows the list ("\_" is a literal "_" in a LIKE pattern, and
	// stays "\_" in a string literal); IsDrillName decides.
	like := fmt.Sprintf("SHOW DATABASES LIKE '%s%%'", strings.ReplaceAll(dump.DrillPrefix, "_", `\_`))
	rows, err := pool.QueryContext(ctx, like)
	if err != nil {
		return nil, d.errorf("listing drill databases: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, d.errorf("listing drill databases: %w", err)
		}
		if dump.IsDrillName(n) {
			names = append(names, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.errorf("listing drill databases: %w", err)
	}
	sort.Strings(names)
	return names, nil
}
