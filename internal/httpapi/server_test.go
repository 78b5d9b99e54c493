package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

func TestNoTokensServesLocalRequestsAsAdmin(t *testing.T) {
	env := newEnv(t, func(o *envOptions) { o.Tokens = nil })
	id := env.add(time.Now(), "main", "shop", "daily").ID
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
	id := env.add(time.Now(), "main", "shop", "daily").ID
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
	if w.Body.String() != env.svc.Content {
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

type brokenDownload struct{ *servicetest.Fake }

func (b brokenDownload) Download(ctx context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	return brokenReader{strings.NewReader(strings.Repeat("x", 300<<10))}, service.DownloadInfo{Filename: "x.sql.zst"}, nil
}

// A download that fails midway must not look complete to the client, even
// without a Content-Length.
func TestDownloadFailingMidwayBreaksTheConnection(t *testing.T) {
	logs := &logtest.Buffer{}
	_, h := newServer(t, envOptions{Options: Options{Service: brokenDownload{newFakeService(t, nil)},
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, Tokens: testTokens()})
	ts := httptest.NewServer(h)
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

type verifyService struct{ *servicetest.Fake }

func (v verifyService) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	return []backup.VerifyResult{
		{Storage: "local", Key: "k1", Deep: true},
		{Storage: "offsite", Key: "k2", Err: errors.New("open /srv/backups/k2: stored object does not match the catalog")},
	}, errors.New("storage offsite: bad")
}

func TestVerifyReportsEveryCopy(t *testing.T) {
	env := newEnv(t, func(o *envOptions) { o.Service = verifyService{newFakeService(t, nil)} })
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
	id := env.add(time.Now(), "main", "shop", "daily").ID
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
	var asked []service.RestoreOptions
	for _, r := range env.svc.Restores() {
		asked = append(asked, r.Options)
	}
	if fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Errorf("service got %+v, want %+v", asked, want)
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
