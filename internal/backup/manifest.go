package backup

import "time"

// ManifestFormatVersion is the version of the manifest JSON written next to every object.
const ManifestFormatVersion = 1

// Manifest describes one stored object so that it can be understood, verified
// and restored without the catalog (docs/manifest.md).
type Manifest struct {
	FormatVersion   int         `json:"format_version"`
	ID              string      `json:"id"`
	Server          string      `json:"server"`
	Database        string      `json:"database"`
	Type            string      `json:"type"`
	Engine          string      `json:"engine"`         // mysql | mariadb | postgres
	ServerVersion   string      `json:"server_version"` // as the server reports it
	DumpTool        string      `json:"dump_tool"`      // mariadb-dump | mysqldump | pg_dump
	DumpToolVersion string      `json:"dump_tool_version,omitempty"`
	DumpFlags       []string    `json:"dump_flags"`
	DumpFormat      string      `json:"dump_format"` // sql | pg_custom
	StartedAt       time.Time   `json:"started_at"`
	FinishedAt      time.Time   `json:"finished_at"`
	RawBytes        int64       `json:"raw_bytes"`
	StoredBytes     int64       `json:"stored_bytes"`
	SHA256          string      `json:"sha256"`
	Compression     string      `json:"compression"` // zstd | gzip | none
	Encryption      *Encryption `json:"encryption,omitempty"`
	Position        *Position   `json:"position,omitempty"`
	// Database holds the source database's own properties (character set,
	// owner, settings...), applied when a restore creates the database.
	DatabaseProps *DatabaseProps `json:"database_properties,omitempty"`
	// MaxStatementBytes is the length of the longest statement in a SQL dump,
	// which a server's max_allowed_packet must admit for the dump to load; 0
	// when unknown or not a SQL dump.
	MaxStatementBytes int64 `json:"max_statement_bytes,omitempty"`
	// Fingerprint counts rows per table and objects per kind in the dump,
	// for restore drills to compare with; nil for older backups.
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	// SizeAnomaly is set when the backup was far smaller than the recent
	// successes of its job; its warning is among Warnings.
	SizeAnomaly *SizeAnomaly `json:"size_anomaly,omitempty"`
	// Warnings are what the backup found worth a word at backup time
	// (e.g. a statement longer than the source server's max_allowed_packet).
	Warnings []string `json:"warnings,omitempty"`
	Object   string   `json:"object"` // the object's key, relative to the storage root
}

// Encryption records how the object is encrypted.
type Encryption struct {
	Format     string   `json:"format"`     // age
	Recipients []string `json:"recipients"` // SHA-256 fingerprints of the recipients' public keys
}

// Position is the replication position the dump is consistent with, where the server has one.
type Position struct {
	BinlogFile string `json:"binlog_file,omitempty"`
	BinlogPos  uint64 `json:"binlog_pos,omitempty"`
	GTID       string `json:"gtid,omitempty"`
	LSN        string `json:"lsn,omitempty"` // PostgreSQL WAL LSN at dump start
}

// WarningList returns the manifest's warnings, never nil; a nil manifest has none.
func (m *Manifest) WarningList() []string {
	if m == nil || m.Warnings == nil {
		return []string{}
	}
	return m.Warnings
}

// SizeAnomaly records that a successful backup was far smaller than the
// recent successes of its job (anomalies.min_percent of their median).
type SizeAnomaly struct {
	RawBytes       int64 `json:"raw_bytes"`        // this backup's raw size
	MedianRawBytes int64 `json:"median_raw_bytes"` // the median raw size it was compared with
	Compared       int   `json:"compared"`         // how many earlier successes made the median
	MinPercent     int   `json:"min_percent"`      // the threshold in force
}

// Anomalous reports whether the backup's manifest records a size anomaly.
func (b *Backup) Anomalous() bool { return b.Manifest != nil && b.Manifest.SizeAnomaly != nil }
