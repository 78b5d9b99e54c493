// Package dumpoptions holds the allow-lists of the extra options a
// configuration may pass to the dump tools (dump_options), one Set per server
// type. It depends on no database driver: the configuration checks options
// against these lists when it is loaded, and the dump engines check them
// again before every dump, so the two can never disagree.
package dumpoptions

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Arg says how an allowed option is written: "--name" when it takes no
// value, "--name=value" as one argv element when it does. A value is never
// empty and never holds NUL, CR or LF; Check, when set, must accept it too.
type Arg struct {
	Value bool                    // the option takes a value
	Check func(value string) bool // optional further check of the value
}

// Option argument kinds without a value check.
var (
	NoValue   = Arg{}            // --name
	WithValue = Arg{Value: true} // --name=value, any value
)

// ValueOf is an option written "--name=value" whose value check accepts.
func ValueOf(check func(value string) bool) Arg {
	return Arg{Value: true, Check: check}
}

// Reasons shared by the engines' refusal lists.
const (
	ReasonMarker      = "it removes the end-of-dump marker that proves a dump is complete"
	ReasonDestination = "the dump's destination is managed by gosqlguard"
	ReasonFormat      = "the dump format is fixed so that every backup restores the same way"
	ReasonPassword    = "set the password with password or password_file"
	ReasonConnection  = "connection settings come from the server's entry"
	ReasonDatabase    = "gosqlguard names the database to dump"
)

// Set is the one allow-list of extra options for an engine's dump
// tool. The configuration is checked against it when it is loaded, and
// every dump checks its options again before the tool runs.
//
// Names are exact long option names without the leading "--": the tools
// accept unique prefixes ("--result-fil=x"), so anything not listed
// verbatim is refused. Error messages name the option but never its value,
// which could be a password.
type Set struct {
	Engine  string            // server type for messages: "mysql", "postgres"
	Example string            // an allowed option, shown when an argument is not a long option
	Allowed map[string]Arg    // by name without "--"
	Refused map[string]string // why some well-known options are not allowed, by name without "--"
}

// CheckOption returns nil when opt may be passed to the dump tool, else an
// error saying why not.
func (s *Set) CheckOption(opt string) error {
	if !strings.HasPrefix(opt, "--") {
		return fmt.Errorf("must be a long option such as %s (short options and arguments are not allowed)", s.Example)
	}
	name, value, hasValue := strings.Cut(opt[2:], "=")
	// "--name value" in one element: show the name only, and refuse.
	spaced := false
	if i := strings.IndexAny(name, " \t"); i >= 0 {
		name, spaced = name[:i], true
	}
	if !optionName.MatchString(name) {
		return errors.New("must be written --name or --name=value, the name made of letters, digits and '-'")
	}
	arg, ok := s.Allowed[name]
	if !ok {
		if why := s.Refused[strings.ReplaceAll(name, "_", "-")]; why != "" {
			return fmt.Errorf("--%s is not allowed: %s", name, why)
		}
		if alt := strings.ReplaceAll(name, "_", "-"); alt != name {
			if _, ok := s.Allowed[alt]; ok {
				return fmt.Errorf("--%s must be written --%s", name, alt)
			}
		}
		return fmt.Errorf("--%s is not allowed for %s servers", name, s.Engine)
	}
	switch {
	case !arg.Value && (hasValue || spaced):
		return fmt.Errorf("--%s takes no value", name)
	case !arg.Value:
		return nil
	case !hasValue || spaced:
		return fmt.Errorf("--%s needs a value, written --%s=VALUE", name, name)
	case value == "" || strings.ContainsAny(value, "\x00\r\n") || arg.Check != nil && !arg.Check(value):
		return fmt.Errorf("invalid value for --%s", name)
	}
	return nil
}

// CheckOptions checks every option with CheckOption.
func (s *Set) CheckOptions(opts []string) error {
	for i, o := range opts {
		if err := s.CheckOption(o); err != nil {
			return fmt.Errorf("dump option %d: %w", i+1, err)
		}
	}
	return nil
}

var optionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// OneOf accepts exactly one of values.
func OneOf(values ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range values {
			if v == w {
				return true
			}
		}
		return false
	}
}

// OneOfFold accepts one of values, ignoring case.
func OneOfFold(values ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range values {
			if strings.EqualFold(v, w) {
				return true
			}
		}
		return false
	}
}

// IntRange accepts a decimal integer from lo to hi.
func IntRange(lo, hi int) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}
}

// Matches accepts values the regular expression matches; anchor it.
func Matches(expr string) func(string) bool {
	return regexp.MustCompile(expr).MatchString
}
