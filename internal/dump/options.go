package dump

import (
	"fmt"
	"strings"
)

// Arg says whether an allowed option takes a value.
type Arg int

// Option argument kinds.
const (
	NoValue   Arg = iota // --name
	WithValue            // --name=value
)

// CheckOptions checks extra dump options against an allow-list of exact long
// option names. Each option must be "--name" or "--name=value" as the list
// says: no short options, no separate values, no positional arguments. Exact
// names matter because the tools accept unique prefixes ("--result-fil=x").
func CheckOptions(opts []string, allowed map[string]Arg) error {
	for _, o := range opts {
		if strings.ContainsRune(o, 0) {
			return fmt.Errorf("dump option %q: contains NUL", o)
		}
		if !strings.HasPrefix(o, "--") || len(o) == 2 {
			return fmt.Errorf("dump option %q: want --name or --name=value", o)
		}
		name, _, hasValue := strings.Cut(o[2:], "=")
		kind, ok := allowed[name]
		switch {
		case !ok:
			return fmt.Errorf("dump option %q: not allowed", o)
		case kind == WithValue && !hasValue:
			return fmt.Errorf("dump option %q: needs a value (--%s=...)", o, name)
		case kind == NoValue && hasValue:
			return fmt.Errorf("dump option %q: takes no value", o)
		}
	}
	return nil
}
