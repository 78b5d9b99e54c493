package retention

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// sim is a small in-memory catalog that applies retention the way prune
// does: plan each storage, delete what the plan says, mark the copy deleted,
// and the backup deleted once no copy is left.
type sim struct {
	t        *testing.T
	policies map[string]Policy
	backups  []*backup.Backup
	byID     map[string]*backup.Backup
	// newest is, per storage and job×type, the newest good copy ever stored.
	newest map[simKey]*backup.Backup
	seq    int
}

type simKey struct{ storage, server, database, typ string }

type simJob struct{ server, database string }

// add starts a backup, prunes while it runs, then finishes it with the given
// status and copies and prunes again.
func (s *sim) add(job simJob, typ string, at time.Time, status backup.Status, storages []string, failed map[string]bool) *backup.Backup {
	s.seq++
	b := &backup.Backup{
		ID:     fmt.Sprintf("%s-%012x", at.Format("20060102T150405.000Z"), s.seq),
		Server: job.server, Database: job.database, Type: typ,
		Status: backup.StatusRunning, StartedAt: at,
	}
	for _, st := range storages {
		b.Locations = append(b.Locations, backup.Location{
			Storage: st, Key: fmt.Sprintf("%s/%s/%s/%s.sql.zst", job.server, job.database, typ, b.ID),
			Status: backup.LocationPending,
		})
	}
	s.backups = append(s.backups, b)
	s.byID[b.ID] = b
	s.prune()

	b.Status = status
	for i := range b.Locations {
		l := &b.Locations[i]
		if status == backup.StatusFailed || failed[l.Storage] {
			l.Status = backup.LocationFailed
			continue
		}
		l.Status = backup.LocationSuccess
		s.newest[simKey{l.Storage, b.Server, b.Database, b.Type}] = b
	}
	s.prune()
	return b
}

func (s *sim) prune() {
	t := s.t
	t.Helper()
	for storage, policy := range s.policies {
		for _, d := range Plan(storage, policy, s.backups) {
			b := s.byID[d.BackupID]
			loc := b.Location(storage)
			good := (b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial) && loc.Status == backup.LocationSuccess
			if !good && b.Status != backup.StatusRunning {
				t.Fatalf("%s: plan lists %s (status %s, copy %s), which has no good copy here", storage, b.ID, b.Status, loc.Status)
			}
			if d.Action != Delete {
				continue
			}
			if !good {
				t.Fatalf("%s: plan deletes %s (status %s, copy %s)", storage, b.ID, b.Status, loc.Status)
			}
			if s.newest[simKey{storage, b.Server, b.Database, b.Type}] == b {
				t.Fatalf("%s: plan deletes %s, the newest good backup of its job", storage, b.ID)
			}
			loc.Status = backup.LocationDeleted
			if !slices.ContainsFunc(b.Locations, func(l backup.Location) bool { return l.Status == backup.LocationSuccess }) {
				b.Status = backup.StatusDeleted
			}
		}
		if again := deletions(Plan(storage, policy, s.backups)); len(again) > 0 {
			t.Fatalf("%s: a second plan right after pruning still deletes %v", storage, again)
		}
	}
	s.checkInvariants()
}

// survivors returns the good copies on storage of one job×type, newest first.
func (s *sim) survivors(k simKey) []*backup.Backup {
	var out []*backup.Backup
	for _, b := range s.backups {
		if b.Server != k.server || b.Database != k.database || b.Type != k.typ {
			continue
		}
		if l := b.Location(k.storage); l != nil && l.Status == backup.LocationSuccess && b.Status != backup.StatusRunning {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out
}

// checkInvariants states the safety promises independently of Plan's code.
func (s *sim) checkInvariants() {
	t := s.t
	t.Helper()
	for k, newest := range s.newest {
		kept := s.survivors(k)
		if len(kept) == 0 || kept[0] != newest {
			t.Fatalf("%v: newest good backup %s is gone (kept %d)", k, newest.ID, len(kept))
		}
		rule := s.policies[k.storage][k.typ]
		if rule.Keep != nil && len(kept) > max(*rule.Keep, 1) {
			t.Fatalf("%v: %d kept, keep is %d", k, len(kept), *rule.Keep)
		}
		if rule.MaxAge <= 0 {
			continue
		}
		// A copy older than max_age may only survive behind a gap longer
		// than max_age between it and the newest.
		for i, b := range kept {
			if newest.StartedAt.Sub(b.StartedAt) <= rule.MaxAge {
				continue
			}
			held := false
			for j := 1; j <= i; j++ {
				if kept[j-1].StartedAt.Sub(kept[j].StartedAt) > rule.MaxAge {
					held = true
				}
			}
			if !held {
				t.Fatalf("%v: %s is older than %s and nothing holds it", k, b.ID, duration.Format(rule.MaxAge))
			}
		}
	}
}

// TestSimulated60Days runs 60 days of hourly, daily and weekly backups of two
// jobs into two storages, pruning after every backup, with failed runs, a
// partial run and a clock that jumps a year forward on day 45.
func TestSimulated60Days(t *testing.T) {
	const (
		days    = 60
		jumpDay = 45
		jump    = 365 * day
	)
	s := &sim{
		t: t,
		policies: map[string]Policy{
			"local": {
				"hourly": {Keep: intp(24)},
				"daily":  {Keep: intp(7), MaxAge: 14 * day},
				"weekly": {Keep: intp(4)},
			},
			"offsite": {
				"daily":  {Keep: intp(30)},
				"weekly": {Keep: intp(12), MaxAge: 90 * day},
			},
		},
		byID:   map[string]*backup.Backup{},
		newest: map[simKey]*backup.Backup{},
	}
	jobs := []simJob{{"main-mysql", "shop"}, {"pg-main", "crm"}}
	storages := map[string][]string{"hourly": {"local"}, "daily": {"local", "offsite"}, "weekly": {"local", "offsite"}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stamp := func(day int, at time.Duration) time.Time {
		t := start.AddDate(0, 0, day).Add(at)
		if day >= jumpDay {
			t = t.Add(jump)
		}
		return t
	}

	var failed []*backup.Backup
	hourly := map[simJob]int{}
	for d := range days {
		for h := range 24 {
			for _, job := range jobs {
				hourly[job]++
				status := backup.StatusSuccess
				if hourly[job]%13 == 0 {
					status = backup.StatusFailed
				}
				b := s.add(job, "hourly", stamp(d, time.Duration(h)*time.Hour), status, storages["hourly"], nil)
				if status == backup.StatusFailed {
					failed = append(failed, b)
				}
			}
			if h == 2 {
				for i, job := range jobs {
					status, lost := backup.StatusSuccess, map[string]bool(nil)
					switch {
					case d == 20:
						status = backup.StatusFailed
					case d == 40 && i == 0:
						status, lost = backup.StatusPartial, map[string]bool{"offsite": true}
					}
					b := s.add(job, "daily", stamp(d, 2*time.Hour+30*time.Minute), status, storages["daily"], lost)
					if status == backup.StatusFailed {
						failed = append(failed, b)
					}
				}
			}
			if h == 3 && start.AddDate(0, 0, d).Weekday() == time.Sunday {
				for _, job := range jobs {
					s.add(job, "weekly", stamp(d, 3*time.Hour), backup.StatusSuccess, storages["weekly"], nil)
				}
			}
		}
		if d == jumpDay {
			// The first daily after the jump must not have deleted more
			// than keep 7 alone: itself and the six newest before the jump.
			kept := s.survivors(simKey{"local", "main-mysql", "shop", "daily"})
			before := 0
			for _, b := range kept {
				if b.StartedAt.Before(start.AddDate(0, 0, jumpDay)) {
					before++
				}
			}
			if len(kept) != 7 || before != 6 {
				t.Errorf("day %d: local daily keeps %d, %d of them from before the jump; want 7 and 6", d, len(kept), before)
			}
		}
	}

	for _, b := range failed {
		for _, l := range b.Locations {
			if b.Status != backup.StatusFailed || l.Status != backup.LocationFailed {
				t.Errorf("failed run %s changed: status %s, %s copy %s", b.ID, b.Status, l.Storage, l.Status)
			}
		}
	}
	if len(failed) < 2*days*24/13 {
		t.Errorf("only %d failed runs simulated", len(failed))
	}
	wantCounts := map[string]int{
		"local/hourly": 24, "local/daily": 7, "local/weekly": 4,
		"offsite/daily":  30,
		"offsite/weekly": 9, // every weekly: the jump holds max_age 90d, keep 12 is not reached
	}
	for _, job := range jobs {
		for name, want := range wantCounts {
			storage, typ, _ := strings.Cut(name, "/")
			if got := len(s.survivors(simKey{storage, job.server, job.database, typ})); got != want {
				t.Errorf("%s/%s %s: %d kept, want %d", job.server, job.database, name, got, want)
			}
		}
	}
	if kept := s.survivors(simKey{"offsite", "main-mysql", "shop", "daily"}); slices.ContainsFunc(kept, func(b *backup.Backup) bool {
		return b.StartedAt.Equal(start.AddDate(0, 0, 40).Add(2*time.Hour + 30*time.Minute))
	}) {
		t.Error("offsite keeps the day 40 daily whose offsite copy failed")
	}

	checkGolden(t, "sim60.golden", s.report())
}

// report lists every surviving copy: storage, job, type, start time.
func (s *sim) report() string {
	type row struct {
		storage, job, typ string
		at                time.Time
	}
	var rows []row
	for _, b := range s.backups {
		for _, l := range b.Locations {
			if l.Status == backup.LocationSuccess {
				rows = append(rows, row{l.Storage, b.Server + "/" + b.Database, b.Type, b.StartedAt})
			}
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.storage, b.storage), cmp.Compare(a.job, b.job),
			cmp.Compare(a.typ, b.typ), b.at.Compare(a.at))
	})
	var sb strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&sb, "%-8s %-16s %-7s %s\n", r.storage, r.job, r.typ, r.at.Format(time.RFC3339))
	}
	return sb.String()
}
