package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseDuration reads a positive duration in Go's syntax extended with days
// (d, 24h) and weeks (w, 7d), alone or mixed: "90s", "1d", "1w2d", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q (use s, m, h, d or w, e.g. 10s, 6h, 1d)", s)
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, bad
	}
	var total time.Duration
	for rest := s; rest != ""; {
		num := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if num <= 0 {
			return 0, bad // no number, or a number without a unit
		}
		unit := strings.IndexFunc(rest[num:], func(r rune) bool { return (r >= '0' && r <= '9') || r == '.' })
		if unit < 0 {
			unit = len(rest) - num
		}
		part, u := rest[:num+unit], rest[num:num+unit]
		rest = rest[num+unit:]

		var d time.Duration
		switch u {
		case "d", "w":
			n, err := strconv.ParseFloat(part[:num], 64)
			if err != nil {
				return 0, bad
			}
			scale := 24 * time.Hour
			if u == "w" {
				scale *= 7
			}
			f := n * float64(scale)
			if f >= float64(1<<62) {
				return 0, bad
			}
			d = time.Duration(f)
		default:
			var err error
			if d, err = time.ParseDuration(part); err != nil {
				return 0, bad
			}
		}
		if total += d; total < 0 || total >= 1<<62 {
			return 0, bad // overflow
		}
	}
	return total, nil
}
