package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// TestS3cmdReadsBack checks a multipart Put with an independent client: s3cmd
// downloads the object and its SHA-256 must match what was put.
func TestS3cmdReadsBack(t *testing.T) {
	s3cmd := testenv.Tool(t, "s3cmd")
	srv := s3test.StartServer(t)
	b := newBackend(t, srv, Config{}, nil)
	data := randomData(20<<20, 5)
	if _, err := b.Put(context.Background(), "check/obj.sql.zst", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	// The throwaway keys go into a 0600 config file, not onto argv.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "s3cmd.cfg")
	host := strings.TrimPrefix(srv.Endpoint, "http://")
	conf := fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\n"+
		"use_https = False\nsignature_v2 = False\nbucket_location = %s\n", srv.AccessKey, srv.SecretKey, host, host, s3test.Region)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "obj")
	cmd := exec.Command(s3cmd, "-c", cfg, "--no-progress", "get", fmt.Sprintf("s3://%s/%scheck/obj.sql.zst", srv.Bucket, b.prefix), out)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("s3cmd get: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("s3cmd read %d bytes with sha256 %x, want %d bytes with %x", len(got), sha256.Sum256(got), len(data), sha256.Sum256(data))
	}
}

// TestUploadOptions puts a small and a multipart object with a storage class
// and SSE-S3, as a service that supports them would receive them.
func TestUploadOptions(t *testing.T) {
	srv := s3test.StartServer(t)
	ctx := context.Background()
	for _, c := range []Config{{StorageClass: "STANDARD"}, {SSE: "AES256"}} {
		t.Run(fmt.Sprintf("%s%s", c.StorageClass, c.SSE), func(t *testing.T) {
			b := newBackend(t, srv, c, nil)
			for _, size := range []int{10, 7 << 20} {
				data := randomData(size, uint64(size))
				if _, err := b.Put(ctx, "opts/obj", bytes.NewReader(data)); err != nil {
					t.Fatalf("Put %d bytes: %v", size, err)
				}
				assertObject(t, b, "opts/obj", data)
			}
		})
	}
}
