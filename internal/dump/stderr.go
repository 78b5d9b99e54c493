package dump

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use (exec copies stderr in its own goroutine).
type tailBuffer struct {
	mu        sync.Mutex
	buf       []byte
	max       int
	truncated bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		t.truncated = t.truncated || len(t.buf) > 0 || len(p) > t.max
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max { // compact rarely, not on every write
		t.compact()
	}
	return n, nil
}

func (t *tailBuffer) compact() {
	if over := len(t.buf) - t.max; over > 0 {
		copy(t.buf, t.buf[over:])
		t.buf = t.buf[:t.max]
		t.truncated = true
	}
}

// String returns the kept tail. When earlier output was dropped, the partial
// first line is dropped too (it may hold the end of a secret that redaction
// could no longer recognise) and the text starts with "...".
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.compact()
	b := t.buf
	if !t.truncated {
		return string(bytes.TrimSpace(b))
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	} else {
		// One long line: drop up to the first space so that a cut secret is gone.
		if i := bytes.IndexByte(b, ' '); i >= 0 {
			b = b[i+1:]
		} else {
			b = nil
		}
	}
	for len(b) > 0 && !utf8.FullRune(b) {
		b = b[1:]
	}
	return "..." + string(bytes.TrimSpace(b))
}
