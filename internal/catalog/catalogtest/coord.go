package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// testProgress: SetProgress writes a running backup's raw bytes and time,
// which Get returns; it does nothing to a backup that ended, and the final
// Update clears ProgressAt.
func testProgress(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	run := NewBackup(t0, 1, "db1", "shop", "daily", backup.StatusRunning)
	done := NewBackup(t0, 2, "db1", "shop", "hourly", backup.StatusSuccess)
	mustInsert(t, s, run, done)
	at := t0.Add(3 * time.Second)
	if err := s.SetProgress(ctx, run.ID, 123456, at); err != nil {
		t.Fatalf("SetProgress: %v", err)
	}
	if err := s.SetProgress(ctx, done.ID, 1, at); err != nil {
		t.Fatalf("SetProgress of an ended backup: %v", err)
	}
	got := mustGet(t, s, run.ID)
	if got.RawBytes != 123456 || got.ProgressAt == nil || !got.ProgressAt.Equal(at) {
		t.Fatalf("running backup after SetProgress: raw %d, progress_at %v; want 123456 at %v", got.RawBytes, got.ProgressAt, at)
	}
	if g := mustGet(t, s, done.ID); g.RawBytes != done.RawBytes || g.ProgressAt != nil {
		t.Fatalf("ended backup after SetProgress: raw %d, progress_at %v; want %d and none", g.RawBytes, g.ProgressAt, done.RawBytes)
	}
	if ok, err := s.MarkInterrupted(ctx, run.ID, at, "gone"); err != nil || !ok {
		t.Fatalf("MarkInterrupted = %v, %v", ok, err)
	}
	if g := mustGet(t, s, run.ID); g.ProgressAt != nil || g.RawBytes != 123456 {
		t.Fatalf("interrupted backup: progress_at %v, raw %d; want none and the last progress", g.ProgressAt, g.RawBytes)
	}
}

func mustGet(t *testing.T, s catalog.Store, id string) *backup.Backup {
	t.Helper()
	b, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return b
}

// testClaims: of many concurrent claims of one job's slot exactly one
// wins, and every loser is told the winner; other slots and jobs are
// separate; PruneClaims forgets old slots.
func testClaims(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	slot := t0.Add(time.Hour)
	const n = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   []string
		owners = map[string]bool{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			holder := fmt.Sprintf("replica-%d", i)
			ok, owner, err := s.ClaimSlot(ctx, "db1/shop/hourly", slot, holder, slot)
			if err != nil {
				t.Errorf("ClaimSlot(%s): %v", holder, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins = append(wins, holder)
			}
			owners[owner] = true
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d concurrent claims of one slot: %d won (%v), want exactly 1", n, len(wins), wins)
	}
	if len(owners) != 1 || !owners[wins[0]] {
		t.Fatalf("claimers were told owners %v, want only the winner %s", owners, wins[0])
	}
	if ok, owner, err := s.ClaimSlot(ctx, "db1/shop/hourly", slot, "late", slot); err != nil || ok || owner != wins[0] {
		t.Fatalf("a later claim of a taken slot = %v, %q, %v; want false, %q", ok, owner, err, wins[0])
	}
	for _, c := range []struct {
		job  string
		slot time.Time
	}{{"db1/shop/hourly", slot.Add(time.Hour)}, {"db1/shop/daily", slot}, {"db2/shop/hourly", slot}} {
		if ok, _, err := s.ClaimSlot(ctx, c.job, c.slot, "other", slot); err != nil || !ok {
			t.Fatalf("ClaimSlot(%s at %s) of a free slot = %v, %v; want true", c.job, c.slot, ok, err)
		}
	}
	pruned, err := s.PruneClaims(ctx, slot.Add(time.Minute))
	if err != nil || pruned != 3 {
		t.Fatalf("PruneClaims = %d, %v; want the 3 claims of the earlier slot", pruned, err)
	}
	if ok, _, err := s.ClaimSlot(ctx, "db1/shop/hourly", slot, "again", slot); err != nil || !ok {
		t.Fatalf("claim of a pruned slot = %v, %v; want true", ok, err)
	}
	if ok, _, err := s.ClaimSlot(ctx, "db1/shop/hourly", slot.Add(time.Hour), "again", slot); err != nil || ok {
		t.Fatalf("claim of a kept slot = %v, %v; want false", ok, err)
	}
}

// testLeases: a free lease goes to exactly one of concurrent takers; its
// holder renews it; others get it only once it expired; release and
// delete; Leases filters by prefix.
func testLeases(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	now := t0
	ttl := 30 * time.Second
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			holder := fmt.Sprintf("replica-%d", i)
			cur, ok, err := s.AcquireLease(ctx, "task/retention", holder, now, now.Add(ttl))
			if err != nil {
				t.Errorf("AcquireLease(%s): %v", holder, err)
				return
			}
			if ok != (cur.Holder == holder) {
				t.Errorf("AcquireLease(%s) = ok %v with holder %s", holder, ok, cur.Holder)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins = append(wins, holder)
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d concurrent takers of a free lease: %d got it (%v), want exactly 1", n, len(wins), wins)
	}
	winner := wins[0]
	later := now.Add(10 * time.Second)
	cur, ok, err := s.AcquireLease(ctx, "task/retention", "other", later, later.Add(ttl))
	if err != nil || ok || cur.Holder != winner || !cur.Expires.Equal(now.Add(ttl)) || !cur.Renewed.Equal(now) {
		t.Fatalf("taking a held lease = %+v, %v, %v; want refused, held by %s until %v", cur, ok, err, winner, now.Add(ttl))
	}
	cur, ok, err = s.AcquireLease(ctx, "task/retention", winner, later, later.Add(ttl))
	if err != nil || !ok || !cur.Expires.Equal(later.Add(ttl)) {
		t.Fatalf("renewal by the holder = %+v, %v, %v; want renewed until %v", cur, ok, err, later.Add(ttl))
	}
	if done, err := s.DeleteLease(ctx, "task/retention", later); err != nil || done {
		t.Fatalf("DeleteLease of a live lease = %v, %v; want false", done, err)
	}
	expired := later.Add(ttl)
	cur, ok, err = s.AcquireLease(ctx, "task/retention", "other", expired, expired.Add(ttl))
	if err != nil || !ok || cur.Holder != "other" {
		t.Fatalf("taking an expired lease = %+v, %v, %v; want taken by other", cur, ok, err)
	}
	if err := s.ReleaseLease(ctx, "task/retention", winner); err != nil {
		t.Fatalf("ReleaseLease by a former holder: %v", err)
	}
	if ls := mustLeases(t, s, "task/"); len(ls) != 1 || ls[0].Holder != "other" {
		t.Fatalf("a former holder's release removed the lease: %+v", ls)
	}
	if err := s.ReleaseLease(ctx, "task/retention", "other"); err != nil {
		t.Fatalf("ReleaseLease: %v", err)
	}
	if ls := mustLeases(t, s, "task/"); len(ls) != 0 {
		t.Fatalf("leases after release: %+v, want none", ls)
	}

	for _, name := range []string{"owner/b", "owner/a", "owner_x", "task/drills", "owner%"} {
		if _, ok, err := s.AcquireLease(ctx, name, "h", now, now.Add(ttl)); err != nil || !ok {
			t.Fatalf("AcquireLease(%s) = %v, %v", name, ok, err)
		}
	}
	var names []string
	for _, l := range mustLeases(t, s, "owner/") {
		names = append(names, l.Name)
	}
	if fmt.Sprint(names) != "[owner/a owner/b]" {
		t.Fatalf("Leases(owner/) = %v, want [owner/a owner/b] (prefix taken literally, by name)", names)
	}
	if got := mustLeases(t, s, ""); len(got) != 5 {
		t.Fatalf("Leases(\"\") = %d leases, want all 5", len(got))
	}
	if done, err := s.DeleteLease(ctx, "owner/a", now.Add(ttl)); err != nil || !done {
		t.Fatalf("DeleteLease of an expired lease = %v, %v; want true", done, err)
	}
	if got := mustLeases(t, s, "owner/"); len(got) != 1 || got[0].Name != "owner/b" {
		t.Fatalf("Leases after DeleteLease = %+v", got)
	}
}

func mustLeases(t *testing.T, s catalog.Store, prefix string) []catalog.Lease {
	t.Helper()
	ls, err := s.Leases(context.Background(), prefix)
	if err != nil {
		t.Fatalf("Leases(%q): %v", prefix, err)
	}
	if ls == nil {
		t.Fatalf("Leases(%q) = nil, want an empty list", prefix)
	}
	return ls
}

// testFinish: Finish records a running backup's end; once another process
// ended it (MarkInterrupted), Finish leaves that end and says so; an
// unknown ID is ErrNotFound.
func testFinish(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	run := NewBackup(t0, 1, "db1", "shop", "daily", backup.StatusRunning)
	taken := NewBackup(t0, 2, "db1", "crm", "daily", backup.StatusRunning)
	mustInsert(t, s, run, taken)
	done := NewBackup(t0, 1, "db1", "shop", "daily", backup.StatusSuccess)
	if err := s.Finish(ctx, done); err != nil {
		t.Fatalf("Finish of a running backup: %v", err)
	}
	if got := mustGet(t, s, run.ID); got.Status != backup.StatusSuccess || len(got.Locations) != 1 || got.FinishedAt == nil {
		t.Fatalf("after Finish: %s, %d locations; want success with its copy", got.Status, len(got.Locations))
	}
	if ok, err := s.MarkInterrupted(ctx, taken.ID, t0.Add(time.Minute), "its lease expired"); err != nil || !ok {
		t.Fatalf("MarkInterrupted = %v, %v", ok, err)
	}
	late := NewBackup(t0, 2, "db1", "crm", "daily", backup.StatusSuccess)
	if err := s.Finish(ctx, late); !errors.Is(err, catalog.ErrNotRunning) {
		t.Fatalf("Finish of a backup another process ended = %v, want ErrNotRunning", err)
	}
	if got := mustGet(t, s, taken.ID); got.Status != backup.StatusInterrupted || got.Error != "its lease expired" || len(got.Locations) != 0 {
		t.Fatalf("the ended row after a refused Finish: %s %q, %d locations; want it unchanged", got.Status, got.Error, len(got.Locations))
	}
	if err := s.Finish(ctx, NewBackup(t0, 3, "db1", "x", "daily", backup.StatusSuccess)); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Finish of an unknown backup = %v, want ErrNotFound", err)
	}
}
