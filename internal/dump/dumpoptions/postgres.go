package dumpoptions

import "strings"

// allowedPostgres are the extra options a configuration may pass to
// pg_dump (dump_options): options that change what goes into the dump,
// never where it goes, its format, the connection or the credentials. Output
// file, format, compression, parallel jobs, connection and password options
// are absent on purpose, and so is --snapshot: the WAL position recorded with
// a dump is read just before pg_dump starts, so its snapshot must be its own;
// refusedPostgres says why for the common ones. The configuration is
// checked against this list when loaded, and every dump checks it again.
var allowedPostgres = map[string]Arg{
	"blobs":                         NoValue,
	"no-blobs":                      NoValue,
	"data-only":                     NoValue,
	"schema-only":                   NoValue,
	"encoding":                      ValueOf(Matches(`^[A-Za-z0-9_-]+$`)),
	"schema":                        ValueOf(isPattern),
	"exclude-schema":                ValueOf(isPattern),
	"table":                         ValueOf(isPattern),
	"exclude-table":                 ValueOf(isPattern),
	"exclude-table-data":            ValueOf(isPattern),
	"no-owner":                      NoValue,
	"no-privileges":                 NoValue,
	"no-acl":                        NoValue,
	"no-comments":                   NoValue,
	"no-publications":               NoValue,
	"no-subscriptions":              NoValue,
	"no-security-labels":            NoValue,
	"no-tablespaces":                NoValue,
	"no-toast-compression":          NoValue,
	"no-unlogged-table-data":        NoValue,
	"no-synchronized-snapshots":     NoValue,
	"enable-row-security":           NoValue,
	"extra-float-digits":            ValueOf(IntRange(-15, 3)),
	"include-foreign-data":          ValueOf(isPattern),
	"load-via-partition-root":       NoValue,
	"lock-wait-timeout":             ValueOf(Matches(`^[0-9]+(ms|s|min|h)?$`)),
	"quote-all-identifiers":         NoValue,
	"role":                          WithValue,
	"section":                       ValueOf(OneOf("pre-data", "data", "post-data")),
	"serializable-deferrable":       NoValue,
	"strict-names":                  NoValue,
	"use-set-session-authorization": NoValue,
}

// refusedPostgres explains the refusals users are most likely to run into.
var refusedPostgres = map[string]string{
	"file":     ReasonDestination,
	"format":   ReasonFormat,
	"jobs":     "parallel dumps need the directory format, and " + ReasonFormat,
	"compress": "compression is set with compression.codec",
	"snapshot": "a dump takes its own snapshot, after the WAL position recorded for it",
	"password": ReasonPassword,
	"dbname":   ReasonDatabase,
	"host":     ReasonConnection,
	"port":     ReasonConnection,
	"username": ReasonConnection,
}

// Postgres is the allow-list of pg_dump.
var Postgres = &Set{
	Engine:  "postgres",
	Example: "--no-owner",
	Allowed: allowedPostgres,
	Refused: refusedPostgres,
}

// isPattern accepts a pg_dump name pattern that cannot be mistaken for an option.
func isPattern(v string) bool { return !strings.HasPrefix(v, "-") }
