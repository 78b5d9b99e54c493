package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/local"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

// failingBackend accepts some bytes, then fails, like a disk that fills up.
type failingBackend struct {
	storage.Backend
	after int64
}

func (f failingBackend) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, _ := io.CopyN(io.Discard, r, f.after)
	return n, errors.New("disk full")
}

func TestFanOut(t *testing.T) {
	ctx := context.Background()
	newLocal := func(name string) *local.Backend {
		b, err := local.New(name, filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	data := bytes.Repeat([]byte("0123456789"), 500000)

	t.Run("all succeed", func(t *testing.T) {
		a, b := newLocal("a"), newLocal("b")
		f := storage.NewFanOut(ctx, []storage.Target{{Backend: a, Key: "k"}, {Backend: b, Key: "k"}})
		if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.Close(nil) {
			if r.Err != nil || r.Size != int64(len(data)) {
				t.Errorf("%s: size %d err %v", r.Backend.Name(), r.Size, r.Err)
			}
		}
	})

	t.Run("one fails, the other goes on", func(t *testing.T) {
		a := newLocal("a")
		bad := failingBackend{Backend: newLocal("bad"), after: 1 << 20}
		f := storage.NewFanOut(ctx, []storage.Target{{Backend: bad, Key: "k"}, {Backend: a, Key: "k"}})
		if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		res := f.Close(nil)
		if res[0].Err == nil {
			t.Error("failing storage reported success")
		}
		if res[1].Err != nil || res[1].Size != int64(len(data)) {
			t.Errorf("healthy storage: size %d err %v", res[1].Size, res[1].Err)
		}
	})

	t.Run("all fail", func(t *testing.T) {
		bad := failingBackend{Backend: newLocal("bad"), after: 10}
		f := storage.NewFanOut(ctx, []storage.Target{{Backend: bad, Key: "k"}})
		if _, err := io.Copy(f, bytes.NewReader(data)); !errors.Is(err, storage.ErrAllFailed) {
			t.Errorf("Copy = %v, want ErrAllFailed", err)
		}
		f.Close(nil)
	})

	t.Run("cause aborts every put", func(t *testing.T) {
		a, b := newLocal("a"), newLocal("b")
		f := storage.NewFanOut(ctx, []storage.Target{{Backend: a, Key: "k"}, {Backend: b, Key: "k"}})
		f.Write(data[:1000])
		boom := errors.New("dump failed")
		for _, r := range f.Close(boom) {
			if !errors.Is(r.Err, boom) {
				t.Errorf("%s: %v, want the cause", r.Backend.Name(), r.Err)
			}
			if _, err := r.Backend.Stat(ctx, "k"); !storage.IsNotExist(err) {
				t.Errorf("%s: object visible after abort: %v", r.Backend.Name(), err)
			}
		}
	})
}

// TestFanOutDropsStalledS3 feeds a local storage and an S3 storage behind a
// proxy that stops reading after 1 MiB. The S3 Put stops reading its pipe
// while its parts stall, which holds the stream up only until its idle
// timeouts and retries give up; it is then dropped and the local copy
// completes.
func TestFanOutDropsStalledS3(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	p.StallAfter(1 << 20)
	stalled, err := s3.New(context.Background(), s3.Config{
		Name: "stalled", Endpoint: p.Endpoint, Region: s3test.Region, Bucket: srv.Bucket, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		PartSize: 5 << 20, Concurrency: 1, MaxRetries: 1, IdleTimeout: 300 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := local.New("disk", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: more than S3 buffers (two parts)

	start := time.Now()
	f := storage.NewFanOut(context.Background(), []storage.Target{{Backend: stalled, Key: "k"}, {Backend: disk, Key: "k"}})
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		t.Fatalf("Copy = %v; the local storage should have taken the stream", err)
	}
	res := f.Close(nil)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the fan-out took %v", took)
	}
	if !errors.Is(res[0].Err, storage.ErrIdleTimeout) {
		t.Errorf("stalled storage: %v; want the idle timeout", res[0].Err)
	}
	if res[1].Err != nil || res[1].Size != int64(len(data)) {
		t.Fatalf("local storage: size %d err %v", res[1].Size, res[1].Err)
	}
	rc, err := disk.Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, data) {
		t.Error("local object differs from the stream")
	}
}
