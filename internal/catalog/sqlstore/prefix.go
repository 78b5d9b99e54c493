package sqlstore

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// IDsWithPrefix returns the IDs that start with prefix, ascending, at most
// limit of them (limit <= 0: all), and how many match in all. See
// catalog.Store.
func (s *Store) IDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, int, error) {
	// An equality on substr (binary collation), not LIKE or GLOB: no
	// character of the prefix is a wildcard.
	const match = `FROM backups WHERE substr(id, 1, ?) = ?`
	n := utf8.RuneCountInString(prefix)
	var total int
	if err := s.queryRow(ctx, s.db, `SELECT count(*) `+match, n, prefix).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("catalog: ids with prefix %q: %w", prefix, err)
	}
	q, args := `SELECT id `+match+` ORDER BY id`, []any{n, prefix}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.queryRows(ctx, s.db, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("catalog: ids with prefix %q: %w", prefix, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, 0, fmt.Errorf("catalog: ids with prefix %q: %w", prefix, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("catalog: ids with prefix %q: %w", prefix, err)
	}
	return ids, total, nil
}
