package storage

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrAllFailed is returned by FanOut.Write when no storage is left to write to.
var ErrAllFailed = errors.New("every storage failed")

// Target is one backend and the key to store the stream under.
type Target struct {
	Backend Backend
	Key     string
}

// Result is what one target's Put came to.
type Result struct {
	Target
	Size int64
	Err  error
}

// FanOut feeds one stream to several backends at once: one goroutine and one
// io.Pipe per backend, so the stream is read once and never buffered whole. A
// backend whose Put fails is dropped and the others go on.
type FanOut struct {
	pipes   []*io.PipeWriter
	live    []bool
	results []Result
	wg      sync.WaitGroup
}

// NewFanOut starts a Put per target.
func NewFanOut(ctx context.Context, targets []Target) *FanOut {
	f := &FanOut{
		pipes:   make([]*io.PipeWriter, len(targets)),
		live:    make([]bool, len(targets)),
		results: make([]Result, len(targets)),
	}
	for i, t := range targets {
		pr, pw := io.Pipe()
		f.pipes[i], f.live[i] = pw, true
		f.results[i].Target = t
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			n, err := t.Backend.Put(ctx, t.Key, pr)
			f.results[i].Size, f.results[i].Err = n, err
			// Unblock the writer: a Put that returned early reads no more.
			if err == nil {
				err = errors.New("storage stopped reading")
			}
			pr.CloseWithError(err)
		}()
	}
	return f
}

// Write sends p to every live target. A target whose pipe fails is dropped;
// Write fails only when none is left.
func (f *FanOut) Write(p []byte) (int, error) {
	alive := 0
	for i, pw := range f.pipes {
		if !f.live[i] {
			continue
		}
		if _, err := pw.Write(p); err != nil {
			f.live[i] = false
			continue
		}
		alive++
	}
	if alive == 0 {
		return 0, ErrAllFailed
	}
	return len(p), nil
}

// Close ends the stream and waits for every Put. With cause == nil each Put
// sees EOF and commits; otherwise each sees cause and aborts, leaving nothing.
func (f *FanOut) Close(cause error) []Result {
	for _, pw := range f.pipes {
		if cause != nil {
			pw.CloseWithError(cause)
		} else {
			pw.Close()
		}
	}
	f.wg.Wait()
	return f.results
}
