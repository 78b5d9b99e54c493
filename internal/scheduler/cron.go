package scheduler

import (
	"slices"
	"time"
)

const (
	// starBit marks a field written as "*" (the cron parser's convention);
	// it decides how day-of-month and day-of-week combine.
	starBit  = 1 << 63
	allHours = 1<<24 - 1

	// maxDays bounds the search for the next matching day: every day
	// pattern recurs within 8 years (29 February).
	maxDays = 9 * 366

	// shiftWindow exceeds the largest daylight-saving shift (2h): a wall
	// time further than this from another cannot be reordered by a shift.
	shiftWindow = 3 * time.Hour
)

// cronSchedule is a parsed 5-field spec, one bit per allowed value, walked
// in wall-clock time of loc.
type cronSchedule struct {
	minute, hour, dom, month, dow uint64
	loc                           *time.Location
	// everyHour: the spec runs in every hour, so it follows real time across
	// daylight-saving changes instead of wall-clock time (see Parse).
	everyHour bool
}

// Next returns the earliest run after the given instant, in loc.
//
// It walks wall-clock minutes (held as naive UTC times, which never skip or
// repeat) from a little before after's wall time and maps each matching
// wall time to the instants it denotes in loc. Wall order and instant order
// differ only within a daylight-saving shift, so the walk goes on for
// shiftWindow past the first hit and keeps the earliest instant.
func (s *cronSchedule) Next(after time.Time) time.Time {
	start := naive(after.In(s.loc)).Add(-shiftWindow)
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	var best, bestWall time.Time
	for i := 0; i < maxDays; i++ {
		d := day.AddDate(0, 0, i)
		if !best.IsZero() && d.After(bestWall.Add(shiftWindow)) {
			break
		}
		if !s.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if s.hour&(1<<h) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				if s.minute&(1<<m) == 0 {
					continue
				}
				w := d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if w.Before(start) {
					continue
				}
				if !best.IsZero() && w.After(bestWall.Add(shiftWindow)) {
					return best
				}
				for _, t := range s.instants(w) {
					if t.After(after) && (best.IsZero() || t.Before(best)) {
						best, bestWall = t, w
					}
				}
			}
		}
	}
	return best
}

// dayMatches applies cron's day rule to a naive date: when either day
// field is "*", both must match; when both are restricted, either may.
func (s *cronSchedule) dayMatches(d time.Time) bool {
	if s.month&(1<<uint(d.Month())) == 0 {
		return false
	}
	domMatch := s.dom&(1<<uint(d.Day())) != 0
	dowMatch := s.dow&(1<<uint(d.Weekday())) != 0
	if s.dom&starBit != 0 || s.dow&starBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}

// instants returns the instants at which the naive wall time w runs in
// loc, earliest first: usually one; in a fall-back's repeated hour the
// first only, or both for an every-hour spec; in a spring-forward's gap
// the instant of the jump, or none for an every-hour spec.
func (s *cronSchedule) instants(w time.Time) []time.Time {
	// The offsets in force around w; a wall time can only be w minus one
	// of them.
	var offsets []int
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := w.Add(probe).In(s.loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var valid []time.Time
	for _, off := range offsets {
		t := w.Add(-time.Duration(off) * time.Second).In(s.loc)
		if naive(t).Equal(w) && !slices.ContainsFunc(valid, t.Equal) {
			valid = append(valid, t)
		}
	}
	slices.SortFunc(valid, time.Time.Compare)

	switch {
	case len(valid) == 1 || (len(valid) > 1 && s.everyHour):
		return valid
	case len(valid) > 1:
		return valid[:1]
	case s.everyHour:
		return nil
	}
	// A gap: read w with the smallest offset around it (the one before the
	// jump); that lands after the jump, in the zone period that starts
	// exactly at the jump.
	t := w.Add(-time.Duration(slices.Min(offsets)) * time.Second).In(s.loc)
	if jump, _ := t.ZoneBounds(); !jump.IsZero() && !jump.After(t) {
		return []time.Time{jump.In(s.loc)}
	}
	return []time.Time{t}
}

// naive returns t's wall clock reading as a UTC time.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
