package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// InsertDrill records d as running and sets d.ID. Its backup must exist.
func (s *Store) InsertDrill(ctx context.Context, d *catalog.DrillRecord) error {
	at, err := formatTime(d.At)
	if err != nil {
		return fmt.Errorf("catalog: insert drill: %w", err)
	}
	const insert = `INSERT INTO drills (backup_id, started_at, status, server, scratch, host, pid)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	args := []any{d.BackupID, at, string(catalog.DrillRunning), d.Server, d.Scratch, d.Host, d.PID}
	if err == nil {
		err = checkLen("drill server name", d.Server, s.d.MaxLen)
	}
	if err == nil && s.d.ReturningID {
		err = s.queryRow(ctx, s.db, insert+` RETURNING id`, args...).Scan(&d.ID)
	} else if err == nil {
		var res sql.Result
		if res, err = s.exec(ctx, s.db, insert, args...); err == nil {
			d.ID, err = res.LastInsertId()
		}
	}
	if err != nil {
		return fmt.Errorf("catalog: insert drill of %s: %w", d.BackupID, err)
	}
	d.Status = catalog.DrillRunning
	return nil
}

// FinishDrill stores the outcome of the drill d.ID.
func (s *Store) FinishDrill(ctx context.Context, d *catalog.DrillRecord) error {
	diffs := d.Differences
	if diffs == nil {
		diffs = []string{}
	}
	js, err := json.Marshal(diffs)
	if err != nil {
		return fmt.Errorf("catalog: finish drill: %w", err)
	}
	res, err := s.exec(ctx, s.db, `UPDATE drills SET status = ?, seconds = ?, compared = ?, differences = ?, error = ?
		WHERE id = ?`, string(d.Status), d.Seconds, boolInt(d.Compared), string(js), d.Error, d.ID)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			// 0 is also MySQL's count for an update that changes nothing.
			var one int
			err = s.queryRow(ctx, s.db, `SELECT 1 FROM drills WHERE id = ?`, d.ID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				err = fmt.Errorf("drill %d: %w", d.ID, catalog.ErrNotFound)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("catalog: finish drill of %s: %w", d.BackupID, err)
	}
	return nil
}

// Drills returns the drills of one backup, newest first.
func (s *Store) Drills(ctx context.Context, backupID string) ([]catalog.DrillRecord, error) {
	out, err := s.drills(ctx, "backup_id = ?", backupID)
	if err != nil {
		return nil, fmt.Errorf("catalog: drills of %s: %w", backupID, err)
	}
	return out, nil
}

// RunningDrills returns every drill still marked running, newest first.
func (s *Store) RunningDrills(ctx context.Context) ([]catalog.DrillRecord, error) {
	out, err := s.drills(ctx, "status = ?", string(catalog.DrillRunning))
	if err != nil {
		return nil, fmt.Errorf("catalog: running drills: %w", err)
	}
	return out, nil
}

const drillColumns = `id, backup_id, started_at, seconds, status, server, scratch, compared, differences, error, host, pid`

func (s *Store) drills(ctx context.Context, where string, args ...any) ([]catalog.DrillRecord, error) {
	rows, err := s.queryRows(ctx, s.db, `SELECT `+drillColumns+` FROM drills WHERE `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.DrillRecord{}
	for rows.Next() {
		d, err := scanDrill(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// scanDrill scans a row of drillColumns, after the columns that go to
// before, if any.
func scanDrill(rows *sql.Rows, before ...any) (catalog.DrillRecord, error) {
	var (
		d           catalog.DrillRecord
		at, status  string
		differences string
	)
	if err := rows.Scan(append(before, &d.ID, &d.BackupID, &at, &d.Seconds, &status, &d.Server, &d.Scratch, &d.Compared,
		&differences, &d.Error, &d.Host, &d.PID)...); err != nil {
		return d, err
	}
	var err error
	if d.At, err = parseTime(at); err != nil {
		return d, fmt.Errorf("drill %d: %w", d.ID, err)
	}
	d.Status = backup.DrillStatus(status)
	if err := json.Unmarshal([]byte(differences), &d.Differences); err != nil {
		return d, fmt.Errorf("drill %d: differences: %w", d.ID, err)
	}
	if d.Differences == nil {
		d.Differences = []string{}
	}
	return d, nil
}

// fillDrills sets each backup's Drill to its newest finished drill, in one
// query for the whole page.
func (s *Store) fillDrills(ctx context.Context, bs []*backup.Backup) error {
	if len(bs) == 0 {
		return nil
	}
	byID := make(map[string]*backup.Backup, len(bs))
	args := make([]any, 0, len(bs)+1)
	args = append(args, string(catalog.DrillRunning), string(backup.DrillInterrupted))
	for _, b := range bs {
		byID[b.ID] = b
		args = append(args, b.ID)
	}
	// The newest drill per backup that ran to its end (neither running nor
	// interrupted, which proves nothing either way): the largest id.
	// A long page reads them all rather than binding thousands of IDs.
	in := ` AND backup_id IN (?` + strings.Repeat(", ?", len(bs)-1) + `)`
	if len(bs) > 500 {
		in, args = "", args[:2]
	}
	rows, err := s.queryRows(ctx, s.db, `SELECT `+drillColumns+` FROM drills WHERE id IN (
			SELECT MAX(id) FROM drills WHERE status NOT IN (?, ?)`+in+` GROUP BY backup_id)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDrill(rows)
		if err != nil {
			return err
		}
		if b := byID[d.BackupID]; b != nil {
			drill := d.Drill
			b.Drill = &drill
		}
	}
	return rows.Err()
}
