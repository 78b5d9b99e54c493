package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const s3Region = "us-east-1"

// s3Server is a versitygw (the version pinned in tools/go.mod) over a
// directory, on a free local port, with random credentials.
type s3Server struct {
	cmd                 *exec.Cmd
	done                chan struct{}
	endpoint, bucket    string
	keyFile, secretFile string
}

func startS3(ctx context.Context, dir string) (*s3Server, error) {
	bin, err := s3test.Binary() // the S3 tests' pinned, cached build
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir+"/data", 0o700); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	access, secret := "bench"+randomHex(8), randomHex(20)
	s := &s3Server{endpoint: "http://" + addr, bucket: "gsg-bench",
		keyFile: filepath.Join(dir, "access-key"), secretFile: filepath.Join(dir, "secret-key")}
	if err := os.WriteFile(s.keyFile, []byte(access), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(s.secretFile, []byte(secret), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", dir+"/data")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROOT_") && !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	s.cmd.Env = append(env, "ROOT_ACCESS_KEY="+access, "ROOT_SECRET_KEY="+secret)
	log, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: s3Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.stop()
		return nil, err
	}
	if err := c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s3Region}); err != nil {
		s.stop()
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	return s, nil
}

func (s *s3Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.done:
			return errors.New("versitygw exited during start")
		default:
		}
		if resp, err := client.Get(s.endpoint + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw not ready after %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *s3Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// cpu is the server's CPU seconds (user+sys) so far, from /proc.
func (s *s3Server) cpu() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name in parentheses; utime and stime are
	// fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}
