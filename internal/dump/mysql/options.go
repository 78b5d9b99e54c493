package mysql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// AllowedDumpOptions are the extra options a configuration may pass to
// mariadb-dump / mysqldump (Conn.DumpOptions). Anything that would move the
// output off stdout, change its shape (--xml, --tab, --databases), drop the
// completion marker (--compact, --skip-comments), keep going after errors
// (--force) or touch credentials and option files is absent on purpose.
var AllowedDumpOptions = map[string]dump.Arg{
	"add-drop-trigger":            dump.NoValue,
	"add-locks":                   dump.NoValue,
	"allow-keywords":              dump.NoValue,
	"column-statistics":           dump.WithValue,
	"complete-insert":             dump.NoValue,
	"compress":                    dump.NoValue,
	"compression-algorithms":      dump.WithValue,
	"create-options":              dump.NoValue,
	"default-character-set":       dump.WithValue,
	"disable-keys":                dump.NoValue,
	"extended-insert":             dump.NoValue,
	"flush-logs":                  dump.NoValue,
	"flush-privileges":            dump.NoValue,
	"ignore-table":                dump.WithValue,
	"ignore-table-data":           dump.WithValue,
	"insert-ignore":               dump.NoValue,
	"max-allowed-packet":          dump.WithValue,
	"net-buffer-length":           dump.WithValue,
	"no-autocommit":               dump.NoValue,
	"no-create-info":              dump.NoValue,
	"no-data":                     dump.NoValue,
	"order-by-primary":            dump.NoValue,
	"replace":                     dump.NoValue,
	"set-gtid-purged":             dump.WithValue,
	"skip-add-drop-table":         dump.NoValue,
	"skip-add-locks":              dump.NoValue,
	"skip-column-statistics":      dump.NoValue,
	"skip-create-options":         dump.NoValue,
	"skip-disable-keys":           dump.NoValue,
	"skip-dump-date":              dump.NoValue,
	"skip-events":                 dump.NoValue,
	"skip-extended-insert":        dump.NoValue,
	"skip-routines":               dump.NoValue,
	"skip-set-charset":            dump.NoValue,
	"skip-ssl":                    dump.NoValue,
	"skip-triggers":               dump.NoValue,
	"skip-tz-utc":                 dump.NoValue,
	"ssl":                         dump.NoValue,
	"ssl-ca":                      dump.WithValue,
	"ssl-capath":                  dump.WithValue,
	"ssl-cert":                    dump.WithValue,
	"ssl-cipher":                  dump.WithValue,
	"ssl-crl":                     dump.WithValue,
	"ssl-crlpath":                 dump.WithValue,
	"ssl-key":                     dump.WithValue,
	"ssl-mode":                    dump.WithValue,
	"ssl-verify-server-cert":      dump.NoValue,
	"tls-version":                 dump.WithValue,
	"where":                       dump.WithValue,
	"zstd-compression-level":      dump.WithValue,
	"skip-ssl-verify-server-cert": dump.NoValue,
}

// ValidateDumpOptions checks opts against AllowedDumpOptions.
func ValidateDumpOptions(opts []string) error {
	return dump.CheckOptions(opts, AllowedDumpOptions)
}

// ValidateDatabaseName rejects names the tools could read as an option or
// that cannot name a MySQL/MariaDB database.
func ValidateDatabaseName(db string) error {
	switch {
	case db == "":
		return errors.New("empty database name")
	case len(db) > 64:
		return fmt.Errorf("database name %q: longer than 64 bytes", db)
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
