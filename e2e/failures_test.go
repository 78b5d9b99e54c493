package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storedFiles lists every file under the storage root, temp files included.
func storedFiles(t *testing.T, s *setup) []string {
	t.Helper()
	var out []string
	filepath.Walk(s.storageDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(s.storageDir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// assertFailedCleanly checks a failed run: exit 1, a redacted message, a
// failed catalog row, nothing stored for it, the earlier backup intact.
func assertFailedCleanly(t *testing.T, s *setup, res result, earlierID string, before []string, wantMsg string) {
	t.Helper()
	if res.code != 1 {
		t.Fatalf("exit %d, want 1: %s", res.code, res)
	}
	if !strings.Contains(strings.ToLower(res.stdout+res.stderr), strings.ToLower(wantMsg)) {
		t.Errorf("output lacks %q: %s", wantMsg, res)
	}
	if strings.Contains(res.stdout+res.stderr, "w>rd") {
		t.Errorf("password in output: %s", res)
	}
	var list []shown
	if err := json.Unmarshal([]byte(s.mustRun(t, "list", "--status", "failed", "-o", "json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !strings.Contains(strings.ToLower(list[0].Error), strings.ToLower(wantMsg)) {
		t.Fatalf("failed rows = %+v, want one whose error says %q", list, wantMsg)
	}
	if strings.Contains(list[0].Error, "w>rd") {
		t.Errorf("password in catalog error: %s", list[0].Error)
	}
	if after := storedFiles(t, s); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("storage changed by a failed backup:\nbefore %v\nafter  %v", before, after)
	}
	s.mustRun(t, "verify", earlierID)
}

func TestDumpFailures(t *testing.T) {
	src := newMariaDB(t, "fail")
	loadMariaDBFixture(t, src, 1000)
	user := newMariaDBUser(t)
	good := writeSecret(t, nastyPassword)

	cases := []struct {
		name    string
		server  serverSpec
		env     func(s *setup)
		wantMsg string
	}{
		{
			name:    "wrong password",
			server:  serverSpec{passwordFile: writeSecret(t, "wrong"+nastyPassword)},
			wantMsg: "access denied",
		},
		{
			name:    "unknown database",
			server:  serverSpec{passwordFile: good, databases: []string{"gsg_no_such_db"}},
			wantMsg: "gsg_no_such_db",
		},
		{
			name:    "missing dump binary",
			server:  serverSpec{passwordFile: good},
			env:     func(s *setup) { s.env = append(s.env, "PATH="+t.TempDir()) },
			wantMsg: "not found",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// First a good backup, with the good config, then the failing one on the same catalog and storage.
			s := newSetup(t, []serverSpec{{name: "bk", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: good, databases: []string{src}}}, options{})
			earlier := backupID(t, s.mustRun(t, "backup"))
			before := storedFiles(t, s)
			srv := tc.server
			srv.name, srv.typ, srv.socket, srv.user = "bk", "mysql", mariadbSocket, user
			if srv.databases == nil {
				srv.databases = []string{src}
			}
			bad := newSetup(t, []serverSpec{srv}, options{})
			bad.dir, bad.storageDir = s.dir, s.storageDir
			rewriteConfigPaths(t, bad, s)
			if tc.env != nil {
				tc.env(bad)
			}
			res := bad.run(t, "backup")
			assertFailedCleanly(t, s, res, earlier, before, tc.wantMsg)
		})
	}
}

// rewriteConfigPaths points bad's config at s's catalog and storage.
func rewriteConfigPaths(t *testing.T, bad, s *setup) {
	t.Helper()
	data, err := os.ReadFile(bad.configPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	oldDir := filepath.Dir(bad.configPath)
	cfg = strings.ReplaceAll(cfg, oldDir, filepath.Dir(s.configPath))
	if err := os.WriteFile(bad.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The server kills the dump's connection mid-stream: the backup fails and
// nothing is stored.
func TestDumpConnectionKilled(t *testing.T) {
	src := newMariaDB(t, "kill")
	loadMariaDBFixture(t, src, 1500000)
	// An earlier, good backup of a small database on the same storage.
	small := newMariaDB(t, "kill_small")
	loadMariaDBFixture(t, small, 0)
	user := newMariaDBUser(t)
	s := newSetup(t, []serverSpec{{name: "bk", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{src, small}}}, options{})
	earlier := backupID(t, s.mustRun(t, "backup", "--database", small))
	before := storedFiles(t, s)

	admin := mariadbAdmin(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "backup", "--config", s.configPath, "--database", src)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !killed; {
		var id int64
		err := admin.QueryRow(`SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND = 'Query' AND INFO LIKE 'SELECT /*!40001 SQL_NO_CACHE */%' LIMIT 1`, user).Scan(&id)
		if err == nil {
			if _, err := admin.Exec(fmt.Sprintf("KILL CONNECTION %d", id)); err == nil {
				killed = true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	err := cmd.Wait()
	if !killed {
		t.Fatalf("never caught the dump's query to kill it (backup: %v)\n%s", err, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	assertFailedCleanly(t, s, result{code: code, stdout: stdout.String(), stderr: stderr.String()}, earlier, before, "lost connection")
}
