package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// With two drill slots, a second drill queued for a busy server does not
// keep another server's drill waiting.
func TestDrillQueuesAreFairAcrossServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slots := newDrillSlots(2)
	var mu sync.Mutex
	running := map[string]chan drillOutcome{}
	started := make(chan string, 3)
	start := func(b *backup.Backup) (<-chan drillOutcome, error) {
		if !slots.acquire(ctx, b.Server) {
			return nil, ctx.Err()
		}
		ch := make(chan drillOutcome, 1)
		mu.Lock()
		running[b.ID] = ch
		mu.Unlock()
		started <- b.ID
		return ch, nil
	}
	finish := func(id, server string) {
		mu.Lock()
		ch := running[id]
		mu.Unlock()
		slots.release(server)
		ch <- drillOutcome{}
	}
	queues := map[string][]*backup.Backup{
		"a": {{ID: "a1", Server: "a"}, {ID: "a2", Server: "a"}},
		"b": {{ID: "b1", Server: "b"}},
	}
	done := make(chan struct{})
	go func() { drillQueues(ctx, queues, start); close(done) }()

	got := map[string]bool{}
	for range 2 {
		select {
		case id := <-started:
			got[id] = true
		case <-ctx.Done():
			t.Fatalf("only %v started; b1 waits behind a's queue", got)
		}
	}
	if !got["a1"] || !got["b1"] {
		t.Fatalf("started %v first, want a1 and b1", got)
	}
	finish("a1", "a")
	if id := <-started; id != "a2" {
		t.Fatalf("then started %s, want a2", id)
	}
	finish("a2", "a")
	finish("b1", "b")
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("drillQueues did not return after every drill ended")
	}
}

// A scheduled drill run that finds the previous one still going skips its
// tick (and says so) rather than drilling the same backups again.
func TestScheduledDrillsSkipWhilePreviousRuns(t *testing.T) {
	var logs bytes.Buffer
	d := &daemon{logger: slog.New(slog.NewTextHandler(&logs, nil)), drills: newDrillState(2)}
	d.drills.scheduled.Store(true) // a previous run still goes
	d.expandDrills(context.Background())
	if !strings.Contains(logs.String(), "skipped") {
		t.Errorf("log = %q, want the skipped run", logs.String())
	}
	if !d.drills.scheduled.Load() {
		t.Error("the skipped run cleared the running run's mark")
	}
}
