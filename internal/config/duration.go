package config

import (
	"fmt"
	"math"
	"time"
)

// Duration is a time.Duration that also accepts days (d) and weeks (w), alone
// or combined with Go's units: "36h", "14d", "8w", "1w2d", "1d12h".
type Duration time.Duration

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String uses weeks or days when the duration is a whole number of them, so
// that it reads the way it is usually written; it parses back to the same value.
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td%week == 0:
		return fmt.Sprintf("%dw", td/week)
	case td%day == 0:
		return fmt.Sprintf("%dd", td/day)
	}
	return td.String()
}

// ParseDuration parses a duration such as "36h", "14d", "8w" or "1w2d".
// A leading sign is allowed, as in time.ParseDuration.
func ParseDuration(s string) (Duration, error) {
	bad := fmt.Errorf("invalid duration %q (use s, m, h, d or w, e.g. 36h, 14d, 8w)", s)
	rest, neg := s, false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, bad
	}
	var total time.Duration
	for rest != "" {
		i := 0
		for i < len(rest) && isNumberByte(rest[i]) {
			i++
		}
		j := i
		for j < len(rest) && !isNumberByte(rest[j]) {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, bad
		}
		mult := time.Duration(1)
		switch unit {
		case "d":
			unit, mult = "h", 24
		case "w":
			unit, mult = "h", 24*7
		}
		part, err := time.ParseDuration(num + unit)
		if err != nil || part > math.MaxInt64/mult {
			return 0, bad
		}
		part *= mult
		if total > math.MaxInt64-part {
			return 0, bad
		}
		total += part
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

func isNumberByte(c byte) bool { return c == '.' || ('0' <= c && c <= '9') }

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
