package mysql

import (
	"regexp"
	"strings"
)

// grants is what SHOW GRANTS says the current user (with its current role)
// may do, reduced to what the dump's privilege check asks.
type grants struct {
	global []string            // privileges ON *.*
	dbs    []dbGrant           // privileges ON `db`.* (the name may hold wildcards)
	tables map[string][]string // privileges ON `db`.`table`, by "db\x00table"
}

type dbGrant struct {
	pattern string // unquoted; % and _ are wildcards, \ escapes
	privs   []string
}

// reGrant matches "GRANT <privileges> ON <object> TO ..."; role grants
// ("GRANT `r` TO ...") and PROXY grants do not match or are ignored.
var reGrant = regexp.MustCompile("^GRANT (.+?) ON ((?:`(?:[^`]|``)*`|\\*)\\.(?:`(?:[^`]|``)*`|\\*)) TO ")

var reObject = regexp.MustCompile("^(`(?:[^`]|``)*`|\\*)\\.(`(?:[^`]|``)*`|\\*)$")

// parseGrants reads SHOW GRANTS lines. Lines it does not understand are
// skipped: the check then asks for more than the user may have, never less.
func parseGrants(lines []string) grants {
	g := grants{tables: map[string][]string{}}
	for _, line := range lines {
		m := reGrant.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		privs := splitPrivileges(m[1])
		o := reObject.FindStringSubmatch(m[2])
		if o == nil {
			continue
		}
		db, table := unquote(o[1]), unquote(o[2])
		switch {
		case o[1] == "*" && o[2] == "*":
			g.global = append(g.global, privs...)
		case o[2] == "*":
			g.dbs = append(g.dbs, dbGrant{pattern: db, privs: privs})
		default:
			k := db + "\x00" + table
			g.tables[k] = append(g.tables[k], privs...)
		}
	}
	return g
}

// splitPrivileges splits "SELECT, INSERT (`a`, `b`), TRIGGER" at the top
// level commas and drops column lists: a column privilege is no table one.
func splitPrivileges(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s + "," {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				p := strings.TrimSpace(s[start:min(i, len(s))])
				if p != "" && !strings.Contains(p, "(") {
					out = append(out, strings.ToUpper(p))
				}
				start = i + 1
			}
		}
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

func hasPriv(privs []string, want string) bool {
	for _, p := range privs {
		if p == want || p == "ALL PRIVILEGES" || p == "ALL" {
			return true
		}
	}
	return false
}

// onDatabase reports whether want is granted on every table of db, globally
// or through a database grant.
func (g grants) onDatabase(want, db string) bool {
	if hasPriv(g.global, want) {
		return true
	}
	for _, d := range g.dbs {
		if hasPriv(d.privs, want) && likeMatch(d.pattern, db) {
			return true
		}
	}
	return false
}

// onTable reports whether want is granted on db.table at any level.
func (g grants) onTable(want, db, table string) bool {
	return g.onDatabase(want, db) || hasPriv(g.tables[db+"\x00"+table], want)
}

// likeMatch matches a database grant's name: % is any run, _ any one
// character, \ escapes the next.
func likeMatch(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(p) {
			switch p[i] {
			case '%':
				for k := j; k <= len(n); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case '_':
				if j >= len(n) {
					return false
				}
			case '\\':
				if i+1 < len(p) {
					i++
				}
				fallthrough
			default:
				if j >= len(n) || n[j] != p[i] {
					return false
				}
			}
			i++
			j++
		}
		return j == len(n)
	}
	return match(0, 0)
}
