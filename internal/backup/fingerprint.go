package backup

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Fingerprint summarizes what a dump holds, counted from the dump itself as
// it streams (the dump's own snapshot, not a later count): rows per table and
// how many objects of each kind. A restore drill counts the restored database
// the same way and compares.
type Fingerprint struct {
	// Rows is the number of rows per table, keyed by the table's name
	// (PostgreSQL: "schema.table", both unquoted). Tables without rows are
	// listed with 0.
	Rows map[string]int64 `json:"rows"`
	// Objects counts objects by kind. MariaDB/MySQL: tables, views,
	// sequences, routines (functions and procedures), triggers, events.
	// PostgreSQL: schemas (without public), tables (with partitions),
	// sequences, views, materialized_views, functions (with procedures and
	// aggregates), types (with domains), extensions (those pg_dump writes),
	// large_objects.
	Objects map[string]int64 `json:"objects"`
}

// Differences lists, sorted, every way got differs from f ("table
// shop.orders: 41 rows, want 42"); none means they match.
func (f Fingerprint) Differences(got Fingerprint) []string {
	var out []string
	for _, key := range unionKeys(f.Rows, got.Rows) {
		want, inWant := f.Rows[key]
		have, inGot := got.Rows[key]
		k := printable(key)
		switch {
		case !inGot:
			out = append(out, fmt.Sprintf("table %s: missing, want %d rows", k, want))
		case !inWant:
			out = append(out, fmt.Sprintf("table %s: not in the backup, restored with %d rows", k, have))
		case want != have:
			out = append(out, fmt.Sprintf("table %s: %d rows, want %d", k, have, want))
		}
	}
	for _, k := range unionKeys(f.Objects, got.Objects) {
		if f.Objects[k] != got.Objects[k] {
			out = append(out, fmt.Sprintf("%s: %d, want %d", k, got.Objects[k], f.Objects[k]))
		}
	}
	return out
}

// printable quotes a name that holds a control character (a line break in
// a table name must not break a report's line).
func printable(name string) string {
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return strconv.Quote(name)
		}
	}
	return name
}

func unionKeys(a, b map[string]int64) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// DrillStatus is the outcome of one restore drill.
type DrillStatus string

// Drill outcomes.
const (
	DrillSuccess DrillStatus = "success" // restored, and the result matches the fingerprint
	DrillFailure DrillStatus = "failure" // the restore failed, or the result differs
	// DrillInterrupted: the drill was stopped (shutdown, Ctrl-C) before it
	// could tell; it proves nothing either way, and raises no alarm.
	DrillInterrupted DrillStatus = "interrupted"
)

// Drill is one restore drill of a backup: restored into a scratch database,
// counted, compared with the manifest's fingerprint, dropped.
type Drill struct {
	At          time.Time   `json:"at"`      // when the drill started
	Seconds     float64     `json:"seconds"` // how long the restore and the comparison took
	Status      DrillStatus `json:"status"`
	Server      string      `json:"server"`      // the server restored onto
	Differences []string    `json:"differences"` // fingerprint differences; never nil in JSON
	// Compared is false when the backup has no fingerprint (an older
	// backup): the drill proved that it restores, not what it holds.
	Compared bool   `json:"compared"`
	Error    string `json:"error,omitempty"`
}
