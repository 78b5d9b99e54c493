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
}

// track registers a restore or drill ("restore", "drill") of b into target
// (times from now) and returns a copy of ctx whose runner calls report their reads to it,
// and a func that ends the tracking.
func (o *operations) track(ctx context.Context, kind string, b *backup.Backup, target string, now func() time.Time) (context.Context, func()) {
	op := &operation{view: service.Operation{Kind: kind, BackupID: b.ID, Server: b.Server, Database: b.Database,
		Type: b.Type, Target: target, StartedAt: now(), TotalBytes: b.StoredBytes}}
	key := strconv.FormatUint(o.seq.Add(1), 10)
	o.m.Store(key, op)
	ctx = runner.WithReadWatch(ctx, runner.ReadWatch{
		Phase: func(phase string) {
			op.mu.Lock()
			op.view.Phase, op.view.PhaseStartedAt = phase, now()
			op.read.Store(0)
			op.mu.Unlock()
		},
		Progress: op.read.Store,
	})
	return ctx, func() { o.m.Delete(key) }
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
