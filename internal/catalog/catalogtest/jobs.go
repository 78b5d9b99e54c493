package catalogtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// FoldJobs is the reference for Store.Jobs: the job summaries folded, in
// Go, from every backup as List returns them (newest first, each with its
// newest finished drill). It is how the job list was computed before the
// catalog did it, kept to check Jobs against and to benchmark it.
func FoldJobs(all []*backup.Backup) []catalog.JobSummary {
	byKey := map[[3]string]*catalog.JobSummary{}
	var keys [][3]string
	for _, b := range all { // newest first
		k := [3]string{b.Server, b.Database, b.Type}
		j := byKey[k]
		if j == nil {
			j = &catalog.JobSummary{Server: b.Server, Database: b.Database, Type: b.Type}
			byKey[k] = j
			keys = append(keys, k)
		}
		jb := &catalog.JobBackup{ID: b.ID, Status: b.Status, StartedAt: b.StartedAt, Error: b.Error}
		if j.Last == nil {
			j.Last = jb
		}
		switch {
		case b.Status == backup.StatusSuccess && j.LastSuccess == nil:
			j.LastSuccess = jb
		case slices.Contains(catalog.FailureStatuses, b.Status) && j.LastFailure == nil:
			j.LastFailure = jb
		case b.Status == backup.StatusRunning && j.Running == nil:
			j.Running = jb
		}
		d := b.Drill
		if d == nil || d.Status == backup.DrillInterrupted {
			continue
		}
		jd := &catalog.JobDrill{BackupID: b.ID, Drill: *d}
		if j.LastDrill == nil || d.At.After(j.LastDrill.At) {
			j.LastDrill = jd
		}
		if d.Status == backup.DrillSuccess && (j.LastDrillSuccess == nil || d.At.After(j.LastDrillSuccess.At)) {
			j.LastDrillSuccess = jd
		}
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		return strings.Compare(a[0]+"\x00"+a[1]+"\x00"+a[2], b[0]+"\x00"+b[1]+"\x00"+b[2])
	})
	out := make([]catalog.JobSummary, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}

func jobs(t *testing.T, s catalog.Store) []catalog.JobSummary {
	t.Helper()
	js, err := s.Jobs(context.Background())
	if err != nil {
		t.Fatalf("Jobs: %v", err)
	}
	return js
}

func testJobsEmpty(t *testing.T, s catalog.Store) {
	if js := jobs(t, s); js == nil || len(js) != 0 {
		t.Errorf("Jobs of an empty catalog = %#v, want an empty, non-nil slice", js)
	}
}

func jobBackup(b *backup.Backup) *catalog.JobBackup {
	return &catalog.JobBackup{ID: b.ID, Status: b.Status, StartedAt: b.StartedAt, Error: b.Error}
}

// testJobsOutcomes: per job, the newest backup of each outcome; jobs in
// byte order of server, database and type.
func testJobsOutcomes(t *testing.T, s catalog.Store) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	const srv, db = "srv", "shop"
	oldSuccess := NewBackup(at(0), 1, srv, db, "daily", backup.StatusSuccess)
	success := NewBackup(at(1), 2, srv, db, "daily", backup.StatusSuccess)
	failed := NewBackup(at(2), 3, srv, db, "daily", backup.StatusFailed)
	partial := NewBackup(at(3), 4, srv, db, "daily", backup.StatusPartial)
	oldRunning := NewBackup(at(4), 5, srv, db, "daily", backup.StatusRunning)
	running := NewBackup(at(5), 6, srv, db, "daily", backup.StatusRunning)
	deleted := NewBackup(at(6), 7, srv, db, "daily", backup.StatusDeleted)
	interrupted := NewBackup(at(0), 8, srv, db, "weekly", backup.StatusInterrupted)
	onlyDeleted := NewBackup(at(0), 9, srv, "Shop", "daily", backup.StatusDeleted)
	otherServer := NewBackup(at(0), 10, "a-srv", db, "daily", backup.StatusSuccess)
	mustInsert(t, s, oldSuccess, success, failed, partial, oldRunning, running, deleted, interrupted, onlyDeleted, otherServer)

	want := []catalog.JobSummary{
		{Server: "a-srv", Database: db, Type: "daily", Last: jobBackup(otherServer), LastSuccess: jobBackup(otherServer)},
		{Server: srv, Database: "Shop", Type: "daily", Last: jobBackup(onlyDeleted)},
		{Server: srv, Database: db, Type: "daily", Last: jobBackup(deleted), LastSuccess: jobBackup(success),
			LastFailure: jobBackup(partial), Running: jobBackup(running)},
		{Server: srv, Database: db, Type: "weekly", Last: jobBackup(interrupted), LastFailure: jobBackup(interrupted)},
	}
	got := jobs(t, s)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Jobs:\n%s", diffJobs(got, want))
	}
}

// testJobsDrills: only each backup's newest finished drill counts, deleted
// backups' too, running and interrupted drills prove nothing, and on a tie
// the newer backup's drill wins.
func testJobsDrills(t *testing.T, s catalog.Store) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	b1 := NewBackup(at(0), 1, "srv", "shop", "daily", backup.StatusSuccess)
	b2 := NewBackup(at(1), 2, "srv", "shop", "daily", backup.StatusSuccess)
	b3 := NewBackup(at(2), 3, "srv", "shop", "daily", backup.StatusDeleted)
	b4 := NewBackup(at(3), 4, "srv", "shop", "daily", backup.StatusSuccess)
	c1 := NewBackup(at(0), 5, "srv", "crm", "daily", backup.StatusSuccess)
	c2 := NewBackup(at(1), 6, "srv", "crm", "daily", backup.StatusSuccess)
	e1 := NewBackup(at(0), 7, "srv", "erp", "daily", backup.StatusSuccess)
	mustInsert(t, s, b1, b2, b3, b4, c1, c2, e1)

	drill(t, s, b1.ID, at(10), backup.DrillSuccess)                            // b1 proven...
	drill(t, s, b2.ID, at(11), backup.DrillSuccess)                            // b2 proven at 11...
	drill(t, s, b2.ID, at(12), backup.DrillFailure, "table t: 1 rows, want 2") // ...but no longer
	drill(t, s, b2.ID, at(13), backup.DrillInterrupted)                        // proves nothing
	drill(t, s, b2.ID, at(14), catalog.DrillRunning)                           // not finished
	drill(t, s, b3.ID, at(15), backup.DrillFailure, "table u: missing")        // deleted since: still counts
	drill(t, s, b4.ID, at(9), backup.DrillSuccess)                             // older than b1's drill
	drill(t, s, c1.ID, at(10), backup.DrillFailure)                            // a tie: c2's wins
	drill(t, s, c2.ID, at(10), backup.DrillSuccess)
	drill(t, s, e1.ID, at(10), backup.DrillInterrupted)

	got := jobs(t, s)
	if len(got) != 3 {
		t.Fatalf("Jobs = %d jobs, want 3:\n%s", len(got), diffJobs(got, nil))
	}
	check := func(j catalog.JobSummary, last *catalog.JobDrill, lastSuccess *catalog.JobDrill) {
		t.Helper()
		if !sameDrill(j.LastDrill, last) || !sameDrill(j.LastDrillSuccess, lastSuccess) {
			t.Errorf("job %s/%s: LastDrill %s, LastDrillSuccess %s; want %s, %s", j.Server, j.Database,
				drillString(j.LastDrill), drillString(j.LastDrillSuccess), drillString(last), drillString(lastSuccess))
		}
	}
	jd := func(b *backup.Backup, h int, st backup.DrillStatus, diffs ...string) *catalog.JobDrill {
		return &catalog.JobDrill{BackupID: b.ID, Drill: backup.Drill{At: at(h), Status: st, Differences: append([]string{}, diffs...)}}
	}
	// got is ordered crm, erp, shop.
	check(got[0], jd(c2, 10, backup.DrillSuccess), jd(c2, 10, backup.DrillSuccess))
	check(got[1], nil, nil)
	check(got[2], jd(b3, 15, backup.DrillFailure, "table u: missing"), jd(b1, 10, backup.DrillSuccess))
	if d := got[2].LastDrill; d != nil && (d.Seconds != 2.5 || !d.Compared || d.Server != "drill-target") {
		t.Errorf("LastDrill lacks the drill's details: %+v", d)
	}
}

func sameDrill(got, want *catalog.JobDrill) bool {
	if got == nil || want == nil {
		return got == want
	}
	return got.BackupID == want.BackupID && got.At.Equal(want.At) && got.Status == want.Status &&
		reflect.DeepEqual(got.Differences, want.Differences)
}

func drillString(d *catalog.JobDrill) string {
	if d == nil {
		return "none"
	}
	return d.BackupID + " " + string(d.Status) + " at " + d.At.Format(time.RFC3339)
}

// testJobsMatchList: on a varied catalog, Jobs says what folding every
// backup of List says (FoldJobs).
func testJobsMatchList(t *testing.T, s catalog.Store) {
	rng := rand.New(rand.NewPCG(12, 12))
	statuses := backup.Statuses
	drillStatuses := []backup.DrillStatus{backup.DrillSuccess, backup.DrillFailure, backup.DrillInterrupted, catalog.DrillRunning}
	for n := range 120 {
		started := t0.Add(time.Duration(n) * time.Minute)
		b := NewBackup(started, n, []string{"m", "p"}[rng.IntN(2)], []string{"shop", "crm", "erp"}[rng.IntN(3)],
			[]string{"daily", "weekly"}[rng.IntN(2)], statuses[rng.IntN(len(statuses))])
		mustInsert(t, s, b)
		for k := range rng.IntN(3) * rng.IntN(2) { // most backups have no drill
			// Hours rounded so that drills of different backups tie.
			at := t0.Add(time.Duration(200+rng.IntN(40)+k) * time.Hour)
			drill(t, s, b.ID, at, drillStatuses[rng.IntN(len(drillStatuses))])
		}
	}
	all, err := s.List(context.Background(), catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got, want := jobs(t, s), FoldJobs(all)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Jobs differs from the fold of List:\n%s", diffJobs(got, want))
	}
}

// diffJobs lists the jobs of got and want that differ.
func diffJobs(got, want []catalog.JobSummary) string {
	var sb strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w any = "none", "none"
		if i < len(got) {
			g = describeJob(got[i])
		}
		if i < len(want) {
			w = describeJob(want[i])
		}
		if !reflect.DeepEqual(g, w) {
			sb.WriteString("  got  " + g.(string) + "\n  want " + w.(string) + "\n")
		}
	}
	if sb.Len() == 0 {
		fmt.Fprintf(&sb, "  got  %+v\n  want %+v\n", got, want)
	}
	return sb.String()
}

func describeJob(j catalog.JobSummary) string {
	b := func(jb *catalog.JobBackup) string {
		if jb == nil {
			return "-"
		}
		return jb.ID + "(" + string(jb.Status) + ")"
	}
	return strings.Join([]string{j.Server, j.Database, j.Type, "last " + b(j.Last), "success " + b(j.LastSuccess),
		"failure " + b(j.LastFailure), "running " + b(j.Running),
		"drill " + drillString(j.LastDrill), "proven " + drillString(j.LastDrillSuccess)}, " ")
}
