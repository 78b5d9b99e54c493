package config

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// Duration is a time.Duration that also accepts days (d) and weeks (w), alone
// or combined with Go's units: "36h", "14d", "8w", "1w2d", "1d12h". It is read
// and written by package duration.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes the duration as duration.Format does ("9d", "36h", "1h30m");
// it parses back to the same value.
func (d Duration) String() string { return duration.Format(time.Duration(d)) }

// ParseDuration parses a duration such as "36h", "14d", "8w" or "1w2d"
// (duration.Parse). A leading sign is allowed, as in time.ParseDuration.
func ParseDuration(s string) (Duration, error) {
	d, err := duration.Parse(s)
	return Duration(d), err
}

// MarshalText encodes the duration as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text with ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (Duration) expected() string { return "a duration such as 36h, 14d or 8w" }
