package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// List returns the backups matching every set field of f, newest first (by
// ID), each with its locations and manifest. A status that is not one of
// backup.Statuses matches nothing. A negative Limit is an error. The result
// is never nil, so an empty result encodes as a JSON array.
func (s *Store) List(ctx context.Context, f catalog.Filter) ([]*backup.Backup, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("catalog: list: negative limit %d", f.Limit)
	}
	var c conditions
	c.eq("b.server", f.Server)
	c.eq(`b."database"`, f.Database)
	c.eq("b.type", f.Type)
	c.eq("b.status", string(f.Status))
	if f.Storage != "" {
		c.add(`EXISTS (SELECT 1 FROM locations s WHERE s.backup_id = b.id AND s.storage = ?)`, f.Storage)
	}
	if !f.Since.IsZero() {
		t, err := formatTime(f.Since)
		if err != nil {
			return nil, fmt.Errorf("catalog: list: since: %w", err)
		}
		c.add("b.started_at >= ?", t)
	}
	if !f.Until.IsZero() {
		t, err := formatTime(f.Until)
		if err != nil {
			return nil, fmt.Errorf("catalog: list: until: %w", err)
		}
		c.add("b.started_at < ?", t)
	}
	if f.Query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Query) + "%"
		lk := s.d.Like
		c.add("("+lk("b.id")+" OR "+lk("b.server")+" OR "+lk(`b."database"`)+
			" OR "+lk("b.type")+" OR "+lk("b.error")+")", like, like, like, like, like)
	}
	if f.Before != "" {
		c.add("b.id < ?", f.Before)
	}
	bs, err := s.query(ctx, c.where, c.args, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("catalog: list: %w", err)
	}
	return bs, nil
}

// conditions collects a WHERE clause's conditions, joined with AND, and
// their arguments in order.
type conditions struct {
	where []string
	args  []any
}

// add appends a condition and its arguments.
func (c *conditions) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

// eq appends "col = ?" with v, unless v is empty.
func (c *conditions) eq(col, v string) {
	if v != "" {
		c.add(col+" = ?", v)
	}
}

// query returns the backups matching all of where (conditions on backups b),
// newest first, at most limit of them (0: all), with their locations.
//
// It is a single statement, so backups and locations come from one snapshot
// of the database: the page of backups is chosen in a subquery and joined to
// its locations, rather than loading locations with a second query.
func (s *Store) query(ctx context.Context, where []string, args []any, limit int) ([]*backup.Backup, error) {
	var q strings.Builder
	q.WriteString(`SELECT b.id, b.server, b."database", b.type, b.status, b.started_at, b.finished_at,
		b.raw_bytes, b.stored_bytes, b.sha256, b.compression, b.encrypted, b.error, b.manifest,
		b.deleted_at, b.delete_reason, b.owner_host, b.owner_pid, b.progress_at,
		l.storage, l."key", l.status, l.error
	FROM (SELECT * FROM backups b`)
	if len(where) > 0 {
		q.WriteString(" WHERE ")
		q.WriteString(strings.Join(where, " AND "))
	}
	q.WriteString(` ORDER BY b.id DESC`)
	if limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, limit)
	}
	q.WriteString(`) b
	LEFT JOIN locations l ON l.backup_id = b.id
	ORDER BY b.id DESC, l.position`)

	rows, err := s.queryRows(ctx, s.db, q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := []*backup.Backup{} // never nil: an empty result is an empty list
	var last *backup.Backup
	for rows.Next() {
		var (
			r                          row
			storage, key, status, lerr sql.NullString
		)
		if err := rows.Scan(&r.id, &r.server, &r.database, &r.typ, &r.status, &r.startedAt, &r.finishedAt,
			&r.rawBytes, &r.storedBytes, &r.sha256, &r.compression, &r.encrypted, &r.errMsg, &r.manifest,
			&r.deletedAt, &r.deleteReason, &r.ownerHost, &r.ownerPID, &r.progressAt,
			&storage, &key, &status, &lerr); err != nil {
			return nil, err
		}
		if last == nil || last.ID != r.id {
			b, err := r.decode()
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			last = b
		}
		if storage.Valid {
			last.Locations = append(last.Locations, backup.Location{
				Storage: storage.String,
				Key:     key.String,
				Status:  backup.LocationStatus(status.String),
				Error:   lerr.String,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.fillDrills(ctx, out); err != nil {
		return nil, fmt.Errorf("drills: %w", err)
	}
	return out, nil
}
