package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// bigMariaDB is a database of about 200 MB of SQL.
func bigMariaDB(t *testing.T) string {
	t.Helper()
	db := newMariaDB(t, "big")
	conn := mariadbAdmin(t, db)
	execAll(t, conn,
		"CREATE TABLE t (id INT PRIMARY KEY, a CHAR(64), b VARCHAR(200), c DECIMAL(12,2), d DATETIME)",
		"INSERT INTO t SELECT seq, SHA2(seq, 256), CONCAT(REPEAT(MD5(seq), 3), ' ', seq), seq / 7, '2026-01-01' + INTERVAL seq SECOND FROM seq_1_to_1000000",
	)
	return db
}

// s3Object reads one object with the server's own client, not gosqlguard's code.
func s3Uploads(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	core := minio.Core{Client: srv.Client()}
	res, err := core.ListMultipartUploads(context.Background(), srv.Bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	var out []string
	for _, u := range res.Uploads {
		out = append(out, u.Key)
	}
	return out
}

func s3Keys(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	var out []string
	for o := range srv.Client().ListObjects(context.Background(), srv.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// s3cmdSHA256 downloads an object with s3cmd, an independent client, and hashes it.
func s3cmdSHA256(t *testing.T, srv *s3test.Server, key string) string {
	t.Helper()
	bin := testenv.Tool(t, "s3cmd")
	host := strings.TrimPrefix(srv.Endpoint, "http://")
	cfg := filepath.Join(t.TempDir(), "s3cfg")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n",
		srv.AccessKey, srv.SecretKey, host, host)), 0o600)
	out := filepath.Join(t.TempDir(), "object")
	cmd := exec.Command(bin, "-c", cfg, "--no-progress", "get", "s3://"+srv.Bucket+"/"+key, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("s3cmd get: %v\n%s", err, b)
	}
	f, _ := os.Open(out)
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// One dump of about 200 MB feeds local and S3 at once: both copies have the
// catalog's SHA-256, s3cmd reads the S3 object back intact, and peak RSS with
// default settings stays under 128 MiB. Then the catalog is deleted and
// rebuilt from both storages.
func TestS3AndLocalInOnePass(t *testing.T) {
	srv := s3test.StartServer(t)
	db := bigMariaDB(t)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{s3: srv})

	cmd := exec.Command(binary, "backup", "--config", s.configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The gosqlguard process's own high-water mark, read until it exits:
	// the rusage of a waited-for process also covers its children (the dump tool).
	own := make(chan int64, 1)
	go func() { own <- watchHWM(cmd.Process.Pid) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("backup: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	peak := <-own / 1024
	withChildren := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
	t.Logf("peak RSS during the backup: %d MiB (with the dump tool: %d MiB)", peak, withChildren)
	if peak >= 128 {
		t.Errorf("peak RSS %d MiB, want < 128 MiB", peak)
	}

	id := backupID(t, result{stdout: stdout.String()})
	b := s.show(t, id)
	if b.Status != "success" || len(b.Locations) != 2 || b.RawBytes < 150<<20 {
		t.Fatalf("backup = %+v", b)
	}
	local := fileSHA256(t, s.objectPath(b.Locations[0].Key))
	remote := s3cmdSHA256(t, srv, "e2e/"+b.Locations[1].Key)
	if local != b.SHA256 || remote != b.SHA256 {
		t.Errorf("sha256: catalog %s, local %s, s3 (via s3cmd) %s", b.SHA256, local, remote)
	}
	s.mustRun(t, "verify", id, "--storage", "s3")

	// Restore from S3 alone.
	dst := uniqueName("s3_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--storage", "s3", "--to-database", dst)
	if got, want := hashRows(t, mariadbAdmin(t, dst), "SELECT * FROM t ORDER BY 1"), hashRows(t, mariadbAdmin(t, db), "SELECT * FROM t ORDER BY 1"); got != want {
		t.Errorf("restored from S3: %s, want %s", got, want)
	}

	// catalog rebuild finds the backup in both storages.
	for _, f := range []string{"catalog.db", "catalog.db-wal", "catalog.db-shm"} {
		os.Remove(filepath.Join(s.dir, f))
	}
	s.mustRun(t, "catalog", "rebuild")
	rb := s.show(t, id)
	if rb.SHA256 != b.SHA256 || len(rb.Locations) != 2 {
		t.Errorf("rebuilt = %+v", rb)
	}
}

// The S3 server goes away mid-upload: the local copy completes, the backup is
// partial, and once the server is back there is no object and no multipart
// upload left in S3.
func TestS3CutOffMidUpload(t *testing.T) {
	srv := s3test.StartServer(t)
	db := bigMariaDB(t)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{s3: srv})

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "backup", "--config", s.configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderrPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var mu sync.Mutex
	abortRetrying := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "abort of multipart upload failed") {
				once.Do(func() { close(abortRetrying) })
			}
		}
	}()
	// Wait until the multipart upload is under way, then cut the server off.
	for deadline := time.Now().Add(60 * time.Second); len(s3Uploads(t, srv)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no multipart upload started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Stop()
	select {
	case <-abortRetrying: // the parts gave up; the abort waits for the server
	case <-time.After(90 * time.Second):
		t.Fatal("the upload never gave up")
	}
	srv.Start()
	err := cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("backup: %v, want exit 1\n%s\n%s", err, stdout.String(), logs.String())
	}
	id := backupID(t, result{stdout: stdout.String()})
	b := s.show(t, id)
	if b.Status != "partial" {
		t.Fatalf("status %s, want partial: %+v", b.Status, b)
	}
	for _, l := range b.Locations {
		if want := map[string]string{"local": "success", "s3": "failed"}[l.Storage]; l.Status != want {
			t.Errorf("location %s: %s, want %s", l.Storage, l.Status, want)
		}
	}
	if !strings.Contains(logs.String(), "storage failed") || !strings.Contains(logs.String(), "storage=s3") {
		t.Errorf("logs do not say which storage failed and why:\n%s", logs.String())
	}
	if keys := s3Keys(t, srv); len(keys) != 0 {
		t.Errorf("objects left in S3: %v", keys)
	}
	if ups := s3Uploads(t, srv); len(ups) != 0 {
		t.Errorf("multipart uploads left in S3: %v", ups)
	}
	s.mustRun(t, "verify", id)
}

// The dump dies mid-stream with S3 as the only storage: the upload is
// aborted, the backup failed, nothing left in S3.
func TestS3OnlyDumpFails(t *testing.T) {
	srv := s3test.StartServer(t)
	db := bigMariaDB(t)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{s3: srv, s3Only: true})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "backup", "--config", s.configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); len(s3Uploads(t, srv)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no multipart upload started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Kill the dump tool itself mid-stream.
	killDumpChild(t, cmd.Process.Pid)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("backup: %v, want exit 1\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var list []shown
	json.Unmarshal([]byte(s.mustRun(t, "list", "-o", "json").stdout), &list)
	if len(list) != 1 || list[0].Status != "failed" || !strings.Contains(list[0].Error, "signal") {
		t.Fatalf("catalog = %+v, want one failed backup killed by a signal", list)
	}
	if keys := s3Keys(t, srv); len(keys) != 0 {
		t.Errorf("objects left in S3: %v", keys)
	}
	if ups := s3Uploads(t, srv); len(ups) != 0 {
		t.Errorf("multipart uploads left in S3: %v", ups)
	}
}

// killDumpChild sends SIGKILL to the mariadb-dump child of pid.
func killDumpChild(t *testing.T, pid int) {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == fmt.Sprint(pid) && strings.Contains(string(stat), "(mariadb-dump)") {
			var child int
			fmt.Sscan(filepath.Base(d), &child)
			if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no mariadb-dump child found")
}

// watchHWM polls a process's VmHWM (peak resident set, KiB) until the
// process is gone and returns the last value read.
func watchHWM(pid int) int64 {
	var last int64
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return last
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil && n > 0 {
					last = n
				}
			}
		}
		if strings.Contains(string(data), "State:\tZ") {
			return last
		}
		time.Sleep(20 * time.Millisecond)
	}
}
