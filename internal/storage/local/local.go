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
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// tempPrefix marks files that a Put is still writing; List never shows them.
const tempPrefix = ".tmp-"

// Backend is a storage.Backend on a directory.
type Backend struct {
	name string
	root string
}

var (
	_ storage.Backend = (*Backend)(nil)
	_ storage.Sweeper = (*Backend)(nil)
)

// New returns a backend rooted at root, creating it (0700) if missing.
func New(name, root string) (*Backend, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local storage %s: %w", name, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("local storage %s: %w", name, err)
	}
	return &Backend{name: name, root: abs}, nil
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
// object is visible under key.
func (b *Backend) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	p, err := b.path(key)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(path.Base(key), tempPrefix) {
		return 0, fmt.Errorf("%w: %s", storage.ErrInvalidKey, key)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(p)+"-*")
	if err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	buf := make([]byte, 1<<20)
	n, err = io.CopyBuffer(f, ctxReader{ctx, r}, buf)
	if err != nil {
		return n, fmt.Errorf("put %s: %w", key, err)
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("put %s: fsync: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("put %s: %w", key, err)
	}
	if err = ctx.Err(); err != nil {
		return n, fmt.Errorf("put %s: %w", key, err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return n, fmt.Errorf("put %s: %w", key, err)
	}
	if err = syncDir(dir); err != nil {
		return n, fmt.Errorf("put %s: fsync dir: %w", key, err)
	}
	return n, nil
}

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
	f, err := os.Open(p)
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
	fi, err := os.Stat(p)
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
	err := filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
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
	if err := os.Remove(p); err != nil {
		return b.wrap("delete", key, err)
	}
	for dir := filepath.Dir(p); dir != b.root && strings.HasPrefix(dir, b.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty
		}
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
