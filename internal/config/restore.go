package config

import "runtime"

// Restore tunes restores, drills included (an extension of the base
// configuration).
type Restore struct {
	// Jobs is how many connections a restore loads data on at once: 1 loads
	// the dump on one connection, as the stock client tools do; more splits
	// the load (MySQL/MariaDB: a dump's INSERT statements on several
	// connections; PostgreSQL: pg_restore --jobs). Default DefaultRestoreJobs,
	// 1..MaxRestoreJobs.
	Jobs int `yaml:"jobs"`
}

// MaxRestoreJobs bounds restore.jobs: each job is a connection and a server
// thread busy for the whole load.
const MaxRestoreJobs = 32

// DefaultRestoreJobs is restore.jobs when not given: the number of CPUs
// this process may use, at least 2 and at most 4.
func DefaultRestoreJobs() int {
	return min(max(runtime.NumCPU(), 2), 4)
}

// restore checks the restore section.
func (c *checker) restore() {
	c.between("restore.jobs", c.cfg.Restore.Jobs, 1, MaxRestoreJobs)
}
