package config

import (
	"sort"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/scheduler"
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

// checkSchedule accepts what the scheduler runs: five cron fields, a
// shorthand such as @daily, or "@every <duration>". The scheduler's own parser
// decides, so that config validation and the daemon can never disagree.
func checkSchedule(s string) error {
	_, err := scheduler.Parse(s, time.UTC)
	return err
}
