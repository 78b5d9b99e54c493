package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestNoTokensNeedsLoopback(t *testing.T) {
	tests := []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:8080", true},
		{"127.10.0.1:8080", true},
		{"localhost:8080", true},
		{"[::1]:8080", true},
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"[::]:8080", false},
		{"192.168.1.10:8080", false},
		{"backup.example.com:8080", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			logs := &syncBuffer{}
			_, err := New(Options{Service: newFakeService(), Listen: tt.listen, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if (err == nil) != tt.ok {
				t.Fatalf("New(listen %q) error = %v, want ok=%v", tt.listen, err, tt.ok)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "UNAUTHENTICATED")
			if warned != tt.ok {
				t.Errorf("warning logged = %v, want %v:\n%s", warned, tt.ok, logs)
			}
		})
	}
}

func TestNoTokensServesLocalRequestsAsAdmin(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.Tokens = nil; o.Listen = "127.0.0.1:8080" })
	id := env.svc.add(time.Now(), "main", "shop", "daily").ID
	for _, host := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080"} {
		if w := env.do(t, req{method: "DELETE", target: "/api/v1/backups/" + id, host: host}); w.Code != 204 {
			t.Errorf("Host %s: DELETE status %d, want 204", host, w.Code)
		}
	}
	// A page in a browser that rebinds its own name to 127.0.0.1 sends its
	// own Host; it must not reach the open API.
	w := env.do(t, req{method: "DELETE", target: "/api/v1/backups/" + id, host: "evil.example:8080"})
	if w.Code != 403 {
		t.Errorf("foreign Host: status %d, want 403", w.Code)
	}
	if w := env.do(t, req{method: "GET", target: "/healthz", host: "evil.example"}); w.Code != 200 {
		t.Errorf("healthz with foreign Host: %d", w.Code)
	}
}

func TestDownload(t *testing.T) {
	env := newEnv(t, nil)
	id := env.svc.add(time.Now(), "main", "shop", "daily").ID
	w := env.do(t, req{method: "GET", target: "/api/v1/backups/" + id + "/download", token: operatorToken})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	h := w.Header()
	for k, want := range map[string]string{
		"Content-Type":        "application/octet-stream",
		"Content-Disposition": `attachment; filename=` + id + `.sql.zst`,
		"Content-Length":      "19",
		"X-Backup-Storage":    "local",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if w.Body.String() != env.svc.content {
		t.Errorf("body %q", w.Body)
	}
}

// brokenReader fails after its content.
type brokenReader struct{ r io.Reader }

func (b brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errors.New("storage read failed: /srv/backups/x: input/output error")
	}
	return n, err
}

func (b brokenReader) Close() error { return nil }

type brokenDownload struct{ *fakeService }

func (b brokenDownload) Download(ctx context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	return brokenReader{strings.NewReader(strings.Repeat("x", 300<<10))}, service.DownloadInfo{Filename: "x.sql.zst"}, nil
}

// A download that fails midway must not look complete to the client, even
// without a Content-Length.
func TestDownloadFailingMidwayBreaksTheConnection(t *testing.T) {
	logs := &syncBuffer{}
	s, err := New(Options{Service: brokenDownload{newFakeService()}, Tokens: testTokens(), Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	r, _ := http.NewRequest("GET", ts.URL+"/api/v1/backups/20240101T000000.000Z-0123456789ab/download", nil)
	r.Header.Set("Authorization", "Bearer "+operatorToken)
	resp, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil {
		t.Fatalf("read %d bytes and a clean end; want an error", n)
	}
	if !strings.Contains(logs.String(), "backup download interrupted") {
		t.Errorf("the interruption is not logged:\n%s", logs)
	}
}

type verifyService struct{ *fakeService }

func (v verifyService) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	return []backup.VerifyResult{
		{Storage: "local", Key: "k1", Deep: true},
		{Storage: "offsite", Key: "k2", Err: errors.New("open /srv/backups/k2: stored object does not match the catalog")},
	}, errors.New("storage offsite: bad")
}

func TestVerifyReportsEveryCopy(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.Service = verifyService{newFakeService()} })
	w := env.do(t, req{method: "POST", target: "/api/v1/backups/20240101T000000.000Z-0123456789ab/verify", token: operatorToken, body: "{}"})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decodeJSON[verifyResponse](t, w)
	if got.OK || len(got.Results) != 2 || !got.Results[0].OK || got.Results[1].OK || got.Results[1].Error == "" {
		t.Errorf("response %+v", got)
	}
	if strings.Contains(w.Body.String(), "/srv") {
		t.Errorf("response leaks a path: %s", w.Body)
	}
}

func TestRestore(t *testing.T) {
	env := newEnv(t, nil)
	id := env.svc.add(time.Now(), "main", "shop", "daily").ID
	w := env.do(t, req{method: "POST", target: "/api/v1/backups/" + id + "/restore", token: operatorToken, body: `{"to_database":"shop_restored"}`})
	got := decodeJSON[restoreResponse](t, w)
	if w.Code != 200 || got != (restoreResponse{ID: id, ToDatabase: "shop_restored", Restored: true}) {
		t.Errorf("status %d, %+v", w.Code, got)
	}

	// A non-empty target without force is a conflict; force and no_owner reach the service.
	w = env.do(t, req{method: "POST", target: "/api/v1/backups/" + id + "/restore", token: operatorToken, body: `{"to_database":"busy"}`})
	if w.Code != 409 {
		t.Errorf("restore into a busy target: status %d, want 409: %s", w.Code, w.Body)
	}
	w = env.do(t, req{method: "POST", target: "/api/v1/backups/" + id + "/restore", token: operatorToken, body: `{"to_database":"busy","force":true,"no_owner":true}`})
	if w.Code != 200 {
		t.Errorf("forced restore: status %d: %s", w.Code, w.Body)
	}
	want := []service.RestoreOptions{{ToDatabase: "shop_restored"}, {ToDatabase: "busy"}, {ToDatabase: "busy", Force: true, NoOwner: true}}
	if fmt.Sprint(env.svc.restores) != fmt.Sprint(want) {
		t.Errorf("service got %+v, want %+v", env.svc.restores, want)
	}
}

func TestStatusAndJobs(t *testing.T) {
	env := newEnv(t, nil)
	w := env.do(t, req{method: "GET", target: "/api/v1/status", token: viewerToken})
	st := decodeJSON[service.Status](t, w)
	if want := env.clock.Now().Sub(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)).Seconds(); st.UptimeSeconds != want {
		t.Errorf("uptime %v, want %v", st.UptimeSeconds, want)
	}
	if st.Running == nil || !strings.Contains(w.Body.String(), `"running":[]`) {
		t.Errorf("running is not an empty array: %s", w.Body)
	}
	for _, f := range []string{`"go_version"`, `"started_at"`, `"uptime_seconds"`, `"storages"`, `"healthy":false`} {
		if !strings.Contains(w.Body.String(), f) {
			t.Errorf("status lacks %s: %s", f, w.Body)
		}
	}
	w = env.do(t, req{method: "GET", target: "/api/v1/jobs", token: viewerToken})
	for _, f := range []string{`"jobs":[`, `"last_success":null`, `"next_run":null`, `"running":false`} {
		if !strings.Contains(w.Body.String(), f) {
			t.Errorf("jobs lack %s: %s", f, w.Body)
		}
	}
}

func TestServeShutsDownWhenContextEnds(t *testing.T) {
	env := newEnv(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.srv.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("healthz over the network: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
}

func TestListenAndServeReportsListenErrors(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.Listen = "127.0.0.1:-1" })
	if err := env.srv.ListenAndServe(context.Background()); err == nil {
		t.Error("ListenAndServe on a bad address returned nil")
	}
}
