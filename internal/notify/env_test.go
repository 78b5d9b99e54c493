package notify

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
)

// Secrets carried by the receiver URL of the tests; no log may show them.
const (
	pathSecret  = "T0PSECRETPATH"
	querySecret = "Q0PSECRETQUERY"
)

// fakeClock fires its timers at once and records the waits asked for.
type fakeClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return time.Date(2025, 3, 1, 2, 31, 0, 0, time.UTC) }

func (c *fakeClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return clock.NewFake(c.Now()).NewTimer(0) // fires at once
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

func newLogger(t *testing.T) (*slog.Logger, *logtest.Buffer) {
	t.Helper()
	buf := &logtest.Buffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// assertNoURLSecrets fails when logs show the secret parts of a hook URL.
func assertNoURLSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, s := range []string{pathSecret, querySecret} {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain URL secret %q:\n%s", s, logs)
		}
	}
}

// request is what a receiver got.
type request struct {
	Method, ContentType, UserAgent string
	Body                           []byte
}

// receiver is a local webhook endpoint answering with a script of statuses
// (the last one repeats).
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []request
	statuses []int
	header   http.Header // added to every response
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	r := &receiver{statuses: statuses, header: http.Header{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, request{req.Method, req.Header.Get("Content-Type"), req.Header.Get("User-Agent"), body})
		status := r.statuses[min(len(r.requests), len(r.statuses))-1]
		for k, v := range r.header {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL returns the receiver's address with secrets in its path and query.
func (r *receiver) URL(name string) string {
	return r.srv.URL + "/services/" + name + "/" + pathSecret + "?token=" + querySecret
}

func (r *receiver) Requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// hangingServer accepts requests and never answers until the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees handlers so Close can return
	return srv
}

func closeNotifier(t *testing.T, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func sampleBackup(status backup.Status) *backup.Backup {
	start := time.Date(2025, 3, 1, 2, 30, 0, 0, time.UTC)
	b := &backup.Backup{
		ID:          "20250301T023000Z-main-mysql-shop-daily",
		Server:      "main-mysql",
		Database:    "shop",
		Type:        "daily",
		Status:      status,
		StartedAt:   start,
		RawBytes:    5 << 30,
		StoredBytes: 1288490189, // 1.2 GiB
		Locations: []backup.Location{
			{Storage: "local", Key: "main-mysql/shop/x.sql.zst", Status: backup.LocationSuccess},
			{Storage: "offsite", Key: "main-mysql/shop/x.sql.zst", Status: backup.LocationSuccess},
		},
	}
	switch status {
	case backup.StatusSuccess:
		b.FinishedAt = ptr(start.Add(45 * time.Second))
	case backup.StatusPartial:
		b.FinishedAt = ptr(start.Add(45 * time.Second))
		b.Locations[1].Status = backup.LocationFailed
		b.Locations[1].Error = "upload: 503 Slow Down"
		b.Error = "1 of 2 storages failed"
	default:
		b.FinishedAt = ptr(start.Add(12300 * time.Millisecond))
		b.Error = "dump: mariadb-dump exited 2: Access denied for user 'backup'@'10.0.0.5' (using password: YES)"
		b.Locations[0].Status = backup.LocationFailed
		b.Locations[1].Status = backup.LocationFailed
	}
	return b
}

func ptr[T any](v T) *T { return &v }
