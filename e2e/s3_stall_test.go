package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

// stallDB is a MariaDB database whose plain dump is about 26 MB: more than
// an S3 storage with 5 MiB parts and upload_concurrency 1 buffers (two
// parts), so a stalled upload holds up the stream while it waits.
func stallDB(t *testing.T) string {
	t.Helper()
	db := newMariaDB(t, "stall")
	execAll(t, mariadbAdmin(t, db),
		"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200))",
		"INSERT INTO t SELECT seq, REPEAT(MD5(seq), 5) FROM seq_1_to_150000",
	)
	return db
}

// stallSetup writes a config with an S3 storage "s3" reached through p,
// with the smallest idle timeout, and a local storage unless s3Only.
func stallSetup(t *testing.T, db string, srv *s3test.Server, p *s3test.Proxy, s3Only bool) *setup {
	t.Helper()
	s := &setup{dir: t.TempDir(), listen: freeAddr(t)}
	s.storageDir = filepath.Join(s.dir, "backups")
	s.configPath = filepath.Join(s.dir, "gosqlguard.yaml")
	var b strings.Builder
	fmt.Fprintf(&b, "catalog: {driver: sqlite, dsn: %q}\n", filepath.Join(s.dir, "catalog.db"))
	fmt.Fprintf(&b, "servers:\n  - name: my\n    type: mysql\n    socket: %s\n    user: root\n    databases: [%s]\n", mariadbSocket, db)
	b.WriteString("storages:\n")
	if !s3Only {
		fmt.Fprintf(&b, "  - name: local\n    type: local\n    path: %q\n", s.storageDir)
	}
	fmt.Fprintf(&b, "  - name: s3\n    type: s3\n    endpoint: %s\n    region: us-east-1\n    bucket: %s\n    prefix: e2e/\n    path_style: true\n", p.Endpoint, srv.Bucket)
	fmt.Fprintf(&b, "    access_key_id_file: %q\n    secret_access_key_file: %q\n", writeSecret(t, srv.AccessKey), writeSecret(t, srv.SecretKey))
	b.WriteString("    part_size: 5MiB\n    upload_concurrency: 1\n    idle_timeout: 1s\n")
	fmt.Fprintf(&b, "compression: {codec: none}\nhttp: {listen: %q}\n", s.listen)
	if err := os.WriteFile(s.configPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// processesNaming lists the PIDs of processes whose command line contains s.
func processesNaming(s string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			out = append(out, filepath.Base(d)+" "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// A proxy between us and S3 stops reading after 1 MiB. The S3 storage's
// attempts stall, each fails after idle_timeout (1s) and is retried, then
// the storage is dropped: the local copy completes, the backup is partial
// (exit 1) and the local copy verifies. Before idle_timeout this hung for
// good with the row running.
func TestS3StallGivesPartial(t *testing.T) {
	db := stallDB(t)
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(1 << 20)
	s := stallSetup(t, db, srv, p, false)

	start := time.Now()
	res := s.run(t, "backup")
	took := time.Since(start)
	if res.code != 1 {
		t.Fatalf("backup: %s; want exit 1", res)
	}
	if took > 2*time.Minute {
		t.Errorf("backup took %v", took)
	}
	id := backupID(t, res)
	b := s.show(t, id)
	if b.Status != "partial" {
		t.Fatalf("status %s (%s); want partial", b.Status, b.Error)
	}
	for _, l := range b.Locations {
		want := map[string]string{"local": "success", "s3": "failed"}[l.Storage]
		if l.Status != want {
			t.Errorf("location %s: %s, want %s", l.Storage, l.Status, want)
		}
	}
	if !strings.Contains(b.Error, "idle_timeout") {
		t.Errorf("error %q does not name the idle timeout", b.Error)
	}
	if !strings.Contains(res.stderr, "idle timeout") || !strings.Contains(res.stderr, "storage=s3") {
		t.Errorf("no idle timeout warning naming the storage in the log:\n%s", res.stderr)
	}
	if strings.Contains(res.stderr, srv.SecretKey) || strings.Contains(res.stdout, srv.SecretKey) {
		t.Error("the S3 secret key is in the output")
	}
	s.mustRun(t, "verify", id, "--storage", "local")
	if keys := s3Keys(t, srv); len(keys) != 0 {
		t.Errorf("objects in the bucket after the stall: %v", keys)
	}
}

// With the stalled S3 storage alone nothing is left to write to: the
// backup fails (not running), exit 1, and the dump was stopped, not left
// running with its transaction open.
func TestS3StallAloneFailsAndStopsTheDump(t *testing.T) {
	db := stallDB(t)
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(1 << 20)
	s := stallSetup(t, db, srv, p, true)

	res := s.run(t, "backup")
	if res.code != 1 {
		t.Fatalf("backup: %s; want exit 1", res)
	}
	b := s.show(t, backupID(t, res))
	if b.Status != "failed" {
		t.Fatalf("status %s (%s); want failed", b.Status, b.Error)
	}
	if !strings.Contains(b.Error, "idle_timeout") {
		t.Errorf("error %q does not name the idle timeout", b.Error)
	}
	if b.RawBytes <= 0 || b.RawBytes >= 24<<20 {
		t.Errorf("raw bytes %d: the dump should have been stopped part-way (full dump ≈ 26 MB)", b.RawBytes)
	}
	if left := processesNaming(db); len(left) > 0 {
		t.Errorf("processes still running for the database: %q", left)
	}
}

// SIGTERM while the only storage is stalled (with an idle timeout far away)
// ends `backup` within seconds: the stalled request is cut by the
// cancellation, the abort of the upload gets a short grace only, and the
// row is written as interrupted.
func TestS3StallSIGTERMIsPrompt(t *testing.T) {
	db := stallDB(t)
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(1 << 20)
	s := stallSetup(t, db, srv, p, true)
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.configPath, bytes.Replace(cfg, []byte("idle_timeout: 1s"), []byte("idle_timeout: 1h"), 1), 0o600)

	bg := startBackground(t, nil, nil, "backup", "--config", s.configPath)
	cmd, stdout, stderr, done := bg.cmd, &bg.stdout, &bg.stderr, bg.done
	deadline := time.Now().Add(time.Minute)
	for !p.Stalled() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the upload never reached the stall\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the part's request is now waiting on the stalled proxy
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("backup still running 30s after SIGTERM\n%s", stderr.String())
	}
	took := time.Since(start)
	t.Logf("backup ended %v after SIGTERM", took)
	if took > 10*time.Second {
		t.Errorf("backup took %v to end after SIGTERM", took)
	}
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("exit %d; want 1\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	b := s.show(t, backupID(t, result{stdout: stdout.String()}))
	if b.Status != "interrupted" {
		t.Errorf("status %s (%s); want interrupted", b.Status, b.Error)
	}
	if left := processesNaming(db); len(left) > 0 {
		t.Errorf("processes still running for the database: %q", left)
	}
}
