package retention

import (
	"fmt"
	"strings"
	"time"
)

const day = 24 * time.Hour

// formatDuration writes d the way retention is configured: whole days as
// "14d", whole hours as "36h", anything else in Go's notation without a
// trailing zero unit ("90m", "1h30m").
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0 && d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	return s
}

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
