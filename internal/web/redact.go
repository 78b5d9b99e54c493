package web

import (
	"regexp"
	"strings"
)

// The Service keeps secrets and paths out of the texts it returns; the UI
// redacts them again before showing them, the same way the JSON API does, as
// a second line of defence. Everything free-text from the Service (backup
// and location errors, job failures, storage errors, verify results) goes
// through redact.
var (
	redactURL = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)
	// Any key ending in a secret's name: password=, PGPASSWORD=, MYSQL_PWD=,
	// api_token:, DB_DSN= ...
	redactSecret = regexp.MustCompile(`(?i)\b([\w.-]*(?:password|passwd|pwd|secret|token|dsn|identity|key_file|access_key_id|secret_access_key)|pass)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;)]+)`)
	redactDSN    = regexp.MustCompile(`[^\s:@/"'()]+:[^\s@"']*@[^\s"']+`)
	redactPath   = regexp.MustCompile(`(^|[\s"'(=,\[])(/[^\s"'(),\[\]]+|[A-Za-z]:\\[^\s"'(),\[\]]+)`)
)

// redact removes what may be a URL, a DSN, a secret assignment or an
// absolute file path from a text shown to a person.
func redact(s string) string {
	s = redactURL.ReplaceAllString(s, "<url>")
	s = redactSecret.ReplaceAllString(s, "$1$2<redacted>")
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
	return s
}

// configSecretKey matches a YAML line whose key names a secret, so that
// redactConfig can check the value is already hidden.
var configSecretKey = regexp.MustCompile(`^(\s*(?:-\s+)?)([A-Za-z0-9_]*(?:password|secret|token|dsn|access_key|url)[A-Za-z0-9_]*)(\s*:\s*)(.*)$`)

// redactConfig hides the value of every secret-named key in a YAML config
// summary that is not already "<secret>" or empty. The app renders secrets as
// <secret> itself; this catches a field it forgot. Keys ending in _file hold
// a file name, not a secret, and are left alone.
func redactConfig(yaml string) string {
	lines := strings.Split(yaml, "\n")
	for i, line := range lines {
		m := configSecretKey.FindStringSubmatch(line)
		if m == nil || strings.HasSuffix(m[2], "_file") {
			continue
		}
		v := strings.TrimSpace(m[4])
		switch strings.Trim(v, `"'`) {
		case "", "<secret>", "null", "~", "[]", "{}":
			continue
		}
		if strings.HasPrefix(v, "#") {
			continue
		}
		lines[i] = m[1] + m[2] + m[3] + "<secret>"
	}
	return strings.Join(lines, "\n")
}
