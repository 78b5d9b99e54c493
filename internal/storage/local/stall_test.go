package local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

func idleBackend(t *testing.T, idle time.Duration) *Backend {
	t.Helper()
	b, err := NewWithOptions("disk", t.TempDir(), Options{IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// leftovers lists the files under the backend's root.
func leftovers(t *testing.T, b *Backend) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(b.Root(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, filepath.Base(p))
		}
		return nil
	})
	return out
}

// TestPutStalledWriteFails: a write that hangs (as on a hung network mount)
// fails the Put after the idle timeout instead of blocking it; when the
// write returns at last, its temp file is removed and no object appears.
func TestPutStalledWriteFails(t *testing.T) {
	release, returned := make(chan struct{}), make(chan struct{})
	defer func(orig func(*os.File, []byte) (int, error)) { <-returned; writeFile = orig }(writeFile)
	writeFile = func(f *os.File, p []byte) (int, error) {
		defer close(returned)
		<-release
		return f.Write(p)
	}
	const idle = 200 * time.Millisecond
	b := idleBackend(t, idle)

	start := time.Now()
	_, err := b.Put(context.Background(), "a/k", bytes.NewReader([]byte("data")))
	if took := time.Since(start); took < idle || took > 2*time.Second {
		t.Errorf("Put took %v; want about the idle timeout %v", took, idle)
	}
	if !errors.Is(err, storage.ErrIdleTimeout) || !strings.Contains(err.Error(), "idle_timeout") {
		t.Fatalf("Put = %v; want the idle timeout", err)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for len(leftovers(t, b)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// slowReader hands out its data in small pieces with a pause before each.
type slowReader struct {
	data  []byte
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := copy(p[:min(len(p), 3)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestPutWaitingForDataIsNotIdle: time spent waiting for the stream (a slow
// dump) does not count against the idle timeout.
func TestPutWaitingForDataIsNotIdle(t *testing.T) {
	const idle = 100 * time.Millisecond
	b := idleBackend(t, idle)
	data := []byte("0123456789")
	if _, err := b.Put(context.Background(), "slow", &slowReader{data: data, pause: 2 * idle}); err != nil {
		t.Fatalf("Put = %v; want success", err)
	}
	got, err := os.ReadFile(filepath.Join(b.Root(), "slow"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object = %q, %v", got, err)
	}
}

// TestOpenStalledFails: an open that blocks (a FIFO nobody writes to stands
// in for a hung mount) fails after the idle timeout.
func TestOpenStalledFails(t *testing.T) {
	const idle = 200 * time.Millisecond
	b := idleBackend(t, idle)
	fifo := filepath.Join(b.Root(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	start := time.Now()
	_, err := b.Open(context.Background(), "fifo")
	if !errors.Is(err, storage.ErrIdleTimeout) {
		t.Fatalf("Open = %v; want the idle timeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Open took %v", took)
	}
	// Let the blocked open return; the guard closes the file.
	if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		w.Close()
	}
}

// TestPutCancelledWhileWriteHangs: cancelling ends a Put whose write hangs
// within the grace, not after the idle timeout.
func TestPutCancelledWhileWriteHangs(t *testing.T) {
	release, entered, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	defer func(orig func(*os.File, []byte) (int, error)) {
		close(release)
		<-returned
		writeFile = orig
	}(writeFile)
	writeFile = func(f *os.File, p []byte) (int, error) {
		defer close(returned)
		close(entered)
		<-release
		return f.Write(p)
	}
	b := idleBackend(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	start := time.Now()
	_, err := b.Put(ctx, "k", bytes.NewReader([]byte("data")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v; want cancellation", err)
	}
	if took := time.Since(start); took > cancelGrace+time.Second {
		t.Errorf("Put took %v after cancellation", took)
	}
}
