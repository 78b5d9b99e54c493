package catalog

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadBound is returned (wrapped) by ParseBound for a time filter bound
// that is neither an RFC 3339 time nor a date, or one before 1970.
var ErrBadBound = errors.New("invalid time bound")

// ErrBoundTooEarly is also wrapped by ParseBound's error for a time before
// 1970.
var ErrBoundTooEarly = errors.New("before 1970")

// maxBound is the latest time a catalog stores (its text form has four
// digits of year); a later end bound means no bound.
var maxBound = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

// ParseBound parses one end of a time filter (Filter and AuditFilter's
// Since and Until) as the API and the web UI take it: an RFC 3339 time, or
// a date (YYYY-MM-DD, UTC). A date as an end bound (end set: until)
// includes its day, so it stands for the next day's midnight; past the
// year 9999 it is the latest time the catalog stores. "" is no bound (the
// zero time). Errors wrap ErrBadBound: a text of another form ("want ..."),
// or a time before 1970, which a zero bound could be taken for.
func ParseBound(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		day, derr := time.Parse(time.DateOnly, s)
		if derr != nil {
			return time.Time{}, fmt.Errorf("%w: want an RFC 3339 time like 2024-05-01T00:00:00Z or a date like 2024-05-01", ErrBadBound)
		}
		if t = day; end {
			t = day.AddDate(0, 0, 1)
		}
	}
	if t.Before(time.Unix(0, 0)) {
		return time.Time{}, fmt.Errorf("%w: %s is %w", ErrBadBound, s, ErrBoundTooEarly)
	}
	if t.After(maxBound) {
		t = maxBound
	}
	return t, nil
}
