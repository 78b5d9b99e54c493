package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A dump option is allowed when it only changes what goes into the dump, never
// where the dump goes, its format, the connection or the credentials: those
// are the dumper's, and the end-of-dump marker it checks must stay. Each entry
// is one argv element, so options with a value are written "--name=value".
// A nil check means the option takes no value.
var dumpOptions = map[string]map[string]func(string) bool{
	TypeMySQL: {
		"--complete-insert":       nil,
		"--extended-insert":       nil,
		"--skip-extended-insert":  nil,
		"--no-tablespaces":        nil,
		"--hex-blob":              nil,
		"--order-by-primary":      nil,
		"--routines":              nil,
		"--events":                nil,
		"--triggers":              nil,
		"--skip-triggers":         nil,
		"--skip-dump-date":        nil,
		"--ignore-table":          isQualifiedTable,
		"--max-allowed-packet":    isBufferSize,
		"--net-buffer-length":     isBufferSize,
		"--column-statistics":     oneOf("0", "1"),
		"--set-gtid-purged":       oneOf("OFF", "ON", "AUTO", "COMMENTED"),
		"--default-character-set": regexp.MustCompile(`^[a-z0-9_]+$`).MatchString,
	},
	TypePostgres: {
		"--no-owner":                nil,
		"--no-privileges":           nil,
		"--no-acl":                  nil,
		"--no-comments":             nil,
		"--no-publications":         nil,
		"--no-subscriptions":        nil,
		"--no-security-labels":      nil,
		"--no-tablespaces":          nil,
		"--no-unlogged-table-data":  nil,
		"--quote-all-identifiers":   nil,
		"--load-via-partition-root": nil,
		"--exclude-table":           isPattern,
		"--exclude-table-data":      isPattern,
		"--exclude-schema":          isPattern,
		"--schema":                  isPattern,
		"--table":                   isPattern,
		"--lock-wait-timeout":       regexp.MustCompile(`^[0-9]+(ms|s|min|h)?$`).MatchString,
		"--extra-float-digits":      isFloatDigits,
	},
}

// refusedWhy explains the refusals users are most likely to run into.
var refusedWhy = map[string]string{
	"--compact":       "it removes the end-of-dump marker that proves a dump is complete",
	"--skip-comments": "it removes the end-of-dump marker that proves a dump is complete",
	"--result-file":   "the dump's destination is managed by gosqlguard",
	"--file":          "the dump's destination is managed by gosqlguard",
	"--format":        "the dump format is fixed so that every backup restores the same way",
	"--compress":      "compression is set with compression.codec",
	"--password":      "set the password with password or password_file",
	"--defaults-file": "connection settings come from the server's entry",
}

// AllowedDumpOption reports whether opt may be passed to the dump tool of a
// server of the given type (mysql or postgres).
func AllowedDumpOption(serverType, opt string) bool {
	return dumpOptionProblem(serverType, opt) == ""
}

// dumpOptionProblem explains why opt is refused, or returns "". Messages name
// the option but never its value, which could be a password.
func dumpOptionProblem(serverType, opt string) string {
	table, ok := dumpOptions[serverType]
	if !ok {
		return fmt.Sprintf("unknown server type %q", serverType)
	}
	if !strings.HasPrefix(opt, "--") {
		return "must be a long option such as --no-owner (short options and arguments are not allowed)"
	}
	name, value, hasValue := strings.Cut(opt, "=")
	if i := strings.IndexAny(name, " \t"); i >= 0 {
		name = name[:i]
	}
	check, ok := table[name]
	switch {
	case !ok && refusedWhy[name] != "":
		return fmt.Sprintf("%s is not allowed: %s", name, refusedWhy[name])
	case !ok:
		return fmt.Sprintf("%s is not allowed for %s servers", name, serverType)
	case check == nil && hasValue:
		return fmt.Sprintf("%s takes no value", name)
	case check == nil:
		return ""
	case !hasValue:
		return fmt.Sprintf("%s needs a value, written %s=VALUE", name, name)
	case value == "" || strings.ContainsAny(value, "\x00\r\n") || !check(value):
		return fmt.Sprintf("invalid value for %s", name)
	}
	return ""
}

func oneOf(values ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range values {
			if strings.EqualFold(v, w) {
				return true
			}
		}
		return false
	}
}

// isQualifiedTable accepts db.table.
func isQualifiedTable(v string) bool {
	db, table, ok := strings.Cut(v, ".")
	return ok && db != "" && table != ""
}

var bufferSize = regexp.MustCompile(`^[0-9]+[KMGkmg]?$`)

func isBufferSize(v string) bool { return bufferSize.MatchString(v) }

// isPattern accepts a pg_dump name pattern that cannot be mistaken for an option.
func isPattern(v string) bool { return !strings.HasPrefix(v, "-") }

func isFloatDigits(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= -15 && n <= 3
}
