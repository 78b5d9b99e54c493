package dump

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// DrillPrefix starts the name of every database a restore drill restores
// into. Such names cannot be confused with a user's database, are never
// listed as databases to back up, and are the only ones DropDrill drops.
const DrillPrefix = "gosqlguard_drill_"

var drillName = regexp.MustCompile(`^gosqlguard_drill_[0-9a-f]{12}$`)

// ScratchPrefix starts the name of every database a restore loads into
// before it puts the result in place, and HoldPrefix the names a MariaDB
// restore gives the replaced tables until they are dropped.
const (
	ScratchPrefix = "gosqlguard_scratch_"
	HoldPrefix    = "gosqlguard_hold_"
)

// NewDrillName returns a fresh drill database name: DrillPrefix and 12
// random hex digits (29 bytes, within every engine's limit).
func NewDrillName() string { return DrillPrefix + RandomTag(6) }

// NewScratchName returns a fresh scratch database name: ScratchPrefix and
// 12 random hex digits.
func NewScratchName() string { return ScratchPrefix + RandomTag(6) }

// RandomTag returns n random bytes as 2n hex digits, for names no one else
// has.
func RandomTag(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on Linux
	}
	return hex.EncodeToString(b)
}

// IsDrillName reports whether name is one NewDrillName makes; nothing else
// is ever dropped as a drill's leftover.
func IsDrillName(name string) bool { return drillName.MatchString(name) }

// reservedPrefixes start the names of the databases and tables restores and
// drills make for themselves; a restore never targets such a name.
var reservedPrefixes = []string{ScratchPrefix, HoldPrefix, DrillPrefix}

// ReservedName reports whether name belongs to gosqlguard's own scratch,
// hold or drill objects, which no restore may target.
func ReservedName(name string) bool {
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(strings.ToLower(name), p) {
			return true
		}
	}
	return false
}

// CheckReservedTarget refuses a restore into one of gosqlguard's own
// scratch, hold or drill names; only a drill (opts.Drill) may restore into a
// fresh drill name, and never replace one (opts.Force).
func CheckReservedTarget(db string, opts RestoreOptions) error {
	if !ReservedName(db) || opts.Drill && !opts.Force && IsDrillName(db) {
		return nil
	}
	return fmt.Errorf("names starting with %s, %s or %s are reserved for gosqlguard's own scratch databases; restore into another database",
		ScratchPrefix, HoldPrefix, DrillPrefix)
}
