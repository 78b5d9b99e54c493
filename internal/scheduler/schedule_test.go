package scheduler

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin and friends on any machine
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// checkNexts follows spec from `from` and compares the successive runs,
// given in UTC, with want.
func checkNexts(t *testing.T, spec, zone, from string, want []string) {
	t.Helper()
	loc := mustLoad(t, zone)
	s, err := Parse(spec, loc)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	at := mustTime(t, from)
	for i, w := range want {
		got := s.Next(at)
		if !got.Equal(mustTime(t, w)) {
			t.Fatalf("%q in %s: run %d after %s: got %s (%s), want %s",
				spec, zone, i+1, from, got.UTC().Format(time.RFC3339), got.Format(time.RFC3339), w)
		}
		if got.Location() != loc {
			t.Errorf("%q: Next returned location %s, want %s", spec, got.Location(), loc)
		}
		at = got
	}
}

func TestParseNext(t *testing.T) {
	tests := []struct {
		name, spec, zone, from string
		want                   []string
	}{
		{"hourly", "0 * * * *", "UTC", "2026-06-01T10:20:00Z",
			[]string{"2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z", "2026-06-01T13:00:00Z"}},
		{"from exactly a run", "30 2 * * *", "UTC", "2026-06-01T02:30:00Z",
			[]string{"2026-06-02T02:30:00Z", "2026-06-03T02:30:00Z"}},
		{"sub-second before a run", "0 * * * *", "UTC", "2026-06-01T10:59:59.5Z",
			[]string{"2026-06-01T11:00:00Z"}},
		{"steps, ranges, weekday names", "*/15 9-17 * * mon-fri", "UTC", "2026-06-05T17:50:00Z",
			[]string{"2026-06-08T09:00:00Z", "2026-06-08T09:15:00Z", "2026-06-08T09:30:00Z"}},
		{"weekday name, upper case", "0 3 * * SUN", "UTC", "2026-06-01T00:00:00Z",
			[]string{"2026-06-07T03:00:00Z", "2026-06-14T03:00:00Z"}},
		{"month name", "0 0 1 jan *", "UTC", "2026-06-01T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
		{"both day fields restricted: either matches", "0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z",
			[]string{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"}},
		{"29 February", "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"@hourly", "@hourly", "UTC", "2026-06-01T10:20:00Z",
			[]string{"2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z"}},
		{"@daily", "@daily", "UTC", "2026-06-01T10:20:00Z",
			[]string{"2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"}},
		{"@midnight", "@midnight", "UTC", "2026-06-01T10:20:00Z", []string{"2026-06-02T00:00:00Z"}},
		{"@weekly is Sunday", "@weekly", "UTC", "2026-06-01T10:20:00Z",
			[]string{"2026-06-07T00:00:00Z", "2026-06-14T00:00:00Z"}},
		{"@monthly", "@monthly", "UTC", "2026-06-01T10:20:00Z",
			[]string{"2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"}},
		{"@yearly", "@yearly", "UTC", "2026-06-01T10:20:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@annually", "@annually", "UTC", "2026-06-01T10:20:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"shorthand case and spaces", "  @Daily ", "UTC", "2026-06-01T10:20:00Z", []string{"2026-06-02T00:00:00Z"}},
		{"@every 10s on multiples of 10s", "@every 10s", "UTC", "2026-06-01T10:00:03Z",
			[]string{"2026-06-01T10:00:10Z", "2026-06-01T10:00:20Z", "2026-06-01T10:00:30Z"}},
		{"@every 1d at 00:00 UTC", "@every 1d", "UTC", "2026-06-01T12:00:00Z",
			[]string{"2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"}},
		{"@every 1d ignores the zone", "@every 1d", "Europe/Berlin", "2026-06-01T12:00:00Z",
			[]string{"2026-06-02T00:00:00Z"}},
		{"@every 1w on Thursdays (1970-01-01)", "@every 1w", "UTC", "2026-06-01T00:00:00Z",
			[]string{"2026-06-04T00:00:00Z", "2026-06-11T00:00:00Z"}},
		{"@every mixed units", "@every 1h30m", "UTC", "2026-06-01T00:00:00Z",
			[]string{"2026-06-01T01:30:00Z", "2026-06-01T03:00:00Z"}},
		{"zone, winter", "0 9 * * *", "Europe/Berlin", "2026-01-15T00:00:00Z",
			[]string{"2026-01-15T08:00:00Z", "2026-01-16T08:00:00Z"}},
		{"zone, summer", "0 9 * * *", "Europe/Berlin", "2026-07-15T00:00:00Z",
			[]string{"2026-07-15T07:00:00Z"}},
		{"half-hour zone", "@midnight", "Asia/Kolkata", "2026-06-01T00:00:00Z",
			[]string{"2026-06-01T18:30:00Z", "2026-06-02T18:30:00Z"}},
		{"zone ahead of UTC, next wall day", "0 1 * * *", "Asia/Tokyo", "2026-06-01T15:30:00Z",
			[]string{"2026-06-01T16:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkNexts(t, tt.spec, tt.zone, tt.from, tt.want) })
	}
}

// Europe/Berlin in 2026: 29 March 02:00 CET → 03:00 CEST (01:00 UTC);
// 25 October 03:00 CEST → 02:00 CET (01:00 UTC).
func TestNextDaylightSaving(t *testing.T) {
	tests := []struct {
		name, spec, from string
		want             []string
	}{
		{"fixed time in the spring gap runs at the jump", "30 2 * * *", "2026-03-28T00:00:00Z",
			[]string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"several gap times run once", "0,30 2 * * *", "2026-03-29T00:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:30:00Z"}},
		{"gap time and the jump's own time run once", "0 2,3 * * *", "2026-03-29T00:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"}},
		{"fixed time in the repeated hour runs once", "30 2 * * *", "2026-10-24T00:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"not again in the second copy", "30 2 * * *", "2026-10-25T00:45:00Z",
			[]string{"2026-10-26T01:30:00Z"}},
		{"repeated hour, several minutes", "*/30 2 * * *", "2026-10-24T23:00:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:00:00Z"}},
		{"hourly keeps real hours in spring", "0 * * * *", "2026-03-28T22:30:00Z",
			[]string{"2026-03-28T23:00:00Z", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
		{"hourly runs in both copies in autumn", "0 * * * *", "2026-10-24T22:30:00Z",
			[]string{"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"}},
		{"hourly from inside the first copy", "0 * * * *", "2026-10-25T00:30:00Z",
			[]string{"2026-10-25T01:00:00Z"}},
		{"half past every hour in spring", "30 * * * *", "2026-03-29T00:00:00Z",
			[]string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"}},
		{"every 20 minutes in autumn", "*/20 * * * *", "2026-10-25T00:30:00Z",
			[]string{"2026-10-25T00:40:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:20:00Z"}},
		{"@daily is untouched", "@daily", "2026-03-28T12:00:00Z",
			[]string{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkNexts(t, tt.spec, "Europe/Berlin", tt.from, tt.want) })
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"four fields", "* * * *", "want 5 fields"},
		{"six fields (seconds)", "0 0 * * * *", "want 5 fields"},
		{"minute out of range", "61 * * * *", "minute field"},
		{"hour out of range", "0 24 * * *", "hour field"},
		{"day out of range", "0 0 32 * *", "day-of-month field"},
		{"month out of range", "0 0 * 13 *", "month field"},
		{"weekday 7", "0 0 * * 7", "day-of-week field"},
		{"unknown weekday", "0 0 * * funday", "day-of-week field"},
		{"zero step", "*/0 * * * *", "minute field"},
		{"garbage", "a b c d e", "minute field"},
		{"30 February", "0 0 30 2 *", "never runs"},
		{"31 April or June", "0 0 31 4,6 *", "never runs"},
		{"@every without duration", "@every", "needs a duration"},
		{"@every zero", "@every 0s", "at least 1s"},
		{"@every below a second", "@every 500ms", "at least 1s"},
		{"@every negative", "@every -1h", "invalid duration"},
		{"@every unknown unit", "@every 1x", "invalid duration"},
		{"@every no unit", "@every 5", "invalid duration"},
		{"unknown shorthand", "@fortnightly", "unknown shorthand"},
		{"shorthand with argument", "@daily 3", "unknown shorthand"},
		{"per-spec zone", "TZ=UTC 0 * * * *", "schedule_timezone"},
		{"per-spec cron zone", "CRON_TZ=Europe/Berlin 0 * * * *", "schedule_timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec, time.UTC)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.spec, s)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "invalid schedule ") {
				t.Errorf("Parse(%q) error = %q, want it to start with %q and contain %q", tt.spec, err, "invalid schedule ", tt.want)
			}
		})
	}
}

func TestParseNilLocationIsUTC(t *testing.T) {
	s, err := Parse("0 12 * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(mustTime(t, "2026-06-01T00:00:00Z"))
	if want := mustTime(t, "2026-06-01T12:00:00Z"); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v, want %v in UTC", got, want)
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"10s": 10 * time.Second, "90m": 90 * time.Minute, "1d": 24 * time.Hour, "1.5d": 36 * time.Hour,
		"1w": 7 * 24 * time.Hour, "1w2d": 9 * 24 * time.Hour, "1d12h": 36 * time.Hour, "1h30m": 90 * time.Minute,
	}
	for in, want := range good {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "5", "-1d", "+1d", "1dd", "1h-1m", "1.2.3d", "99999999999w"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestPeriod(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		name, spec string
		loc        *time.Location
		at         string
		want       time.Duration
	}{
		{"hourly", "0 * * * *", time.UTC, "2026-06-01T10:20:00Z", time.Hour},
		{"daily", "30 2 * * *", time.UTC, "2026-06-01T10:20:00Z", 24 * time.Hour},
		{"weekly", "0 3 * * 0", time.UTC, "2026-06-01T10:20:00Z", 7 * 24 * time.Hour},
		{"every 10s", "@every 10s", time.UTC, "2026-06-01T10:20:00Z", 10 * time.Second},
		{"irregular: gap after at", "0 9,17 * * *", time.UTC, "2026-06-01T08:00:00Z", 8 * time.Hour},
		{"daily across spring-forward", "0 12 * * *", berlin, "2026-03-28T00:00:00Z", 23 * time.Hour},
		{"daily across fall-back", "0 12 * * *", berlin, "2026-10-24T00:00:00Z", 25 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := Period(s, mustTime(t, tt.at)); got != tt.want {
				t.Errorf("Period(%q, %s) = %v, want %v", tt.spec, tt.at, got, tt.want)
			}
		})
	}
}

type never struct{}

func (never) Next(time.Time) time.Time { return time.Time{} }

func TestPeriodNever(t *testing.T) {
	if got := Period(never{}, time.Now()); got != 0 {
		t.Errorf("Period(never) = %v, want 0", got)
	}
}

func BenchmarkNextEveryMinute(b *testing.B) {
	s, err := Parse("* * * * *", time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 10, 20, 0, 0, time.UTC)
	for b.Loop() {
		at = s.Next(at)
	}
}
