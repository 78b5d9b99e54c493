package config

import (
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/dump/mysql"
	"github.com/gosqlguard/gosqlguard/internal/dump/postgres"
)

// The allow-lists of extra dump options live with the dump engines, which
// check them again before every dump; the configuration uses theirs so that
// the two can never disagree.
var dumpOptionCheck = map[string]func(opt string) error{
	TypeMySQL:    mysql.CheckDumpOption,
	TypePostgres: postgres.CheckDumpOption,
}

// AllowedDumpOption reports whether opt may be passed to the dump tool of a
// server of the given type (mysql or postgres).
func AllowedDumpOption(serverType, opt string) bool {
	return dumpOptionProblem(serverType, opt) == ""
}

// dumpOptionProblem explains why opt is refused, or returns "". Messages name
// the option but never its value, which could be a password.
func dumpOptionProblem(serverType, opt string) string {
	check, ok := dumpOptionCheck[serverType]
	if !ok {
		return fmt.Sprintf("unknown server type %q", serverType)
	}
	if err := check(opt); err != nil {
		return err.Error()
	}
	return ""
}
