// Package redact is the one owner of redaction. Secrets removes passwords,
// tokens and credentials from text that leaves the process (child stderr,
// recorded errors, notifications); Text also removes internal details (URLs,
// DSNs, paths) before a text is shown to a client (API error bodies, web
// pages). The texts are meant to be safe already; this is the second line
// of defence, shared so that every surface hides the same things.
package redact

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Patterns of what Text hides.
var (
	redactURL = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)
	// Any key ending in a secret's name: password=, PGPASSWORD=, MYSQL_PWD=,
	// api_token:, DB_DSN= ... The optional first group catches MySQL's
	// "(using password: YES)", which says no more than whether a password
	// was sent (passwordFlag).
	redactSecret = regexp.MustCompile(`(?i)(\busing\s+)?\b([\w.-]*(?:password|passwd|pwd|secret|token|dsn|identity|key_file|access_key_id|secret_access_key)|pass)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;)]+)`)
	redactDSN    = regexp.MustCompile(`[^\s:@/"'()]+:[^\s@"']*@[^\s"']+`)
	redactPath   = regexp.MustCompile(`(^|[\s"'(=,\[])(/[^\s"'(),\[\]]+|[A-Za-z]:\\[^\s"'(),\[\]]+)`)
)

// Text removes what may be a URL, a DSN, a secret assignment or an absolute
// file path from a text shown to a client or a person, and then what
// Secrets removes.
func Text(s string) string {
	s = redactURL.ReplaceAllString(s, "<url>")
	s = redactSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := redactSecret.FindStringSubmatch(m)
		if passwordFlag(sub[1], sub[2]+sub[3], sub[4]) {
			return m
		}
		return sub[1] + sub[2] + sub[3] + Marker
	})
	s = redactDSN.ReplaceAllString(s, "<dsn>")
	s = redactPath.ReplaceAllStringFunc(s, func(m string) string {
		sub := redactPath.FindStringSubmatch(m)
		tail := ""
		p := sub[2]
		for strings.HasSuffix(p, ":") || strings.HasSuffix(p, ".") {
			tail = p[len(p)-1:] + tail
			p = p[:len(p)-1]
		}
		return sub[1] + "<path>" + tail
	})
	return Secrets(s)
}

// TextKeeping is Text of s, except that each occurrence of a string of keep
// is left whole: names known to hold no secret that Text could take in part
// for something to hide, such as a job's "server/database/type" whose
// database name ends with a quote ("my/a\"b\"/daily" is no path). Text
// still hides what surrounds them, and a kept name inside what it hides (a
// secret's value, a URL) is hidden with it.
func TextKeeping(s string, keep ...string) string {
	keep = slices.DeleteFunc(slices.Clone(keep), func(k string) bool { return k == "" })
	if len(keep) == 0 {
		return Text(s)
	}
	// The longest first, so that a name holding another is kept whole.
	slices.SortStableFunc(keep, func(a, b string) int { return len(b) - len(a) })
	var hide, show []string
	for i, k := range keep {
		// A mark Text leaves alone where it stands alone: no space,
		// slash, quote, colon or "@".
		mark := keepOpen + strconv.Itoa(i) + keepClose
		hide, show = append(hide, k, mark), append(show, mark, k)
	}
	s = strings.NewReplacer(hide...).Replace(s)
	return strings.NewReplacer(show...).Replace(Text(s))
}

// The ends of TextKeeping's marks: private-use characters.
const (
	keepOpen  = "\uE000"
	keepClose = "\uE001"
)
