package notify

import "regexp"

// redacted replaces every secret Redact finds.
const redacted = "<redacted>"

var (
	// password=..., password: "...", PGPASSWORD=..., --password=..., pwd=...,
	// secret_access_key=..., token=..., api_key=...
	assignmentPattern = regexp.MustCompile(`(?i)\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)`)
	// scheme://user:secret@host (greedy up to the last @ of the word, so a
	// password holding "@" is not half shown)
	urlPasswordPattern = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)\S*@`)
	// user:secret@tcp(host:3306)/db, the MySQL driver's DSN form
	mysqlDSNPattern = regexp.MustCompile(`([\w.-]*:)[^\s@]*@(tcp|tcp6|unix|udp)\(`)
	// -pSECRET as the mysql clients echo their argv
	shortPasswordPattern = regexp.MustCompile(`(^|\s)(-p)\S+`)
	// Authorization: Bearer xyz / Basic xyz
	authPattern = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}`)
)

// Redact masks what looks like a secret in s: password, pwd, secret, token
// and key assignments, the password of a URL or MySQL DSN, a "-pSECRET"
// argument and bearer/basic credentials. The runner already redacts the
// errors it records; notifications leave the process, so they are redacted
// again here (defence in depth). It over-masks rather than under-masks.
func Redact(s string) string {
	s = assignmentPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := assignmentPattern.FindStringSubmatch(m)
		switch sub[2] {
		case "YES)", "NO)": // MySQL's "(using password: YES)" holds no secret
			return m
		}
		return sub[1] + redacted
	})
	s = urlPasswordPattern.ReplaceAllString(s, "${1}"+redacted+"@")
	s = mysqlDSNPattern.ReplaceAllString(s, "${1}"+redacted+"@${2}(")
	s = shortPasswordPattern.ReplaceAllString(s, "${1}${2}"+redacted)
	s = authPattern.ReplaceAllString(s, "${1} "+redacted)
	return s
}
