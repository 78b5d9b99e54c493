// Package local stores backups in a directory tree on a local filesystem.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// tempPrefix marks files that a Put is still writing; List never shows them.
const tempPrefix = ".tmp-"

// Backend is a storage.Backend on a directory.
type Backend struct {
	name string
	root string
	idle time.Duration
}

// Options tune a Backend.
type Options struct {
	// IdleTimeout is how long one filesystem call (creating, writing,
	// syncing or renaming a file, a directory read, a stat, a removal) may
	// take before the operation is abandoned as stalled, as on a hung network
	// mount: it then fails with a *storage.IdleTimeoutError while the call is
	// left to finish in the background, and what it leaves is removed when it
	// does. Time spent waiting for the data to store does not count. 0 means
	// storage.DefaultIdleTimeout (60s). Reads of a file that Open returned are
	// not bounded.
	IdleTimeout time.Duration
}

var (
	_ storage.Backend = (*Backend)(nil)
	_ storage.Sweeper = (*Backend)(nil)
)

// New returns a backend rooted at root, creating it (0700) if missing, with
// default Options.
func New(name, root string) (*Backend, error) {
	return NewWithOptions(name, root, Options{})
}

// NewWithOptions is New with Options. A negative IdleTimeout is refused.
func NewWithOptions(name, root string, o Options) (*Backend, error) {
	idle := o.IdleTimeout
	if idle == 0 {
		idle = storage.DefaultIdleTimeout
	}
	if idle < 0 {
		return nil, fmt.Errorf("local storage %s: idle timeout must be positive", name)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local storage %s: %w", name, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("local storage %s: %w", name, err)
	}
	return &Backend{name: name, root: abs, idle: idle}, nil
}

// Name implements storage.Backend.
func (b *Backend) Name() string { return b.name }

// Root is the directory the backend stores under.
func (b *Backend) Root() string { return b.root }

func (b *Backend) path(key string) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// Put writes to a temp file next to the target, fsyncs it, renames it into
// place and fsyncs the directory. On error the temp file is removed and no
// object is visible under key. A filesystem call that takes longer than the
// idle timeout fails the Put at once (see Options).
func (b *Backend) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := b.path(key)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(path.Base(key), tempPrefix) {
		return 0, fmt.Errorf("%w: %s", storage.ErrInvalidKey, key)
	}
	var n atomic.Int64
	err = b.guard(ctx, func(w *watch) error {
		return b.put(ctx, w, p, r, &n)
	}, func() { os.Remove(p) })
	if err != nil {
		return n.Load(), fmt.Errorf("put %s: %w", key, err)
	}
	return n.Load(), nil
}

// put does Put's work, counting bytes written in written and reporting its
// filesystem calls to w.
func (b *Backend) put(ctx context.Context, w *watch, p string, r io.Reader, written *atomic.Int64) (err error) {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	buf := make([]byte, 1<<20)
	var n, flushed int64
	for {
		w.leave() // waiting for data is not the storage's time
		m, rerr := ctxReader{ctx, r}.Read(buf)
		w.enter()
		if w.abandoned() {
			return errAbandoned
		}
		if m > 0 {
			if _, err := writeFile(f, buf[:m]); err != nil {
				return err
			}
			n += int64(m)
			written.Store(n)
			if n-flushed >= writebackEvery {
				startWriteback(f, flushed, n-flushed)
				flushed = n
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	if w.abandoned() {
		return errAbandoned
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return err
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	return nil
}

// writeFile is f.Write; tests replace it to make a write hang.
var writeFile = (*os.File).Write

// writebackEvery is how often Put asks the kernel to start writing what it
// wrote, so that the final fsync has little left to do and a long fsync
// means a stall, not a backlog.
const writebackEvery = 8 << 20

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open implements storage.Backend.
func (b *Backend) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	var f *os.File
	err = b.guard(ctx, func(w *watch) error {
		var err error
		f, err = os.Open(p)
		return err
	}, func() {
		if f != nil {
			f.Close()
		}
	})
	if err != nil {
		return nil, b.wrap("open", key, err)
	}
	return f, nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, key string) (storage.Info, error) {
	p, err := b.path(key)
	if err != nil {
		return storage.Info{}, err
	}
	var fi os.FileInfo
	err = b.guard(ctx, func(w *watch) error {
		var err error
		fi, err = os.Stat(p)
		return err
	}, nil)
	if err != nil {
		return storage.Info{}, b.wrap("stat", key, err)
	}
	if fi.IsDir() {
		return storage.Info{}, fmt.Errorf("stat %s: %w", key, storage.ErrNotExist)
	}
	return storage.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List implements storage.Backend. Files that a Put is still writing are left out.
func (b *Backend) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	var out []storage.Info
	err := b.guard(ctx, func(w *watch) error {
		return filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
			w.progress()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if w.abandoned() {
				return errAbandoned
			}
			if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
				return nil
			}
			rel, err := filepath.Rel(b.root, p)
			if err != nil {
				return err
			}
			key := filepath.ToSlash(rel)
			if !strings.HasPrefix(key, prefix) {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil // removed while listing
			}
			out = append(out, storage.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
			return nil
		})
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements storage.Backend. Directories left empty are removed, up to the root.
func (b *Backend) Delete(ctx context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	err = b.guard(ctx, func(w *watch) error {
		if err := os.Remove(p); err != nil {
			return err
		}
		for dir := filepath.Dir(p); dir != b.root && strings.HasPrefix(dir, b.root); dir = filepath.Dir(dir) {
			w.progress()
			if os.Remove(dir) != nil {
				break // not empty
			}
		}
		return nil
	}, nil)
	if err != nil {
		return b.wrap("delete", key, err)
	}
	return nil
}

// wrap names the operation and key, never the local path, and classifies
// missing objects as storage.ErrNotExist.
func (b *Backend) wrap(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, key, storage.ErrNotExist)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Sweep implements storage.Sweeper: it removes the temp files of Puts that
// never finished, those of deadKeys whatever their age, others once older
// than olderThan.
func (b *Backend) Sweep(ctx context.Context, deadKeys []string, olderThan time.Duration) (int, error) {
	dead := map[string]bool{}
	for _, k := range deadKeys {
		if p, err := b.path(k); err == nil {
			dead[p] = true
		}
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// A temp file is named .tmp-<final name>-<random>.
		target := filepath.Join(filepath.Dir(p), strings.TrimPrefix(d.Name()[:strings.LastIndexByte(d.Name(), '-')], tempPrefix))
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if dead[target] || fi.ModTime().Before(cutoff) {
			if os.Remove(p) == nil {
				removed++
			}
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep: %w", err)
	}
	return removed, nil
}
