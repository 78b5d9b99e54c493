package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// Insert adds b and its locations. An ID already in the catalog is an error.
func (s *Store) Insert(ctx context.Context, b *backup.Backup) error {
	r, err := s.encode(b)
	if err != nil {
		return fmt.Errorf("catalog: insert: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error { return s.insert(ctx, tx, r, b.Locations) })
	if err != nil {
		return fmt.Errorf("catalog: insert %s: %w", b.ID, err)
	}
	return nil
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, r row, locs []backup.Location) error {
	_, err := s.exec(ctx, tx, `INSERT INTO backups (
			id, server, "database", type, status, started_at, finished_at,
			raw_bytes, stored_bytes, sha256, compression, encrypted, error, manifest,
			deleted_at, delete_reason, owner_host, owner_pid, progress_at
		) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.server, r.database, r.typ, r.status, r.startedAt, r.finishedAt,
		r.rawBytes, r.storedBytes, r.sha256, r.compression, boolInt(r.encrypted), r.errMsg, r.manifest,
		r.deletedAt, r.deleteReason, r.ownerHost, r.ownerPID, r.progressAt)
	if err != nil && s.d.IsDuplicateKey != nil && s.d.IsDuplicateKey(err) {
		return fmt.Errorf("backup already exists: %w", err)
	}
	if err != nil {
		return err
	}
	return s.insertLocations(ctx, tx, r.id, locs)
}

// InsertUnlessRunning inserts b (a new backup, usually running) unless a
// backup of the same server, database and type is running and claim says
// that it blocks b. claim sees every running backup of that job (ID, times,
// owner; no locations): a running backup it gives an interrupt reason is
// ended as interrupted (finished at b.StartedAt, with that reason as its
// error) and its ID returned in interrupted; one it says blocks b is
// returned as blocker, and then nothing is written. The check and the
// insert are one write transaction, so two processes opening the same job
// at once cannot both pass it: on SQLite the transaction holds the write
// lock from its start; elsewhere it holds the dialect's lock on the job.
func (s *Store) InsertUnlessRunning(ctx context.Context, b *backup.Backup, claim catalog.Claim) (blocker *backup.Backup, interrupted []string, err error) {
	r, err := s.encode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: insert: %w", err)
	}
	err = s.inLockedTx(ctx, jobLockName(b.Server, b.Database, b.Type), func(tx *sql.Tx) error {
		interrupted, blocker = nil, nil
		running, err := s.runningOf(ctx, tx, b.Server, b.Database, b.Type)
		if err != nil {
			return err
		}
		for _, old := range running {
			reason, block := claim(old)
			switch {
			case reason != "":
				if _, err := s.markInterrupted(ctx, tx, old.ID, r.startedAt, reason); err != nil {
					return err
				}
				interrupted = append(interrupted, old.ID)
			case block && blocker == nil:
				blocker = old
			}
		}
		if blocker != nil {
			return errBlocked
		}
		return s.insert(ctx, tx, r, b.Locations)
	})
	if errors.Is(err, errBlocked) {
		return blocker, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: insert %s: %w", b.ID, err)
	}
	return nil, interrupted, nil
}

// errBlocked rolls back an InsertUnlessRunning whose job is running.
var errBlocked = errors.New("blocked by a running backup")

// runningOf returns the running backups of one job, oldest first, without
// locations, manifest or drill.
func (s *Store) runningOf(ctx context.Context, tx *sql.Tx, server, database, typ string) ([]*backup.Backup, error) {
	rows, err := s.queryRows(ctx, tx, `SELECT id, started_at, owner_host, owner_pid FROM backups
		WHERE server = ? AND "database" = ? AND type = ? AND status = ? ORDER BY id`,
		server, database, typ, string(backup.StatusRunning))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*backup.Backup
	for rows.Next() {
		b := &backup.Backup{Server: server, Database: database, Type: typ, Status: backup.StatusRunning, Locations: []backup.Location{}}
		var started string
		if err := rows.Scan(&b.ID, &started, &b.OwnerHost, &b.OwnerPID); err != nil {
			return nil, err
		}
		if b.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("backup %s: %w", b.ID, err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Update replaces every field stored for b.ID and all its locations, in one
// transaction. An unknown ID gives catalog.ErrNotFound.
func (s *Store) Update(ctx context.Context, b *backup.Backup) error {
	return s.update(ctx, b, false)
}

// Finish records b's end like Update, if its row is still running. See
// catalog.Store.
func (s *Store) Finish(ctx context.Context, b *backup.Backup) error {
	if b != nil && b.Status == backup.StatusRunning {
		return fmt.Errorf("catalog: finish %s: status is still running", b.ID)
	}
	return s.update(ctx, b, true)
}

// update replaces the row of b and its locations; onlyRunning leaves a row
// that is no longer running as it is and says so (catalog.ErrNotRunning).
func (s *Store) update(ctx context.Context, b *backup.Backup, onlyRunning bool) error {
	r, err := s.encode(b)
	if err != nil {
		return fmt.Errorf("catalog: update: %w", err)
	}
	where, args := `WHERE id = ?`, []any{r.id}
	if onlyRunning {
		where, args = `WHERE id = ? AND status = ?`, append(args, string(backup.StatusRunning))
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE backups SET
				server = ?, "database" = ?, type = ?, status = ?, started_at = ?, finished_at = ?,
				raw_bytes = ?, stored_bytes = ?, sha256 = ?, compression = ?, encrypted = ?,
				error = ?, manifest = ?, deleted_at = ?, delete_reason = ?, owner_host = ?, owner_pid = ?,
				progress_at = ?
			`+where,
			append([]any{r.server, r.database, r.typ, r.status, r.startedAt, r.finishedAt,
				r.rawBytes, r.storedBytes, r.sha256, r.compression, boolInt(r.encrypted),
				r.errMsg, r.manifest, r.deletedAt, r.deleteReason, r.ownerHost, r.ownerPID,
				r.progressAt}, args...)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			// MySQL counts changed rows, not matched ones: an update that
			// changes nothing counts 0 too.
			var status string
			err := s.queryRow(ctx, tx, `SELECT status FROM backups WHERE id = ?`, r.id).Scan(&status)
			if errors.Is(err, sql.ErrNoRows) {
				return catalog.ErrNotFound
			}
			if err != nil {
				return err
			}
			if onlyRunning && status != string(backup.StatusRunning) {
				return fmt.Errorf("%w (it is %s)", catalog.ErrNotRunning, status)
			}
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM locations WHERE backup_id = ?`, r.id); err != nil {
			return err
		}
		return s.insertLocations(ctx, tx, r.id, b.Locations)
	})
	if err != nil {
		return fmt.Errorf("catalog: update %s: %w", b.ID, err)
	}
	return nil
}

// insertLocations inserts locs in one statement.
func (s *Store) insertLocations(ctx context.Context, tx *sql.Tx, id string, locs []backup.Location) error {
	if len(locs) == 0 {
		return nil
	}
	q := `INSERT INTO locations (backup_id, storage, position, "key", status, error) VALUES (?, ?, ?, ?, ?, ?)` +
		strings.Repeat(", (?, ?, ?, ?, ?, ?)", len(locs)-1)
	args := make([]any, 0, 6*len(locs))
	for i, l := range locs {
		args = append(args, id, l.Storage, i, l.Key, string(l.Status), l.Error)
	}
	if _, err := s.exec(ctx, tx, q, args...); err != nil {
		return fmt.Errorf("locations: %w", err)
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

// MarkInterrupted ends backup id as interrupted, finished at now, with
// reason as its error, if it is still running (as a process that stopped
// mid-backup leaves it); it reports whether it did. Locations are left as
// they are: pending ones are the leftovers a later sweep removes. An
// unknown ID is not an error.
func (s *Store) MarkInterrupted(ctx context.Context, id string, now time.Time, reason string) (bool, error) {
	finished, err := formatTime(now)
	if err != nil {
		return false, fmt.Errorf("catalog: mark interrupted: %w", err)
	}
	var done bool
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		done, err = s.markInterrupted(ctx, tx, id, finished, reason)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("catalog: mark %s interrupted: %w", id, err)
	}
	return done, nil
}

func (s *Store) markInterrupted(ctx context.Context, tx *sql.Tx, id, finished, reason string) (bool, error) {
	res, err := s.exec(ctx, tx, `UPDATE backups SET status = ?, finished_at = ?, error = ?, progress_at = NULL
		WHERE id = ? AND status = ?`,
		string(backup.StatusInterrupted), finished, reason, id, string(backup.StatusRunning))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// jobLockName names the lock InsertUnlessRunning holds on one job.
func jobLockName(server, database, typ string) string {
	return "job\x00" + server + "\x00" + database + "\x00" + typ
}
