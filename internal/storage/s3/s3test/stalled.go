package s3test

import (
	"net"
	"sync"
	"testing"
)

// StartStalled starts an S3 endpoint that accepts connections and never
// answers nor reads, as one behind a proxy that stopped does, and closes it
// and its connections at cleanup. The Server it returns has made-up
// credentials and a bucket name; nothing is ever stored.
func StartStalled(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return &Server{Endpoint: "http://" + ln.Addr().String(), AccessKey: "stalled-key", SecretKey: "stalled-secret", Bucket: "stalled"}
}
