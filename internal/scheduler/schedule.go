package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule tells when something runs next.
type Schedule interface {
	// Next returns the first run strictly after the given instant, or the
	// zero time if the schedule never runs again.
	Next(after time.Time) time.Time
}

// descriptors maps the @-shorthands to the 5-field specs they stand for.
var descriptors = map[string]string{
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
}

// cronFields names the five fields in order, with the parser option that
// reads each one on its own (so an error can say which field is wrong).
var cronFields = []struct {
	name string
	opt  cron.ParseOption
	hint string
}{
	{"minute", cron.Minute, "0-59"},
	{"hour", cron.Hour, "0-23"},
	{"day-of-month", cron.Dom, "1-31"},
	{"month", cron.Month, "1-12 or jan-dec"},
	{"day-of-week", cron.Dow, "0-6 or sun-sat, Sunday is 0"},
}

// Parse reads a schedule evaluated in loc (UTC when loc is nil):
//
//   - a 5-field cron spec "minute hour day-of-month month day-of-week", with
//     lists, ranges, steps and month/weekday names ("*/15 9-17 * * mon-fri");
//     when both day fields are restricted, either may match (as in cron);
//   - @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually;
//   - "@every <duration>", where the duration also accepts d and w units
//     ("@every 10s", "@every 1d", "@every 1w2d"), at least one second.
//
// Cron specs follow wall-clock time in loc across daylight-saving changes:
// a time skipped by a spring-forward runs once, at the moment of the jump;
// a time repeated by a fall-back runs once, at its first occurrence. Specs
// whose hour field covers every hour ("0 * * * *", "*/5 * * * *") instead
// follow real time: they skip wall times that do not exist and run in both
// copies of a repeated hour, so they keep their interval.
//
// "@every d" is anchored to the Unix epoch, not to the previous run: it runs
// at 1970-01-01T00:00:00Z + k·d for every k. So runs fall on the same
// instants whatever the start or reload time ("@every 1h" on the hour,
// "@every 15m" at :00, :15, :30, :45); it measures real elapsed time and
// ignores loc ("@every 1d" runs at 00:00 UTC).
func Parse(spec string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	s, err := parse(strings.TrimSpace(spec), loc)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %w", spec, err)
	}
	return s, nil
}

func parse(spec string, loc *time.Location) (Schedule, error) {
	switch {
	case spec == "":
		return nil, errors.New("empty")
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return nil, errors.New("a per-schedule time zone is not supported; set schedule_timezone instead")
	case strings.HasPrefix(spec, "@"):
		name, arg, hasArg := strings.Cut(spec, " ")
		name = strings.ToLower(name)
		if name == "@every" {
			if !hasArg {
				return nil, errors.New(`@every needs a duration, e.g. "@every 6h"`)
			}
			return parseEvery(strings.TrimSpace(arg), loc)
		}
		fields, ok := descriptors[name]
		if !ok || hasArg {
			return nil, fmt.Errorf("unknown shorthand %q (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually or @every <duration>)", spec)
		}
		return parseCron(fields, loc)
	}
	return parseCron(spec, loc)
}

func parseCron(spec string, loc *time.Location) (Schedule, error) {
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	var bits [5]uint64
	for i, f := range cronFields {
		if strings.Contains(","+fields[i]+",", ",,") {
			return nil, fmt.Errorf("%s field %q (%s): empty list element", f.name, fields[i], f.hint)
		}
		parsed, err := cron.NewParser(f.opt).Parse(fields[i])
		if err != nil {
			return nil, fmt.Errorf("%s field %q (%s): %w", f.name, fields[i], f.hint, err)
		}
		spec := parsed.(*cron.SpecSchedule)
		bits[i] = [...]uint64{spec.Minute, spec.Hour, spec.Dom, spec.Month, spec.Dow}[i]
	}
	s := &cronSchedule{
		minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		loc: loc,
	}
	s.everyHour = s.hour&allHours == allHours
	// Every day pattern recurs within 8 years (29 February), so a spec that
	// matches no day from a fixed start matches none ever.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, errors.New("never runs: no date matches its day-of-month and month")
	}
	return s, nil
}

// everySchedule runs at the multiples of d since the Unix epoch; loc only
// sets the location of the times it returns.
type everySchedule struct {
	d   time.Duration
	loc *time.Location
}

func parseEvery(arg string, loc *time.Location) (Schedule, error) {
	d, err := parseDuration(arg)
	if err != nil {
		return nil, err
	}
	if d < time.Second {
		return nil, fmt.Errorf("@every %s: interval must be at least 1s", arg)
	}
	return everySchedule{d: d, loc: loc}, nil
}

func (e everySchedule) Next(after time.Time) time.Time {
	n, d := after.UnixNano(), int64(e.d)
	k := n / d
	if n < 0 && n%d != 0 {
		k-- // floor division for instants before 1970
	}
	return time.Unix(0, (k+1)*d).In(e.loc)
}

// Period is the time between the first two runs of s after at: 1h for
// "0 * * * *", 24h for "@daily" (23h or 25h across a daylight-saving
// change), 10s for "@every 10s". It is 0 if s runs fewer than twice more.
func Period(s Schedule, at time.Time) time.Duration {
	first := s.Next(at)
	if first.IsZero() {
		return 0
	}
	second := s.Next(first)
	if second.IsZero() {
		return 0
	}
	return second.Sub(first)
}
