package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Probes, scrapes and the web UI's live polling are logged at DEBUG; other
// requests at INFO. No access log line carries an empty attribute.
func TestAccessLogLevels(t *testing.T) {
	env := newEnv(t, nil)
	env.srv.Mux().Handle("GET /ui/live", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
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
		env.do(t, req{method: "GET", target: path, token: viewerToken})
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(env.logs.String()), "\n") {
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
