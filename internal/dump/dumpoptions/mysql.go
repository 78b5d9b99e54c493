package dumpoptions

import "strings"

// allowedMySQL are the extra options a configuration may pass to
// mariadb-dump / mysqldump (dump_options): options that change what goes
// into the dump, never where it goes, its shape, the connection's target or
// the credentials. Anything that would move the output off stdout, change its
// shape (--xml, --tab, --databases), drop the completion marker (--compact,
// --skip-comments), keep going after errors (--force), change the server
// (--flush-logs) or touch credentials and option files is absent on purpose;
// refusedMySQL says why for the common ones. The configuration is
// checked against this list when loaded, and every dump checks it again.
var allowedMySQL = map[string]Arg{
	"add-drop-trigger":            NoValue,
	"add-locks":                   NoValue,
	"allow-keywords":              NoValue,
	"column-statistics":           ValueOf(OneOf("0", "1")),
	"complete-insert":             NoValue,
	"compress":                    NoValue, // client/server protocol compression
	"compression-algorithms":      ValueOf(Matches(`^(?i)(zlib|zstd|uncompressed)(,(zlib|zstd|uncompressed))*$`)),
	"create-options":              NoValue,
	"default-character-set":       ValueOf(Matches(`^[a-z0-9_]+$`)),
	"disable-keys":                NoValue,
	"dump-history":                NoValue,
	"events":                      NoValue,
	"extended-insert":             NoValue,
	"flush-privileges":            NoValue,
	"hex-blob":                    NoValue,
	"ignore-table":                ValueOf(isQualifiedTable),
	"ignore-table-data":           ValueOf(isQualifiedTable),
	"insert-ignore":               NoValue,
	"max-allowed-packet":          ValueOf(isBufferSize),
	"net-buffer-length":           ValueOf(isBufferSize),
	"no-autocommit":               NoValue,
	"no-create-info":              NoValue,
	"no-data":                     NoValue,
	"no-tablespaces":              NoValue,
	"order-by-primary":            NoValue,
	"replace":                     NoValue,
	"routines":                    NoValue,
	"set-gtid-purged":             ValueOf(OneOfFold("OFF", "ON", "AUTO", "COMMENTED")),
	"skip-add-drop-table":         NoValue,
	"skip-add-locks":              NoValue,
	"skip-column-statistics":      NoValue,
	"skip-create-options":         NoValue,
	"skip-disable-keys":           NoValue,
	"skip-dump-history":           NoValue,
	"skip-dump-date":              NoValue,
	"skip-events":                 NoValue,
	"skip-extended-insert":        NoValue,
	"skip-routines":               NoValue,
	"skip-set-charset":            NoValue,
	"skip-ssl":                    NoValue,
	"skip-ssl-verify-server-cert": NoValue,
	"skip-triggers":               NoValue,
	"skip-tz-utc":                 NoValue,
	"ssl":                         NoValue,
	"ssl-ca":                      WithValue,
	"ssl-capath":                  WithValue,
	"ssl-cert":                    WithValue,
	"ssl-cipher":                  WithValue,
	"ssl-crl":                     WithValue,
	"ssl-crlpath":                 WithValue,
	"ssl-key":                     WithValue,
	"ssl-mode":                    ValueOf(OneOfFold("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")),
	"ssl-verify-server-cert":      NoValue,
	"tls-version":                 ValueOf(Matches(`^TLSv1(\.[0-3])?(,TLSv1(\.[0-3])?)*$`)),
	"triggers":                    NoValue,
	"where":                       WithValue,
	"zstd-compression-level":      ValueOf(IntRange(1, 22)),
}

// refusedMySQL explains the refusals users are most likely to run into.
var refusedMySQL = map[string]string{
	"compact":             ReasonMarker,
	"skip-comments":       ReasonMarker,
	"result-file":         ReasonDestination,
	"tab":                 ReasonDestination,
	"xml":                 ReasonFormat,
	"databases":           ReasonDatabase,
	"all-databases":       ReasonDatabase,
	"force":               "a dump that hit an error must fail, not look complete",
	"flush-logs":          "it changes the server: it rotates the binary log and may take a global read lock",
	"password":            ReasonPassword,
	"defaults-file":       ReasonConnection,
	"defaults-extra-file": ReasonConnection,
	"login-path":          ReasonConnection,
	"no-defaults":         ReasonConnection,
	"host":                ReasonConnection,
	"port":                ReasonConnection,
	"socket":              ReasonConnection,
	"protocol":            ReasonConnection,
	"user":                ReasonConnection,
}

// MySQL is the allow-list of mariadb-dump / mysqldump.
var MySQL = &Set{
	Engine:  "mysql",
	Example: "--skip-extended-insert",
	Allowed: allowedMySQL,
	Refused: refusedMySQL,
}

// isQualifiedTable accepts db.table.
func isQualifiedTable(v string) bool {
	db, table, ok := strings.Cut(v, ".")
	return ok && db != "" && table != ""
}

// isBufferSize accepts a byte count with an optional K, M or G suffix.
var isBufferSize = Matches(`^[0-9]+[KMGkmg]?$`)
