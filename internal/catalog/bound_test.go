package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseBound(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
		err  string
	}{
		{in: "", want: time.Time{}},
		{in: "2026-11-30T10:00:00+01:00", want: utc("2026-11-30T09:00:00Z")},
		{in: "2026-11-30", want: utc("2026-11-30T00:00:00Z")},
		{in: "2026-11-30", end: true, want: utc("2026-12-01T00:00:00Z")},           // the day is included
		{in: "9999-12-31", end: true, want: utc("9999-12-31T23:59:59.999999999Z")}, // not year 10000
		{in: "1970-01-01T00:00:00Z", want: time.Unix(0, 0).UTC()},
		{in: "0001-01-01T00:00:00Z", err: "is before 1970"},
		{in: "1969-12-31", err: "is before 1970"},
		{in: "1969-12-31", end: true, want: time.Unix(0, 0).UTC()},
		{in: "1970-01-01T00:00:00+01:00", err: "is before 1970"},
		{in: "yesterday", err: "want an RFC 3339 time"},
		{in: "2026-13-01", err: "want an RFC 3339 time"},
		{in: "2026-11-30T10:00", err: "want an RFC 3339 time"},
	} {
		got, err := ParseBound(tc.in, tc.end)
		switch {
		case tc.err != "":
			if !errors.Is(err, ErrBadBound) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBound(%q, %v) = %v, %v; want an error with %q", tc.in, tc.end, got, err, tc.err)
			}
		case err != nil || !got.Equal(tc.want):
			t.Errorf("ParseBound(%q, %v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
}
