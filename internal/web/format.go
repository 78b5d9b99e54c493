package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting for people: sizes in binary units, times both relative
// ("3 h ago") and absolute (UTC, in a tooltip or next to it). Durations are
// written by duration.Human.

// humanBytes formats n bytes with a binary unit: "0 B", "512 B", "1.5 KiB",
// "12.3 MiB", "4.21 GiB".
func humanBytes(n int64) string {
	if n < 0 {
		return "unknown"
	}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, units[i])
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, units[i])
	default:
		return fmt.Sprintf("%.2f %s", v, units[i])
	}
}

// humanRate formats a transfer rate in bytes per second.
func humanRate(bytesPerSecond float64) string {
	if bytesPerSecond <= 0 || math.IsNaN(bytesPerSecond) || math.IsInf(bytesPerSecond, 0) {
		return "—"
	}
	return humanBytes(int64(bytesPerSecond)) + "/s"
}

// relTime says how far t is from now in one coarse unit: "just now",
// "4 min ago", "3 h ago", "2 d ago", "in 20 min".
func relTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		// A few seconds ahead is clock skew between whoever stamped t (a
		// database server, another host) and this process, not the future.
		if future && d >= 5*time.Second {
			return "in a few seconds"
		}
		return "just now"
	case d < 90*time.Minute:
		s = fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
	case d < 36*time.Hour:
		s = fmt.Sprintf("%d h", int(math.Round(d.Hours())))
	default:
		s = fmt.Sprintf("%d d", int(math.Round(d.Hours()/24)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// absTime is the absolute form of t, in UTC to the second.
func absTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// timeView is what the "time" template needs to show one point in time.
type timeView struct {
	Zero bool
	Rel  string // relative to now
	Abs  string // absolute, UTC
	ISO  string // for the datetime attribute
}

func makeTimeView(v any, now time.Time) timeView {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return timeView{Zero: true}
	}
	return timeView{Rel: relTime(t, now), Abs: absTime(t), ISO: t.UTC().Format(time.RFC3339)}
}

// tailLines returns the last n lines of s, and whether lines were left out.
func tailLines(s string, n int) (string, bool) {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s, false
	}
	return strings.Join(lines[len(lines)-n:], "\n"), true
}

// shorten cuts s to at most n runes, at a space when one is near the end,
// marking the cut with "…".
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n - 1
	for i := cut; i > n*3/4; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,;:") + "…"
}

// groupDigits writes n with thousands separators: 302,270,464.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
