package metrics

import (
	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Seed sets the "last backup" gauges (last success and failure times, raw
// and per-storage stored sizes) from catalog entries, in any order, so that
// a restart does not reset them; call it once at start with the catalog's
// backups. Counters, the histogram and the running gauge are left alone:
// they count what this process saw. A gauge already holding a newer value
// (a backup that finished before Seed ran) keeps it.
//
// Deleted backups are skipped: their status no longer says whether they
// had succeeded. Copies already deleted do not count for their storage's
// size. Once SetJobs was called, backups of jobs its Keep refuses are
// skipped too; before, SetJobs deletes what they set.
func (m *Metrics) Seed(backups []*backup.Backup) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range backups {
		if b == nil {
			continue
		}
		if at, ok := finishedAt(b); ok {
			m.recordOutcome(b, jobOf(b), at)
		}
		if b.Drill != nil && b.Drill.Status == backup.DrillSuccess {
			m.seedDrill(jobOf(b), *b.Drill)
		}
	}
}
