package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// The fake's restore drills. A drill of a pg-main backup fails with an error
// that carries a secret and a path; one of a partial backup restores but
// differs from the fingerprint; the others pass. A backup of a database
// named "busy" has a drill running already.

// drillOutcome is what a drill of b finds, started at at.
func drillOutcome(b *backup.Backup, at time.Time) backup.Drill {
	d := backup.Drill{At: at, Seconds: 12.4, Status: backup.DrillSuccess, Server: b.Server, Compared: true, Differences: []string{}}
	switch {
	case b.Server == "pg-main":
		d.Status, d.Compared, d.Seconds = backup.DrillFailure, false, 3.1
		d.Error = "pg_restore: error: could not connect to server: FATAL: password authentication failed (password=" + leakedSecret +
			")\nreading /var/lib/gosqlguard/drill/" + b.ID + ".dump"
	case b.Status == backup.StatusPartial:
		d.Status = backup.DrillFailure
		d.Differences = []string{"table orders: 41 rows, want 42", "triggers: 0, want 1"}
	}
	return d
}

// recordDrillLocked appends d to b's history and makes it b's last drill.
func (f *fakeService) recordDrillLocked(b *backup.Backup, d backup.Drill) {
	if f.drills == nil {
		f.drills = map[string][]backup.Drill{}
	}
	f.drills[b.ID] = append(f.drills[b.ID], d)
	c := d
	b.Drill = &c
}

// seedDrills gives some jobs a drill history: main-mysql/crm/daily is proven
// by its newest backup; main-mysql/shop/daily was proven a day ago and its
// latest drill differs; pg-main/app/daily's only drill failed. The others
// never had one.
func (f *fakeService) seedDrills() {
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
	now := f.now()
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

func (f *fakeService) DrillBackup(_ context.Context, id string) (backup.Drill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["drill"]++
	b := f.backups[id]
	if b == nil {
		return backup.Drill{}, fmt.Errorf("drill %s: %w", id, catalog.ErrNotFound)
	}
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return backup.Drill{}, fmt.Errorf("%w: backup %s is %s, not restorable", service.ErrInvalid, b.ID, b.Status)
	}
	if b.Database == "busy" {
		return backup.Drill{}, fmt.Errorf("%w: a drill of this backup is already running", service.ErrConflict)
	}
	d := drillOutcome(b, f.now())
	f.recordDrillLocked(b, d)
	return d, nil
}

func (f *fakeService) BackupDrills(_ context.Context, id string) ([]backup.Drill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.backups[id] == nil {
		return nil, fmt.Errorf("drills of %s: %w", id, catalog.ErrNotFound)
	}
	if f.drillsErr != nil {
		return nil, f.drillsErr
	}
	out := slices.Clone(f.drills[id])
	slices.Reverse(out) // newest first
	return out, nil
}

// noteDrillLocked counts b's last drill towards its job, as the app does.
func noteDrillLocked(j *service.Job, b *backup.Backup) {
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
