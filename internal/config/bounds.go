package config

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// Upper (and lower) bounds of numeric settings. A value outside them is a
// typo or a misunderstanding, and some (a huge upload concurrency) would
// exhaust memory at the first backup rather than fail at start-up. Each is
// documented in docs/configuration.md.
const (
	// MaxConcurrency bounds concurrency.total and concurrency.per_server:
	// each running backup holds a dump process and a database connection.
	MaxConcurrency = 64
	// MaxUploadConcurrency bounds a storage's upload_concurrency: an upload
	// buffers upload_concurrency+1 parts in memory.
	MaxUploadConcurrency = 64
	// MaxKeep bounds retention keep counts (100000 daily backups are
	// over 270 years).
	MaxKeep = 100000
)

// durationRange is an inclusive range of a duration setting, with its bounds
// written as the message shows them.
type durationRange struct {
	min, max time.Duration
	text     string // "1s and 1h"
}

// Ranges of the duration settings.
var (
	// IdleTimeoutRange: a storage attempt may move no byte for this long.
	idleTimeoutRange = durationRange{time.Second, time.Hour, "1s and 1h"}
	// maxAgeRange: 0 means no age limit; 100 years is the most.
	maxAgeRange = durationRange{0, 36500 * duration.Day, "0 and 36500d"}
	// shutdownTimeoutRange: how long SIGTERM waits for running backups.
	shutdownTimeoutRange = durationRange{time.Second, duration.Day, "1s and 24h"}
	// retentionIntervalRange: a pass lists every storage, so not more often
	// than each minute.
	retentionIntervalRange = durationRange{time.Minute, duration.Week, "1m and 7d"}
	// cleanupAgeRange: leftovers younger than this are kept.
	cleanupAgeRange = durationRange{time.Minute, 365 * duration.Day, "1m and 365d"}
	// leaseTTLRange: below 3s a renewal every third of it races the
	// catalog's own latency; above 1h a dead replica's runs and tasks wait
	// that long for another to take over.
	leaseTTLRange = durationRange{3 * time.Second, time.Hour, "3s and 1h"}
)

// between reports a value outside lo..hi with the range in the message.
func (c *checker) between(path string, v, lo, hi int) {
	if v < lo || v > hi {
		c.ps.addf(path, "must be between %d and %d", lo, hi)
	}
}

// durationIn reports a duration outside r with the range in the message.
func (c *checker) durationIn(path string, d Duration, r durationRange) {
	if d.D() < r.min || d.D() > r.max {
		c.ps.addf(path, "must be between %s", r.text)
	}
}
