package s3test

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy in front of a server that can misbehave as a broken
// middlebox does: stop reading from its clients after some bytes (a stall:
// connections stay open, nothing more is read, nothing is answered), or
// forward slowly.
type Proxy struct {
	// Endpoint is the proxy's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string

	target string
	ln     net.Listener
	done   chan struct{}

	mu         sync.Mutex
	stallAfter int64 // upstream bytes after which reading stops; <0: never
	forwarded  int64 // upstream bytes forwarded so far
	rate       int64 // upstream bytes per second; 0: unlimited
	conns      map[net.Conn]bool
	wg         sync.WaitGroup
}

// StartProxy starts a proxy to s on a free local port. It forwards normally
// until StallAfter or Throttle says otherwise, and is closed when the test
// ends.
func StartProxy(t testing.TB, s *Server) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{
		Endpoint:   "http://" + ln.Addr().String(),
		target:     strings.TrimPrefix(s.Endpoint, "http://"),
		ln:         ln,
		done:       make(chan struct{}),
		stallAfter: -1,
		conns:      map[net.Conn]bool{},
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// StallAfter makes the proxy stop reading from every client, present and
// future, once it has forwarded n bytes towards the server in all (counted
// from its start). n < 0 lifts the limit; stalled connections stay stalled.
func (p *Proxy) StallAfter(n int64) {
	p.mu.Lock()
	p.stallAfter = n
	p.mu.Unlock()
}

// Throttle limits the bytes forwarded towards the server to bytesPerSecond
// (0: unlimited), in small steps, so that data keeps moving slowly.
func (p *Proxy) Throttle(bytesPerSecond int64) {
	p.mu.Lock()
	p.rate = bytesPerSecond
	p.mu.Unlock()
}

// Stalled reports whether the proxy has stopped reading.
func (p *Proxy) Stalled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalledLocked()
}

func (p *Proxy) stalledLocked() bool {
	return p.stallAfter >= 0 && p.forwarded >= p.stallAfter
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		c.Close()
		return false
	default:
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			// A small window, so that a stall is felt soon by the sender.
			_ = tc.SetReadBuffer(64 << 10)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil || !p.track(up) {
		return
	}
	defer up.Close()
	go func() {
		_, _ = io.Copy(client, up)
		client.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		chunk, ok := p.budget(len(buf))
		if !ok {
			<-p.done // stalled: read nothing more, answer nothing, until closed
			return
		}
		n, err := client.Read(buf[:chunk])
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
			if d := p.account(n); d > 0 {
				select {
				case <-time.After(d):
				case <-p.done:
					return
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tc, ok := up.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
			}
			return
		}
	}
}

// budget is how many bytes the next read may take, or false once stalled.
func (p *Proxy) budget(limit int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalledLocked() {
		return 0, false
	}
	n := int64(limit)
	if p.stallAfter >= 0 {
		n = min(n, p.stallAfter-p.forwarded)
	}
	if p.rate > 0 {
		n = min(n, max(p.rate/50, 1)) // about 50 steps a second
	}
	return int(n), true
}

// account counts n forwarded bytes and returns how long to wait before the
// next read to keep to the rate.
func (p *Proxy) account(n int) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forwarded += int64(n)
	if p.rate <= 0 {
		return 0
	}
	return time.Duration(int64(n) * int64(time.Second) / p.rate)
}
