package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// Insert adds b and its locations. An ID already in the catalog is an error.
func (s *Store) Insert(ctx context.Context, b *backup.Backup) error {
	r, err := encode(b)
	if err != nil {
		return fmt.Errorf("catalog: insert: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO backups (
				id, server, "database", type, status, started_at, finished_at,
				raw_bytes, stored_bytes, sha256, compression, encrypted, error, manifest,
				deleted_at, delete_reason
			) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, r.server, r.database, r.typ, r.status, r.startedAt, r.finishedAt,
			r.rawBytes, r.storedBytes, r.sha256, r.compression, r.encrypted, r.errMsg, r.manifest,
			r.deletedAt, r.deleteReason)
		if isPrimaryKeyViolation(err) {
			return fmt.Errorf("backup already exists: %w", err)
		}
		if err != nil {
			return err
		}
		return insertLocations(ctx, tx, b.ID, b.Locations)
	})
	if err != nil {
		return fmt.Errorf("catalog: insert %s: %w", b.ID, err)
	}
	return nil
}

// Update replaces every field stored for b.ID and all its locations, in one
// transaction. An unknown ID gives catalog.ErrNotFound.
func (s *Store) Update(ctx context.Context, b *backup.Backup) error {
	r, err := encode(b)
	if err != nil {
		return fmt.Errorf("catalog: update: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE backups SET
				server = ?, "database" = ?, type = ?, status = ?, started_at = ?, finished_at = ?,
				raw_bytes = ?, stored_bytes = ?, sha256 = ?, compression = ?, encrypted = ?,
				error = ?, manifest = ?, deleted_at = ?, delete_reason = ?
			WHERE id = ?`,
			r.server, r.database, r.typ, r.status, r.startedAt, r.finishedAt,
			r.rawBytes, r.storedBytes, r.sha256, r.compression, r.encrypted,
			r.errMsg, r.manifest, r.deletedAt, r.deleteReason, r.id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return catalog.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM locations WHERE backup_id = ?`, r.id); err != nil {
			return err
		}
		return insertLocations(ctx, tx, r.id, b.Locations)
	})
	if err != nil {
		return fmt.Errorf("catalog: update %s: %w", b.ID, err)
	}
	return nil
}

func insertLocations(ctx context.Context, tx *sql.Tx, id string, locs []backup.Location) error {
	if len(locs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO locations
		(backup_id, storage, position, "key", status, error) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, l := range locs {
		if _, err := stmt.ExecContext(ctx, id, l.Storage, i, l.Key, string(l.Status), l.Error); err != nil {
			return fmt.Errorf("location %s: %w", l.Storage, err)
		}
	}
	return nil
}

// Get returns one backup with its locations and manifest. An unknown ID
// gives catalog.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*backup.Backup, error) {
	bs, err := s.query(ctx, []string{"b.id = ?"}, []any{id}, 1)
	if err != nil {
		return nil, fmt.Errorf("catalog: get %s: %w", id, err)
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("catalog: get %s: %w", id, catalog.ErrNotFound)
	}
	return bs[0], nil
}

// MarkInterrupted ends every backup still marked running, as left behind by
// a process that stopped mid-backup: each becomes interrupted, finished at
// now, with reason as its error. It returns their IDs in ascending order.
// Locations are left as they are.
func (s *Store) MarkInterrupted(ctx context.Context, now time.Time, reason string) ([]string, error) {
	finished, err := formatTime(now)
	if err != nil {
		return nil, fmt.Errorf("catalog: mark interrupted: %w", err)
	}
	var ids []string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE backups SET status = ?, finished_at = ?, error = ?
			WHERE status = ? RETURNING id`,
			string(backup.StatusInterrupted), finished, reason, string(backup.StatusRunning))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: mark interrupted: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

func isPrimaryKeyViolation(err error) bool {
	var e interface{ Code() int }
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
