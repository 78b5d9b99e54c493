package mysql

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// CheckDumpOption returns nil when opt may be passed to the dump tool, else
// an error that names the option, never its value, and says why not.
func CheckDumpOption(opt string) error {
	return dumpoptions.MySQL.CheckOption(opt)
}

// ValidateDumpOptions checks opts against dumpoptions.MySQL.
func ValidateDumpOptions(opts []string) error {
	return dumpoptions.MySQL.CheckOptions(opts)
}

// ValidateDatabaseName rejects names the tools could read as an option or
// that cannot name a MySQL/MariaDB database.
func ValidateDatabaseName(db string) error {
	switch {
	case db == "":
		return errors.New("empty database name")
	case utf8.RuneCountInString(db) > 64:
		// The server counts characters, not bytes.
		return fmt.Errorf("database name %q: longer than 64 characters", db)
	case strings.HasPrefix(db, "-"):
		return fmt.Errorf("database name %q: starts with '-'", db)
	case strings.ContainsAny(db, "\x00/\\"):
		return fmt.Errorf("database name %q: contains NUL, '/' or '\\'", db)
	case strings.TrimRight(db, " ") != db:
		return fmt.Errorf("database name %q: ends with a space", db)
	}
	return nil
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
