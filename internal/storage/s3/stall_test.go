package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

// stallLog collects the idle-timeout warnings a backend logs, as text.
type stallLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *stallLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *stallLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (l *stallLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "idle timeout") {
			out = append(out, line)
		}
	}
	return out
}

// stallBackend is a backend on srv through p with a short idle timeout and
// fast retries: three attempts in all.
func stallBackend(t *testing.T, srv *s3test.Server, p *s3test.Proxy, idle time.Duration, logger *slog.Logger) *Backend {
	b := newBackend(t, srv, Config{Endpoint: p.Endpoint, IdleTimeout: idle, MaxRetries: 2}, logger)
	b.retry.base, b.retry.max = 10*time.Millisecond, 20*time.Millisecond
	return b
}

// TestPutStalledSinglePutFails: a proxy that stops reading after 100 bytes
// (within the first request's headers) makes a small PUT fail after its three
// attempts of one idle timeout each, with an error naming the idle timeout
// and one warning per attempt, instead of hanging.
func TestPutStalledSinglePutFails(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(100)
	var log stallLog
	const idle = 300 * time.Millisecond
	b := stallBackend(t, srv, p, idle, log.logger())

	start := time.Now()
	_, err := b.Put(context.Background(), "stall/manifest.json", bytes.NewReader([]byte(`{"small":true}`)))
	took := time.Since(start)
	if !errors.Is(err, storage.ErrIdleTimeout) || !strings.Contains(err.Error(), "no byte moved for 300ms (idle_timeout)") {
		t.Fatalf("Put = %v; want the idle timeout error", err)
	}
	if took < 3*idle || took > 3*idle+3*time.Second {
		t.Errorf("Put took %v; want about 3 attempts × %v", took, idle)
	}
	lines := log.all()
	if len(lines) != 3 {
		t.Fatalf("idle timeout warnings = %q; want one per attempt (3)", lines)
	}
	for i, l := range lines {
		for _, want := range []string{"level=WARN", "storage=s3test", "key=stall/manifest.json", `op="put object"`, fmt.Sprintf("attempt=%d ", i+1), "idle_timeout"} {
			if !strings.Contains(l, want) {
				t.Errorf("warning %d %q lacks %q", i+1, l, want)
			}
		}
		if strings.Contains(l, srv.SecretKey) || strings.Contains(l, srv.AccessKey) {
			t.Errorf("warning %d shows a credential", i+1)
		}
	}
	direct := newBackend(t, srv, Config{Prefix: strings.TrimSuffix(b.prefix, "/")}, nil)
	assertMissing(t, direct, "stall/manifest.json")
}

// TestPutStalledMultipartFails: the proxy stops reading in the middle of the
// second part. The part's attempts stall, the Put fails within a bounded time
// (the abort, which stalls too, is bounded) and reports the upload it could
// not abort; once the proxy is out of the way the sweep removes it.
func TestPutStalledMultipartFails(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(7 << 20)
	const idle = 300 * time.Millisecond
	b := stallBackend(t, srv, p, idle, nil)
	b.concurrency = 1
	b.abortTimeout = time.Second

	start := time.Now()
	_, err := b.Put(context.Background(), "stall/big", bytes.NewReader(randomData(12<<20, 7)))
	took := time.Since(start)
	if !errors.Is(err, storage.ErrIdleTimeout) || !strings.Contains(err.Error(), "idle_timeout") {
		t.Fatalf("Put = %v; want the idle timeout error", err)
	}
	if !strings.Contains(err.Error(), "left for the cleanup") {
		t.Errorf("Put = %v; want the upload reported as left for cleanup", err)
	}
	if took > 3*idle+b.abortTimeout+4*time.Second {
		t.Errorf("Put took %v; want it bounded by the attempts and the abort timeout", took)
	}
	direct := newBackend(t, srv, Config{Prefix: strings.TrimSuffix(b.prefix, "/")}, nil)
	assertMissing(t, direct, "stall/big")
	if n, err := direct.AbortIncompleteUploads(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("AbortIncompleteUploads = %d, %v; want the one upload left", n, err)
	}
}

// TestPutStallRecovers: the stall ends while the part is retried: the retry
// goes through and the object is complete.
func TestPutStallRecovers(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(6 << 20)
	var log stallLog
	b := stallBackend(t, srv, p, 300*time.Millisecond, log.logger())
	b.retry.base, b.retry.max = 200*time.Millisecond, 400*time.Millisecond

	data := randomData(8<<20, 8)
	go func() {
		for len(log.all()) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		p.StallAfter(-1)
	}()
	if _, err := b.Put(context.Background(), "stall/recovered", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put = %v; want success after the stall ended", err)
	}
	if len(log.all()) == 0 {
		t.Error("no idle timeout was logged")
	}
	assertObject(t, b, "stall/recovered", data)
	assertNoUploads(t, b)
}

// TestPutSlowButMovingSucceeds: a proxy that forwards only 1 MiB/s makes a
// PUT take several idle timeouts, but bytes keep moving, so it succeeds.
func TestPutSlowButMovingSucceeds(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.Throttle(1 << 20)
	var log stallLog
	// An idle timeout well above the proxy's pauses between chunks, even on
	// a loaded machine: 300 ms was missed there once.
	const idle = time.Second
	b := stallBackend(t, srv, p, idle, log.logger())

	data := randomData(7<<19, 9) // 3.5 MiB: one PUT of about 3.5 s
	start := time.Now()
	if _, err := b.Put(context.Background(), "slow/object", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put = %v; want success", err)
	}
	if took := time.Since(start); took < 3*idle {
		t.Errorf("Put took %v; the proxy did not slow it below the idle timeout", took)
	}
	if lines := log.all(); len(lines) != 0 {
		t.Errorf("idle timeouts logged for a moving upload: %q", lines)
	}
	assertObject(t, b, "slow/object", data)
}

// TestCancelAbortsStalledPut: cancelling the context ends a Put whose
// request is stalled at once, not after the idle timeout, and the cleanup
// after it is bounded by the grace period.
func TestCancelAbortsStalledPut(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(6 << 20)
	b := stallBackend(t, srv, p, time.Minute, nil)
	b.cancelGrace = 300 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for !p.Stalled() {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := b.Put(ctx, "stall/cancelled", bytes.NewReader(randomData(12<<20, 10)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v; want cancellation", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Put took %v after a stall; cancellation should end it within the grace period", took)
	}
}

// TestOpenStalledFails: a GET through a stalled proxy fails with the idle
// timeout too.
func TestOpenStalledFails(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	b := stallBackend(t, srv, p, 300*time.Millisecond, nil)
	if _, err := b.Put(context.Background(), "stall/read", bytes.NewReader([]byte("data"))); err != nil {
		t.Fatal(err)
	}
	p.StallAfter(0)
	for _, op := range []func() error{
		func() error { _, err := b.Open(context.Background(), "stall/read"); return err },
		func() error { _, err := b.List(context.Background(), "stall/"); return err },
		func() error { return b.Delete(context.Background(), "stall/read") },
	} {
		start := time.Now()
		err := op()
		if !errors.Is(err, storage.ErrIdleTimeout) {
			t.Errorf("err = %v; want the idle timeout", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
	}
}
