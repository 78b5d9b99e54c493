// Package redact is the one owner of redaction. Secrets removes passwords,
// tokens and credentials from text that leaves the process (child stderr,
// recorded errors, notifications); Text also removes internal details (URLs,
// DSNs, paths) before a text is shown to a client (API error bodies, web
// pages). The texts are meant to be safe already; this is the second line
// of defence, shared so that every surface hides the same things.
package redact

import (
	"regexp"
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
