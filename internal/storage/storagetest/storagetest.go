// Package storagetest is the conformance suite every storage.Backend passes.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Options tune the suite for a backend.
type Options struct {
	// LargeSize is the size of the "larger than several parts" object.
	LargeSize int
}

// Run runs the suite against a fresh, empty backend from newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend, o Options) {
	if o.LargeSize == 0 {
		o.LargeSize = 8 << 20
	}
	ctx := context.Background()

	t.Run("put open stat list delete", func(t *testing.T) {
		b := newBackend(t)
		data := []byte("hello, backup\n")
		n, err := b.Put(ctx, "srv/db/daily/a.sql.zst", bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
		}
		if _, err := b.Put(ctx, "srv/db/daily/b.sql.zst", bytes.NewReader(nil)); err != nil {
			t.Fatalf("Put empty: %v", err)
		}
		if _, err := b.Put(ctx, "srv/other/x", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		assertContent(t, b, "srv/db/daily/a.sql.zst", data)
		info, err := b.Stat(ctx, "srv/db/daily/a.sql.zst")
		if err != nil || info.Size != int64(len(data)) || info.Key != "srv/db/daily/a.sql.zst" {
			t.Fatalf("Stat = %+v, %v", info, err)
		}
		list, err := b.List(ctx, "srv/db/")
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(list); !equal(got, []string{"srv/db/daily/a.sql.zst", "srv/db/daily/b.sql.zst"}) {
			t.Fatalf("List(srv/db/) = %v", got)
		}
		if all, _ := b.List(ctx, ""); len(all) != 3 {
			t.Fatalf("List(\"\") = %v, want 3 objects", keys(all))
		}
		if err := b.Delete(ctx, "srv/db/daily/a.sql.zst"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Stat(ctx, "srv/db/daily/a.sql.zst"); !storage.IsNotExist(err) {
			t.Fatalf("Stat after Delete: %v, want not-exist", err)
		}
	})

	t.Run("overwrite replaces", func(t *testing.T) {
		b := newBackend(t)
		put(t, b, "k/v", []byte("first version, longer"))
		put(t, b, "k/v", []byte("second"))
		assertContent(t, b, "k/v", []byte("second"))
	})

	t.Run("missing key", func(t *testing.T) {
		b := newBackend(t)
		if _, err := b.Open(ctx, "no/such/key"); !storage.IsNotExist(err) {
			t.Errorf("Open: %v, want not-exist", err)
		}
		if _, err := b.Stat(ctx, "no/such/key"); !storage.IsNotExist(err) {
			t.Errorf("Stat: %v, want not-exist", err)
		}
		if err := b.Delete(ctx, "no/such/key"); !storage.IsNotExist(err) {
			t.Errorf("Delete: %v, want not-exist", err)
		}
		if list, err := b.List(ctx, "no/"); err != nil || len(list) != 0 {
			t.Errorf("List = %v, %v; want empty", keys(list), err)
		}
	})

	t.Run("failed put leaves nothing", func(t *testing.T) {
		b := newBackend(t)
		boom := errors.New("dump died")
		r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), 3<<20)), errReader{boom})
		if _, err := b.Put(ctx, "fail/obj", r); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if _, err := b.Stat(ctx, "fail/obj"); !storage.IsNotExist(err) {
			t.Fatalf("Stat after failed Put: %v, want not-exist", err)
		}
		if list, _ := b.List(ctx, ""); len(list) != 0 {
			t.Fatalf("List after failed Put = %v, want empty", keys(list))
		}
	})

	t.Run("cancelled put leaves nothing", func(t *testing.T) {
		b := newBackend(t)
		cctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		go func() {
			pw.Write(bytes.Repeat([]byte("y"), 1<<20))
			cancel()
			pw.Write(bytes.Repeat([]byte("y"), 1<<20))
			pw.Close()
		}()
		if _, err := b.Put(cctx, "cancel/obj", pr); err == nil {
			t.Fatal("Put with cancelled context succeeded")
		}
		pr.CloseWithError(context.Canceled)
		if _, err := b.Stat(ctx, "cancel/obj"); !storage.IsNotExist(err) {
			t.Fatalf("Stat after cancelled Put: %v, want not-exist", err)
		}
	})

	// The same two failures once a backend has stored part of a large object
	// (for S3: after parts of a multipart upload were uploaded).
	t.Run("failed large put leaves nothing", func(t *testing.T) {
		b := newBackend(t)
		boom := errors.New("dump died late")
		r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), o.LargeSize)), errReader{boom})
		if _, err := b.Put(ctx, "fail/large", r); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if _, err := b.Stat(ctx, "fail/large"); !storage.IsNotExist(err) {
			t.Fatalf("Stat after failed Put: %v, want not-exist", err)
		}
		if list, _ := b.List(ctx, ""); len(list) != 0 {
			t.Fatalf("List after failed Put = %v, want empty", keys(list))
		}
	})

	t.Run("cancelled large put leaves nothing", func(t *testing.T) {
		b := newBackend(t)
		cctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		go func() {
			pw.Write(bytes.Repeat([]byte("z"), o.LargeSize))
			cancel()
			pw.Write(bytes.Repeat([]byte("z"), 1<<20))
			pw.Close()
		}()
		if _, err := b.Put(cctx, "cancel/large", pr); err == nil {
			t.Fatal("Put with cancelled context succeeded")
		}
		pr.CloseWithError(context.Canceled)
		if _, err := b.Stat(ctx, "cancel/large"); !storage.IsNotExist(err) {
			t.Fatalf("Stat after cancelled Put: %v, want not-exist", err)
		}
		if list, _ := b.List(ctx, ""); len(list) != 0 {
			t.Fatalf("List after cancelled Put = %v, want empty", keys(list))
		}
	})

	t.Run("large object", func(t *testing.T) {
		b := newBackend(t)
		data := make([]byte, o.LargeSize)
		rng := rand.New(rand.NewPCG(7, 9))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		put(t, b, "big/obj", data)
		assertContent(t, b, "big/obj", data)
	})

	t.Run("invalid keys refused", func(t *testing.T) {
		b := newBackend(t)
		for _, key := range []string{"", "/abs", "a/../../etc", "..", "a/./b", "a//b", "../x", `a\b`} {
			if _, err := b.Put(ctx, key, bytes.NewReader([]byte("x"))); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := b.Open(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
			}
			if err := b.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
			}
		}
	})
}

func put(t *testing.T, b storage.Backend, key string, data []byte) {
	t.Helper()
	if _, err := b.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func assertContent(t *testing.T, b storage.Backend, key string, want []byte) {
	t.Helper()
	r, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("content of %s: got %d bytes, want %d (equal prefix: %v)", key, len(got), len(want), bytes.HasPrefix(want, got))
	}
}

func keys(list []storage.Info) []string {
	var out []string
	for _, i := range list {
		out = append(out, i.Key)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
