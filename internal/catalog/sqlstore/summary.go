package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// jobsQuery returns the query that lists the jobs and the IDs of their
// newest backups of each outcome without reading every backup:
//
//   - the dialect's JobSource yields each distinct (server, database, type)
//     once: on SQLite a loose index scan of backups_server_database_type
//     (SQLiteJobPrefix), which its planner needs; elsewhere SELECT DISTINCT,
//     which the planner reads from the same index;
//   - newest finds each job's newest backup of an outcome with one seek per
//     status in backups_job_status, which ends in id;
//   - the outer query reads those few backups by primary key.
//
// Parameters: success, the three failure statuses, running. The largest of
// several values (the dialect's Greatest: SQLite's max() of several
// arguments, GREATEST elsewhere) is NULL on SQLite when any is, hence the
// COALESCE to the empty string.
func (s *Store) jobsQuery() string {
	return `WITH ` + s.d.JobPrefix + ` newest AS (
	SELECT b.server, b."database", b.type,
		(SELECT x.id FROM backups x
			WHERE x.server = b.server AND x."database" = b."database" AND x.type = b.type
			ORDER BY x.id DESC LIMIT 1) AS last_id,
		(` + newestOf + `) AS success_id,
		NULLIF(` + s.d.Greatest + `(COALESCE((` + newestOf + `), ''), COALESCE((` + newestOf + `), ''),
			COALESCE((` + newestOf + `), '')), '') AS failure_id,
		(` + newestOf + `) AS running_id
	FROM ` + s.d.JobSource + `
)
SELECT n.server, n."database", n.type,
	l.id, l.status, l.started_at, l.error,
	s.id, s.status, s.started_at, s.error,
	f.id, f.status, f.started_at, f.error,
	r.id, r.status, r.started_at, r.error
FROM newest n
JOIN backups l ON l.id = n.last_id
LEFT JOIN backups s ON s.id = n.success_id
LEFT JOIN backups f ON f.id = n.failure_id
LEFT JOIN backups r ON r.id = n.running_id
ORDER BY n.server, n."database", n.type`
}

// SQLiteJobPrefix and SQLiteJobSource walk the distinct (server, database,
// type) keys of the index backups_server_database_type, one seek per job (a
// loose index scan: each step seeks the first key after the previous one).
const (
	SQLiteJobPrefix = `RECURSIVE job(id) AS (
	SELECT (SELECT id FROM backups ORDER BY server, "database", type LIMIT 1)
	UNION ALL
	SELECT COALESCE(
		(SELECT n.id FROM backups n WHERE n.server = b.server AND n."database" = b."database" AND n.type > b.type
			ORDER BY n.type LIMIT 1),
		(SELECT n.id FROM backups n WHERE n.server = b.server AND n."database" > b."database"
			ORDER BY n."database", n.type LIMIT 1),
		(SELECT n.id FROM backups n WHERE n.server > b.server
			ORDER BY n.server, n."database", n.type LIMIT 1))
	FROM job JOIN backups b ON b.id = job.id
),`
	SQLiteJobSource = `job CROSS JOIN backups b ON b.id = job.id`
	// LooseScanJobSource is SQLiteJobSource for planners that choose the
	// join order themselves (PostgreSQL: its SELECT DISTINCT reads the
	// whole index, this one seek per job).
	LooseScanJobSource = `job JOIN backups b ON b.id = job.id`
	// DistinctJobSource is the JobSource of servers whose planners find
	// the distinct keys of an index themselves.
	DistinctJobSource = `(SELECT DISTINCT server, "database", type FROM backups) b`
)

// newestOf is the ID of the newest backup of job b with the status of its
// parameter. ORDER BY ... LIMIT 1 rather than MAX: MariaDB and MySQL do not
// turn a correlated MAX into one index seek, and may even pick another
// index; every engine reads the first entry of backups_job_status backwards.
const newestOf = `SELECT x.id FROM backups x
			WHERE x.server = b.server AND x."database" = b."database" AND x.type = b.type AND x.status = ?
			ORDER BY x.id DESC LIMIT 1`

// jobDrillsQuery returns, per job, the newest of the drills that count
// (each backup's newest finished drill, deleted backups included; see
// catalog.JobSummary) and the newest of those that succeeded: a row with
// newest = 1 is the job's last drill, a row of status success with
// newest_success = 1 its last successful one (one row can be both). It reads
// every drill once, and the backup of each counted drill by primary key:
// drills are few next to backups (one per drilled backup and drill run).
//
// Parameters: running, interrupted, success, success.
const jobDrillsQuery = `WITH counted AS (
	SELECT MAX(id) AS id FROM drills WHERE status NOT IN (?, ?) GROUP BY backup_id
), ranked AS (
	SELECT b.server AS job_server, b."database" AS job_database, b.type AS job_type, d.*,
		ROW_NUMBER() OVER (PARTITION BY b.server, b."database", b.type
			ORDER BY d.started_at DESC, d.backup_id DESC) AS newest,
		ROW_NUMBER() OVER (PARTITION BY b.server, b."database", b.type, d.status = ?
			ORDER BY d.started_at DESC, d.backup_id DESC) AS newest_success
	FROM counted c JOIN drills d ON d.id = c.id JOIN backups b ON b.id = d.backup_id
)
SELECT job_server, job_database, job_type, newest, newest_success, ` + drillColumns + `
FROM ranked WHERE newest = 1 OR (newest_success = 1 AND status = ?)`

// Jobs summarises every job with a backup in the catalog, ordered by
// server, database and type. It reads a few index entries and rows per job
// and every finished drill, never every backup.
func (s *Store) Jobs(ctx context.Context) ([]catalog.JobSummary, error) {
	out, err := s.jobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: jobs: %w", err)
	}
	if err := s.jobDrills(ctx, out); err != nil {
		return nil, fmt.Errorf("catalog: jobs: drills: %w", err)
	}
	return out, nil
}

func (s *Store) jobs(ctx context.Context) ([]catalog.JobSummary, error) {
	args := []any{string(backup.StatusSuccess)}
	for _, st := range catalog.FailureStatuses {
		args = append(args, string(st))
	}
	args = append(args, string(backup.StatusRunning))
	rows, err := s.queryRows(ctx, s.db, s.jobsQuery(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.JobSummary{}
	for rows.Next() {
		var (
			j                               catalog.JobSummary
			last, success, failure, running jobBackupRow
		)
		if err := rows.Scan(&j.Server, &j.Database, &j.Type,
			&last.id, &last.status, &last.startedAt, &last.errMsg,
			&success.id, &success.status, &success.startedAt, &success.errMsg,
			&failure.id, &failure.status, &failure.startedAt, &failure.errMsg,
			&running.id, &running.status, &running.startedAt, &running.errMsg); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			dst **catalog.JobBackup
			r   *jobBackupRow
		}{{&j.Last, &last}, {&j.LastSuccess, &success}, {&j.LastFailure, &failure}, {&j.Running, &running}} {
			if *f.dst, err = f.r.decode(); err != nil {
				return nil, err
			}
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// jobBackupRow is a JobBackup as the outer join of jobsQuery gives it: all
// NULL when the job has no such backup.
type jobBackupRow struct {
	id, status, startedAt, errMsg sql.NullString
}

func (r *jobBackupRow) decode() (*catalog.JobBackup, error) {
	if !r.id.Valid {
		return nil, nil
	}
	t, err := parseTime(r.startedAt.String)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", r.id.String, err)
	}
	return &catalog.JobBackup{ID: r.id.String, Status: backup.Status(r.status.String), StartedAt: t, Error: r.errMsg.String}, nil
}

// jobDrills fills the drills of the jobs in js.
func (s *Store) jobDrills(ctx context.Context, js []catalog.JobSummary) error {
	byKey := make(map[[3]string]*catalog.JobSummary, len(js))
	for i := range js {
		byKey[[3]string{js[i].Server, js[i].Database, js[i].Type}] = &js[i]
	}
	rows, err := s.queryRows(ctx, s.db, jobDrillsQuery, string(catalog.DrillRunning), string(backup.DrillInterrupted),
		string(backup.DrillSuccess), string(backup.DrillSuccess))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key                   [3]string
			newest, newestSuccess int
		)
		d, err := scanDrill(rows, &key[0], &key[1], &key[2], &newest, &newestSuccess)
		if err != nil {
			return err
		}
		j := byKey[key]
		if j == nil {
			continue // a backup inserted since the jobs were listed
		}
		jd := catalog.JobDrill{BackupID: d.BackupID, Drill: d.Drill}
		if newest == 1 {
			j.LastDrill = &jd
		}
		if d.Status == backup.DrillSuccess && newestSuccess == 1 {
			j.LastDrillSuccess = &jd
		}
	}
	return rows.Err()
}

// Storages sums, in one query, the complete copies of successful and
// partial backups per storage.
func (s *Store) Storages(ctx context.Context) ([]catalog.StorageSummary, error) {
	rows, err := s.queryRows(ctx, s.db, `SELECT l.storage, COUNT(*), COALESCE(SUM(b.stored_bytes), 0)
		FROM locations l JOIN backups b ON b.id = l.backup_id
		WHERE l.status = ? AND b.status IN (?, ?)
		GROUP BY l.storage ORDER BY l.storage`,
		string(backup.LocationSuccess), string(backup.StatusSuccess), string(backup.StatusPartial))
	if err != nil {
		return nil, fmt.Errorf("catalog: storages: %w", err)
	}
	defer rows.Close()
	out := []catalog.StorageSummary{}
	for rows.Next() {
		var u catalog.StorageSummary
		if err := rows.Scan(&u.Storage, &u.Backups, &u.Bytes); err != nil {
			return nil, fmt.Errorf("catalog: storages: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: storages: %w", err)
	}
	return out, nil
}
