package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// drillEntry is the scheduler entry of drills.schedule; the "@" keeps it
// apart from every backup type name.
const drillEntry = "@drills"

// drillState is the daemon's bookkeeping of restore drills. Drills run as
// scheduler tasks (so the concurrency limits apply to them as to backups),
// but only after taking a drill slot: at most drills.concurrency drills at
// once, never two on one server, and a drill waiting for its slot holds
// none of the backups' slots.
type drillState struct {
	slots  *drillSlots
	claims sync.Map // backup ID -> struct{}: a drill of it is queued or running
	// scheduled is set while a run of drills.schedule goes.
	scheduled atomic.Bool
}

func newDrillState(concurrency int) *drillState {
	return &drillState{slots: newDrillSlots(concurrency)}
}

// drillOutcome is how a submitted drill ended.
type drillOutcome struct {
	res runner.DrillResult
	err error
}

// errDrillGaveUp: the daemon stopped before the drill got its slots.
var errDrillGaveUp = errors.New("the daemon stopped before the drill started")

// errDrillCallerGone is why a drill whose caller went away was stopped.
var errDrillCallerGone = errors.New("the request that started it was canceled")

// startedDrill is a drill submitted to the scheduler.
type startedDrill struct {
	// done receives how the drill ended, once.
	done <-chan drillOutcome
	// running is closed when the scheduler starts the drill's task.
	running <-chan struct{}
}

// startDrill waits (within wait) for a drill slot on the drill's server, then
// submits the drill to the scheduler. The drill is cancelled when serve
// ends (shutdown) or wait ends (its caller went away; a scheduled run
// passes serve for both), and cleans up after itself: a drill whose caller
// left before it started never starts. errDrillBusy when a drill of b is
// already queued or running.
func (d *daemon) startDrill(serve, wait context.Context, a *App, b *backup.Backup) (startedDrill, error) {
	req, err := a.DrillTarget(b)
	if err != nil {
		return startedDrill{}, err
	}
	if _, loaded := d.drills.claims.LoadOrStore(b.ID, struct{}{}); loaded {
		return startedDrill{}, errDrillBusy
	}
	// Listed from here, so that a drill waiting for its slot shows too.
	op := d.ops.start("drill", b, req.Server, "queued", d.opts.Clock.Now)
	if !d.drills.slots.acquire(wait, req.Server) {
		op.end()
		d.drills.claims.Delete(b.ID)
		return startedDrill{}, context.Cause(wait)
	}
	ch, running := make(chan drillOutcome, 1), make(chan struct{})
	var once sync.Once
	done := func(res runner.DrillResult, err error) {
		once.Do(func() {
			op.end()
			d.drills.slots.release(req.Server)
			d.drills.claims.Delete(b.ID)
			ch <- drillOutcome{res, err}
		})
	}
	task := scheduler.Task{
		Key:    "drill/" + b.ID,
		Server: req.Server,
		Run: func(ctx context.Context) {
			close(running)
			if wait.Err() != nil { // its caller left while it queued
				done(runner.DrillResult{}, context.Canceled)
				return
			}
			ctx, cancel := context.WithCancelCause(ctx)
			defer cancel(nil)
			// Shutdown cancels drills at once; so does the caller's leaving.
			stop := context.AfterFunc(serve, func() { cancel(context.Cause(serve)) })
			defer stop()
			stopWait := context.AfterFunc(wait, func() {
				if serve.Err() == nil { // a scheduled run's wait is serve: shutdown says so itself
					cancel(errDrillCallerGone)
				}
			})
			defer stopWait()
			op.setPhase("")
			res, err := a.Runner.Drill(op.watch(ctx), req)
			done(res, err)
		},
		GaveUp: func() { done(runner.DrillResult{}, errDrillGaveUp) },
	}
	if err := d.sched.Submit(task, nil); err != nil {
		op.end()
		d.drills.slots.release(req.Server)
		d.drills.claims.Delete(b.ID)
		if errors.Is(err, scheduler.ErrBusy) {
			return startedDrill{}, errDrillBusy
		}
		return startedDrill{}, err
	}
	return startedDrill{done: ch, running: running}, nil
}

// expandDrills runs one tick of drills.schedule: it removes drill leftovers
// from the servers it will drill on, then drills the newest successful
// backup of each job: each server's one after another, servers side by side
// as drill slots free. It returns once every drill ended (or the daemon
// stops); the scheduler runs it in its own goroutine. A tick while the
// previous run still goes is skipped: it would drill the same backups again.
func (d *daemon) expandDrills(ctx context.Context) {
	if !d.drills.scheduled.CompareAndSwap(false, true) {
		d.logger.Warn("scheduled restore drills skipped: the previous run is still going")
		return
	}
	defer d.drills.scheduled.Store(false)
	a := d.current()
	cands, err := a.DrillCandidates(ctx, a.Config.Drills.Servers, "")
	if err != nil {
		d.logger.Error("cannot plan restore drills", "error", err)
		return
	}
	if len(cands) == 0 {
		d.logger.Info("restore drills: no successful backup to drill")
		return
	}
	a.CleanDrillLeftovers(ctx, a.DrillServers(cands))
	d.logger.Info("restore drills started", "backups", len(cands))
	queues := map[string][]*backup.Backup{}
	for _, b := range cands {
		req, err := a.DrillTarget(b)
		if err != nil {
			d.logger.Error("cannot start a restore drill", "id", b.ID, "error", err)
			continue
		}
		queues[req.Server] = append(queues[req.Server], b)
	}
	drillQueues(ctx, queues, func(b *backup.Backup) (<-chan drillOutcome, error) {
		sd, err := d.startDrill(ctx, ctx, a, b)
		ch := sd.done
		switch {
		case err == nil, ctx.Err() != nil, errors.Is(err, scheduler.ErrNotRunning):
		case errors.Is(err, errDrillBusy):
			d.logger.Warn("restore drill skipped: a drill of this backup is still running", "id", b.ID)
		default:
			d.logger.Error("cannot start a restore drill", "id", b.ID, "error", err)
		}
		return ch, err
	})
}

// drillQueues drills each server's backups (queues by the server drilled
// on) in order, one at a time, and the servers side by side: a server busy
// with a long drill never holds up another server's, and a drill waits for
// its server before it competes for a global drill slot. It returns when
// every queue is done or ctx ended; a queue stops when ctx ended or the
// scheduler no longer runs.
func drillQueues(ctx context.Context, queues map[string][]*backup.Backup, start func(*backup.Backup) (<-chan drillOutcome, error)) {
	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range q {
				ch, err := start(b)
				if ctx.Err() != nil || errors.Is(err, scheduler.ErrNotRunning) {
					return
				}
				if err != nil {
					continue
				}
				select {
				case <-ch:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
}

// lastDrill is when the newest recorded drill started, for the scheduler's
// catch-up of a missed drills run.
func (d *daemon) lastDrill() (time.Time, bool) {
	list, err := d.current().Catalog.List(context.Background(), catalog.Filter{Status: backup.StatusSuccess})
	if err != nil {
		return time.Time{}, false
	}
	var last time.Time
	for _, b := range list {
		if b.Drill != nil && b.Drill.At.After(last) {
			last = b.Drill.At
		}
	}
	return last, !last.IsZero()
}

// drillEntryOf is the scheduler entry of drills.schedule, or nil.
func (a *App) drillEntryOf(loc *time.Location) (*scheduler.Entry, error) {
	if a.Config.Drills.Schedule == "" {
		return nil, nil
	}
	s, err := scheduler.Parse(a.Config.Drills.Schedule, loc)
	if err != nil {
		return nil, fmt.Errorf("drills.schedule: %w", err)
	}
	return &scheduler.Entry{Name: drillEntry, Schedule: s}, nil
}

// drillNow runs a drill of one backup now and returns it (the API's
// POST /backups/{id}/drill). When ctx ends (the caller went away) the
// drill stops: one that runs is recorded as interrupted and returned once
// it has cleaned up; one still queued never starts (context.Canceled).
func (d *daemon) drillNow(ctx context.Context, a *App, b *backup.Backup) (backup.Drill, error) {
	sd, err := d.startDrill(d.serveCtx, ctx, a, b)
	if err != nil {
		return backup.Drill{}, err
	}
	var o drillOutcome
	select {
	case o = <-sd.done:
	case <-ctx.Done():
		select {
		case <-sd.running: // it stops at once, drops its scratch database and records itself
			o = <-sd.done
		default:
			return backup.Drill{}, ctx.Err()
		}
	}
	if o.err != nil {
		return backup.Drill{}, o.err
	}
	return o.res.Drill, nil
}

// DrillBackup runs a restore drill of one backup now, within the drill
// limits, and returns it.
func (s *daemonService) DrillBackup(ctx context.Context, id string) (backup.Drill, error) {
	a := s.d.current()
	b, err := a.Catalog.Get(ctx, id)
	if err != nil {
		return backup.Drill{}, err
	}
	if b.Status != backup.StatusSuccess && b.Status != backup.StatusPartial {
		return backup.Drill{}, fmt.Errorf("%w: backup %s is %s, not restorable", service.ErrInvalid, b.ID, b.Status)
	}
	if _, err := a.DrillTarget(b); err != nil {
		return backup.Drill{}, fmt.Errorf("%w: %v", service.ErrInvalid, err)
	}
	d, err := s.d.drillNow(ctx, a, b)
	switch {
	case errors.Is(err, errDrillBusy):
		return d, fmt.Errorf("%w: %v", service.ErrConflict, err)
	case errors.Is(err, scheduler.ErrNotRunning), errors.Is(err, errDrillGaveUp):
		return d, fmt.Errorf("%w: the daemon is shutting down", service.ErrUnavailable)
	}
	return d, err
}
