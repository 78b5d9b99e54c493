package app

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// operations are the restores and drills this daemon runs now, for the
// progress the web UI shows (service.Operations).
type operations struct {
	seq atomic.Uint64
	m   sync.Map // key -> *operation
}

// operation is one running restore or drill. Its phase changes under mu;
// read counts the current pass's bytes.
type operation struct {
	view service.Operation // fixed fields; Phase and PhaseStartedAt under mu
	mu   sync.Mutex
	read atomic.Int64
	now  func() time.Time
	end  func() // removes it from the list
}

// start registers a restore or drill ("restore", "drill") of b into target,
// in phase ("queued" for a drill waiting for its slot, "" once it runs),
// with times from now. Its end removes it again.
func (o *operations) start(kind string, b *backup.Backup, target, phase string, now func() time.Time) *operation {
	at := now()
	op := &operation{now: now, view: service.Operation{Kind: kind, BackupID: b.ID, Server: b.Server, Database: b.Database,
		Type: b.Type, Target: target, StartedAt: at, Phase: phase, TotalBytes: b.StoredBytes}}
	if phase != "" {
		op.view.PhaseStartedAt = at
	}
	key := strconv.FormatUint(o.seq.Add(1), 10)
	o.m.Store(key, op)
	op.end = func() { o.m.Delete(key) }
	return op
}

// track starts an operation (see start) that runs now and returns a copy of
// ctx whose runner calls report their reads to it, and its end.
func (o *operations) track(ctx context.Context, kind string, b *backup.Backup, target string, now func() time.Time) (context.Context, func()) {
	op := o.start(kind, b, target, "", now)
	return op.watch(ctx), op.end
}

// setPhase moves op to phase; the read count starts again.
func (op *operation) setPhase(phase string) {
	op.mu.Lock()
	op.view.Phase, op.view.PhaseStartedAt = phase, op.now()
	op.read.Store(0)
	op.mu.Unlock()
}

// watch returns a copy of ctx whose verify, restore and drill calls report
// their passes and reads to op.
func (op *operation) watch(ctx context.Context) context.Context {
	return runner.WithReadWatch(ctx, runner.ReadWatch{Phase: op.setPhase, Progress: op.read.Store})
}

// list returns the running operations, oldest first.
func (o *operations) list() []service.Operation {
	var out []service.Operation
	o.m.Range(func(_, v any) bool {
		op := v.(*operation)
		op.mu.Lock()
		view := op.view
		view.ReadBytes = op.read.Load()
		op.mu.Unlock()
		out = append(out, view)
		return true
	})
	slices.SortFunc(out, func(a, b service.Operation) int { return a.StartedAt.Compare(b.StartedAt) })
	return out
}

// Operations lists the restores and drills this daemon runs now.
func (s *daemonService) Operations(context.Context) []service.Operation {
	return s.d.ops.list()
}
