package retention

import (
	"slices"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

const (
	newestReason = "newest successful backup of its job (always kept)"
	runningNote  = "backup in progress (never touched)"
)

func TestPlan(t *testing.T) {
	jumped := t0.Add(365 * day)
	for _, tc := range []struct {
		name    string
		policy  Policy
		backups []*backup.Backup
		want    []string
	}{
		{
			name:    "keep only",
			policy:  Policy{"daily": {Keep: intp(3)}},
			backups: dailies(5, t0),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 keep: within the newest 3",
				"d02 keep: within the newest 3",
				"d03 delete: beyond the newest 3",
				"d04 delete: beyond the newest 3",
			},
		},
		{
			name:   "the newest backup without a size anomaly stays",
			policy: Policy{"daily": {Keep: intp(1)}},
			backups: func() []*backup.Backup {
				bs := dailies(4, t0)
				for _, b := range bs[:2] {
					b.Manifest = &backup.Manifest{SizeAnomaly: &backup.SizeAnomaly{RawBytes: 1, MedianRawBytes: 100}}
				}
				return bs
			}(),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 delete: beyond the newest 1",
				"d02 keep: newest backup without a size anomaly (always kept: the newer ones are far smaller)",
				"d03 delete: beyond the newest 1",
			},
		},
		{
			name:    "max_age only",
			policy:  Policy{"daily": {MaxAge: 2 * day}},
			backups: dailies(5, t0),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 keep: within 2d of the newest",
				"d02 keep: within 2d of the newest", // exactly 2d old is not older than 2d
				"d03 delete: older than 2d (measured from the newest backup, 2026-01-31 02:30)",
				"d04 delete: older than 2d (measured from the newest backup, 2026-01-31 02:30)",
			},
		},
		{
			name:    "keep and max_age: either one deletes",
			policy:  Policy{"daily": {Keep: intp(3), MaxAge: 36 * time.Hour}},
			backups: dailies(5, t0),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 keep: within the newest 3 and within 36h of the newest",
				"d02 delete: older than 36h (measured from the newest backup, 2026-01-31 02:30)",
				"d03 delete: beyond the newest 3",
				"d04 delete: beyond the newest 3",
			},
		},
		{
			name:    "keep 0 keeps only the newest",
			policy:  Policy{"daily": {Keep: intp(0)}},
			backups: dailies(3, t0),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 delete: keep is 0: only the newest backup stays",
				"d02 delete: keep is 0: only the newest backup stays",
			},
		},
		{
			name:    "no rule for the type: kept forever",
			policy:  Policy{"daily": {Keep: intp(1)}},
			backups: []*backup.Backup{stored("m1", "manual", t0), stored("m2", "manual", t0.Add(-400*day))},
			want: []string{
				"m1 keep: no retention rule for type manual: kept forever",
				"m2 keep: no retention rule for type manual: kept forever",
			},
		},
		{
			name:    "nil policy",
			backups: dailies(2, t0),
			want: []string{
				"d00 keep: no retention rule for type daily: kept forever",
				"d01 keep: no retention rule for type daily: kept forever",
			},
		},
		{
			name:    "rule without limits",
			policy:  Policy{"daily": {}},
			backups: dailies(2, t0),
			want: []string{
				"d00 keep: retention for type daily sets no limit: kept forever",
				"d01 keep: retention for type daily sets no limit: kept forever",
			},
		},
		{
			name:   "failed runs and failed copies neither count nor go",
			policy: Policy{"daily": {Keep: intp(2)}},
			backups: []*backup.Backup{
				with(stored("f1", "daily", t0), func(b *backup.Backup) {
					b.Status, b.Locations[0].Status = backup.StatusFailed, backup.LocationFailed
				}),
				with(stored("p1", "daily", t0.Add(-1*day), "local", "offsite"), func(b *backup.Backup) {
					b.Status, b.Locations[0].Status = backup.StatusPartial, backup.LocationFailed
				}),
				with(stored("i1", "daily", t0.Add(-2*day)), func(b *backup.Backup) { b.Status = backup.StatusInterrupted }),
				stored("g1", "daily", t0.Add(-3*day)),
				with(stored("p2", "daily", t0.Add(-4*day), "local", "offsite"), func(b *backup.Backup) {
					b.Status, b.Locations[1].Status = backup.StatusPartial, backup.LocationFailed
				}),
				stored("g2", "daily", t0.Add(-5*day)),
			},
			want: []string{
				"g1 keep: " + newestReason,
				"p2 keep: within the newest 2", // partial, but its local copy is good
				"g2 delete: beyond the newest 2",
			},
		},
		{
			name:   "running backups are never touched or counted",
			policy: Policy{"daily": {Keep: intp(1)}},
			backups: []*backup.Backup{
				with(stored("r1", "daily", t0.Add(day)), func(b *backup.Backup) {
					b.Status, b.Locations[0].Status = backup.StatusRunning, backup.LocationPending
				}),
				stored("g1", "daily", t0),
				with(stored("r0", "daily", t0.Add(-day)), func(b *backup.Backup) { b.Status = backup.StatusRunning }),
				stored("g0", "daily", t0.Add(-2*day)),
			},
			want: []string{
				"r1 keep: " + runningNote,
				"g1 keep: " + newestReason,
				"r0 keep: " + runningNote,
				"g0 delete: beyond the newest 1",
			},
		},
		{
			name:   "deleted backups, deleted copies and pending copies are ignored",
			policy: Policy{"daily": {Keep: intp(1)}},
			backups: []*backup.Backup{
				with(stored("x1", "daily", t0), func(b *backup.Backup) { b.Status = backup.StatusDeleted }),
				with(stored("x2", "daily", t0.Add(-day)), func(b *backup.Backup) { b.Locations[0].Status = backup.LocationDeleted }),
				with(stored("x3", "daily", t0.Add(-2*day)), func(b *backup.Backup) { b.Locations[0].Status = backup.LocationPending }),
				stored("g1", "daily", t0.Add(-3*day)),
				stored("g0", "daily", t0.Add(-4*day)),
				stored("elsewhere", "daily", t0, "offsite"),
				nil,
			},
			want: []string{
				"g1 keep: " + newestReason,
				"g0 delete: beyond the newest 1",
			},
		},
		{
			name:    "backups that stopped months ago keep their history",
			policy:  Policy{"daily": {Keep: intp(2), MaxAge: 14 * day}},
			backups: dailies(3, t0.Add(-90*day)),
			want: []string{
				"d00 keep: " + newestReason,
				"d01 keep: within the newest 2 and within 14d of the newest",
				"d02 delete: beyond the newest 2",
			},
		},
		{
			name:    "the newest is kept even alone and old",
			policy:  Policy{"daily": {Keep: intp(0), MaxAge: time.Hour}},
			backups: dailies(1, t0.Add(-90*day)),
			want:    []string{"d00 keep: " + newestReason},
		},
		{
			name:    "clock jump with keep and max_age: only keep deletes",
			policy:  Policy{"daily": {Keep: intp(4), MaxAge: 14 * day}},
			backups: append(dailies(6, t0), stored("future", "daily", jumped)),
			want: []string{
				"future keep: " + newestReason,
				"d00 keep: older than 14d, kept anyway: the newer backups follow a 365d gap (clock jump or outage?) and do not span 14d yet",
				"d01 keep: older than 14d, kept anyway: the newer backups follow a 365d gap (clock jump or outage?) and do not span 14d yet",
				"d02 keep: older than 14d, kept anyway: the newer backups follow a 365d gap (clock jump or outage?) and do not span 14d yet",
				"d03 delete: beyond the newest 4",
				"d04 delete: beyond the newest 4",
				"d05 delete: beyond the newest 4",
			},
		},
		{
			name:    "clock jump with max_age only: nothing goes yet",
			policy:  Policy{"daily": {MaxAge: 2 * day}},
			backups: append(dailies(2, t0), stored("j0", "daily", jumped), stored("j1", "daily", jumped.Add(2*day))),
			want: []string{
				"j1 keep: " + newestReason,
				"j0 keep: within 2d of the newest",
				"d00 keep: older than 2d, kept anyway: the newer backups follow a 365d gap (clock jump or outage?) and do not span 2d yet",
				"d01 keep: older than 2d, kept anyway: the newer backups follow a 365d gap (clock jump or outage?) and do not span 2d yet",
			},
		},
		{
			name:   "after a jump, history goes once the new backups span max_age",
			policy: Policy{"daily": {MaxAge: 2 * day}},
			backups: append(dailies(2, t0),
				stored("j0", "daily", jumped), stored("j1", "daily", jumped.Add(day)),
				stored("j2", "daily", jumped.Add(2*day)), stored("j3", "daily", jumped.Add(3*day))),
			want: []string{
				"j3 keep: " + newestReason,
				"j2 keep: within 2d of the newest",
				"j1 keep: within 2d of the newest",
				"j0 delete: older than 2d (measured from the newest backup, 2027-02-03 02:30)",
				"d00 delete: older than 2d (measured from the newest backup, 2027-02-03 02:30)",
				"d01 delete: older than 2d (measured from the newest backup, 2027-02-03 02:30)",
			},
		},
		{
			name:    "an outage shorter than max_age does not hold ages",
			policy:  Policy{"daily": {MaxAge: 3 * day}},
			backups: append(dailies(3, t0), stored("n0", "daily", t0.Add(3*day))),
			want: []string{
				"n0 keep: " + newestReason,
				"d00 keep: within 3d of the newest",
				"d01 delete: older than 3d (measured from the newest backup, 2026-02-03 02:30)",
				"d02 delete: older than 3d (measured from the newest backup, 2026-02-03 02:30)",
			},
		},
		{
			name:    "an outage longer than max_age holds ages like a jump",
			policy:  Policy{"hourly": {MaxAge: 36 * time.Hour}},
			backups: []*backup.Backup{stored("n0", "hourly", t0.Add(50*time.Hour)), stored("h0", "hourly", t0), stored("h1", "hourly", t0.Add(-time.Hour))},
			want: []string{
				"n0 keep: " + newestReason,
				"h0 keep: older than 36h, kept anyway: the newer backups follow a 50h gap (clock jump or outage?) and do not span 36h yet",
				"h1 keep: older than 36h, kept anyway: the newer backups follow a 50h gap (clock jump or outage?) and do not span 36h yet",
			},
		},
		{
			name:   "equal start times are ordered by ID",
			policy: Policy{"manual": {Keep: intp(1)}},
			backups: []*backup.Backup{
				stored("a", "manual", t0), stored("c", "manual", t0), stored("b", "manual", t0),
			},
			want: []string{
				"c keep: " + newestReason,
				"b delete: beyond the newest 1",
				"a delete: beyond the newest 1",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.backups)
			got := lines(Plan("local", tc.policy, tc.backups))
			if d := diffLines(got, tc.want); d != "" {
				t.Error(d)
			}
			if !slices.Equal(in, tc.backups) {
				t.Error("Plan reordered its input")
			}
		})
	}
}

// TestPlanJumpDeletesNoMoreThanKeep checks the safety promise directly: after
// a one-year jump forward, the first new backup deletes exactly what keep
// alone would delete, for every keep.
func TestPlanJumpDeletesNoMoreThanKeep(t *testing.T) {
	for keep := range 12 {
		history := dailies(10, t0)
		withJump := append(slices.Clone(history), stored("future", "daily", t0.Add(365*day)))
		got := deletions(Plan("local", Policy{"daily": {Keep: intp(keep), MaxAge: 14 * day}}, withJump))
		want := deletions(Plan("local", Policy{"daily": {Keep: intp(keep)}}, withJump))
		if !slices.Equal(got, want) {
			t.Errorf("keep %d: jump deletes %v, keep alone deletes %v", keep, got, want)
		}
		if got := deletions(Plan("local", Policy{"daily": {MaxAge: 14 * day}}, withJump)); len(got) != 0 {
			t.Errorf("max_age only: jump deletes %v, want nothing", got)
		}
	}
}

func deletions(ds []Decision) []string {
	var ids []string
	for _, d := range ds {
		if d.Action == Delete {
			ids = append(ids, d.BackupID)
		}
	}
	return ids
}

func TestPlanGroupsAndOrder(t *testing.T) {
	mk := func(id, server, database, typ string, at time.Time) *backup.Backup {
		b := stored(id, typ, at)
		b.Server, b.Database = server, database
		return b
	}
	policy := Policy{"daily": {Keep: intp(1)}, "hourly": {Keep: intp(1)}}
	got := Plan("local", policy, []*backup.Backup{
		mk("b-crm-d1", "b", "crm", "daily", t0.Add(-day)),
		mk("a-shop-h1", "a", "shop", "hourly", t0),
		mk("a-crm-d0", "a", "crm", "daily", t0),
		mk("b-crm-d0", "b", "crm", "daily", t0),
		mk("a-shop-d0", "a", "shop", "daily", t0),
		mk("a-crm-d1", "a", "crm", "daily", t0.Add(-day)),
		mk("a-shop-h2", "a", "shop", "hourly", t0.Add(-time.Hour)),
	})
	want := []string{
		"a-crm-d0 keep: " + newestReason,
		"a-crm-d1 delete: beyond the newest 1",
		"a-shop-d0 keep: " + newestReason,
		"a-shop-h1 keep: " + newestReason,
		"a-shop-h2 delete: beyond the newest 1",
		"b-crm-d0 keep: " + newestReason,
		"b-crm-d1 delete: beyond the newest 1",
	}
	if d := diffLines(lines(got), want); d != "" {
		t.Error(d)
	}
	for _, d := range got {
		if d.Key != "local/"+d.BackupID {
			t.Errorf("%s: key %q, want the local location's key", d.BackupID, d.Key)
		}
		if d.Server == "" || d.Database == "" || d.Type == "" || d.StartedAt.IsZero() {
			t.Errorf("%s: incomplete decision %+v", d.BackupID, d)
		}
	}
}
