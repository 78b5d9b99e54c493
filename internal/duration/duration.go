// Package duration is the one owner of how durations are written: Parse and
// Format for the configuration's form, which knows days (d) and weeks (w),
// and Human for durations shown to a person (CLI, web UI, notifications).
package duration

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Day and Week are the units Parse adds to Go's.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// Parse reads a duration in Go's syntax extended with days (d, 24h) and
// weeks (w, 7d), alone or combined: "90s", "36h", "14d", "8w", "1w2d",
// "1d12h", "1.5d". A bare "0" is zero, and a leading sign is allowed as in
// time.ParseDuration. Anything else, including a value beyond about 292
// years, is an error that quotes s and names the units.
func Parse(s string) (time.Duration, error) {
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
	return total, nil
}

func isNumberByte(c byte) bool { return c == '.' || ('0' <= c && c <= '9') }

// Format writes d the way the configuration is usually written: whole days
// as "14d" (weeks too: "56d", so that retention reasons and plans compare at
// a glance), whole hours as "36h", whole minutes under an hour as "45m";
// otherwise in Go's notation without trailing zero units ("1h30m", "1m30s",
// "500ms"). Zero is "0s". Parse reads every result back to d.
func Format(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < 0:
		return "-" + Format(-d)
	case d%Day == 0:
		return fmt.Sprintf("%dd", d/Day)
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

// Human writes d for a person with its two largest units, rounded down:
// "850 ms", "42 s", "3 min 20 s", "1 h 5 min", "2 d 3 h". A negative d is
// written as its absolute value.
func Human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return pair(int(d/time.Minute), "min", int(d%time.Minute/time.Second), "s")
	case d < Day:
		return pair(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "min")
	default:
		return pair(int(d/Day), "d", int(d%Day/time.Hour), "h")
	}
}

func pair(a int, au string, b int, bu string) string {
	if b == 0 {
		return fmt.Sprintf("%d %s", a, au)
	}
	return fmt.Sprintf("%d %s %d %s", a, au, b, bu)
}

// Left estimates the time a transfer needs for the bytes from done to total
// at rate bytes per second, rounded to the second; 0 when done has reached
// total, and false when rate is not positive (nothing to go by yet).
func Left(done, total int64, rate float64) (time.Duration, bool) {
	if !(rate > 0) {
		return 0, false
	}
	left := time.Duration(float64(max(total-done, 0)) / rate * float64(time.Second))
	return left.Round(time.Second), true
}
