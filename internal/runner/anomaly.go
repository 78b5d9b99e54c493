package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// AnomalyPolicy says when a successful backup is suspiciously small: its raw
// size below MinPercent % of the median raw size of the last Window
// successes of the same server, database and type. MinPercent 0 turns the
// check off.
type AnomalyPolicy struct {
	Window     int
	MinPercent int
}

// minHistory is how many earlier successes a comparison needs at least: a
// median of one or two backups says too little.
const minHistory = 3

// sizeAnomaly compares b, whose dump has just finished, with the recent
// completed dumps of its job. It returns nil when b is not an anomaly or
// there is too little history to tell. A catalog error only skips the
// check: a backup never fails for it.
//
// The baseline is the raw size of the last Window completed dumps without
// an anomaly of their own, whether retention has deleted them since or not
// (with keep below Window, the full backups would otherwise leave the
// baseline as soon as they are pruned). Anomalous backups never join it, so
// a run of small backups keeps being flagged, and retention keeps the last
// full one; only when the last Window backups were all anomalous is the
// smaller size taken as the job's new normal.
func (r *Runner) sizeAnomaly(ctx context.Context, b *backup.Backup) *backup.SizeAnomaly {
	p := r.Anomalies
	if p.MinPercent <= 0 || p.Window <= 0 {
		return nil
	}
	// The dump is complete: a cancellation arriving now (shutdown) must
	// not skip the check of what may still be stored as a success.
	recent, err := r.Catalog.List(context.WithoutCancel(ctx), catalog.Filter{
		Server: b.Server, Database: b.Database, Type: b.Type, Limit: 4*p.Window + 20,
	})
	if err != nil {
		r.logger().Warn("size anomaly check skipped", "id", b.ID, "error", err)
		return nil
	}
	sizes := make([]int64, 0, p.Window)
	streak, inStreak := 0, true // anomalies right before b
	for _, o := range recent {  // newest first
		if o.ID == b.ID || !completedDump(o) {
			continue
		}
		if o.Anomalous() {
			if inStreak {
				streak++
			}
			continue
		}
		inStreak = false
		if len(sizes) < p.Window {
			sizes = append(sizes, o.RawBytes)
		}
	}
	if streak >= p.Window {
		r.logger().Info("raw size stayed far below the earlier backups for a whole window: taken as this job's new normal",
			"id", b.ID, "anomalies_in_a_row", streak)
		return nil
	}
	if len(sizes) < min(minHistory, p.Window) {
		return nil
	}
	median := medianOf(sizes)
	if median <= 0 || b.RawBytes*100 >= median*int64(p.MinPercent) {
		return nil
	}
	return &backup.SizeAnomaly{
		RawBytes:       b.RawBytes,
		MedianRawBytes: median,
		Compared:       len(sizes),
		MinPercent:     p.MinPercent,
	}
}

// completedDump reports whether o holds a whole dump (a success or partial
// run, also one retention or a user has deleted since): failed and
// interrupted runs and running ones have no manifest.
func completedDump(o *backup.Backup) bool {
	switch o.Status {
	case backup.StatusSuccess, backup.StatusPartial, backup.StatusDeleted:
		return o.Manifest != nil && o.RawBytes > 0
	}
	return false
}

// anomalyWarning renders a size anomaly for the backup's warnings.
func anomalyWarning(a *backup.SizeAnomaly) string {
	return fmt.Sprintf("size anomaly: %s raw, %d%% of the median %s of the last %d successful backups of this job (below %d%%): was data lost?",
		humanize.IBytes(uint64(max(a.RawBytes, 0))), a.RawBytes*100/a.MedianRawBytes,
		humanize.IBytes(uint64(a.MedianRawBytes)), a.Compared, a.MinPercent)
}

// medianOf returns the median of sizes (the lower middle for an even count:
// a conservative baseline). sizes must not be empty; it is reordered.
func medianOf(sizes []int64) int64 {
	slices.Sort(sizes)
	return sizes[(len(sizes)-1)/2]
}
