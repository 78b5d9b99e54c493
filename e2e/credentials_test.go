package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// procSnapshot scans every process's argv and environment for secret, and
// counts the dump/client tool processes it saw.
type procWatch struct {
	secret   []byte
	mu       sync.Mutex
	seen     map[string]int // tool name -> times seen
	leaks    []string
	stop     chan struct{}
	finished chan struct{}
}

func watchProcesses(secret string, tools ...string) *procWatch {
	w := &procWatch{secret: []byte(secret), seen: map[string]int{}, stop: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(w.finished)
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			w.scan(tools)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

func (w *procWatch) scan(tools []string) {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		cmdline, err := os.ReadFile(p + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue
		}
		environ, _ := os.ReadFile(p + "/environ")
		argv0 := filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0]))
		w.mu.Lock()
		for _, tool := range tools {
			if argv0 == tool {
				w.seen[tool]++
			}
		}
		if bytes.Contains(cmdline, w.secret) {
			w.leaks = append(w.leaks, p+"/cmdline of "+argv0)
		}
		if bytes.Contains(environ, w.secret) {
			w.leaks = append(w.leaks, p+"/environ of "+argv0)
		}
		w.mu.Unlock()
	}
}

func (w *procWatch) Stop() (seen map[string]int, leaks []string) {
	close(w.stop)
	<-w.finished
	return w.seen, w.leaks
}

// The backup user's password (with ' " $ ; > and a space) works, and shows up
// in no child's argv or environment while the dump runs, in no log line and
// in no catalog text.
func TestCredentialsNeverExposed(t *testing.T) {
	src := newMariaDB(t, "cred")
	loadMariaDBFixture(t, src, 400000) // long enough a dump to be watched
	pgSrc := newPostgresDB(t, "cred")
	loadPostgresFixture(t, pgSrc, 400000)
	user := newMariaDBUser(t)
	s := newSetup(t, []serverSpec{
		{name: "bk", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", passwordFile: writeSecret(t, nastyPassword), databases: []string{pgSrc}},
	}, options{})

	w := watchProcesses(nastyPassword, "mariadb-dump", "mysqldump", "pg_dump")
	cmd := exec.Command(binary, "backup", "--config", s.configPath, "--log-level", "debug")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	seen, leaks := w.Stop()
	if err != nil {
		t.Fatalf("backup: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if seen["mariadb-dump"]+seen["mysqldump"] == 0 || seen["pg_dump"] == 0 {
		t.Fatalf("the dump processes were never seen running (%v): the check proved nothing", seen)
	}
	for _, l := range leaks {
		t.Errorf("password visible in %s", l)
	}

	ids := strings.Count(strings.TrimSpace(stdout.String()), "\n") + 1
	if ids != 2 || strings.Contains(stdout.String(), "failed") {
		t.Fatalf("want two successful backups:\n%s", stdout.String())
	}
	texts := map[string]string{"stdout": stdout.String(), "log": stderr.String()}
	texts["list -o json"] = s.mustRun(t, "list", "-o", "json").stdout
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		id := strings.Fields(line)[0]
		texts["show "+id] = s.mustRun(t, "show", id, "-o", "json").stdout
	}
	for _, f := range []string{"catalog.db", "catalog.db-wal"} {
		data, _ := os.ReadFile(filepath.Join(s.dir, f))
		texts[f] = string(data)
	}
	filepath.Walk(s.storageDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			data, _ := os.ReadFile(p)
			texts["manifest "+fi.Name()] = string(data)
		}
		return nil
	})
	for name, text := range texts {
		if strings.Contains(text, nastyPassword) || strings.Contains(text, `s$s; w>rd`) {
			t.Errorf("password found in %s", name)
		}
	}
}
