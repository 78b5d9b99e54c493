package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	xterm "golang.org/x/term"

	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// term is stderr shared by log records and the progress line: a record
// first clears the progress line, which the next tick draws again below it.
type term struct {
	mu    sync.Mutex
	w     io.Writer
	shown bool // a progress line is on screen
}

func (t *term) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown {
		fmt.Fprint(t.w, "\r\033[K")
		t.shown = false
	}
	return t.w.Write(p)
}

// draw replaces the progress line with s ("" clears it).
func (t *term) draw(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprint(t.w, "\r\033[K"+s)
	t.shown = s != ""
}

// writeAbove writes b to w (stdout) after clearing the progress line, so
// that, when stdout and stderr are one terminal, b does not land after the
// progress text; the next tick draws the line again below it.
func (t *term) writeAbove(w io.Writer, b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown {
		fmt.Fprint(t.w, "\r\033[K")
		t.shown = false
	}
	_, err := w.Write(b)
	return err
}

// isTerminal reports whether w, or the writer a term wraps, is a terminal.
func isTerminal(w io.Writer) bool {
	if t, ok := w.(*term); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	return ok && xterm.IsTerminal(int(f.Fd()))
}

// progress shows bytes and rate on a terminal, and nothing when stderr is
// not one (cron, CI, pipes). With a total it also shows the percentage done
// and an estimate of the time left. Its times are whole seconds in the short
// form of duration.Format ("ETA 1m30s"), which keeps the line narrow.
type progress struct {
	w     io.Writer
	n     atomic.Int64
	total int64
	// estimate marks total as a guess (a backup's size from the job's last
	// one): the line says "~", stops at 99% until Done, and once the guess
	// is passed shows no percentage or ETA but "more than last time's".
	estimate bool
	stop     chan struct{}
	done     sync.WaitGroup

	mu    sync.Mutex // guards label, start and idle, which Phase changes
	label string
	start time.Time
	// idle marks a phase that reads no data (a drill comparing what it
	// restored): the line shows the label and the elapsed time only.
	idle bool
}

// newEstimate starts a progress line whose total is a guess (see
// progress.estimate); 0 shows no percentage.
func newEstimate(w io.Writer, label string, total int64) *progress {
	return (&progress{w: w, label: label, total: total, estimate: true, start: time.Now()}).run()
}

// newProgress starts a progress line; total is the number of bytes expected
// per phase (0: unknown, no percentage).
func newProgress(w io.Writer, label string, total int64) *progress {
	return (&progress{w: w, label: label, total: total, start: time.Now()}).run()
}

// run starts redrawing the line on a terminal.
func (p *progress) run() *progress {
	w := p.w
	if !isTerminal(w) {
		return p
	}
	p.stop = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw("")
				return
			case <-t.C:
				p.draw(p.line(time.Now()))
			}
		}
	}()
	return p
}

// draw shows s on the progress line, through the shared term when there is one.
func (p *progress) draw(s string) {
	if t, ok := p.w.(*term); ok {
		t.draw(s)
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+s)
}

// Update records the bytes processed so far; cheap enough to call per write.
func (p *progress) Update(n int64) { p.n.Store(n) }

// Phase starts a new pass over the data (e.g. verify, then restore): the
// label changes and the count, rate and estimate start again.
func (p *progress) Phase(label string) {
	p.mu.Lock()
	p.label, p.start, p.idle = label, time.Now(), false
	p.mu.Unlock()
	p.n.Store(0)
}

// watch returns a copy of ctx whose verify, restore and drill calls draw
// their passes over the stored object on this line (runner.ReadWatch).
func (p *progress) watch(ctx context.Context) context.Context {
	return runner.WithReadWatch(ctx, runner.ReadWatch{Progress: p.Update, Phase: func(phase string) {
		if phase == "compare" {
			p.Phase("compare the restored database with the backup")
			p.mu.Lock()
			p.idle = true
			p.mu.Unlock()
			return
		}
		p.Phase(phase)
	}})
}

// Relabel changes the label and keeps the count, rate and elapsed time
// (unlike Phase).
func (p *progress) Relabel(label string) {
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
}

// line renders the progress line as of now.
func (p *progress) line(now time.Time) string {
	p.mu.Lock()
	label, start, idle := p.label, p.start, p.idle
	p.mu.Unlock()
	n := p.n.Load()
	elapsed := now.Sub(start)
	if idle {
		return fmt.Sprintf("%s  %s", label, duration.Format(elapsed.Round(time.Second)))
	}
	rate := float64(n) / max(elapsed.Seconds(), 0.001)
	if p.total <= 0 {
		return fmt.Sprintf("%s: %s  %s/s  %s", label, humanBytes(n), humanBytes(int64(rate)), duration.Format(elapsed.Round(time.Second)))
	}
	pct := min(100, float64(n)*100/float64(p.total))
	eta := "ETA --"
	if left, ok := duration.Left(n, p.total, rate); ok && n > 0 && (!p.estimate || n < p.total) {
		eta = "ETA " + duration.Format(left)
	}
	if p.estimate {
		if n >= p.total {
			return fmt.Sprintf("%s: %s, more than last time's %s  %s/s  %s", label, humanBytes(n), humanBytes(p.total),
				humanBytes(int64(rate)), duration.Format(elapsed.Round(time.Second)))
		}
		return fmt.Sprintf("%s: ~%2.0f%%  %s of ~%s  %s/s  ~%s", label, min(pct, 99), humanBytes(n), humanBytes(p.total), humanBytes(int64(rate)), eta)
	}
	if n >= p.total {
		// All read; what is left (a restore's indexes and swap) has no byte count.
		return fmt.Sprintf("%s: all %s read, finishing  %s", label, humanBytes(p.total), duration.Format(elapsed.Round(time.Second)))
	}
	return fmt.Sprintf("%s: %3.0f%%  %s of %s  %s/s  %s", label, pct, humanBytes(n), humanBytes(p.total), humanBytes(int64(rate)), eta)
}

// Done clears the progress line.
func (p *progress) Done() {
	if p.stop != nil {
		close(p.stop)
		p.done.Wait()
	}
}
