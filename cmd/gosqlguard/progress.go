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
// not one (cron, CI, pipes).
type progress struct {
	w     io.Writer
	label string
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, start: time.Now()}
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
				p.print()
			}
		}
	}()
	return p
}

// Update records the bytes processed so far; cheap enough to call per write.
func (p *progress) Update(n int64) { p.n.Store(n) }

func (p *progress) print() {
	n := p.n.Load()
	secs := time.Since(p.start).Seconds()
	rate := float64(n) / max(secs, 0.001)
	fmt.Fprintf(p.w, "\r\033[K%s: %s  %s/s  %s", p.label, humanBytes(n), humanBytes(int64(rate)), time.Since(p.start).Round(time.Second))
}

// Done clears the progress line.
func (p *progress) Done() {
	if p.stop != nil {
		close(p.stop)
		p.done.Wait()
	}
}
