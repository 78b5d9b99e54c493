package sqlite

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func TestDrillsRecordAndFillTheLatest(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := fullBackup(t0, 1), fullBackup(t0.Add(time.Hour), 2)
	mustInsert(t, s, a, b)

	got, err := s.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Drill != nil {
		t.Fatalf("Drill before any drill = %+v, want nil", got.Drill)
	}
	if js, _ := json.Marshal(got); !strings.Contains(string(js), `"drill":null`) {
		t.Errorf("JSON of an undrilled backup lacks \"drill\":null: %s", js)
	}

	first := &catalog.DrillRecord{BackupID: a.ID, Scratch: "gosqlguard_drill_000000000001", Host: "h", PID: 7,
		Drill: backup.Drill{At: t0.Add(2 * time.Hour), Server: "main-mysql"}}
	if err := s.InsertDrill(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.Status != catalog.DrillRunning {
		t.Fatalf("after insert: id %d status %q", first.ID, first.Status)
	}
	// A running drill is not the backup's last drill.
	if got, _ := s.Get(ctx, a.ID); got.Drill != nil {
		t.Errorf("a running drill shows as the last one: %+v", got.Drill)
	}
	running, err := s.RunningDrills(ctx)
	if err != nil || len(running) != 1 || running[0].Scratch != first.Scratch || running[0].PID != 7 || running[0].Host != "h" {
		t.Fatalf("RunningDrills = %+v, %v", running, err)
	}

	first.Status, first.Seconds, first.Compared = backup.DrillFailure, 1.5, true
	first.Differences, first.Error = []string{"table t: 1 rows, want 2"}, ""
	if err := s.FinishDrill(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := &catalog.DrillRecord{BackupID: a.ID, Scratch: "gosqlguard_drill_000000000002",
		Drill: backup.Drill{At: t0.Add(3 * time.Hour), Server: "other"}}
	if err := s.InsertDrill(ctx, second); err != nil {
		t.Fatal(err)
	}
	second.Status, second.Seconds = backup.DrillSuccess, 2
	if err := s.FinishDrill(ctx, second); err != nil {
		t.Fatal(err)
	}

	// An interrupted drill proves nothing either way: the last one that
	// ran to its end stays the backup's drill.
	third := &catalog.DrillRecord{BackupID: a.ID, Scratch: "gosqlguard_drill_000000000003",
		Drill: backup.Drill{At: t0.Add(4 * time.Hour), Server: "main-mysql"}}
	if err := s.InsertDrill(ctx, third); err != nil {
		t.Fatal(err)
	}
	third.Status = backup.DrillInterrupted
	if err := s.FinishDrill(ctx, third); err != nil {
		t.Fatal(err)
	}

	got, err = s.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := backup.Drill{At: t0.Add(3 * time.Hour), Seconds: 2, Status: backup.DrillSuccess, Server: "other", Differences: []string{}}
	if got.Drill == nil || got.Drill.Status != want.Status || !got.Drill.At.Equal(want.At) || got.Drill.Server != want.Server ||
		got.Drill.Differences == nil || len(got.Drill.Differences) != 0 || got.Drill.Seconds != 2 {
		t.Errorf("Get: Drill = %+v, want %+v", got.Drill, want)
	}
	list, err := s.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		switch x.ID {
		case a.ID:
			if x.Drill == nil || x.Drill.Server != "other" {
				t.Errorf("List: %s Drill = %+v", x.ID, x.Drill)
			}
		case b.ID:
			if x.Drill != nil {
				t.Errorf("List: undrilled %s has Drill %+v", x.ID, x.Drill)
			}
		}
	}
	history, err := s.Drills(ctx, a.ID)
	if err != nil || len(history) != 3 || history[0].ID != third.ID || history[1].ID != second.ID || history[2].Differences[0] != "table t: 1 rows, want 2" || !history[2].Compared {
		t.Errorf("Drills = %+v, %v", history, err)
	}
	if running, _ := s.RunningDrills(ctx); len(running) != 0 {
		t.Errorf("RunningDrills after both finished = %+v", running)
	}
	if err := s.InsertDrill(ctx, &catalog.DrillRecord{BackupID: "nope", Drill: backup.Drill{At: t0}}); err == nil {
		t.Error("a drill of an unknown backup was recorded")
	}
}
