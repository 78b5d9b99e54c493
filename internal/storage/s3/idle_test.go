package s3

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// TestIdleTransportResponseBody: a response whose body stops mid-way fails
// the Read after the idle timeout, while a caller that takes its time
// between Reads of a moving body is never cut.
func TestIdleTransportResponseBody(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 10; i++ {
			w.Write(make([]byte, 10))
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
		if r.URL.Path == "/stall" {
			select { // the body's rest never comes
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Write(make([]byte, 900))
	}))
	defer srv.Close()
	defer close(stop)
	const idle = 200 * time.Millisecond
	client := &http.Client{Transport: &idleTransport{base: http.DefaultTransport.(*http.Transport).Clone(), timeout: idle}}

	resp, err := client.Get(srv.URL + "/stall")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, storage.ErrIdleTimeout) {
		t.Fatalf("read = %v; want the idle timeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("read took %v", took)
	}

	resp, err = client.Get(srv.URL + "/slow-reader")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 500)
	total := 0
	for {
		n, err := resp.Body.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read after %d bytes: %v", total, err)
		}
		time.Sleep(idle + 100*time.Millisecond) // the caller is slow, not the service
	}
	if total != 1000 {
		t.Errorf("read %d bytes, want 1000", total)
	}
}
