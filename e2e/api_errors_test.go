package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The API as operators meet it behind a reverse proxy (one client address
// for everyone): a client guessing tokens does not lock out the good ones
// or the Prometheus scrape, errors say what is wrong, and probes stay out of
// the INFO log. No backup runs, so no database server is needed.
func TestAPILimitsOnlyFailuresAndSaysWhatIsWrong(t *testing.T) {
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "nobody", databases: []string{"shop"}}}, options{})
	cfg, _ := os.ReadFile(s.configPath)
	cfg = []byte(strings.Replace(string(cfg), "http: {listen: \""+s.listen+"\"}\n",
		"http:\n  listen: \""+s.listen+"\"\n  auth:\n    tokens:\n"+tokenLine("ops", "operator", "operator-token")+tokenLine("prom", "viewer", "viewer-token"), 1))
	if err := os.WriteFile(s.configPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)
	api := func(token string) apiClient { return apiClient{t, base, token} }

	// Failures from the one address: 401 ten times, then 429 with Retry-After.
	for i := range 10 {
		if code, body := api("guess").do("GET", "/api/v1/jobs", ""); code != 401 {
			t.Fatalf("bad token %d: %d %s, want 401", i+1, code, body)
		}
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/jobs", nil)
	req.Header.Set("Authorization", "Bearer guess")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("11th bad token: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Good tokens are let in at once, the metrics scrape included.
	if code, body := api("operator-token").do("GET", "/api/v1/jobs", ""); code != 200 {
		t.Errorf("good token after 11 failures: %d %s, want 200", code, body)
	}
	if code, body := api("viewer-token").do("GET", "/metrics", ""); code != 200 {
		t.Errorf("metrics scrape after 11 failures: %d %.200s, want 200", code, body)
	}

	// Errors name what is wrong.
	message := func(code int, body string) (int, string) {
		var e struct{ Error struct{ Message string } }
		json.Unmarshal([]byte(body), &e)
		return code, e.Error.Message
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
		message            string
	}{
		{"POST", "/api/v1/backups", `{"server":"nope"}`, 400, `server "nope" is not configured`},
		{"POST", "/api/v1/backups", `{"type":"nope"}`, 400, `backup type "nope" is not configured`},
		{"POST", "/api/v1/backups", `{"server":"my","database":"other"}`, 400,
			`database "other" is not among the databases to back up of server "my"`},
		{"POST", "/api/v1/backups", `{"server":"my","force":true}`, 400, `unknown field "force" (allowed: server, database, type)`},
		{"GET", "/api/v1/backups/20240101T000000.000Z-0123456789ab", "", 404, `backup 20240101T000000.000Z-0123456789ab not found`},
		{"GET", "/api/v1/backups?status=done", "", 400, `invalid status: want one of running, success, partial, failed, interrupted, deleted`},
	} {
		code, msg := message(api("operator-token").do(tt.method, tt.path, tt.body))
		if code != tt.code || msg != tt.message {
			t.Errorf("%s %s %s: %d %q, want %d %q", tt.method, tt.path, tt.body, code, msg, tt.code, tt.message)
		}
	}

	// Probes are logged at DEBUG only: not in the default INFO log.
	for range 3 {
		api("").do("GET", "/healthz", "")
	}
	api("operator-token").do("GET", "/api/v1/status", "")
	d.waitLog("path=/api/v1/status", 10*time.Second)
	if strings.Contains(d.log(), "path=/healthz") {
		t.Errorf("health checks are logged at INFO:\n%s", d.log())
	}
}
