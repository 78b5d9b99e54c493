package metrics

import (
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

var _ runner.Observer = (*Metrics)(nil)

// retentionReason is how the runner prefixes the reason of deletions the
// retention policy decided.
const retentionReason = "retention"

func jobOf(b *backup.Backup) series {
	return series{server: b.Server, database: b.Database, typ: b.Type}
}

func (s series) in(storage string) series {
	s.storage = storage
	return s
}

// finishedAt is when b finished, or false when the catalog does not say.
func finishedAt(b *backup.Backup) (time.Time, bool) {
	switch {
	case b.FinishedAt != nil:
		return *b.FinishedAt, true
	case !b.StartedAt.IsZero():
		return b.StartedAt, true
	}
	return time.Time{}, false
}

// BackupStarted counts b as running.
func (m *Metrics) BackupStarted(b *backup.Backup) {
	if b == nil {
		return
	}
	s := jobOf(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.ID != "" {
		if m.runningIDs[b.ID] {
			return // told twice
		}
		m.runningIDs[b.ID] = true
	}
	m.runningCount[s]++
	m.running.WithLabelValues(s.job()...).Set(float64(m.runningCount[s]))
}

// BackupFinished records the outcome, duration, sizes and time of b, and
// stops counting it as running.
func (m *Metrics) BackupFinished(b *backup.Backup) {
	if b == nil {
		return
	}
	s := jobOf(b)
	at, known := finishedAt(b)

	status := statusFailure
	if b.Status == backup.StatusSuccess {
		status = statusSuccess
	}
	m.runs.WithLabelValues(append(s.job(), status)...).Inc()
	if b.Status == backup.StatusPartial {
		m.partial.WithLabelValues(s.job()...).Inc()
	}
	if b.Anomalous() && (b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial) {
		m.anomalies.WithLabelValues(s.job()...).Inc()
	}
	if b.FinishedAt != nil && !b.StartedAt.IsZero() {
		m.duration.WithLabelValues(s.job()...).Observe(max(b.FinishedAt.Sub(b.StartedAt).Seconds(), 0))
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopRunning(b, s)
	if known {
		m.recordOutcome(b, s, at)
	}
}

// stopRunning undoes BackupStarted for b, never below zero. The caller holds m.mu.
func (m *Metrics) stopRunning(b *backup.Backup, s series) {
	if b.ID != "" {
		if !m.runningIDs[b.ID] {
			return // never started here, or already finished
		}
		delete(m.runningIDs, b.ID)
	}
	if m.runningCount[s] == 0 {
		return
	}
	m.runningCount[s]--
	if m.runningCount[s] == 0 && !m.kept(s, time.Now()) {
		m.dropRunning(s) // the config no longer has the job (SetJobs)
		return
	}
	m.running.WithLabelValues(s.job()...).Set(float64(m.runningCount[s]))
}

// dropRunning deletes the running gauge of s. The caller holds m.mu.
func (m *Metrics) dropRunning(s series) {
	m.running.DeleteLabelValues(s.job()...)
	delete(m.runningCount, s)
}

// recordOutcome moves the "last backup" gauges to b, finished at at, where b
// is newer than what they hold. Running and deleted backups are ignored: the
// first has no outcome yet, the second no longer says what it had; so are
// backups of jobs the config no longer has (SetJobs). The caller holds m.mu.
func (m *Metrics) recordOutcome(b *backup.Backup, s series, at time.Time) {
	if !m.kept(s, at) {
		return
	}
	ts := float64(at.UnixNano()) / 1e9
	switch b.Status {
	case backup.StatusSuccess:
		m.setIfNewer(m.lastSuccess, s, s.job(), at, ts)
	case backup.StatusPartial, backup.StatusFailed, backup.StatusInterrupted:
		m.setIfNewer(m.lastFailure, s, s.job(), at, ts)
	}
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return
	}
	m.setIfNewer(m.rawSize, s, s.job(), at, float64(b.RawBytes))
	for _, loc := range b.Locations {
		if loc.Status == backup.LocationSuccess {
			ss := s.in(loc.Storage)
			m.setIfNewer(m.size, ss, ss.storaged(), at, float64(b.StoredBytes))
		}
	}
}

// VerifyFinished counts one copy read back: success when err is nil.
func (m *Metrics) VerifyFinished(b *backup.Backup, storage string, err error) {
	if b == nil {
		return
	}
	status := statusSuccess
	if err != nil {
		status = statusFailure
	}
	m.verifies.WithLabelValues(append(jobOf(b).in(storage).storaged(), status)...).Inc()
}

// CopyDeleted counts one copy removed from a storage; those the retention
// policy removed (reason "retention: ...") also count in
// gosqlguard_retention_deleted_total.
func (m *Metrics) CopyDeleted(b *backup.Backup, storage, reason string) {
	if b == nil {
		return
	}
	labels := jobOf(b).in(storage).storaged()
	m.copiesDeleted.WithLabelValues(labels...).Inc()
	if strings.HasPrefix(reason, retentionReason) {
		m.retention.WithLabelValues(labels...).Inc()
	}
}

// StorageError counts one failed operation on a storage. The count is per
// storage and operation only: b may be nil for operations that concern no
// single backup.
func (m *Metrics) StorageError(_ *backup.Backup, storage, op string, _ error) {
	m.storageErrors.WithLabelValues(storage, op).Inc()
}
