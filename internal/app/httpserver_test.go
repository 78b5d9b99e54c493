package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

const (
	testViewerToken = "viewer-token-4f1c0a"
	testAdminToken  = "admin-token-c3e85f"
)

func testConfigTokens() []config.Token {
	hash := func(tok string) string { sum := sha256.Sum256([]byte(tok)); return hex.EncodeToString(sum[:]) }
	return []config.Token{
		{Name: "ci-viewer", Role: "viewer", TokenSHA256: hash(testViewerToken)},
		{Name: "root", Role: "admin", TokenSHA256: hash(testAdminToken)},
	}
}

func testHandler(t *testing.T, edit func(*httpOptions)) (http.Handler, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	o := httpOptions{
		Service: servicetest.New(t, nil), Tokens: testConfigTokens(), Listen: "127.0.0.1:0",
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "# metrics") }),
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&o)
	}
	h, err := newHTTPHandler(o)
	if err != nil {
		t.Fatalf("newHTTPHandler: %v", err)
	}
	return h, logs
}

func get(h http.Handler, target, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, http.NoBody)
	r.RemoteAddr = "192.0.2.1:1234"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

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
			logs := &logtest.Buffer{}
			_, err := newHTTPHandler(httpOptions{Service: servicetest.New(t, nil), Listen: tt.listen, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if (err == nil) != tt.ok {
				t.Fatalf("newHTTPHandler(listen %q) error = %v, want ok=%v", tt.listen, err, tt.ok)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "UNAUTHENTICATED")
			if warned != tt.ok {
				t.Errorf("warning logged = %v, want %v:\n%s", warned, tt.ok, logs)
			}
		})
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	tests := map[string]config.Token{
		"unknown role": {Name: "x", Role: "root", TokenSHA256: strings.Repeat("ab", 32)},
		"short hash":   {Name: "x", Role: "viewer", TokenSHA256: "abcd"},
		"not hex":      {Name: "x", Role: "viewer", TokenSHA256: strings.Repeat("z", 64)},
		"no hash":      {Name: "x", Role: "viewer"},
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := newHTTPHandler(httpOptions{Service: servicetest.New(t, nil), Tokens: []config.Token{tok}, Listen: "0.0.0.0:8080"})
			if err == nil {
				t.Fatal("newHTTPHandler accepted the token")
			}
		})
	}
}

// Probes, scrapers and the web UI's live polling are logged at DEBUG; other
// requests at INFO. No access log line carries an empty attribute.
func TestAccessLogLevels(t *testing.T) {
	h, logs := testHandler(t, nil)
	want := map[string]string{
		"/healthz":       "DEBUG",
		"/readyz":        "DEBUG",
		"/metrics":       "DEBUG",
		"/ui/live":       "DEBUG",
		"/api/v1/jobs":   "INFO",
		"/api/v1/nope":   "INFO",
		"/api/v1/status": "INFO",
	}
	for path := range want {
		get(h, path, testViewerToken)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for k, v := range rec {
			if v == "" || v == nil {
				t.Errorf("empty attribute %q in %s", k, line)
			}
		}
		if rec["msg"] == "http request" {
			got[rec["path"].(string)] = rec["level"].(string)
		}
	}
	for path, level := range want {
		if got[path] != level {
			t.Errorf("%s logged at %q, want %s", path, got[path], level)
		}
	}
}

// The UI, mounted beside the API, leaves the API's routes alone.
func TestUIAndAPIShareTheMux(t *testing.T) {
	h, _ := testHandler(t, nil)
	if w := get(h, "/api/v1/jobs", testViewerToken); w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("/api/v1/jobs after mounting the UI: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := get(h, "/healthz", ""); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("/healthz after mounting the UI: %d %q", w.Code, w.Body)
	}
	if w := get(h, "/", ""); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("/ without a session: %d %q, want the UI's redirect to /login", w.Code, w.Header().Get("Location"))
	}
}

// Failed UI logins count against the API's limiter too (one authenticator):
// a bad token is then refused by the API with 429, a good one let in.
func TestUIAndAPIShareOneLimiter(t *testing.T) {
	h, _ := testHandler(t, nil)
	for i := 0; i < 11; i++ {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {"wrong"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = "192.0.2.1:1234"
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if w := get(h, "/api/v1/status", "wrong"); w.Code != http.StatusTooManyRequests {
		t.Errorf("API bad token after UI login failures: status %d, want 429 (one shared limiter)", w.Code)
	}
	if w := get(h, "/api/v1/status", testAdminToken); w.Code != http.StatusOK {
		t.Errorf("API good token from the limited address: status %d, want 200", w.Code)
	}
}

func TestServeShutsDownWhenContextEnds(t *testing.T) {
	h, _ := testHandler(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, h, slog.New(slog.DiscardHandler)) }()
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
			t.Errorf("serveHTTP returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serveHTTP did not return after the context ended")
	}
}
