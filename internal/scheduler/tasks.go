package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// fire expands one tick of an entry and starts its tasks.
func (s *Scheduler) fire(ctx context.Context, entry string, slot time.Time) {
	defer s.recoverPanic("expand", "entry", entry)
	tasks := s.opts.Expand(ctx, entry, slot)
	s.log.Debug("schedule fired", "entry", entry, "tasks", len(tasks))
	for _, t := range tasks {
		s.start(ctx, entry, t)
	}
}

// recoverPanic logs a panic of caller-supplied code instead of letting it
// end the daemon.
func (s *Scheduler) recoverPanic(what string, args ...any) {
	if r := recover(); r != nil {
		s.log.Error(what+" panicked", append(args, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))...)
	}
}

// task is a queued or running Task.
type task struct {
	Task
	entry   string
	started bool // holds its slots and is in Run
}

// start queues t unless a task with its Key is queued or running. The
// queued task waits for its slots in its own goroutine, so the caller (the
// scheduling loop) never blocks.
func (s *Scheduler) start(ctx context.Context, entry string, t Task) {
	if ctx.Err() != nil {
		return // shutting down: start nothing new
	}
	s.mu.Lock()
	if _, busy := s.active[t.Key]; busy {
		s.mu.Unlock()
		s.log.Warn("skipped: previous run still running", "task", t.Key, "server", t.Server, "entry", entry)
		if s.opts.OnSkip != nil {
			s.opts.OnSkip(t)
		}
		return
	}
	s.enqueueLocked(ctx, entry, t)
	s.mu.Unlock()
}

// enqueueLocked marks t active and starts its goroutine, which waits for the
// slots. s.mu must be held.
func (s *Scheduler) enqueueLocked(ctx context.Context, entry string, t Task) {
	tk := &task{Task: t, entry: entry}
	s.active[t.Key] = tk
	go s.run(ctx, s.abortCtx, tk)
}

// run waits for the task's slots (Limiter.Acquire: its server's, then the
// total's), then runs the task. It gives up waiting when ctx (Run's) is
// cancelled or Drain aborts.
func (s *Scheduler) run(ctx, abort context.Context, tk *task) {
	defer s.finish(tk)
	gaveUp := func() {
		s.log.Debug("task gave up waiting for a slot", "task", tk.Key)
		if tk.GaveUp != nil {
			tk.GaveUp()
		}
	}
	release, ok := s.limiter.Acquire(ctx, abort, tk.Server)
	if !ok {
		gaveUp()
		return
	}
	defer release()
	if ctx.Err() != nil || abort.Err() != nil {
		gaveUp() // lost a race with cancellation: do not start
		return
	}

	s.mu.Lock()
	tk.started = true
	s.mu.Unlock()

	// Not cancelled with Run's ctx: shutdown stops new work, not this one.
	taskCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(abort, cancel)
	defer stop()

	defer s.recoverPanic("task", "task", tk.Key, "entry", tk.entry)
	s.log.Debug("task started", "task", tk.Key, "entry", tk.entry)
	tk.Run(taskCtx)
	s.log.Debug("task finished", "task", tk.Key, "entry", tk.entry)
}

func (s *Scheduler) finish(tk *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.active, tk.Key)
	if len(s.active) == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// Running returns the Keys of the tasks running now, sorted.
func (s *Scheduler) Running() []string { return s.keys(true) }

// Queued returns the Keys of the tasks waiting for a slot, sorted.
func (s *Scheduler) Queued() []string { return s.keys(false) }

func (s *Scheduler) keys(started bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k, tk := range s.active {
		if tk.started == started {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Drain waits until no task is queued or running, and returns nil. Call it
// after Run has returned, or new tasks may keep it waiting. If ctx is done
// first, it cancels the running tasks' contexts, makes queued ones give up,
// and returns ctx's error without waiting for them to end; another Drain
// can wait for that.
func (s *Scheduler) Drain(ctx context.Context) error {
	s.mu.Lock()
	if len(s.active) == 0 {
		s.mu.Unlock()
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()

	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.abort()
	// Tasks started from now on get a fresh context, so the scheduler
	// stays usable after an aborted drain.
	s.abortCtx, s.abort = context.WithCancel(context.Background())
	s.mu.Unlock()
	// The caller knows why the drain ended (a timeout, a second signal)
	// and says so; this is the detail.
	s.log.Debug("drain ended before the tasks: cancelled them", "cause", context.Cause(ctx))
	return ctx.Err()
}

// ErrBusy is returned by Submit when a task with the same Key is queued or running.
var ErrBusy = errors.New("job is already running")

// ErrNotRunning is returned by Submit when the scheduler is not running.
var ErrNotRunning = errors.New("scheduler is not running")

// Submit starts t now, outside any schedule (e.g. an API call), under the
// same no-overlap rule and limits as scheduled tasks. prepare, when given,
// runs after the overlap check and before t is queued, with no other task
// of t's Key able to start in between; if it fails, t is not queued and its
// error is returned.
func (s *Scheduler) Submit(t Task, prepare func() error) error {
	s.mu.Lock()
	ctx := s.runCtx
	if !s.running || ctx == nil || ctx.Err() != nil {
		s.mu.Unlock()
		return ErrNotRunning
	}
	if _, busy := s.active[t.Key]; busy {
		s.mu.Unlock()
		return ErrBusy
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.enqueueLocked(ctx, "submitted", t)
	s.mu.Unlock()
	return nil
}

// Busy reports whether a task with this Key is queued or running.
func (s *Scheduler) Busy(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, busy := s.active[key]
	return busy
}
