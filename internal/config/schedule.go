package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// backupTypes checks each type's name, its schedule (none for manual, one for
// every other type) and the servers and storages it narrows to. Types are
// visited in name order so that problems come out the same on every run.
func (c *checker) backupTypes() {
	names := make([]string, 0, len(c.cfg.BackupTypes))
	for name := range c.cfg.BackupTypes {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, name := range names {
		bt := c.cfg.BackupTypes[name]
		p := "backup_types." + name
		if !namePattern.MatchString(name) || len(name) > maxNameLen {
			c.name(p, name, "backup type", seen)
			continue
		}
		switch {
		case name == ManualType && bt.Schedule != "":
			c.ps.add(p+".schedule", "manual backups have no schedule")
		case name != ManualType && bt.Schedule == "":
			c.ps.add(p+".schedule", "required")
		case name != ManualType:
			if err := checkSchedule(bt.Schedule); err != nil {
				c.ps.add(p+".schedule", err.Error())
			}
		}
		for i, s := range bt.Servers {
			if c.cfg.Server(s) == nil {
				c.ps.addf(indexPath(p+".servers", i), "unknown server %q", s)
			}
		}
		for i, s := range bt.Storages {
			if c.cfg.Storage(s) == nil {
				c.ps.addf(indexPath(p+".storages", i), "unknown storage %q", s)
			}
		}
	}
}

var descriptors = map[string]bool{
	"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true,
}

// cronFields describes the five fields of a cron expression.
var cronFields = []struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// checkSchedule accepts a five-field cron expression ("30 2 * * *", with
// lists, ranges, steps and month/day names), a descriptor such as @daily, or
// "@every <duration>" with a positive duration.
func checkSchedule(s string) error {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		d, err := ParseDuration(strings.TrimSpace(rest))
		if err != nil || d <= 0 {
			return errors.New("@every needs a positive duration, e.g. @every 6h")
		}
		return nil
	}
	if strings.HasPrefix(s, "@") {
		if !descriptors[s] {
			return fmt.Errorf("unknown schedule %q (use @hourly, @daily, @weekly, @monthly, @yearly, @every <duration> or five cron fields)", s)
		}
		return nil
	}
	fields := strings.Fields(s)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("schedule %q must have 5 fields (minute hour day-of-month month day-of-week)", s)
	}
	for i, f := range fields {
		for _, part := range strings.Split(f, ",") {
			if !validCronPart(part, i) {
				return fmt.Errorf("schedule %q: invalid %s %q", s, cronFields[i].name, f)
			}
		}
	}
	return nil
}

// validCronPart checks one list element: "*", "n", "n-m", each optionally "/step".
func validCronPart(part string, field int) bool {
	spec := cronFields[field]
	rng, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		if n, err := strconv.Atoi(step); err != nil || n < 1 || n > spec.max {
			return false
		}
	}
	if rng == "*" {
		return true
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	a, okA := cronValue(lo, field)
	if !isRange {
		return okA
	}
	b, okB := cronValue(hi, field)
	return okA && okB && a <= b
}

func cronValue(s string, field int) (int, bool) {
	spec := cronFields[field]
	for i, name := range spec.names {
		if strings.EqualFold(s, name) {
			return spec.min + i, true
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= spec.min && n <= spec.max
}
