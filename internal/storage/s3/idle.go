package s3

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// idleTransport abandons a request that moves no byte for timeout: from the
// start of the round trip, while the request body is sent, while the
// response's headers are awaited, and during each Read of the response body
// (time the caller spends between Reads does not count). A slow request that
// keeps moving is never cut. The request's context is then cancelled, which
// makes net/http close the connection, so a peer that stopped reading or
// writing cannot block us; the error is a *storage.IdleTimeoutError.
type idleTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := newWatchdog(t.timeout, cancel)
	r := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		r.Body = &progressBody{ReadCloser: req.Body, w: w}
	}
	if req.GetBody != nil {
		getBody := req.GetBody
		r.GetBody = func() (io.ReadCloser, error) {
			body, err := getBody()
			if err != nil || body == nil || body == http.NoBody {
				return body, err
			}
			return &progressBody{ReadCloser: body, w: w}, nil
		}
	}
	w.resume()
	resp, err := t.base.RoundTrip(r)
	w.pause()
	if err != nil {
		cancel(nil)
		w.stop()
		if e := w.err(); e != nil {
			return nil, e
		}
		return nil, err
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w, cancel: cancel}
	return resp, nil
}

// watchdog cancels a request whose progress stopped for longer than d while
// it is active.
type watchdog struct {
	d      time.Duration
	cancel context.CancelCauseFunc

	last atomic.Int64 // UnixNano of the last progress, or of when it became active

	mu     sync.Mutex
	timer  *time.Timer
	active bool
	fired  bool
}

func newWatchdog(d time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{d: d, cancel: cancel}
	w.timer = time.AfterFunc(time.Hour, w.check)
	w.timer.Stop()
	return w
}

// check runs when the timer expires: it fires, or re-arms for the rest of
// the period when there was progress meanwhile.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.active || w.fired {
		return
	}
	if idle := time.Since(time.Unix(0, w.last.Load())); idle < w.d {
		w.timer.Reset(w.d - idle)
		return
	}
	w.fired = true
	w.cancel(&storage.IdleTimeoutError{Timeout: w.d})
}

// progress records that bytes moved. It is called for every few KiB, so it
// takes no lock.
func (w *watchdog) progress() { w.last.Store(time.Now().UnixNano()) }

// resume starts counting idle time.
func (w *watchdog) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.active {
		w.active = true
		w.last.Store(time.Now().UnixNano())
		w.timer.Reset(w.d)
	}
}

// pause stops counting idle time.
func (w *watchdog) pause() {
	w.mu.Lock()
	w.active = false
	w.mu.Unlock()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.active = false
	w.timer.Stop()
	w.mu.Unlock()
}

// err is the idle timeout error once the watchdog fired, else nil.
func (w *watchdog) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired {
		return &storage.IdleTimeoutError{Timeout: w.d}
	}
	return nil
}

// progressBody is a request body whose Reads by the transport count as
// progress: the transport reads it as fast as the connection takes it.
type progressBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	return n, err
}

// watchedBody is a response body: idle time counts only within Read.
type watchedBody struct {
	io.ReadCloser
	w      *watchdog
	cancel context.CancelCauseFunc
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.resume()
	n, err := b.ReadCloser.Read(p)
	b.w.pause()
	if err != nil && err != io.EOF {
		if e := b.w.err(); e != nil {
			return n, e
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.ReadCloser.Close()
	b.w.stop()
	b.cancel(nil)
	return err
}
