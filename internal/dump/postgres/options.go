package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// CheckDumpOption returns nil when opt may be passed to pg_dump, else an
// error that names the option, never its value, and says why not.
func CheckDumpOption(opt string) error {
	return dumpoptions.Postgres.CheckOption(opt)
}

// ValidateDumpOptions checks opts against dumpoptions.Postgres.
func ValidateDumpOptions(opts []string) error {
	return dumpoptions.Postgres.CheckOptions(opts)
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
