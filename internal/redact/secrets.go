package redact

import (
	"regexp"
	"strings"
)

// Marker replaces every secret Secrets finds.
const Marker = "<redacted>"

// Patterns of what Secrets hides.
var (
	// password=..., password: "...", PGPASSWORD=..., --password=..., pwd=...,
	// secret_access_key=..., token=..., api_key=..., db_dsn=...
	// The optional first group catches MySQL's "(using password: YES)"
	// (passwordFlag).
	assignmentPattern = regexp.MustCompile(`(?i)(\busing\s+)?\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|dsn|key[_-]?file)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)`)
	// scheme://user:secret@host (greedy up to the last @ of the word, so a
	// password holding "@" is not half shown)
	urlPasswordPattern = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)\S*@`)
	// user:secret@tcp(host:3306)/db, the MySQL driver's DSN form (a secret
	// does not start with "/", so that a URL's scheme is not taken for a user)
	mysqlDSNPattern = regexp.MustCompile(`([\w.-]*:)(?:[^\s@/][^\s@]*)?@(tcp|tcp6|unix|udp)\(`)
	// -pSECRET as the mysql clients echo their argv
	shortPasswordPattern = regexp.MustCompile(`(^|\s)(-p)\S+`)
	// Authorization: Bearer xyz / Basic xyz
	authPattern = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}`)
)

// Secrets replaces with Marker every non-empty known secret in s (a
// password, a URL), then whatever looks like one: password, pwd, secret,
// token, key and DSN assignments, the password of a URL or of a MySQL DSN, a
// "-pSECRET" argument and bearer/basic credentials. Unlike Text it keeps
// URLs, paths and hosts, so that an error stays useful in logs and
// notifications. It over-masks rather than under-masks.
func Secrets(s string, known ...string) string {
	for _, k := range known {
		if k != "" {
			s = strings.ReplaceAll(s, k, Marker)
		}
	}
	s = assignmentPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := assignmentPattern.FindStringSubmatch(m)
		if passwordFlag(sub[1], sub[2], sub[3]) {
			return m
		}
		value, tail := sub[3], ""
		if strings.HasSuffix(value, ")") && !strings.Contains(value, "(") {
			// "(password=x)": the parenthesis closes the text around it
			value, tail = value[:len(value)-1], ")"
		}
		return sub[1] + sub[2] + Marker + tail
	})
	s = urlPasswordPattern.ReplaceAllString(s, "${1}"+Marker+"@")
	s = mysqlDSNPattern.ReplaceAllString(s, "${1}"+Marker+"@${2}(")
	s = shortPasswordPattern.ReplaceAllString(s, "${1}${2}"+Marker)
	s = authPattern.ReplaceAllString(s, "${1} "+Marker)
	return s
}

// mysqlPasswordFlag is the value of MySQL's "Access denied for user
// 'u'@'h' (using password: YES)": YES or NO, the closing parenthesis, and
// what may close a quotation around the message.
var mysqlPasswordFlag = regexp.MustCompile(`^(?:YES|NO)(?:\)["'.,:]*)?$`)

// passwordFlag reports whether an assignment match, split into the word
// "using" before it (or ""), its key with separator and its value, is
// MySQL's "using password: YES" (or NO): it tells whether a password was
// sent, not which, and is the most useful part of the message. Only that
// exact phrase is kept: "password: YES" alone, or "using password: YESx",
// are masked as any other assignment.
func passwordFlag(using, key, value string) bool {
	return using != "" && strings.EqualFold(strings.TrimRight(key, ": \t"), "password") &&
		strings.HasSuffix(strings.TrimRight(key, " \t"), ":") && mysqlPasswordFlag.MatchString(value)
}

// Error returns err unchanged unless its message holds one of known or
// something Secrets hides; then it returns an error carrying only the
// redacted message (deliberately not wrapping err, whose text holds the
// secret). Error(nil) is nil.
func Error(err error, known ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := Secrets(msg, known...)
	if red == msg {
		return err
	}
	return redactedError(red)
}

type redactedError string

func (e redactedError) Error() string { return string(e) }
