// Package scheduler decides when jobs run. It knows nothing of dumps: a
// tick of an Entry asks a function it is given (Options.Expand) for the
// Tasks to start, and runs them with no overlap of the same Key and within
// global and per-server concurrency limits.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/clock"
)

// maxSleep caps one wait of the loop, so that a wall-clock step (NTP, a
// resumed VM) delays a tick by at most this much: timers measure elapsed
// time, schedules are in wall-clock time.
const maxSleep = time.Minute

// Entry is one scheduled backup type.
type Entry struct {
	Name     string // the backup type, passed to Expand and LastSuccess
	Schedule Schedule
}

// Task is one unit of work of a tick, typically one server × database.
type Task struct {
	// Key identifies the job ("server/database/type"): a task is skipped
	// while another with the same Key is queued or running.
	Key string
	// Server groups tasks for the per-server limit.
	Server string
	// Run does the work. Its ctx is not cancelled when the scheduler's Run
	// ctx is (a running backup may finish during shutdown) but is when
	// Drain gives up.
	Run func(ctx context.Context)
	// GaveUp, if set, is called instead of Run when the task never got its
	// slots because the scheduler shut down first.
	GaveUp func()
}

// Options configure a Scheduler. Expand is required.
type Options struct {
	Clock  clock.Clock  // default clock.System{}
	Logger *slog.Logger // default: discard

	// Total and PerServer limit how many tasks run at once overall and per
	// Task.Server; 0 or less means no limit.
	Total, PerServer int

	// Expand turns a tick of the named entry into tasks. Each call runs in
	// its own goroutine, so a slow Expand (database discovery) delays no
	// other entry, and calls may overlap; ctx is Run's. slot is the
	// scheduled instant of the tick (for a catch-up run, the latest one
	// missed), the same in every process that runs the same schedule, so
	// that processes sharing work can tell one tick from another.
	Expand func(ctx context.Context, entry string, slot time.Time) []Task

	// OnSkip, if set, is called for each task skipped because its Key was
	// still queued or running; calls may come from several goroutines.
	OnSkip func(task Task)

	// LastSuccess, if set, reports when the entry last succeeded (false:
	// never). On start, Run fires once each entry that missed a run since
	// then. Nil disables catch-up.
	LastSuccess func(entry string) (time.Time, bool)
}

// Scheduler runs entries on their schedules. Build it with New.
type Scheduler struct {
	clock   clock.Clock
	log     *slog.Logger
	opts    Options
	limiter *Limiter      // Options.Total and PerServer
	wake    chan struct{} // Reload → loop, buffered 1

	mu       sync.Mutex
	running  bool                 // inside Run
	entries  []Entry              // current schedule
	next     map[string]time.Time // entry name → next run; absent: never
	active   map[string]*task     // Key → queued or running task
	idle     chan struct{}        // closed when active empties; nil: nobody waits
	abort    context.CancelFunc   // cancels the tasks' contexts (Drain gave up)
	abortCtx context.Context
	runCtx   context.Context // Run's ctx while it runs, for Submit
}

// New returns a Scheduler; it starts nothing until Run.
func New(opts Options) *Scheduler {
	s := &Scheduler{
		clock:   opts.Clock,
		log:     opts.Logger,
		opts:    opts,
		wake:    make(chan struct{}, 1),
		limiter: NewLimiter(opts.Total, opts.PerServer),
		next:    map[string]time.Time{},
		active:  map[string]*task{},
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.abortCtx, s.abort = context.WithCancel(context.Background())
	return s
}

// Run fires entries on their schedules until ctx is cancelled, then waits
// for the Expand calls in flight and returns nil: after it returns no new
// task starts (queued ones give up), but running tasks go on; see Drain.
//
// On start, an entry whose LastSuccess is missing or older than its latest
// scheduled run before now fires once, whatever the number of runs missed.
// ("Older than one Period" would also fire a weekday job on Monday morning
// for a weekend it was never meant to run.)
func (s *Scheduler) Run(ctx context.Context, entries []Entry) error {
	if s.opts.Expand == nil {
		return errors.New("scheduler: Options.Expand is nil")
	}
	if err := validate(entries); err != nil {
		return err
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("scheduler: already running")
	}
	s.running = true
	s.runCtx = ctx
	now := s.clock.Now()
	s.setEntriesLocked(entries, now)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	var fires sync.WaitGroup
	defer fires.Wait()
	fire := func(f firing) {
		fires.Add(1)
		go func() {
			defer fires.Done()
			s.fire(ctx, f.entry, f.slot)
		}()
	}

	for _, f := range s.catchUp(entries, now) {
		fire(f)
	}
	for {
		s.mu.Lock()
		now := s.clock.Now()
		due := s.dueLocked(now)
		wait := s.waitLocked(now)
		s.mu.Unlock()
		for _, f := range due {
			fire(f)
		}

		timer := s.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			s.log.Info("scheduler stopped")
			return nil
		case <-s.wake:
			timer.Stop()
		case <-timer.C():
		}
	}
}

// firing is one tick of an entry: its name and scheduled instant.
type firing struct {
	entry string
	slot  time.Time
}

// catchUp returns the entries to fire once on start, each with the latest
// of its scheduled instants before now (its own start time if it has none).
func (s *Scheduler) catchUp(entries []Entry, now time.Time) []firing {
	if s.opts.LastSuccess == nil {
		return nil
	}
	var out []firing
	for _, e := range entries {
		last, ok := s.opts.LastSuccess(e.Name)
		if ok {
			if next := e.Schedule.Next(last); next.IsZero() || next.After(now) {
				continue // no run was due since the last success
			}
		}
		s.log.Info("catch-up run: a scheduled run was missed", "entry", e.Name, "last_success", lastString(last, ok))
		out = append(out, firing{e.Name, latestBefore(e.Schedule, now)})
	}
	return out
}

// latestBefore returns the latest instant of sch at or before now. It
// looks back one period, then two, four... up to a little over a year, and
// walks forward from the first window that holds a run. A schedule without
// a run in that time gives now truncated to the second.
func latestBefore(sch Schedule, now time.Time) time.Time {
	p := Period(sch, now)
	if p <= 0 {
		return now.Truncate(time.Second)
	}
	for back := p; back <= 400*24*time.Hour+p; back *= 2 {
		n := sch.Next(now.Add(-back))
		if n.IsZero() || n.After(now) {
			continue
		}
		for {
			m := sch.Next(n)
			if m.IsZero() || m.After(now) {
				return n
			}
			n = m
		}
	}
	return now.Truncate(time.Second)
}

func lastString(t time.Time, ok bool) string {
	if !ok {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// Reload swaps the schedule, e.g. on SIGHUP. Tasks queued or running are
// kept (and still block their Key); a run already due is not lost. It works
// whether or not Run is running; Run's own entries argument replaces
// whatever Reload set before it.
func (s *Scheduler) Reload(entries []Entry) error {
	if err := validate(entries); err != nil {
		return err
	}
	s.mu.Lock()
	s.setEntriesLocked(entries, s.clock.Now())
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	s.log.Info("schedule reloaded", "entries", len(entries))
	return nil
}

// NextRuns returns each entry's next run; an entry that never runs again
// is absent.
func (s *Scheduler) NextRuns() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.next))
	for name, t := range s.next {
		out[name] = t
	}
	return out
}

func validate(entries []Entry) error {
	seen := map[string]bool{}
	for i, e := range entries {
		switch {
		case e.Name == "":
			return fmt.Errorf("scheduler: entry %d has no name", i)
		case e.Schedule == nil:
			return fmt.Errorf("scheduler: entry %q has no schedule", e.Name)
		case seen[e.Name]:
			return fmt.Errorf("scheduler: entry %q appears twice", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

// setEntriesLocked installs entries and their next runs. A name that was
// already due keeps its due time, so a reload racing a tick does not drop
// the tick.
func (s *Scheduler) setEntriesLocked(entries []Entry, now time.Time) {
	next := make(map[string]time.Time, len(entries))
	for _, e := range entries {
		if old, ok := s.next[e.Name]; ok && !old.After(now) {
			next[e.Name] = old
		} else if t := e.Schedule.Next(now); !t.IsZero() {
			next[e.Name] = t
		}
	}
	s.entries = append([]Entry(nil), entries...)
	s.next = next
}

// dueLocked returns the entries due at now, in entry order, each with its
// scheduled instant, and moves each to its next run after now: a loop
// woken late fires an entry once, not once per missed run.
func (s *Scheduler) dueLocked(now time.Time) []firing {
	var due []firing
	for _, e := range s.entries {
		t, ok := s.next[e.Name]
		if !ok || t.After(now) {
			continue
		}
		due = append(due, firing{e.Name, t})
		if n := e.Schedule.Next(now); n.IsZero() {
			delete(s.next, e.Name)
		} else {
			s.next[e.Name] = n
		}
	}
	return due
}

// waitLocked returns how long to sleep until the earliest next run, at
// most maxSleep.
func (s *Scheduler) waitLocked(now time.Time) time.Duration {
	wait := maxSleep
	for _, t := range s.next {
		wait = min(wait, t.Sub(now))
	}
	return max(wait, 0)
}
