// Package dsn reads what can be told of a catalog DSN from its text alone,
// without a database driver, so that the configuration can check it before
// anything connects. No function returns or quotes the DSN: it is a secret.
package dsn

import (
	"errors"
	"net/url"
	"strings"
)

// Form tells which driver a DSN's form is unmistakably for: "postgres" for
// a postgres:// or postgresql:// URL, "mysql" for the Go MySQL driver's
// user:password@tcp(...) or @unix(...) form, "url" for another URL; ""
// when it cannot tell (a file path, libpq key=value pairs).
func Form(s string) string {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "postgres"
	case strings.Contains(s, "@tcp("), strings.Contains(s, "@unix("):
		return "mysql"
	case strings.Contains(s, "://"):
		return "url"
	}
	return ""
}

// ErrUnencoded is returned by CheckPostgresURL for a URL whose user or
// password holds a character that must be percent-encoded there.
var ErrUnencoded = errors.New(`the DSN's user or password holds a character that must be percent-encoded in a postgres:// URL ` +
	`(@ as %40, : as %3A, / as %2F, ? as %3F, # as %23)`)

// CheckPostgresURL refuses a postgres:// URL whose user or password holds
// an unencoded "@", "/", "?" or "#" (ErrUnencoded: the URL would split
// elsewhere, and part of the password be taken for, and named as, the host
// or the database), or that is no valid URL (ErrMalformed). Other DSNs
// pass.
func CheckPostgresURL(s string) error {
	if Form(s) != "postgres" {
		return nil
	}
	_, rest, _ := strings.Cut(s, "://")
	at := strings.Index(rest, "@")
	switch {
	case at < 0:
		return nil // no user information
	case strings.Count(rest, "@") > 1, strings.ContainsAny(rest[:at], "/?#"):
		return ErrUnencoded
	}
	if _, err := url.Parse(s); err != nil {
		return ErrMalformed // not err: its text quotes the URL, password and all
	}
	return nil
}

// ErrMalformed is returned by CheckPostgresURL for a postgres:// DSN that
// is not a valid URL (a port that is not a number, a bad escape).
var ErrMalformed = errors.New("the DSN is not a valid postgres:// URL (postgres://user:password@host:port/dbname?param=value)")
