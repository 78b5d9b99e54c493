package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// apiClient talks to a running daemon with one token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func tokenLine(name, role, token string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf("      - {name: %s, role: %s, token_sha256: %s}\n", name, role, hex.EncodeToString(sum[:]))
}

// waitReady polls /readyz until the daemon answers.
func waitReady(t *testing.T, base string, d *daemon) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon never ready:\n%s", d.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The API against a real daemon: a backup started by POST succeeds, a second
// POST while it runs gets 409, /jobs shows it, /metrics carries the outcome of
// a success and a failure and passes promtool, a failure sends one webhook
// without the password, and error bodies leak nothing.
func TestAPIAgainstRealDaemon(t *testing.T) {
	db := bigMariaDB(t)
	user := newMariaDBUser(t)

	var hookMu sync.Mutex
	var hooks []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hookMu.Lock()
		hooks = append(hooks, string(b))
		hookMu.Unlock()
	}))
	defer receiver.Close()

	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{db}},
		{name: "bad", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, "wrong"+nastyPassword), databases: []string{db}},
	}, options{
		types: "  nightly: {schedule: \"0 3 * * *\"}\n",
		extra: "compression: {codec: gzip, level: 9}\n" +
			"notifications:\n  webhooks:\n    - {url: \"" + receiver.URL + "/hook/s3cr3t-path?token=abc\", events: [failure]}\n",
	})
	cfg, _ := os.ReadFile(s.configPath)
	cfg = append(cfg, []byte("http:\n  listen: \""+s.listen+"\"\n  auth:\n    tokens:\n"+
		tokenLine("admin", "admin", "admin-token")+tokenLine("ops", "operator", "operator-token")+tokenLine("ro", "viewer", "viewer-token"))...)
	cfg = []byte(strings.Replace(string(cfg), "http: {listen: \""+s.listen+"\"}\n", "", 1))
	os.WriteFile(s.configPath, cfg, 0o600)

	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)
	op := apiClient{t, base + "/api/v1", "operator-token"}
	viewer := apiClient{t, base + "/api/v1", "viewer-token"}

	// Start a real backup.
	code, body := op.do("POST", "/backups", `{"server":"my","database":"`+db+`"}`)
	if code != 202 {
		t.Fatalf("POST /backups = %d %s", code, body)
	}
	var started struct{ IDs []string }
	json.Unmarshal([]byte(body), &started)
	if len(started.IDs) != 1 {
		t.Fatalf("POST /backups body %s", body)
	}
	id := started.IDs[0]
	if code, body := op.do("POST", "/backups", `{"server":"my","database":"`+db+`"}`); code != 409 {
		t.Errorf("second POST while it runs = %d %s, want 409", code, body)
	}
	if code, _ := viewer.do("POST", "/backups", `{"server":"my"}`); code != 403 {
		t.Errorf("viewer POST = %d, want 403", code)
	}
	var b shown
	for deadline := time.Now().Add(2 * time.Minute); b.Status != "success"; {
		code, body := viewer.do("GET", "/backups/"+id, "")
		if code != 200 {
			t.Fatalf("GET /backups/%s = %d %s", id, code, body)
		}
		json.Unmarshal([]byte(body), &b)
		if b.Status != "running" && b.Status != "success" {
			t.Fatalf("backup %s: %+v", id, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup never finished:\n%s", d.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	good := b

	// And a failing one (wrong password on server "bad").
	code, body = op.do("POST", "/backups", `{"server":"bad"}`)
	if code != 202 {
		t.Fatalf("POST failing backup = %d %s", code, body)
	}
	json.Unmarshal([]byte(body), &started)
	for deadline := time.Now().Add(time.Minute); ; {
		_, body := viewer.do("GET", "/backups/"+started.IDs[0], "")
		json.Unmarshal([]byte(body), &b)
		if b.Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failing backup: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// /jobs: last success and next run.
	_, body = viewer.do("GET", "/jobs", "")
	var jobs struct {
		Jobs []struct {
			Server, Database, Type string
			LastSuccess            *time.Time `json:"last_success"`
			LastFailure            *time.Time `json:"last_failure"`
			NextRun                *time.Time `json:"next_run"`
		}
	}
	json.Unmarshal([]byte(body), &jobs)
	var manualMy, nightlyMy bool
	for _, j := range jobs.Jobs {
		if j.Server == "my" && j.Type == "manual" && j.LastSuccess != nil {
			manualMy = true
		}
		if j.Server == "my" && j.Type == "nightly" && j.NextRun != nil && j.NextRun.After(time.Now()) {
			nightlyMy = true
		}
	}
	if !manualMy || !nightlyMy {
		t.Errorf("/jobs lacks the last success or the next run: %s", body)
	}

	// /metrics needs a token, shows both outcomes, and passes promtool.
	if code, _ := (apiClient{t, base, ""}).do("GET", "/metrics", ""); code != 401 {
		t.Errorf("/metrics without a token = %d, want 401", code)
	}
	_, exposition := (apiClient{t, base, "viewer-token"}).do("GET", "/metrics", "")
	for _, want := range []string{
		fmt.Sprintf(`gosqlguard_backup_runs_total{database=%q,server="my",status="success",type="manual"} 1`, db),
		fmt.Sprintf(`gosqlguard_backup_runs_total{database=%q,server="bad",status="failure",type="manual"} 1`, db),
		fmt.Sprintf(`gosqlguard_backup_last_success_timestamp_seconds{database=%q,server="my",type="manual"}`, db),
		fmt.Sprintf(`gosqlguard_backup_size_bytes{database=%q,server="my",storage="local",type="manual"} %s`, db, strconv.FormatFloat(float64(good.StoredBytes), 'g', -1, 64)),
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtool := testenv.Tool(t, "promtool")
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(exposition)
	if out, err := check.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	// One webhook per failed backup (the catch-up run at start fails on
	// "bad" too), none for the successes, and never the password.
	failed := s.listTimes(t, "--status", "failed")
	hookMu.Lock()
	got := append([]string(nil), hooks...)
	hookMu.Unlock()
	if len(got) != len(failed) || len(failed) == 0 {
		t.Errorf("%d webhooks for %d failed backups: %v", len(got), len(failed), got)
	}
	for _, f := range failed {
		n := 0
		for _, h := range got {
			if strings.Contains(h, `"id":"`+f.ID+`"`) && strings.Contains(h, `"event":"failure"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("failed backup %s: %d webhooks, want 1", f.ID, n)
		}
	}
	for _, h := range got {
		if strings.Contains(h, "w>rd") {
			t.Errorf("webhook body carries the password: %s", h)
		}
	}
	if strings.Contains(d.log(), "s3cr3t-path") || strings.Contains(d.log(), "token=abc") {
		t.Error("the webhook URL appears in the logs")
	}

	// Error bodies leak nothing.
	leaks := []string{s.dir, "/run/", "goroutine", ".go:", "password", "w>rd", "sqlite", "catalog.db"}
	for name, req := range map[string][3]string{
		"bad id":         {"GET", "/backups/not-an-id", ""},
		"bad json":       {"POST", "/backups", `{"server":`},
		"unknown field":  {"POST", "/backups", `{"srever":"my"}`},
		"unknown filter": {"GET", "/backups?status=great", ""},
		"unknown server": {"POST", "/backups", `{"server":"nope"}`},
	} {
		code, body := op.do(req[0], req[1], req[2])
		if code != 400 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", name, code, body)
		}
		for _, l := range leaks {
			if strings.Contains(body, l) {
				t.Errorf("%s: error body contains %q: %s", name, l, body)
			}
		}
	}
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
