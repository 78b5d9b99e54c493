package retention

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
)

const day = duration.Day

// formatDuration writes d the way retention is configured (duration.Format).
func formatDuration(d time.Duration) string { return duration.Format(d) }

// roundGap rounds a measured gap to the unit it is best read in: days from a
// week up, then hours, then minutes.
func roundGap(d time.Duration) time.Duration {
	switch {
	case d >= 7*day:
		return d.Round(day)
	case d >= time.Hour:
		return d.Round(time.Hour)
	}
	return d.Round(time.Minute)
}

// formatTime is how a start time is shown: UTC, to the minute.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
