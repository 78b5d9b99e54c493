package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// SetProgress records the raw bytes a running backup's dump has produced.
// See catalog.Store.
func (s *Store) SetProgress(ctx context.Context, id string, rawBytes int64, at time.Time) error {
	t, err := formatTime(at)
	if err != nil {
		return fmt.Errorf("catalog: progress of %s: %w", id, err)
	}
	_, err = s.exec(ctx, s.db, `UPDATE backups SET raw_bytes = ?, progress_at = ? WHERE id = ? AND status = ?`,
		rawBytes, t, id, string(backup.StatusRunning))
	if err != nil {
		return fmt.Errorf("catalog: progress of %s: %w", id, err)
	}
	return nil
}

// ClaimSlot records that holder runs job's slot, unless it is claimed
// already. See catalog.Store.
func (s *Store) ClaimSlot(ctx context.Context, job string, slot time.Time, holder string, now time.Time) (bool, string, error) {
	sl, err := formatTime(slot)
	if err != nil {
		return false, "", fmt.Errorf("catalog: claim %s: %w", job, err)
	}
	at, err := formatTime(now)
	if err != nil {
		return false, "", fmt.Errorf("catalog: claim %s: %w", job, err)
	}
	if err := checkLen("job", job, s.d.MaxJobLen); err != nil {
		return false, "", fmt.Errorf("catalog: claim: %w", err)
	}
	res, err := s.exec(ctx, s.db, `INSERT INTO slot_claims (job, slot, holder, claimed_at) VALUES (?, ?, ?, ?) `+
		s.d.OnConflictDoNothing("job"), job, sl, holder, at)
	if err != nil {
		return false, "", fmt.Errorf("catalog: claim %s at %s: %w", job, sl, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, "", fmt.Errorf("catalog: claim %s at %s: %w", job, sl, err)
	} else if n == 1 {
		return true, holder, nil
	}
	var owner string
	err = s.queryRow(ctx, s.db, `SELECT holder FROM slot_claims WHERE job = ? AND slot = ?`, job, sl).Scan(&owner)
	if err != nil {
		return false, "", fmt.Errorf("catalog: claim %s at %s: %w", job, sl, err)
	}
	return false, owner, nil
}

// PruneClaims deletes the claims of slots before before.
func (s *Store) PruneClaims(ctx context.Context, before time.Time) (int, error) {
	t, err := formatTime(before)
	if err != nil {
		return 0, fmt.Errorf("catalog: prune claims: %w", err)
	}
	res, err := s.exec(ctx, s.db, `DELETE FROM slot_claims WHERE slot < ?`, t)
	if err != nil {
		return 0, fmt.Errorf("catalog: prune claims: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("catalog: prune claims: %w", err)
	}
	return int(n), nil
}

// AcquireLease takes or renews lease name for holder. See catalog.Store.
//
// It is made of single statements, each atomic on its own, so that it
// needs no transaction isolation beyond what every SQL server gives: the
// insert of a new lease succeeds for one caller only (primary key), and
// the conditional update of an existing one for one caller only (the row
// is locked and its condition checked again by the second writer).
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (catalog.Lease, bool, error) {
	fail := func(err error) (catalog.Lease, bool, error) {
		return catalog.Lease{}, false, fmt.Errorf("catalog: lease %s: %w", name, err)
	}
	n, err := formatTime(now)
	if err != nil {
		return fail(err)
	}
	e, err := formatTime(expires)
	if err != nil {
		return fail(err)
	}
	if err := checkLen("lease name", name, s.d.MaxLeaseLen); err != nil {
		return fail(err)
	}
	res, err := s.exec(ctx, s.db, `INSERT INTO leases (name, holder, renewed_at, expires_at) VALUES (?, ?, ?, ?) `+
		s.d.OnConflictDoNothing("name"), name, holder, n, e)
	if err != nil {
		return fail(err)
	}
	got, err := res.RowsAffected()
	if err != nil {
		return fail(err)
	}
	if got == 0 {
		res, err = s.exec(ctx, s.db, `UPDATE leases SET holder = ?, renewed_at = ?, expires_at = ?
			WHERE name = ? AND (holder = ? OR expires_at <= ?)`, holder, n, e, name, holder, n)
		if err != nil {
			return fail(err)
		}
		if got, err = res.RowsAffected(); err != nil {
			return fail(err)
		}
	}
	ls, err := s.leases(ctx, `name = ?`, name)
	if err != nil {
		return fail(err)
	}
	if len(ls) == 0 {
		return fail(errors.New("released while being taken"))
	}
	// MySQL counts an update that changes nothing (a renewal with the same
	// times) as 0 rows: the stored lease, ours to the nanosecond, says so.
	mine := ls[0].Holder == holder && (got == 1 || ls[0].Renewed.Equal(now) && ls[0].Expires.Equal(expires))
	return ls[0], mine, nil
}

// ReleaseLease gives up lease name if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.exec(ctx, s.db, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("catalog: release lease %s: %w", name, err)
	}
	return nil
}

// DeleteLease removes lease name if it expired before now.
func (s *Store) DeleteLease(ctx context.Context, name string, now time.Time) (bool, error) {
	n, err := formatTime(now)
	if err != nil {
		return false, fmt.Errorf("catalog: delete lease %s: %w", name, err)
	}
	res, err := s.exec(ctx, s.db, `DELETE FROM leases WHERE name = ? AND expires_at <= ?`, name, n)
	if err != nil {
		return false, fmt.Errorf("catalog: delete lease %s: %w", name, err)
	}
	got, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("catalog: delete lease %s: %w", name, err)
	}
	return got > 0, nil
}

// Leases returns the leases whose names start with prefix, by name.
func (s *Store) Leases(ctx context.Context, prefix string) ([]catalog.Lease, error) {
	// An equality on substr, not LIKE: no character of prefix is a wildcard.
	ls, err := s.leases(ctx, `substr(name, 1, ?) = ?`, len([]rune(prefix)), prefix)
	if err != nil {
		return nil, fmt.Errorf("catalog: leases: %w", err)
	}
	return ls, nil
}

func (s *Store) leases(ctx context.Context, where string, args ...any) ([]catalog.Lease, error) {
	rows, err := s.queryRows(ctx, s.db, `SELECT name, holder, renewed_at, expires_at FROM leases WHERE `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.Lease{}
	for rows.Next() {
		var (
			l                catalog.Lease
			renewed, expires string
		)
		if err := rows.Scan(&l.Name, &l.Holder, &renewed, &expires); err != nil {
			return nil, err
		}
		if l.Renewed, err = parseTime(renewed); err != nil {
			return nil, fmt.Errorf("lease %s: %w", l.Name, err)
		}
		if l.Expires, err = parseTime(expires); err != nil {
			return nil, fmt.Errorf("lease %s: %w", l.Name, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
