package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
)

// guard bounds every wait of these tests: time is simulated, so a wait
// that lasts this long means a bug, never slowness.
const guard = 10 * time.Second

type fireEvent struct {
	entry string
	at    time.Time
	slot  time.Time // the scheduled instant Expand was given
}

func (e fireEvent) String() string { return e.entry + "@" + e.at.UTC().Format(time.RFC3339) }

var epoch = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// harness runs a Scheduler on a clock.Fake and records every Expand call
// with the fake time it happened at.
type harness struct {
	t      *testing.T
	clock  *clock.Fake
	s      *Scheduler
	logs   *logtest.Buffer
	fires  chan fireEvent
	skips  chan Task
	cancel context.CancelFunc
	done   chan error
}

// newHarness builds a scheduler; tasks (may be nil) gives each entry's
// tasks; opts may set limits and LastSuccess.
func newHarness(t *testing.T, start time.Time, opts Options, tasks func(entry string) []Task) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		clock: clock.NewFake(start),
		logs:  &logtest.Buffer{},
		fires: make(chan fireEvent, 1000),
		skips: make(chan Task, 1000),
	}
	opts.Clock = h.clock
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Expand = func(ctx context.Context, entry string, slot time.Time) []Task {
		h.fires <- fireEvent{entry, h.clock.Now(), slot.UTC()}
		if tasks == nil {
			return nil
		}
		return tasks(entry)
	}
	opts.OnSkip = func(task Task) { h.skips <- task }
	h.s = New(opts)
	return h
}

func (h *harness) start(entries ...Entry) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.s.Run(ctx, entries) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(guard):
			h.t.Error("Run did not return after cancel")
		}
	})
	h.waitArmed()
}

// waitArmed waits until the loop sleeps on its timer: everything due has
// been handed to Expand goroutines.
func (h *harness) waitArmed() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
		h.t.Fatal("scheduler never waited on its clock")
	}
}

// setTime moves the fake time once the loop sleeps.
func (h *harness) setTime(at time.Time) {
	h.t.Helper()
	h.waitArmed()
	h.clock.Set(at)
}

// stop cancels Run, waits for it (and so for every Expand in flight), and
// returns the fires not yet received.
func (h *harness) stop() []fireEvent {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(guard):
		h.t.Fatal("Run did not return after cancel")
	}
	h.done <- nil // for the cleanup
	var rest []fireEvent
	for {
		select {
		case e := <-h.fires:
			rest = append(rest, e)
		default:
			return rest
		}
	}
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func drain(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("Drain = %v", err)
	}
}

func entry(t *testing.T, name, spec string, loc *time.Location) Entry {
	t.Helper()
	s, err := Parse(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return Entry{Name: name, Schedule: s}
}

// A simulated day in Europe/Berlin, the day clocks go forward: 23 hours.
func TestTicksOverASimulatedDay(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	start := mustTime(t, "2026-03-28T23:00:30Z") // 00:00:30 CET, 29 March
	end := mustTime(t, "2026-03-29T22:00:30Z")   // 00:00:30 CEST, 30 March

	var want []fireEvent
	for at := mustTime(t, "2026-03-29T00:00:00Z"); !at.After(end); at = at.Add(time.Hour) {
		want = append(want, fireEvent{"hourly", at, at})
	}
	want = append(want, fireEvent{"daily", mustTime(t, "2026-03-29T01:00:00Z"), mustTime(t, "2026-03-29T01:00:00Z")}) // 02:30 does not exist: 03:00 CEST
	for _, h := range []string{"00", "06", "12", "18"} {
		at := mustTime(t, "2026-03-29T"+h+":00:00Z")
		want = append(want, fireEvent{"six", at, at})
	}
	sortEvents(want)

	h := newHarness(t, start, Options{}, nil)
	h.start(entry(t, "hourly", "0 * * * *", berlin), entry(t, "daily", "30 2 * * *", berlin), entry(t, "six", "@every 6h", berlin))

	next := h.s.NextRuns()
	if got, want := next["daily"], mustTime(t, "2026-03-29T01:00:00Z"); !got.Equal(want) {
		t.Errorf("NextRuns()[daily] = %v, want %v", got, want)
	}
	if got, want := next["hourly"], mustTime(t, "2026-03-29T00:00:00Z"); !got.Equal(want) {
		t.Errorf("NextRuns()[hourly] = %v, want %v", got, want)
	}

	// Jump straight to each expected run (the loop also wakes every minute
	// on its own, which a jump covers) and collect what fired.
	var got []fireEvent
	for i := 0; i < len(want); {
		at := want[i].at
		n := 0
		for ; i+n < len(want) && want[i+n].at.Equal(at); n++ {
		}
		h.setTime(at)
		for range n {
			got = append(got, recv(t, h.fires, fmt.Sprintf("%d fires at %s", n, at)))
		}
		i += n
	}
	h.setTime(end)
	got = append(got, h.stop()...)
	sortEvents(got)
	if !slices.Equal(got, want) {
		t.Errorf("fires:\ngot  %v\nwant %v", got, want)
	}
}

func sortEvents(es []fireEvent) {
	slices.SortFunc(es, func(a, b fireEvent) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.entry, b.entry)
	})
}

// blockingTask returns a task that reports its start and runs until
// released.
func blockingTask(key, server string, started chan<- string, release <-chan struct{}) Task {
	return Task{Key: key, Server: server, Run: func(ctx context.Context) {
		started <- key
		<-release
	}}
}

func TestOverlappingTickIsSkipped(t *testing.T) {
	const key = "db1/shop/minutely"
	started, release := make(chan string, 10), make(chan struct{})
	h := newHarness(t, epoch.Add(30*time.Second), Options{}, func(string) []Task {
		return []Task{blockingTask(key, "db1", started, release)}
	})
	h.start(entry(t, "minutely", "* * * * *", time.UTC))

	h.setTime(epoch.Add(time.Minute))
	recv(t, started, "the first run")
	h.setTime(epoch.Add(2 * time.Minute)) // the first run still runs
	if got := recv(t, h.skips, "OnSkip"); got.Key != key {
		t.Errorf("OnSkip(%q), want %q", got.Key, key)
	}
	if got := h.s.Running(); !slices.Equal(got, []string{key}) {
		t.Errorf("Running() = %v, want [%s]", got, key)
	}
	release <- struct{}{}
	drain(t, h.s)

	h.setTime(epoch.Add(3 * time.Minute)) // free again: runs
	recv(t, started, "the run after the skipped tick")
	release <- struct{}{}
	drain(t, h.s)
	h.stop()

	if n := len(h.skips); n != 0 {
		t.Errorf("%d more skips, want exactly 1", n)
	}
	if n := len(started); n != 0 {
		t.Errorf("%d more runs, want exactly 2", n)
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "skipped: previous run still running"); n != 1 {
		t.Errorf("log has %d skip lines, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "level=WARN msg=\"skipped: previous run still running\" task="+key) {
		t.Errorf("skip not logged at warn with its task:\n%s", logs)
	}
}

func TestConcurrencyLimits(t *testing.T) {
	const servers, dbs = 3, 2
	var (
		now, peak  atomic.Int32
		perServer  [servers]atomic.Int32
		violations atomic.Int32
		runs       atomic.Int32
	)
	started, release := make(chan string, 10), make(chan struct{})
	tasks := func(entry string) []Task {
		var ts []Task
		for srv := range servers {
			for db := range dbs {
				key := fmt.Sprintf("srv%d/db%d/%s", srv, db, entry)
				ts = append(ts, Task{Key: key, Server: fmt.Sprintf("srv%d", srv), Run: func(context.Context) {
					runs.Add(1)
					n := now.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					if perServer[srv].Add(1) > 1 {
						violations.Add(1)
					}
					started <- key
					<-release
					perServer[srv].Add(-1)
					now.Add(-1)
				}})
			}
		}
		return ts
	}
	h := newHarness(t, epoch.Add(30*time.Second), Options{Total: 2, PerServer: 1}, tasks)
	h.start(entry(t, "daily", "* * * * *", time.UTC))

	h.setTime(epoch.Add(time.Minute))
	first := []string{recv(t, started, "a start"), recv(t, started, "a second start")}
	if first[0][:4] == first[1][:4] {
		t.Errorf("the first two tasks %v share a server", first)
	}

	// The loop is not blocked by the four waiting tasks: the next tick
	// expands again, and finds all six keys queued or running.
	h.setTime(epoch.Add(2 * time.Minute))
	for range servers * dbs {
		recv(t, h.skips, "a skip of a queued or running task")
	}
	if got := h.s.Running(); len(got) != 2 {
		t.Errorf("Running() = %v, want 2 tasks", got)
	}
	if got := h.s.Queued(); len(got) != 4 {
		t.Errorf("Queued() = %v, want 4 tasks", got)
	}

	// Finish running tasks one at a time until every task has run. A
	// release does not always start a task: the only queued one may belong
	// to a server that is still busy.
	startedN, finished := 2, 0
	for finished < servers*dbs {
		select {
		case release <- struct{}{}:
			finished++
		case <-time.After(guard):
			t.Fatalf("nothing runs after %d of %d finished; queued %v", finished, servers*dbs, h.s.Queued())
		}
		for more := true; more && startedN < servers*dbs; {
			select {
			case <-started:
				startedN++
			case <-time.After(100 * time.Millisecond):
				more = false
			}
		}
	}
	if startedN != servers*dbs {
		t.Errorf("%d tasks started, want %d", startedN, servers*dbs)
	}
	drain(t, h.s)
	h.stop()

	if got := runs.Load(); got != servers*dbs {
		t.Errorf("ran %d tasks, want %d", got, servers*dbs)
	}
	if got := peak.Load(); got != 2 {
		t.Errorf("at most %d tasks ran at once, want 2", got)
	}
	if got := violations.Load(); got != 0 {
		t.Errorf("%d times two tasks of one server ran at once", got)
	}
}

func TestCatchUp(t *testing.T) {
	tests := []struct {
		name       string
		spec       string
		start      string
		last       string // "" = never succeeded
		wantCatch  bool
		wantNextAt string // the first regular run after start
		wantSlot   string // the catch-up's slot: the latest run missed
	}{
		{"never succeeded", "30 2 * * *", "2026-06-10T12:00:00Z", "", true, "2026-06-11T02:30:00Z", "2026-06-10T02:30:00Z"},
		{"today's run missed", "30 2 * * *", "2026-06-10T12:00:00Z", "2026-06-09T02:41:00Z", true, "2026-06-11T02:30:00Z", "2026-06-10T02:30:00Z"},
		{"many runs missed: still once", "0 * * * *", "2026-06-10T12:30:00Z", "2026-06-01T00:00:00Z", true, "2026-06-10T13:00:00Z", "2026-06-10T12:00:00Z"},
		{"started right at a run", "0 * * * *", "2026-06-10T12:00:00Z", "2026-06-10T11:02:00Z", true, "2026-06-10T13:00:00Z", "2026-06-10T12:00:00Z"},
		{"weekday job missed on Friday", "0 3 * * mon-fri", "2026-06-08T01:00:00Z", "2026-06-04T03:05:00Z", true, "2026-06-08T03:00:00Z", "2026-06-05T03:00:00Z"},
		{"interval", "@every 2s", "2026-06-10T12:00:05.5Z", "2026-06-10T11:00:00Z", true, "2026-06-10T12:00:06Z", "2026-06-10T12:00:04Z"},
		{"recent success", "30 2 * * *", "2026-06-10T12:00:00Z", "2026-06-10T02:41:00Z", false, "2026-06-11T02:30:00Z", ""},
		{"recent success, hourly", "0 * * * *", "2026-06-10T12:30:00Z", "2026-06-10T12:02:00Z", false, "2026-06-10T13:00:00Z", ""},
		// Monday 01:00: nothing was due over the weekend, though the last
		// success is older than the job's period.
		{"weekday job after a weekend", "0 3 * * mon-fri", "2026-06-08T01:00:00Z", "2026-06-05T03:05:00Z", false, "2026-06-08T03:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := mustTime(t, tt.start)
			var asked atomic.Int32
			h := newHarness(t, start, Options{LastSuccess: func(name string) (time.Time, bool) {
				asked.Add(1)
				if name != "backup" {
					t.Errorf("LastSuccess(%q), want backup", name)
				}
				if tt.last == "" {
					return time.Time{}, false
				}
				return mustTime(t, tt.last), true
			}}, nil)
			h.start(entry(t, "backup", tt.spec, time.UTC))
			if asked.Load() != 1 {
				t.Errorf("LastSuccess called %d times, want 1", asked.Load())
			}
			if tt.wantCatch {
				got := recv(t, h.fires, "the catch-up run")
				if !got.at.Equal(start) {
					t.Errorf("catch-up at %v, want at start %v", got.at, start)
				}
				if want := mustTime(t, tt.wantSlot); !got.slot.Equal(want) {
					t.Errorf("catch-up slot %v, want the latest run missed %v", got.slot, want)
				}
			}
			next := mustTime(t, tt.wantNextAt)
			h.setTime(next)
			if got := recv(t, h.fires, "the regular run"); !got.at.Equal(next) || !got.slot.Equal(next) {
				t.Errorf("first fire after start at %v (slot %v), want at and for %v (no catch-up)", got.at, got.slot, next)
			}
			if rest := h.stop(); len(rest) != 0 {
				t.Errorf("unexpected fires %v", rest)
			}
		})
	}
}

func TestReload(t *testing.T) {
	started, release := make(chan string, 10), make(chan struct{})
	tasks := func(name string) []Task {
		if name == "a" {
			return []Task{blockingTask("s/db/a", "s", started, release)}
		}
		return nil
	}
	start := epoch.Add(10 * time.Minute)
	h := newHarness(t, start, Options{}, tasks)
	h.start(entry(t, "a", "0 * * * *", time.UTC), entry(t, "b", "0 0 * * *", time.UTC))

	wantNext := func(want map[string]string) {
		t.Helper()
		got := h.s.NextRuns()
		if len(got) != len(want) {
			t.Errorf("NextRuns() = %v, want %v", got, want)
		}
		for name, w := range want {
			if !got[name].Equal(mustTime(t, w)) {
				t.Errorf("NextRuns()[%s] = %v, want %s", name, got[name], w)
			}
		}
	}
	wantNext(map[string]string{"a": "2026-06-01T01:00:00Z", "b": "2026-06-02T00:00:00Z"})

	// Change a, drop b, add c.
	if err := h.s.Reload([]Entry{entry(t, "a", "30 * * * *", time.UTC), entry(t, "c", "*/20 * * * *", time.UTC)}); err != nil {
		t.Fatal(err)
	}
	wantNext(map[string]string{"a": "2026-06-01T00:30:00Z", "c": "2026-06-01T00:20:00Z"})

	h.setTime(epoch.Add(20 * time.Minute))
	if got := recv(t, h.fires, "c at 00:20"); got.entry != "c" {
		t.Errorf("fired %v at 00:20, want c", got)
	}
	h.setTime(epoch.Add(30 * time.Minute))
	if got := recv(t, h.fires, "a at 00:30"); got.entry != "a" {
		t.Errorf("fired %v at 00:30, want a", got)
	}
	recv(t, started, "a's task")

	// Reload while a's task runs: the running set survives.
	if err := h.s.Reload([]Entry{entry(t, "a", "*/10 * * * *", time.UTC)}); err != nil {
		t.Fatal(err)
	}
	wantNext(map[string]string{"a": "2026-06-01T00:40:00Z"})
	h.setTime(epoch.Add(40 * time.Minute))
	recv(t, h.fires, "a at 00:40")
	if got := recv(t, h.skips, "a skip at 00:40"); got.Key != "s/db/a" {
		t.Errorf("skipped %q, want s/db/a", got.Key)
	}
	release <- struct{}{}
	drain(t, h.s)

	if err := h.s.Reload([]Entry{entry(t, "a", "@hourly", time.UTC), entry(t, "a", "@daily", time.UTC)}); err == nil {
		t.Error("Reload with a duplicate name succeeded")
	}
	if rest := h.stop(); len(rest) != 0 {
		t.Errorf("unexpected fires %v (b was removed)", rest)
	}
}

func TestCancelStopsPromptlyAndQueuedTasksGiveUp(t *testing.T) {
	started, release := make(chan string, 10), make(chan struct{})
	var taskCtxErr atomic.Value
	var ran atomic.Int32
	task := func(key string) Task {
		return Task{Key: key, Server: "s", Run: func(ctx context.Context) {
			ran.Add(1)
			started <- key
			<-release
			taskCtxErr.Store(fmt.Sprint(ctx.Err()))
		}}
	}
	tasks := func(string) []Task { return []Task{task("s/one/t"), task("s/two/t")} }
	h := newHarness(t, epoch.Add(30*time.Second), Options{Total: 1}, tasks)
	h.start(entry(t, "t", "* * * * *", time.UTC))
	h.setTime(epoch.Add(time.Minute))
	first := recv(t, started, "the first task")

	h.stop() // returns although a task runs and one waits
	if got := h.s.Running(); !slices.Equal(got, []string{first}) {
		t.Errorf("Running() after Run returned = %v, want [%s]", got, first)
	}

	drained := make(chan error, 1)
	go func() { drained <- h.s.Drain(context.Background()) }()
	release <- struct{}{}
	if err := recv(t, drained, "Drain"); err != nil {
		t.Errorf("Drain = %v", err)
	}
	if got := ran.Load(); got != 1 {
		t.Errorf("%d tasks ran, want 1 (the queued one gives up)", got)
	}
	if got := taskCtxErr.Load(); got != "<nil>" {
		t.Errorf("running task's ctx.Err() after Run's cancel = %v, want nil", got)
	}
	if got := h.s.Queued(); len(got) != 0 {
		t.Errorf("Queued() = %v, want none", got)
	}
}

func TestDrainGivesUpAndCancelsTasks(t *testing.T) {
	started := make(chan string, 1)
	ended := make(chan error, 1)
	h := newHarness(t, epoch.Add(30*time.Second), Options{}, func(string) []Task {
		return []Task{{Key: "s/db/t", Server: "s", Run: func(ctx context.Context) {
			started <- "s/db/t"
			<-ctx.Done()
			ended <- ctx.Err()
		}}}
	})
	h.start(entry(t, "t", "* * * * *", time.UTC))
	h.setTime(epoch.Add(time.Minute))
	recv(t, started, "the task")
	h.stop()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.s.Drain(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Drain with a done ctx = %v, want context.Canceled", err)
	}
	if err := recv(t, ended, "the task to see its ctx cancelled"); !errors.Is(err, context.Canceled) {
		t.Errorf("task ctx.Err() = %v, want context.Canceled", err)
	}
	drain(t, h.s)
	if got := h.s.Running(); len(got) != 0 {
		t.Errorf("Running() = %v, want none", got)
	}
}

func TestPanickingTaskIsLoggedAndFreesItsSlot(t *testing.T) {
	runs := make(chan struct{}, 10)
	h := newHarness(t, epoch.Add(30*time.Second), Options{Total: 1, PerServer: 1}, func(string) []Task {
		return []Task{{Key: "s/db/t", Server: "s", Run: func(context.Context) {
			runs <- struct{}{}
			panic("boom")
		}}}
	})
	h.start(entry(t, "t", "* * * * *", time.UTC))
	for i := 1; i <= 2; i++ {
		h.setTime(epoch.Add(time.Duration(i) * time.Minute))
		recv(t, runs, "a run") // the second needs the slots the first panicked with
		drain(t, h.s)
	}
	h.stop()
	if len(h.skips) != 0 {
		t.Error("a task was skipped: a panicked task stayed active")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "task panicked") || !strings.Contains(logs, "boom") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	if err := New(Options{}).Run(ctx, nil); err == nil {
		t.Error("Run without Expand succeeded")
	}
	s := New(Options{Expand: func(context.Context, string, time.Time) []Task { return nil }})
	daily := entry(t, "daily", "@daily", time.UTC)
	for name, entries := range map[string][]Entry{
		"duplicate":   {daily, daily},
		"no name":     {{Schedule: daily.Schedule}},
		"no schedule": {{Name: "x"}},
	} {
		if err := s.Run(ctx, entries); err == nil {
			t.Errorf("Run with %s entry succeeded", name)
		}
	}

	h := newHarness(t, epoch, Options{}, nil)
	h.start(daily)
	if err := h.s.Run(ctx, []Entry{daily}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v, want already running", err)
	}
}

// A loop woken long after a run was due (a suspended machine, a clock
// step) fires each entry once, not once per missed run.
func TestLateWakeFiresOnce(t *testing.T) {
	h := newHarness(t, epoch.Add(30*time.Second), Options{}, nil)
	h.start(entry(t, "hourly", "0 * * * *", time.UTC))
	late := epoch.Add(5*time.Hour + 10*time.Minute)
	h.setTime(late)
	if got := recv(t, h.fires, "the late run"); !got.at.Equal(late) {
		t.Errorf("fired at %v, want %v", got.at, late)
	}
	if got, want := h.s.NextRuns()["hourly"], epoch.Add(6*time.Hour); !got.Equal(want) {
		t.Errorf("NextRuns()[hourly] = %v, want %v", got, want)
	}
	if rest := h.stop(); len(rest) != 0 {
		t.Errorf("unexpected fires %v", rest)
	}
}

// A run that fell due just before a reload, before the loop saw it, is
// kept rather than moved to the new schedule's next run.
func TestReloadKeepsADueRun(t *testing.T) {
	fake := clock.NewFake(epoch.Add(30 * time.Second))
	s := New(Options{Clock: fake, Expand: func(context.Context, string, time.Time) []Task { return nil }})
	hourly := entry(t, "hourly", "0 * * * *", time.UTC)
	if err := s.Reload([]Entry{hourly}); err != nil {
		t.Fatal(err)
	}
	fake.Set(epoch.Add(time.Hour + time.Second)) // due, not yet fired
	if err := s.Reload([]Entry{hourly, entry(t, "daily", "@daily", time.UTC)}); err != nil {
		t.Fatal(err)
	}
	got := s.NextRuns()
	if want := epoch.Add(time.Hour); !got["hourly"].Equal(want) {
		t.Errorf("NextRuns()[hourly] = %v, want the due %v", got["hourly"], want)
	}
	if want := epoch.Add(24 * time.Hour); !got["daily"].Equal(want) {
		t.Errorf("NextRuns()[daily] = %v, want %v", got["daily"], want)
	}
}
