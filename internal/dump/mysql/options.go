package mysql

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// AllowedDumpOptions are the extra options a configuration may pass to
// mariadb-dump / mysqldump (Conn.DumpOptions): options that change what goes
// into the dump, never where it goes, its shape, the connection's target or
// the credentials. Anything that would move the output off stdout, change its
// shape (--xml, --tab, --databases), drop the completion marker (--compact,
// --skip-comments), keep going after errors (--force), change the server
// (--flush-logs) or touch credentials and option files is absent on purpose;
// refusedDumpOptions says why for the common ones. The configuration is
// checked against this list when loaded, and every dump checks it again.
var AllowedDumpOptions = map[string]dump.Arg{
	"add-drop-trigger":            dump.NoValue,
	"add-locks":                   dump.NoValue,
	"allow-keywords":              dump.NoValue,
	"column-statistics":           dump.ValueOf(dump.OneOf("0", "1")),
	"complete-insert":             dump.NoValue,
	"compress":                    dump.NoValue, // client/server protocol compression
	"compression-algorithms":      dump.ValueOf(dump.Matches(`^(?i)(zlib|zstd|uncompressed)(,(zlib|zstd|uncompressed))*$`)),
	"create-options":              dump.NoValue,
	"default-character-set":       dump.ValueOf(dump.Matches(`^[a-z0-9_]+$`)),
	"disable-keys":                dump.NoValue,
	"dump-history":                dump.NoValue,
	"events":                      dump.NoValue,
	"extended-insert":             dump.NoValue,
	"flush-privileges":            dump.NoValue,
	"hex-blob":                    dump.NoValue,
	"ignore-table":                dump.ValueOf(isQualifiedTable),
	"ignore-table-data":           dump.ValueOf(isQualifiedTable),
	"insert-ignore":               dump.NoValue,
	"max-allowed-packet":          dump.ValueOf(isBufferSize),
	"net-buffer-length":           dump.ValueOf(isBufferSize),
	"no-autocommit":               dump.NoValue,
	"no-create-info":              dump.NoValue,
	"no-data":                     dump.NoValue,
	"no-tablespaces":              dump.NoValue,
	"order-by-primary":            dump.NoValue,
	"replace":                     dump.NoValue,
	"routines":                    dump.NoValue,
	"set-gtid-purged":             dump.ValueOf(dump.OneOfFold("OFF", "ON", "AUTO", "COMMENTED")),
	"skip-add-drop-table":         dump.NoValue,
	"skip-add-locks":              dump.NoValue,
	"skip-column-statistics":      dump.NoValue,
	"skip-create-options":         dump.NoValue,
	"skip-disable-keys":           dump.NoValue,
	"skip-dump-history":           dump.NoValue,
	"skip-dump-date":              dump.NoValue,
	"skip-events":                 dump.NoValue,
	"skip-extended-insert":        dump.NoValue,
	"skip-routines":               dump.NoValue,
	"skip-set-charset":            dump.NoValue,
	"skip-ssl":                    dump.NoValue,
	"skip-ssl-verify-server-cert": dump.NoValue,
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
	"ssl-mode":                    dump.ValueOf(dump.OneOfFold("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")),
	"ssl-verify-server-cert":      dump.NoValue,
	"tls-version":                 dump.ValueOf(dump.Matches(`^TLSv1(\.[0-3])?(,TLSv1(\.[0-3])?)*$`)),
	"triggers":                    dump.NoValue,
	"where":                       dump.WithValue,
	"zstd-compression-level":      dump.ValueOf(dump.IntRange(1, 22)),
}

// refusedDumpOptions explains the refusals users are most likely to run into.
var refusedDumpOptions = map[string]string{
	"compact":             dump.ReasonMarker,
	"skip-comments":       dump.ReasonMarker,
	"result-file":         dump.ReasonDestination,
	"tab":                 dump.ReasonDestination,
	"xml":                 dump.ReasonFormat,
	"databases":           dump.ReasonDatabase,
	"all-databases":       dump.ReasonDatabase,
	"force":               "a dump that hit an error must fail, not look complete",
	"flush-logs":          "it changes the server: it rotates the binary log and may take a global read lock",
	"password":            dump.ReasonPassword,
	"defaults-file":       dump.ReasonConnection,
	"defaults-extra-file": dump.ReasonConnection,
	"login-path":          dump.ReasonConnection,
	"no-defaults":         dump.ReasonConnection,
	"host":                dump.ReasonConnection,
	"port":                dump.ReasonConnection,
	"socket":              dump.ReasonConnection,
	"protocol":            dump.ReasonConnection,
	"user":                dump.ReasonConnection,
}

var dumpOptions = &dump.OptionSet{
	Engine:  "mysql",
	Example: "--skip-extended-insert",
	Allowed: AllowedDumpOptions,
	Refused: refusedDumpOptions,
}

// CheckDumpOption returns nil when opt may be passed to the dump tool, else
// an error that names the option, never its value, and says why not.
func CheckDumpOption(opt string) error {
	return dumpOptions.CheckOption(opt)
}

// ValidateDumpOptions checks opts against AllowedDumpOptions.
func ValidateDumpOptions(opts []string) error {
	return dumpOptions.CheckOptions(opts)
}

// isQualifiedTable accepts db.table.
func isQualifiedTable(v string) bool {
	db, table, ok := strings.Cut(v, ".")
	return ok && db != "" && table != ""
}

// isBufferSize accepts a byte count with an optional K, M or G suffix.
var isBufferSize = dump.Matches(`^[0-9]+[KMGkmg]?$`)

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
