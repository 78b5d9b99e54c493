package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// timeLayout stores times as UTC with all nine fractional digits. Every value
// has the same width, so text order is time order and a round trip is exact
// to the nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) (string, error) {
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("time %s out of range", t)
	}
	return u.Format(timeLayout), nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// row is a backup as stored in the backups table, in column order.
type row struct {
	id, server, database, typ, status string
	startedAt                         string
	finishedAt                        sql.NullString
	rawBytes, storedBytes             int64
	sha256, compression               string
	encrypted                         bool
	errMsg                            string
	manifest                          sql.NullString
	deletedAt, deleteReason           sql.NullString
	ownerHost                         string
	ownerPID                          int
	progressAt                        sql.NullString
}

// encode checks b and turns it into a row.
func (s *Store) encode(b *backup.Backup) (row, error) {
	if b == nil {
		return row{}, errors.New("nil backup")
	}
	if b.ID == "" {
		return row{}, errors.New("empty backup ID")
	}
	if !b.Status.Valid() {
		return row{}, fmt.Errorf("invalid status %q", b.Status)
	}
	seen := make(map[string]bool, len(b.Locations))
	for _, l := range b.Locations {
		if l.Storage == "" {
			return row{}, errors.New("location with empty storage name")
		}
		if seen[l.Storage] {
			return row{}, fmt.Errorf("storage %q listed twice", l.Storage)
		}
		seen[l.Storage] = true
		if err := checkLen("storage name", l.Storage, s.d.MaxLen); err != nil {
			return row{}, err
		}
	}
	for _, f := range []struct{ col, v string }{
		{"backup ID", b.ID}, {"server name", b.Server}, {"database name", b.Database}, {"backup type", b.Type},
	} {
		if err := checkLen(f.col, f.v, s.d.MaxLen); err != nil {
			return row{}, err
		}
	}
	r := row{
		id: b.ID, server: b.Server, database: b.Database, typ: b.Type, status: string(b.Status),
		rawBytes: b.RawBytes, storedBytes: b.StoredBytes,
		sha256: b.SHA256, compression: b.Compression, encrypted: b.Encrypted, errMsg: b.Error,
		ownerHost: b.OwnerHost, ownerPID: b.OwnerPID,
	}
	var err error
	if r.startedAt, err = formatTime(b.StartedAt); err != nil {
		return row{}, fmt.Errorf("started_at: %w", err)
	}
	if b.FinishedAt != nil {
		s, err := formatTime(*b.FinishedAt)
		if err != nil {
			return row{}, fmt.Errorf("finished_at: %w", err)
		}
		r.finishedAt = sql.NullString{String: s, Valid: true}
	}
	if b.DeletedAt != nil {
		s, err := formatTime(*b.DeletedAt)
		if err != nil {
			return row{}, fmt.Errorf("deleted_at: %w", err)
		}
		r.deletedAt = sql.NullString{String: s, Valid: true}
	}
	if b.ProgressAt != nil {
		s, err := formatTime(*b.ProgressAt)
		if err != nil {
			return row{}, fmt.Errorf("progress_at: %w", err)
		}
		r.progressAt = sql.NullString{String: s, Valid: true}
	}
	if b.DeleteReason != "" {
		r.deleteReason = sql.NullString{String: b.DeleteReason, Valid: true}
	}
	if b.Manifest != nil {
		m, err := json.Marshal(b.Manifest)
		if err != nil {
			return row{}, fmt.Errorf("manifest: %w", err)
		}
		r.manifest = sql.NullString{String: string(m), Valid: true}
	}
	return r, nil
}

// decode turns a stored row into a backup without locations.
func (r *row) decode() (*backup.Backup, error) {
	b := &backup.Backup{
		ID: r.id, Server: r.server, Database: r.database, Type: r.typ, Status: backup.Status(r.status),
		RawBytes: r.rawBytes, StoredBytes: r.storedBytes,
		SHA256: r.sha256, Compression: r.compression, Encrypted: r.encrypted, Error: r.errMsg,
		OwnerHost: r.ownerHost, OwnerPID: r.ownerPID,
		Locations: []backup.Location{},
	}
	var err error
	if b.StartedAt, err = parseTime(r.startedAt); err != nil {
		return nil, fmt.Errorf("backup %s: %w", r.id, err)
	}
	if r.finishedAt.Valid {
		t, err := parseTime(r.finishedAt.String)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", r.id, err)
		}
		b.FinishedAt = &t
	}
	if r.deletedAt.Valid {
		t, err := parseTime(r.deletedAt.String)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", r.id, err)
		}
		b.DeletedAt = &t
	}
	if r.progressAt.Valid {
		t, err := parseTime(r.progressAt.String)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", r.id, err)
		}
		b.ProgressAt = &t
	}
	b.DeleteReason = r.deleteReason.String
	if r.manifest.Valid {
		b.Manifest = new(backup.Manifest)
		if err := json.Unmarshal([]byte(r.manifest.String), b.Manifest); err != nil {
			return nil, fmt.Errorf("backup %s: manifest: %w", r.id, err)
		}
	}
	b.Warnings = b.Manifest.WarningList()
	return b, nil
}
