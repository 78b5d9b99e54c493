package sqlite

import "github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"

// ErrSchemaTooNew is returned (wrapped) by Open for a database whose schema
// was written by a newer build than this one. It is sqlstore.ErrSchemaTooNew.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// migrations[i] brings the schema from version i to version i+1. Entries are
// only ever appended: a released migration is never edited, because databases
// already at its version will not run it again. Each entry is a list of
// single statements, applied in one transaction together with its
// schema_migrations row. The postgres and mysql drivers keep the same
// numbering: a change here is appended there too.
var migrations = sqlstore.Migrations{
	// 1: backups and their storage locations.
	{
		// Times are UTC text of fixed width (see package sqlstore), so comparing
		// them as text is comparing them as times, and a DBA reading the
		// file with the sqlite3 shell sees readable values.
		// deleted_at and delete_reason are reserved for deletion records.
		`CREATE TABLE backups (
			id            TEXT    NOT NULL PRIMARY KEY,
			server        TEXT    NOT NULL,
			"database"    TEXT    NOT NULL,
			type          TEXT    NOT NULL,
			status        TEXT    NOT NULL,
			started_at    TEXT    NOT NULL,
			finished_at   TEXT,
			raw_bytes     INTEGER NOT NULL DEFAULT 0,
			stored_bytes  INTEGER NOT NULL DEFAULT 0,
			sha256        TEXT    NOT NULL DEFAULT '',
			compression   TEXT    NOT NULL DEFAULT '',
			encrypted     INTEGER NOT NULL DEFAULT 0 CHECK (encrypted IN (0, 1)),
			error         TEXT    NOT NULL DEFAULT '',
			manifest      TEXT    CHECK (manifest IS NULL OR json_valid(manifest)),
			deleted_at    TEXT,
			delete_reason TEXT
		)`,
		// position keeps the locations in the order they were given.
		`CREATE TABLE locations (
			backup_id TEXT    NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
			storage   TEXT    NOT NULL,
			position  INTEGER NOT NULL,
			"key"     TEXT    NOT NULL,
			status    TEXT    NOT NULL,
			error     TEXT    NOT NULL DEFAULT '',
			PRIMARY KEY (backup_id, storage)
		)`,
		// Each search index ends in id so that a filtered list can be read
		// newest first straight from the index.
		`CREATE INDEX backups_server_database_type ON backups (server, "database", type, id)`,
		`CREATE INDEX backups_database ON backups ("database", id)`,
		`CREATE INDEX backups_type ON backups (type, id)`,
		`CREATE INDEX backups_status ON backups (status, id)`,
		`CREATE INDEX backups_started_at ON backups (started_at)`,
		`CREATE INDEX locations_storage ON locations (storage, backup_id)`,
	},
	// 2: restore drills of backups. A drill is inserted running, with the
	// scratch database it restores into and the process that runs it, so
	// that a later run can tell a live drill's database from a leftover.
	{
		`CREATE TABLE drills (
			id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
			backup_id   TEXT    NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
			started_at  TEXT    NOT NULL,
			seconds     REAL    NOT NULL DEFAULT 0,
			status      TEXT    NOT NULL,
			server      TEXT    NOT NULL,
			scratch     TEXT    NOT NULL,
			compared    INTEGER NOT NULL DEFAULT 0 CHECK (compared IN (0, 1)),
			differences TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(differences)),
			error       TEXT    NOT NULL DEFAULT '',
			host        TEXT    NOT NULL DEFAULT '',
			pid         INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX drills_backup ON drills (backup_id, id)`,
		`CREATE INDEX drills_status ON drills (status, server)`,
	},
	// 3: the process that runs a backup (host string and PID, see package
	// owner), so that a running row of a live process is never reclaimed
	// and a job that runs is not started twice. Older rows have none.
	{
		`ALTER TABLE backups ADD COLUMN owner_host TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE backups ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0`,
	},
	// 4: a job's newest backup of one status in one seek (Jobs, and the
	// running backups of a job that InsertUnlessRunning checks).
	{
		`CREATE INDEX backups_job_status ON backups (server, "database", type, status, id)`,
	},
	// 5: processes sharing the catalog. progress_at: when a running
	// backup's raw_bytes (its progress) was last written. slot_claims: one
	// row per job and scheduled slot, taken by the process that runs it, so
	// that replicas run each slot once. leases: time-limited rights, one per
	// live process and one per task that runs on one replica at a time.
	{
		`ALTER TABLE backups ADD COLUMN progress_at TEXT`,
		`CREATE TABLE slot_claims (
			job        TEXT NOT NULL,
			slot       TEXT NOT NULL,
			holder     TEXT NOT NULL,
			claimed_at TEXT NOT NULL,
			PRIMARY KEY (job, slot)
		)`,
		`CREATE INDEX slot_claims_slot ON slot_claims (slot)`,
		`CREATE TABLE leases (
			name       TEXT NOT NULL PRIMARY KEY,
			holder     TEXT NOT NULL,
			renewed_at TEXT NOT NULL,
			expires_at TEXT NOT NULL
		)`,
	},
	// 6: the audit trail: who did what to which backup, job or storage,
	// and how it ended (see catalog.AuditEntry). id only grows
	// (AUTOINCREMENT never reuses one), so it is the order and the cursor.
	{
		`CREATE TABLE audit (
			id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
			"at"     TEXT    NOT NULL,
			actor    TEXT    NOT NULL,
			address  TEXT    NOT NULL DEFAULT '',
			"action" TEXT    NOT NULL,
			target   TEXT    NOT NULL DEFAULT '',
			outcome  TEXT    NOT NULL,
			detail   TEXT    NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX audit_action ON audit ("action", id)`,
		`CREATE INDEX audit_actor ON audit (actor, id)`,
		`CREATE INDEX audit_target ON audit (target, id)`,
		`CREATE INDEX audit_at ON audit ("at")`,
	},
}
