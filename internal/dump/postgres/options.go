package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// AllowedDumpOptions are the extra options a configuration may pass to
// pg_dump (Conn.DumpOptions). Output file, format, compression, connection
// and password options are absent on purpose.
var AllowedDumpOptions = map[string]dump.Arg{
	"blobs":                         dump.NoValue,
	"no-blobs":                      dump.NoValue,
	"data-only":                     dump.NoValue,
	"schema-only":                   dump.NoValue,
	"encoding":                      dump.WithValue,
	"schema":                        dump.WithValue,
	"exclude-schema":                dump.WithValue,
	"table":                         dump.WithValue,
	"exclude-table":                 dump.WithValue,
	"exclude-table-data":            dump.WithValue,
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
	"extra-float-digits":            dump.WithValue,
	"include-foreign-data":          dump.WithValue,
	"load-via-partition-root":       dump.NoValue,
	"lock-wait-timeout":             dump.WithValue,
	"quote-all-identifiers":         dump.NoValue,
	"role":                          dump.WithValue,
	"section":                       dump.WithValue,
	"serializable-deferrable":       dump.NoValue,
	"snapshot":                      dump.WithValue,
	"strict-names":                  dump.NoValue,
	"use-set-session-authorization": dump.NoValue,
}

// ValidateDumpOptions checks opts against AllowedDumpOptions.
func ValidateDumpOptions(opts []string) error {
	return dump.CheckOptions(opts, AllowedDumpOptions)
}

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
