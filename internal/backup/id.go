package backup

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"
)

// idPattern matches IDs made by NewID: UTC time to the millisecond, then 6 random bytes.
// Lexical order of IDs is chronological order.
var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[0-9a-f]{12}$`)

// NewID returns a unique, time-sortable backup ID for t.
func NewID(t time.Time) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on Linux
	}
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID makes; IDs reach keys and paths, so
// nothing else is accepted.
func ValidID(id string) bool { return idPattern.MatchString(id) }
