package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
	"github.com/gosqlguard/gosqlguard/internal/storage/storagetest"
)

var testPrefixes atomic.Int64

// newBackend returns a backend on srv under a prefix no other test uses. The
// zero fields of c get test values: the smallest part size (so that a few
// MiB span several parts), path-style addressing and the server's keys.
func newBackend(t *testing.T, srv *s3test.Server, c Config, logger *slog.Logger) *Backend {
	t.Helper()
	if c.Name == "" {
		c.Name = "s3test"
	}
	if c.Endpoint == "" {
		c.Endpoint = srv.Endpoint
	}
	c.Region = s3test.Region
	if c.Bucket == "" {
		c.Bucket = srv.Bucket
	}
	c.PathStyle = true
	if c.AccessKeyID == "" {
		c.AccessKeyID, c.SecretAccessKey = srv.AccessKey, srv.SecretKey
	}
	if c.PartSize == 0 {
		c.PartSize = minPartSize
	}
	if c.Prefix == "" {
		c.Prefix = fmt.Sprintf("t%d/", testPrefixes.Add(1))
	}
	b, err := New(context.Background(), c, logger)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	srv := s3test.StartServer(t)
	opts := storagetest.Options{LargeSize: 23 << 20} // five parts of 5 MiB (the last one short)

	check := func(t *testing.T, b *Backend) {
		t.Helper()
		t.Cleanup(func() {
			if left, err := b.ListIncompleteUploads(context.Background()); err != nil || len(left) != 0 {
				t.Errorf("incomplete uploads left: %v, %v", left, err)
			}
		})
	}
	t.Run("prefix", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Backend {
			b := newBackend(t, srv, Config{Prefix: fmt.Sprintf("/conf/%d", testPrefixes.Add(1))}, nil)
			check(t, b)
			return b
		}, opts)
	})
	t.Run("bucket root", func(t *testing.T) {
		var n atomic.Int64
		storagetest.Run(t, func(t *testing.T) storage.Backend {
			bucket := fmt.Sprintf("root-%d", n.Add(1))
			if err := srv.Client().MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{Region: s3test.Region}); err != nil {
				t.Fatal(err)
			}
			b := newBackend(t, srv, Config{Bucket: bucket, Prefix: "/"}, nil)
			if b.prefix != "" {
				t.Fatalf("prefix %q, want none", b.prefix)
			}
			check(t, b)
			return b
		}, opts)
	})
}

func TestPrefixIsolation(t *testing.T) {
	srv := s3test.StartServer(t)
	ctx := context.Background()
	a := newBackend(t, srv, Config{Prefix: "prod"}, nil)
	b := newBackend(t, srv, Config{Prefix: "prod-old/"}, nil)
	if _, err := a.Put(ctx, "x/1", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "x/2", strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	list, err := a.List(ctx, "")
	if err != nil || len(list) != 1 || list[0].Key != "x/1" {
		t.Fatalf("List = %+v, %v; want only x/1", list, err)
	}
	if _, err := srv.Client().StatObject(ctx, srv.Bucket, "prod/x/1", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("object not stored under the prefix: %v", err)
	}
}

// randomData is n reproducible pseudo-random bytes.
func randomData(n int, seed uint64) []byte {
	data := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return data
}

// logHook is a slog handler that calls fn for every record.
type logHook struct{ fn func(slog.Record) }

func (h logHook) Enabled(context.Context, slog.Level) bool      { return true }
func (h logHook) Handle(_ context.Context, r slog.Record) error { h.fn(r); return nil }
func (h logHook) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h logHook) WithGroup(string) slog.Handler                 { return h }

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uploadStarted reports whether b has a multipart upload in progress.
func uploadStarted(b *Backend) func() bool {
	return func() bool {
		keys, err := b.ListIncompleteUploads(context.Background())
		return err == nil && len(keys) > 0
	}
}

// TestPutSurvivesOutage stops the server for a second in the middle of a
// multipart upload: parts in flight and parts sent meanwhile fail, are
// retried, and the upload completes once the server is back.
func TestPutSurvivesOutage(t *testing.T) {
	srv := s3test.StartServer(t)
	var retries atomic.Int64
	logger := slog.New(logHook{func(r slog.Record) {
		if strings.Contains(r.Message, "retrying") {
			retries.Add(1)
		}
	}})
	b := newBackend(t, srv, Config{Concurrency: 2}, logger)
	data := randomData(23<<20, 1)

	pr, pw := io.Pipe()
	outage := make(chan struct{})
	go func() {
		// 7 MiB: part 1 goes out, part 2 waits for more data until the
		// server is down, so that at least part 2 is sent during the outage.
		if _, err := pw.Write(data[:7<<20]); err != nil {
			return
		}
		<-outage
		if _, err := pw.Write(data[7<<20:]); err != nil {
			return
		}
		pw.Close()
	}()
	done := make(chan error, 1)
	var n int64
	go func() {
		var err error
		n, err = b.Put(context.Background(), "outage/obj", pr)
		pr.CloseWithError(errors.New("put returned"))
		done <- err
	}()
	waitFor(t, "the multipart upload", 10*time.Second, uploadStarted(b))
	srv.Stop()
	close(outage)
	time.Sleep(time.Second)
	srv.Start()
	if err := <-done; err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != int64(len(data)) {
		t.Errorf("Put = %d bytes, want %d", n, len(data))
	}
	if retries.Load() == 0 {
		t.Error("no request was retried: the outage did not hit the upload")
	}
	assertObject(t, b, "outage/obj", data)
	assertNoUploads(t, b)
}

// TestPutOutageAbortsWhenServerReturns: the server stays down longer than the
// part retries last, so Put fails; its abort keeps trying and succeeds once
// the server is back, leaving neither object nor upload.
func TestPutOutageAbortsWhenServerReturns(t *testing.T) {
	srv := s3test.StartServer(t)
	abortRetrying := make(chan struct{})
	var once sync.Once
	logger := slog.New(logHook{func(r slog.Record) {
		if strings.Contains(r.Message, "abort") && strings.Contains(r.Message, "retrying") {
			once.Do(func() { close(abortRetrying) })
		}
	}})
	b := newBackend(t, srv, Config{MaxRetries: 1}, logger)

	pr, pw := io.Pipe()
	go func() {
		for {
			if _, err := pw.Write(make([]byte, 1<<20)); err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := b.Put(context.Background(), "outage/failed", pr)
		pr.CloseWithError(errors.New("put returned"))
		done <- err
	}()
	waitFor(t, "the multipart upload", 10*time.Second, uploadStarted(b))
	srv.Stop()
	select {
	case <-abortRetrying:
	case err := <-done:
		t.Fatalf("Put returned before its abort retried: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("abort never retried")
	}
	srv.Start()
	err := <-done
	if err == nil {
		t.Fatal("Put succeeded across an outage longer than its retries")
	}
	if strings.Contains(err.Error(), "cleanup") {
		t.Fatalf("Put = %v; want the upload aborted", err)
	}
	t.Logf("Put error: %v", err)
	assertMissing(t, b, "outage/failed")
	assertNoUploads(t, b)
}

// TestPutOutageLeavesUploadForCleanup: the server is down for longer than the
// abort tries, so the upload is left behind and reported; the cleanup pass
// removes it once the server is back.
func TestPutOutageLeavesUploadForCleanup(t *testing.T) {
	srv := s3test.StartServer(t)
	b := newBackend(t, srv, Config{MaxRetries: 1}, nil)
	b.abortTimeout = 500 * time.Millisecond
	ctx := context.Background()

	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		if _, err := pw.Write(make([]byte, 7<<20)); err != nil {
			return
		}
		for !uploadStarted(b)() {
			time.Sleep(20 * time.Millisecond)
		}
		srv.Stop()
		for {
			if _, err := pw.Write(make([]byte, 1<<20)); err != nil {
				return
			}
		}
	}()
	_, err := b.Put(ctx, "outage/left", pr)
	pr.CloseWithError(errors.New("put returned"))
	if err == nil || !strings.Contains(err.Error(), "cleanup") {
		t.Fatalf("Put = %v; want a failure that reports the upload left for cleanup", err)
	}
	srv.Start()
	assertMissing(t, b, "outage/left")
	left, err := b.ListIncompleteUploads(ctx)
	if err != nil || len(left) != 1 || left[0] != "outage/left" {
		t.Fatalf("ListIncompleteUploads = %v, %v; want [outage/left]", left, err)
	}
	if n, err := b.AbortIncompleteUploads(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("AbortIncompleteUploads(1h) = %d, %v; want 0 (the upload is recent)", n, err)
	}
	if n, err := b.AbortIncompleteUploads(ctx, 0); err != nil || n != 1 {
		t.Fatalf("AbortIncompleteUploads(0) = %d, %v; want 1", n, err)
	}
	assertNoUploads(t, b)
}

func TestWrongCredentialsFailWithoutRetries(t *testing.T) {
	srv := s3test.StartServer(t)
	var retries atomic.Int64
	logger := slog.New(logHook{func(r slog.Record) {
		if strings.Contains(r.Message, "retrying") {
			retries.Add(1)
		}
	}})
	b := newBackend(t, srv, Config{AccessKeyID: srv.AccessKey, SecretAccessKey: "not-the-secret"}, logger)
	_, err := b.Put(context.Background(), "denied", strings.NewReader("x"))
	if err == nil {
		t.Fatal("Put with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), srv.SecretKey) || strings.Contains(err.Error(), "not-the-secret") {
		t.Fatalf("error shows a secret: %v", err)
	}
	if retries.Load() != 0 {
		t.Errorf("a refused request was retried %d times", retries.Load())
	}
	if _, err := b.Stat(context.Background(), "denied"); err == nil || storage.IsNotExist(err) {
		t.Errorf("Stat with a wrong secret = %v; want an error other than not-exist", err)
	}
}

func TestListManyKeys(t *testing.T) {
	srv := s3test.StartServer(t)
	b := newBackend(t, srv, Config{}, nil)
	ctx := context.Background()
	var want []string
	for i := range 1100 { // more than one listing page
		key := fmt.Sprintf("k/%04d", 1099-i)
		want = append([]string{key}, want...)
		if _, err := b.Put(ctx, key, bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := b.List(ctx, "k/")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(want) {
		t.Fatalf("List = %d keys, want %d", len(list), len(want))
	}
	for i := range list {
		if list[i].Key != want[i] {
			t.Fatalf("List[%d] = %s, want %s", i, list[i].Key, want[i])
		}
	}
}

func assertObject(t *testing.T, b *Backend, key string, want []byte) {
	t.Helper()
	r, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if n != int64(len(want)) || !bytes.Equal(h.Sum(nil), sha256Sum(want)) {
		t.Fatalf("content of %s: %d bytes, sha256 %x; want %d bytes, %x", key, n, h.Sum(nil), len(want), sha256Sum(want))
	}
}

func assertMissing(t *testing.T, b *Backend, key string) {
	t.Helper()
	if _, err := b.Stat(context.Background(), key); !storage.IsNotExist(err) {
		t.Fatalf("Stat(%s) = %v, want not-exist", key, err)
	}
}

func assertNoUploads(t *testing.T, b *Backend) {
	t.Helper()
	left, err := b.ListIncompleteUploads(context.Background())
	if err != nil || len(left) != 0 {
		t.Fatalf("ListIncompleteUploads = %v, %v; want none", left, err)
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// TestMultipartETag checks that a 12 MiB object is stored as three parts and
// that the service's ETag for it is the one complete() expects when it has to
// recognise an upload completed by an attempt whose answer was lost.
func TestMultipartETag(t *testing.T) {
	srv := s3test.StartServer(t)
	b := newBackend(t, srv, Config{}, nil)
	data := randomData(12<<20, 3)
	if _, err := b.Put(context.Background(), "etag/obj", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	var parts []minio.CompletePart
	for i, off := 1, 0; off < len(data); i, off = i+1, off+minPartSize {
		sum := md5.Sum(data[off:min(off+minPartSize, len(data))])
		parts = append(parts, minio.CompletePart{PartNumber: i, ETag: hex.EncodeToString(sum[:])})
	}
	info, err := srv.Client().StatObject(context.Background(), srv.Bucket, b.prefix+"etag/obj", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.ETag, multipartETag(parts); got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
}
