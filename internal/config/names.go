package config

import (
	"fmt"
	"regexp"
	"strings"
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

const maxNameLen = 64

// name checks a server, storage, backup type or token name: required, safe to
// use in file names and object keys, and unique among seen (name -> path of
// its first use), which it updates.
func (c *checker) name(path, name, kind string, seen map[string]string) {
	switch {
	case name == "":
		c.ps.add(path, "required")
		return
	case !namePattern.MatchString(name):
		c.ps.addf(path, "invalid %s name %q: must match %s", kind, name, namePattern)
		return
	case len(name) > maxNameLen:
		c.ps.addf(path, "invalid %s name %q: longer than %d characters", kind, name, maxNameLen)
		return
	}
	if first, dup := seen[name]; dup {
		c.ps.addf(path, "duplicate %s name %q (first used at %s)", kind, name, first)
		return
	}
	seen[name] = path
}

// databaseProblem explains why name cannot be a database name, or returns "".
// The rules keep names safe as path and object-key elements.
func databaseProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case name == "." || name == "..":
		return fmt.Sprintf("invalid database name %q", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Sprintf("invalid database name %q: must not contain /, \\ or NUL", name)
	case len(name) > maxNameLen:
		return fmt.Sprintf("invalid database name %q: longer than %d characters", name, maxNameLen)
	}
	return ""
}
