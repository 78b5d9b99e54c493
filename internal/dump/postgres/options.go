package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// AllowedDumpOptions are the extra options a configuration may pass to
// pg_dump (Conn.DumpOptions): options that change what goes into the dump,
// never where it goes, its format, the connection or the credentials. Output
// file, format, compression, parallel jobs, connection and password options
// are absent on purpose, and so is --snapshot: the WAL position recorded with
// a dump is read just before pg_dump starts, so its snapshot must be its own;
// refusedDumpOptions says why for the common ones. The configuration is
// checked against this list when loaded, and every dump checks it again.
var AllowedDumpOptions = map[string]dump.Arg{
	"blobs":                         dump.NoValue,
	"no-blobs":                      dump.NoValue,
	"data-only":                     dump.NoValue,
	"schema-only":                   dump.NoValue,
	"encoding":                      dump.ValueOf(dump.Matches(`^[A-Za-z0-9_-]+$`)),
	"schema":                        dump.ValueOf(isPattern),
	"exclude-schema":                dump.ValueOf(isPattern),
	"table":                         dump.ValueOf(isPattern),
	"exclude-table":                 dump.ValueOf(isPattern),
	"exclude-table-data":            dump.ValueOf(isPattern),
	"no-owner":                      dump.NoValue,
	"no-privileges":                 dump.NoValue,
	"no-acl":                        dump.NoValue,
	"no-comments":                   dump.NoValue,
	"no-publications":               dump.NoValue,
	"no-subscriptions":              dump.NoValue,
	"no-security-labels":            dump.NoValue,
	"no-tablespaces":                dump.NoValue,
	"no-toast-compression":          dump.NoValue,
	"no-unlogged-table-data":        dump.NoValue,
	"no-synchronized-snapshots":     dump.NoValue,
	"enable-row-security":           dump.NoValue,
	"extra-float-digits":            dump.ValueOf(dump.IntRange(-15, 3)),
	"include-foreign-data":          dump.ValueOf(isPattern),
	"load-via-partition-root":       dump.NoValue,
	"lock-wait-timeout":             dump.ValueOf(dump.Matches(`^[0-9]+(ms|s|min|h)?$`)),
	"quote-all-identifiers":         dump.NoValue,
	"role":                          dump.WithValue,
	"section":                       dump.ValueOf(dump.OneOf("pre-data", "data", "post-data")),
	"serializable-deferrable":       dump.NoValue,
	"strict-names":                  dump.NoValue,
	"use-set-session-authorization": dump.NoValue,
}

// refusedDumpOptions explains the refusals users are most likely to run into.
var refusedDumpOptions = map[string]string{
	"file":     dump.ReasonDestination,
	"format":   dump.ReasonFormat,
	"jobs":     "parallel dumps need the directory format, and " + dump.ReasonFormat,
	"compress": "compression is set with compression.codec",
	"snapshot": "a dump takes its own snapshot, after the WAL position recorded for it",
	"password": dump.ReasonPassword,
	"dbname":   dump.ReasonDatabase,
	"host":     dump.ReasonConnection,
	"port":     dump.ReasonConnection,
	"username": dump.ReasonConnection,
}

var dumpOptions = &dump.OptionSet{
	Engine:  "postgres",
	Example: "--no-owner",
	Allowed: AllowedDumpOptions,
	Refused: refusedDumpOptions,
}

// CheckDumpOption returns nil when opt may be passed to pg_dump, else an
// error that names the option, never its value, and says why not.
func CheckDumpOption(opt string) error {
	return dumpOptions.CheckOption(opt)
}

// ValidateDumpOptions checks opts against AllowedDumpOptions.
func ValidateDumpOptions(opts []string) error {
	return dumpOptions.CheckOptions(opts)
}

// isPattern accepts a pg_dump name pattern that cannot be mistaken for an option.
func isPattern(v string) bool { return !strings.HasPrefix(v, "-") }

// ValidateDatabaseName rejects names PostgreSQL would truncate or cannot hold.
func ValidateDatabaseName(db string) error {
	switch {
	case db == "":
		return errors.New("empty database name")
	case len(db) > 63:
		return fmt.Errorf("database name %q: longer than 63 bytes", db)
	case strings.ContainsRune(db, 0):
		return fmt.Errorf("database name %q: contains NUL", db)
	}
	return nil
}
