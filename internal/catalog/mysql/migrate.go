package mysql

import (
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// schema is the schema history of a MySQL catalog, numbered as the SQLite
// one (package sqlite): the driver arrived at version 5, so versions 1 to 4
// are empty and 5 creates the schema of SQLite's 1..5 at once. Later changes
// are appended with the same number as there. {bin} stands for the binary
// collation of the server (see binaryCollation): text compares and sorts
// byte for byte, as in SQLite.
//
// MySQL commits each DDL statement on its own, so a migration and its
// schema_migrations row are not atomic: a process that dies in between
// leaves the tables made and the version unrecorded, and the next start
// runs the migration again. Each statement is therefore safe to run twice:
// CREATE TABLE IF NOT EXISTS with its indexes and keys inline (MySQL has no
// CREATE INDEX IF NOT EXISTS). A later ALTER must check first that it is
// not applied already.
//
// Indexed text is bounded (see MaxNameLen) so that every key fits InnoDB's
// 3072 bytes; times are VARCHAR(30) UTC text; booleans are 0/1 integers;
// TEXT defaults are expressions, which MySQL 8.0.13+ and MariaDB accept.
var schema = sqlstore.Migrations{
	// Versions 1 to 4 are empty; index 4 is version 5.
	4: {
		`CREATE TABLE IF NOT EXISTS backups (
			id            VARCHAR(64) NOT NULL PRIMARY KEY,
			server        VARCHAR(64) NOT NULL,
			"database"    VARCHAR(64) NOT NULL,
			type          VARCHAR(64) NOT NULL,
			status        VARCHAR(16) NOT NULL,
			started_at    VARCHAR(30) NOT NULL,
			finished_at   VARCHAR(30),
			raw_bytes     BIGINT      NOT NULL DEFAULT 0,
			stored_bytes  BIGINT      NOT NULL DEFAULT 0,
			sha256        TEXT        NOT NULL DEFAULT (''),
			compression   TEXT        NOT NULL DEFAULT (''),
			encrypted     TINYINT     NOT NULL DEFAULT 0 CHECK (encrypted IN (0, 1)),
			error         TEXT        NOT NULL DEFAULT (''),
			manifest      LONGTEXT,
			deleted_at    VARCHAR(30),
			delete_reason TEXT,
			owner_host    TEXT        NOT NULL DEFAULT (''),
			owner_pid     INTEGER     NOT NULL DEFAULT 0,
			progress_at   VARCHAR(30),
			INDEX backups_server_database_type (server, "database", type, id),
			INDEX backups_database ("database", id),
			INDEX backups_type (type, id),
			INDEX backups_status (status, id),
			INDEX backups_started_at (started_at),
			INDEX backups_job_status (server, "database", type, status, id)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
		`CREATE TABLE IF NOT EXISTS locations (
			backup_id VARCHAR(64) NOT NULL,
			storage   VARCHAR(64) NOT NULL,
			position  INTEGER     NOT NULL,
			"key"     TEXT        NOT NULL,
			status    VARCHAR(16) NOT NULL,
			error     TEXT        NOT NULL DEFAULT (''),
			PRIMARY KEY (backup_id, storage),
			INDEX locations_storage (storage, backup_id),
			CONSTRAINT locations_backup FOREIGN KEY (backup_id) REFERENCES backups (id) ON DELETE CASCADE
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
		`CREATE TABLE IF NOT EXISTS drills (
			id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
			backup_id   VARCHAR(64) NOT NULL,
			started_at  VARCHAR(30) NOT NULL,
			seconds     DOUBLE      NOT NULL DEFAULT 0,
			status      VARCHAR(16) NOT NULL,
			server      VARCHAR(64) NOT NULL,
			scratch     TEXT        NOT NULL,
			compared    TINYINT     NOT NULL DEFAULT 0 CHECK (compared IN (0, 1)),
			differences LONGTEXT    NOT NULL DEFAULT ('[]'),
			error       TEXT        NOT NULL DEFAULT (''),
			host        TEXT        NOT NULL DEFAULT (''),
			pid         INTEGER     NOT NULL DEFAULT 0,
			INDEX drills_backup (backup_id, id),
			INDEX drills_status (status, server),
			CONSTRAINT drills_backup FOREIGN KEY (backup_id) REFERENCES backups (id) ON DELETE CASCADE
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
		`CREATE TABLE IF NOT EXISTS slot_claims (
			job        VARCHAR(194) NOT NULL,
			slot       VARCHAR(30)  NOT NULL,
			holder     TEXT         NOT NULL,
			claimed_at VARCHAR(30)  NOT NULL,
			PRIMARY KEY (job, slot),
			INDEX slot_claims_slot (slot)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
		`CREATE TABLE IF NOT EXISTS leases (
			name       VARCHAR(255) NOT NULL PRIMARY KEY,
			holder     TEXT         NOT NULL,
			renewed_at VARCHAR(30)  NOT NULL,
			expires_at VARCHAR(30)  NOT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
	},
	// 6: the audit trail (see the sqlite driver's 6); one statement with
	// its indexes inline, safe to run twice.
	{
		`CREATE TABLE IF NOT EXISTS audit (
			id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
			"at"     VARCHAR(30)  NOT NULL,
			actor    VARCHAR(255) NOT NULL,
			address  VARCHAR(255) NOT NULL DEFAULT '',
			"action" VARCHAR(32)  NOT NULL,
			target   VARCHAR(255) NOT NULL DEFAULT '',
			outcome  VARCHAR(32)  NOT NULL,
			detail   TEXT         NOT NULL DEFAULT (''),
			INDEX audit_action ("action", id),
			INDEX audit_actor (actor, id),
			INDEX audit_target (target, id),
			INDEX audit_at ("at")
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={bin}`,
	},
}

// migrations returns schema with {bin} replaced by collation.
func migrations(collation string) sqlstore.Migrations {
	out := make(sqlstore.Migrations, len(schema))
	for i, stmts := range schema {
		for _, s := range stmts {
			out[i] = append(out[i], strings.ReplaceAll(s, "{bin}", collation))
		}
	}
	return out
}
