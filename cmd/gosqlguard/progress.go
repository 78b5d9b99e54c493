package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progress shows bytes and rate on a terminal, and nothing when stderr is
// not one (cron, CI, pipes). With a total it also shows the percentage done
// and an estimate of the time left.
type progress struct {
	w     io.Writer
	n     atomic.Int64
	total int64
	stop  chan struct{}
	done  sync.WaitGroup

	mu    sync.Mutex // guards label and start, which Phase changes
	label string
	start time.Time
}

// newProgress starts a progress line; total is the number of bytes expected
// per phase (0: unknown, no percentage).
func newProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
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
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(p.w, "\r\033[K"+p.line(time.Now()))
			}
		}
	}()
	return p
}

// Update records the bytes processed so far; cheap enough to call per write.
func (p *progress) Update(n int64) { p.n.Store(n) }

// Phase starts a new pass over the data (e.g. verify, then restore): the
// label changes and the count, rate and estimate start again.
func (p *progress) Phase(label string) {
	p.mu.Lock()
	p.label, p.start = label, time.Now()
	p.mu.Unlock()
	p.n.Store(0)
}

// line renders the progress line as of now.
func (p *progress) line(now time.Time) string {
	p.mu.Lock()
	label, start := p.label, p.start
	p.mu.Unlock()
	n := p.n.Load()
	elapsed := now.Sub(start)
	rate := float64(n) / max(elapsed.Seconds(), 0.001)
	if p.total <= 0 {
		return fmt.Sprintf("%s: %s  %s/s  %s", label, humanBytes(n), humanBytes(int64(rate)), elapsed.Round(time.Second))
	}
	pct := min(100, float64(n)*100/float64(p.total))
	eta := "ETA --"
	if n > 0 && rate > 0 {
		left := time.Duration(float64(max(p.total-n, 0)) / rate * float64(time.Second))
		eta = "ETA " + left.Round(time.Second).String()
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
