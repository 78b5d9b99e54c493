package config

import (
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// The allow-lists of extra dump options live in a package without database
// drivers that the dump engines read too, and they check them again before
// every dump; so the two can never disagree.
var dumpOptionSets = map[string]*dumpoptions.Set{
	TypeMySQL:    dumpoptions.MySQL,
	TypePostgres: dumpoptions.Postgres,
}

// AllowedDumpOption reports whether opt may be passed to the dump tool of a
// server of the given type (mysql or postgres).
func AllowedDumpOption(serverType, opt string) bool {
	return dumpOptionProblem(serverType, opt) == ""
}

// dumpOptionProblem explains why opt is refused, or returns "". Messages name
// the option but never its value, which could be a password.
func dumpOptionProblem(serverType, opt string) string {
	set, ok := dumpOptionSets[serverType]
	if !ok {
		return fmt.Sprintf("unknown server type %q", serverType)
	}
	if err := set.CheckOption(opt); err != nil {
		return err.Error()
	}
	return ""
}
