package config

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration, located by its YAML path:
// "servers[0].port", "backup_types.daily.schedule". Messages never contain a
// secret value.
type Problem struct {
	Path    string
	Message string
}

// Error returns "path: message", or the message alone for a problem with the
// document as a whole.
func (p Problem) Error() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error is returned by Load and Parse when a configuration has any problem.
// It holds all of them, in the order they appear in the document, and the
// warnings found besides (which alone would not make the config invalid).
type Error struct {
	Problems []Problem
	Warnings []Problem
}

// Error lists the problems, one per line; warnings are not included.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

type position struct{ line, column int }

// located is a problem with the position it is reported at. A problem at a
// path not written in the file (a missing field) is inherited: it takes the
// position of the nearest written ancestor and sorts after the problems
// written on that line.
type located struct {
	Problem
	at        position
	inherited bool
}

// problems collects problems and remembers where each path is written, so
// that problems found after decoding (a missing field, a bad reference) are
// still reported in document order. Only the first problem at a path, or
// below a path that already has one, is kept: a value that failed to decode
// would otherwise be reported again as missing.
type problems struct {
	pos      map[string]position
	list     []located
	warnings []located
}

func newProblems() *problems {
	return &problems{pos: map[string]position{"": {}}}
}

// mark records where path is written in the document.
func (ps *problems) mark(path string, n *yaml.Node) {
	if _, ok := ps.pos[path]; !ok {
		ps.pos[path] = position{n.Line, n.Column}
	}
}

// has reports whether path was written in the document.
func (ps *problems) has(path string) bool {
	_, ok := ps.pos[path]
	return ok
}

func (ps *problems) add(path, message string) {
	for _, l := range ps.list {
		if l.Path == path || strings.HasPrefix(path, l.Path+".") || strings.HasPrefix(path, l.Path+"[") {
			return
		}
	}
	at, exact := ps.locate(path)
	ps.list = append(ps.list, located{Problem{path, message}, at, !exact})
}

func (ps *problems) addf(path, format string, args ...any) {
	ps.add(path, fmt.Sprintf(format, args...))
}

// warnf records a warning: something likely wrong that does not make the
// configuration invalid.
func (ps *problems) warnf(path, format string, args ...any) {
	at, exact := ps.locate(path)
	ps.warnings = append(ps.warnings, located{Problem{path, fmt.Sprintf(format, args...)}, at, !exact})
}

// locate returns the position of path, or of its nearest written ancestor
// with exact false.
func (ps *problems) locate(path string) (at position, exact bool) {
	for exact = true; ; exact = false {
		if p, ok := ps.pos[path]; ok {
			return p, exact
		}
		path = parentPath(path)
	}
}

// err returns the problems as an *Error in document order, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &Error{Problems: inOrder(ps.list), Warnings: ps.warningList()}
}

// warningList returns the warnings in document order, or nil.
func (ps *problems) warningList() []Problem {
	if len(ps.warnings) == 0 {
		return nil
	}
	return inOrder(ps.warnings)
}

// inOrder sorts list by position and returns its problems.
func inOrder(list []located) []Problem {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.at.line != b.at.line {
			return a.at.line < b.at.line
		}
		if a.inherited != b.inherited {
			return b.inherited
		}
		return a.at.column < b.at.column
	})
	out := make([]Problem, len(list))
	for i, l := range list {
		out[i] = l.Problem
	}
	return out
}

// parentPath strips the last element: "a.b[2]" -> "a.b" -> "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// joinPath appends a mapping key to a path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
