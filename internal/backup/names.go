package backup

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckDatabaseName refuses database names that cannot safely become one
// element of a storage key: empty, "." or "..", containing a slash, a
// backslash or a control character, not UTF-8, or longer than 128 bytes.
// Names come from the config, from discovery on the server and from API
// requests, so they are checked before they reach a key or a path.
func CheckDatabaseName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid database name %q", name)
	case len(name) > 128 || !utf8.ValidString(name):
		return fmt.Errorf("invalid database name %q: too long or not UTF-8", name)
	case strings.ContainsAny(name, "/\\"):
		return fmt.Errorf("invalid database name %q: contains a slash", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("invalid database name %q: contains a control character", name)
		}
	}
	return nil
}
