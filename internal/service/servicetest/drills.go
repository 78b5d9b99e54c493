package servicetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// drillOutcome is what a drill of b finds, started at at, unless
// Fake.DrillOutcome says otherwise: a drill of a pg-main backup fails with
// an error that carries a secret and a path; one of a partial backup
// restores but differs from the fingerprint; the others pass.
func drillOutcome(b *backup.Backup, at time.Time) backup.Drill {
	d := backup.Drill{At: at, Seconds: 12.4, Status: backup.DrillSuccess, Server: b.Server, Compared: true, Differences: []string{}}
	switch {
	case b.Server == "pg-main":
		d.Status, d.Compared, d.Seconds = backup.DrillFailure, false, 3.1
		d.Error = "pg_restore: error: could not connect to server: FATAL: password authentication failed (password=" + LeakedSecret +
			")\nreading /var/lib/gosqlguard/drill/" + b.ID + ".dump"
	case b.Status == backup.StatusPartial:
		d.Status = backup.DrillFailure
		d.Differences = []string{"table orders: 41 rows, want 42", "triggers: 0, want 1"}
	}
	return d
}

// RecordDrill adds d to the drills of backup id and makes it the backup's
// last drill.
func (f *Fake) RecordDrill(id string, d backup.Drill) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recordDrillLocked(f.backups[id], d)
}

// recordDrillLocked appends d to b's history and makes it b's last drill.
func (f *Fake) recordDrillLocked(b *backup.Backup, d backup.Drill) {
	f.drills[b.ID] = append(f.drills[b.ID], d)
	c := d
	b.Drill = &c
}

// Seed fills the catalog with a plausible history: hourly backups of
// main-mysql for the last hours, daily ones of every database, a failed job
// whose error carries a secret and a path, a partial backup, an overdue job
// and some restore drills.
func (f *Fake) Seed() {
	n := f.clock.Now()
	// The newest hourly run is at minute 1 of an hour that has begun by
	// then: in the first minute of an hour that is the previous hour's,
	// never one in the future.
	hour := n.Add(-time.Minute).Truncate(time.Hour)
	for i := 1; i <= 6; i++ {
		for _, db := range []string{"crm", "shop"} {
			f.Add("main-mysql", db, "hourly", hour.Add(-time.Duration(i-1)*time.Hour).Add(time.Minute), backup.StatusSuccess, "")
		}
	}
	day := n.Truncate(24 * time.Hour).Add(2*time.Hour + 30*time.Minute)
	if day.After(n) {
		day = day.Add(-24 * time.Hour)
	}
	for i := 0; i < 4; i++ {
		at := day.Add(-time.Duration(i) * 24 * time.Hour)
		f.Add("main-mysql", "shop", "daily", at, backup.StatusSuccess, "")
		f.Add("main-mysql", "crm", "daily", at, backup.StatusSuccess, "")
		f.Add("pg-main", "app", "daily", at, backup.StatusSuccess, "")
	}
	// analytics: last success 4 days ago, failures since.
	f.Add("pg-main", "analytics", "daily", day.Add(-4*24*time.Hour), backup.StatusSuccess, "")
	f.Add("pg-main", "analytics", "daily", day.Add(-24*time.Hour), backup.StatusFailed,
		"pg_dump: error: connection to server at \"10.0.0.5\", port 5432 failed: FATAL: password authentication failed for user \"backup\" (password="+LeakedSecret+")")
	f.Add("pg-main", "analytics", "daily", day, backup.StatusFailed,
		"pg_dump: error: could not open file /var/lib/gosqlguard/secret.key: permission denied; dsn=postgres://backup:"+LeakedSecret+"@10.0.0.5/analytics")
	// billing: its last success is three days old, nothing since (overdue).
	f.Add("pg-main", "billing", "daily", day.Add(-3*24*time.Hour), backup.StatusSuccess, "")
	// A partial backup: the offsite copy failed.
	b := f.Add("main-mysql", "shop", "manual", n.Add(-50*time.Minute), backup.StatusPartial, "storage offsite: upload failed: connection reset")
	b.Locations[1].Status, b.Locations[1].Error = backup.LocationFailed, "upload failed: connection reset by peer"
	f.seedDrills()
}

// seedDrills gives some jobs a drill history: main-mysql/crm/daily is proven
// by its newest backup; main-mysql/shop/daily was proven a day ago and its
// latest drill differs; pg-main/app/daily's only drill failed. The others
// never had one.
func (f *Fake) seedDrills() {
	f.mu.Lock()
	defer f.mu.Unlock()
	newest := func(server, db, typ string, skip int) *backup.Backup {
		var list []*backup.Backup
		for _, b := range f.backups {
			if b.Server == server && b.Database == db && b.Type == typ && b.Status == backup.StatusSuccess {
				list = append(list, b)
			}
		}
		slices.SortFunc(list, func(a, b *backup.Backup) int { return strings.Compare(b.ID, a.ID) })
		return list[skip]
	}
	// at is a time between b's start and now, so that drills never lie in
	// the future whatever the time of day.
	now := f.clock.Now()
	at := func(b *backup.Backup, frac float64) time.Time {
		return b.StartedAt.Add(time.Duration(frac * float64(now.Sub(b.StartedAt))))
	}
	crm := newest("main-mysql", "crm", "daily", 0)
	f.recordDrillLocked(crm, drillOutcome(crm, at(crm, 0.3)))
	f.recordDrillLocked(crm, drillOutcome(crm, at(crm, 0.6)))

	older := newest("main-mysql", "shop", "daily", 1)
	f.recordDrillLocked(older, drillOutcome(older, at(older, 0.1)))
	shop := newest("main-mysql", "shop", "daily", 0)
	bad := drillOutcome(shop, at(shop, 0.5))
	bad.Status, bad.Differences = backup.DrillFailure, []string{"table orders: 41 rows, want 42"}
	f.recordDrillLocked(shop, bad)

	app := newest("pg-main", "app", "daily", 0)
	f.recordDrillLocked(app, drillOutcome(app, at(app, 0.5)))
}

// DrillBackup runs a drill now: ErrInvalid unless the backup succeeded (in
// whole or in part), ErrConflict for a database named "busy".
func (f *Fake) DrillBackup(_ context.Context, id string) (backup.Drill, error) {
	if err := f.enter("DrillBackup"); err != nil {
		return backup.Drill{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backups[id]
	if b == nil {
		return backup.Drill{}, fmt.Errorf("drill %s: %w", id, service.ErrNotFound)
	}
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return backup.Drill{}, fmt.Errorf("%w: backup %s is %s, not restorable", service.ErrInvalid, b.ID, b.Status)
	}
	if b.Database == "busy" {
		return backup.Drill{}, fmt.Errorf("%w: a drill of this backup is already running", service.ErrConflict)
	}
	outcome := f.DrillOutcome
	if outcome == nil {
		outcome = drillOutcome
	}
	d := outcome(b, f.clock.Now())
	f.recordDrillLocked(b, d)
	return d, nil
}

// BackupDrills lists the backup's drills, newest first.
func (f *Fake) BackupDrills(_ context.Context, id string) ([]backup.Drill, error) {
	if err := f.enter("BackupDrills"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.backups[id] == nil {
		return nil, fmt.Errorf("drills of %s: %w", id, service.ErrNotFound)
	}
	if f.DrillsErr != nil {
		return nil, f.DrillsErr
	}
	out := slices.Clone(f.drills[id])
	slices.Reverse(out) // newest first
	return out, nil
}

// noteDrill counts b's last drill towards its job, as the app does.
func noteDrill(j *service.Job, b *backup.Backup) {
	d := b.Drill
	if d == nil || b.Status == backup.StatusDeleted {
		return
	}
	at := d.At
	if j.LastDrill == nil || at.After(*j.LastDrill) {
		j.LastDrill, j.LastDrillID, j.LastDrillStatus, j.LastDrillError = &at, b.ID, d.Status, d.Error
		j.LastDrillDifferences = len(d.Differences)
	}
	if d.Status == backup.DrillSuccess && (j.LastDrillSuccess == nil || at.After(*j.LastDrillSuccess)) {
		j.LastDrillSuccess, j.LastDrillSuccessID = &at, b.ID
	}
}
