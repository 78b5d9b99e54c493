package redact

import (
	"regexp"
	"strings"
)

// configSecretKey matches a YAML line whose key names a secret: the indent
// (with a list dash), the key, the colon and the value.
var configSecretKey = regexp.MustCompile(`^(\s*(?:-\s+)?)([A-Za-z0-9_]*(?:password|secret|token|dsn|access_key|url)[A-Za-z0-9_]*)(\s*:\s*)(.*)$`)

// ConfigYAML hides the value of every secret-named key (password, secret,
// token, dsn, access_key, url) in a YAML configuration summary, line by line,
// unless the value is already "<secret>", empty, null or a comment. The
// summary renders secrets as <secret> itself; this catches a field it
// forgot. Keys ending in _file hold a file name, not a secret, and are left
// alone. Other lines are returned unchanged.
func ConfigYAML(yaml string) string {
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
