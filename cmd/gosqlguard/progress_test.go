package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		total   int64
		n       int64
		elapsed time.Duration
		want    []string
	}{
		{"unknown total", 0, 10 << 20, 2 * time.Second, []string{"x: 10 MiB", "5.0 MiB/s"}},
		{"half way", 100 << 20, 50 << 20, 10 * time.Second, []string{" 50%", "50 MiB of 100 MiB", "5.0 MiB/s", "ETA 10s"}},
		{"nothing read yet", 100 << 20, 0, time.Second, []string{"  0%", "ETA --"}},
		{"all read", 100 << 20, 100 << 20, 4 * time.Second, []string{"x: all 100 MiB read, finishing", "4s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProgress(io.Discard, "x", tc.total)
			p.Update(tc.n)
			got := p.line(p.start.Add(tc.elapsed))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestProgressPhaseStartsOver(t *testing.T) {
	p := newProgress(io.Discard, "verify", 1000)
	p.Update(1000)
	p.Phase("restore")
	got := p.line(time.Now())
	if !strings.HasPrefix(got, "restore:") || !strings.Contains(got, "  0%") {
		t.Errorf("after Phase: %q", got)
	}
}

// A log record written while a progress line is shown starts on a cleared
// line, never in the middle of the progress line.
func TestTermClearsTheProgressLineForLogRecords(t *testing.T) {
	var out strings.Builder
	tm := &term{w: &out}
	tm.draw("restore x:  50%")
	tm.Write([]byte("level=INFO msg=\"restore finished\"\n"))
	tm.Write([]byte("next\n"))
	want := "\r\033[Krestore x:  50%\r\033[Klevel=INFO msg=\"restore finished\"\nnext\n"
	if out.String() != want {
		t.Errorf("stderr = %q, want %q", out.String(), want)
	}
}

// A backup's line estimates from the job's last size: "~", at most 99%
// until it ends, and no ETA once the estimate is passed.
func TestProgressEstimateLine(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int64
		want     []string
		wantNone []string
	}{
		{"half way", 50 << 20, []string{"~50%", "50 MiB of ~100 MiB", "~ETA 10s"}, nil},
		{"just below the guess", 100<<20 - 1, []string{"~99%", "of ~100 MiB"}, []string{"100%"}},
		{"at the guess", 100 << 20, []string{"x: 100 MiB, more than last time's 100 MiB", "10s"}, []string{"%", "ETA"}},
		{"past the guess", 150 << 20, []string{"x: 150 MiB, more than last time's 100 MiB"}, []string{"%", "ETA", " of "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newEstimate(io.Discard, "x", 100<<20)
			p.Update(tc.n)
			got := p.line(p.start.Add(10 * time.Second))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(got, w) {
					t.Errorf("line %q has %q", got, w)
				}
			}
		})
	}
	// Without a guess it is the plain line.
	p := newEstimate(io.Discard, "x", 0)
	p.Update(10 << 20)
	if got := p.line(p.start.Add(2 * time.Second)); strings.Contains(got, "%") || !strings.Contains(got, "x: 10 MiB") {
		t.Errorf("line without an estimate = %q", got)
	}
}
