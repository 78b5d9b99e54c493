// Package s3test runs a real S3-compatible server (versitygw over a temporary
// directory) for tests. The server binary is built from the version pinned in
// the repository's tools module, once per machine and version, and reused by
// later test processes.
//
// A test that cannot build or start the server is skipped, unless the
// environment variable CI is "true": then it fails, so that a green CI run
// always means the real server ran.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Region is the region the server answers for.
const Region = "us-east-1"

const modulePath = "github.com/versity/versitygw"

// Server is a running versitygw serving one directory.
type Server struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// AccessKey and SecretKey are the root credentials, random per server.
	AccessKey, SecretKey string
	// Bucket exists and is empty when StartServer returns.
	Bucket string
	// Dir is the directory the server stores its buckets in.
	Dir string

	t    testing.TB
	bin  string
	addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	output *cappedBuffer
}

// StartServer starts a server on a free local port with a fresh directory and
// one bucket. It is stopped when the test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		testenv.Require(t, "versitygw", err)
	}
	addr, err := freeAddr()
	if err != nil {
		testenv.Require(t, "a free local port", err)
	}
	s := &Server{
		Endpoint:  "http://" + addr,
		AccessKey: "test" + randomHex(8),
		SecretKey: randomHex(20),
		Bucket:    "gosqlguard-test",
		Dir:       t.TempDir(),
		t:         t,
		bin:       bin,
		addr:      addr,
	}
	t.Cleanup(s.Stop)
	if err := s.start(); err != nil {
		testenv.Require(t, "a running versitygw", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client().MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: Region}); err != nil {
		t.Fatalf("create bucket %s: %v", s.Bucket, err)
	}
	return s
}

// Client returns a minio client for the server, for checks made from tests.
func (s *Server) Client() *minio.Client {
	s.t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		s.t.Fatalf("s3 client: %v", err)
	}
	return c
}

// Start starts the server again after Stop, on the same address and
// directory. Starting a running server does nothing.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart versitygw: %v", err)
	}
}

// Stop kills the server, as an outage would: requests in flight fail and new
// connections are refused. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	var lastErr error
	// The port may still be held briefly by the previous process.
	for attempt := 0; attempt < 3; attempt++ {
		cmd := exec.Command(s.bin, "--port", s.addr, "--quiet", "posix", s.Dir)
		// The credentials go to this child only, never to our own environment.
		cmd.Env = append(childEnv(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
		s.output = &cappedBuffer{max: 16 << 10}
		cmd.Stdout = s.output
		cmd.Stderr = s.output
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		if err := waitReady(s.Endpoint, done, 15*time.Second); err != nil {
			_ = cmd.Process.Kill()
			<-done
			lastErr = fmt.Errorf("%w; output: %s", err, s.output.String())
			time.Sleep(200 * time.Millisecond)
			continue
		}
		s.cmd, s.done = cmd, done
		return nil
	}
	return lastErr
}

// childEnv is our environment without credentials meant for other servers.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ROOT_") || strings.HasPrefix(name, "VGW_") || strings.HasPrefix(name, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// waitReady polls until the server answers HTTP, the process exits or the
// timeout passes.
func waitReady(endpoint string, exited <-chan struct{}, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			return errors.New("server exited during start")
		default:
		}
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %v: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// Binary returns the path of the versitygw binary of the version pinned in
// tools/go.mod (found by walking up from the working directory), building
// it on first use. Built binaries are cached in the system temp directory by
// version, so later test processes (and the benchmark, scripts/bench) start
// it at once.
func Binary() (string, error) {
	buildOnce.Do(func() { builtBin, buildErr = build() })
	return builtBin, buildErr
}

func build() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	toolsDir, err := findToolsDir(wd)
	if err != nil {
		return "", err
	}
	version, err := pinnedVersion(filepath.Join(toolsDir, "go.mod"))
	if err != nil {
		return "", err
	}
	cacheDir := filepath.Join(os.TempDir(), "gosqlguard-versitygw-"+version)
	bin := filepath.Join(cacheDir, "versitygw")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not found to build versitygw: %w", err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	// Build to a unique name and rename, so concurrent test processes never
	// see a half-written binary.
	tmp, err := os.CreateTemp(cacheDir, "versitygw-*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp.Name(), modulePath+"/cmd/versitygw")
	cmd.Dir = toolsDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build versitygw %s: %w: %s", version, err, bytes.TrimSpace(tail(out, 2048)))
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// findToolsDir walks up from dir to the directory holding tools/go.mod.
func findToolsDir(dir string) (string, error) {
	for d := dir; ; {
		tools := filepath.Join(d, "tools")
		if _, err := os.Stat(filepath.Join(tools, "go.mod")); err == nil {
			return tools, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no tools/go.mod found above the test's working directory")
		}
		d = parent
	}
}

// pinnedVersion reads the version of versitygw that the tools module requires.
func pinnedVersion(goMod string) (string, error) {
	f, err := os.Open(goMod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == modulePath {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s does not require %s", filepath.Base(goMod), modulePath)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
