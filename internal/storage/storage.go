// Package storage defines the Backend every storage implements, the errors they
// share, and the fan-out that feeds several backends from one stream.
package storage

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"sync"
	"time"
)

// ErrNotExist is returned (wrapped) when a key does not exist.
var ErrNotExist = errors.New("object does not exist")

// ErrInvalidKey is returned (wrapped) for a key that could escape the storage root.
var ErrInvalidKey = errors.New("invalid object key")

// IsNotExist reports whether err says that an object does not exist.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Backend is one place where backups are stored.
//
// Keys are slash-separated, relative, and never contain "." or ".." elements.
type Backend interface {
	// Name is the storage's name from the config.
	Name() string
	// Put stores everything read from r under key. It returns only when the
	// object is durable. On error no object, partial or whole, is visible
	// under key and nothing is left behind.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the object's content. A missing key gives ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object. A missing key gives ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every object whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object. Deleting a missing key gives ErrNotExist.
	Delete(ctx context.Context, key string) error
}

// CheckKey refuses keys that are empty, absolute, or contain "." or ".."
// elements, empty elements or backslashes.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.ContainsRune(key, 0) {
		return errors.Join(ErrInvalidKey, errors.New(quote(key)))
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return errors.Join(ErrInvalidKey, errors.New(quote(key)))
		}
	}
	if path.Clean(key) != key {
		return errors.Join(ErrInvalidKey, errors.New(quote(key)))
	}
	return nil
}

func quote(s string) string { return "key " + strings.ReplaceAll(s, "\n", "\\n") }

// Sweeper is implemented by backends whose interrupted Puts can leave debris
// (local temp files, S3 multipart uploads) when the process dies mid-write.
type Sweeper interface {
	// Sweep removes what unfinished Puts left: for deadKeys whatever its age
	// (their writers are known to be gone), and for any other key only when
	// older than olderThan, so a Put another live process is running is never
	// touched. It returns how many leftovers it removed.
	Sweep(ctx context.Context, deadKeys []string, olderThan time.Duration) (int, error)
}

// DefaultIdleTimeout is how long a storage request may move no byte before
// it is abandoned as stalled, when a storage's idle_timeout is not set.
const DefaultIdleTimeout = 60 * time.Second

// ErrIdleTimeout is matched (errors.Is) by every *IdleTimeoutError.
var ErrIdleTimeout = errors.New("storage idle timeout")

// IdleTimeoutError says that a storage request moved no byte, in either
// direction, for Timeout and was abandoned. It is transient: the request is
// retried like a dropped connection.
type IdleTimeoutError struct {
	Timeout time.Duration
}

func (e *IdleTimeoutError) Error() string {
	return "no byte moved for " + e.Timeout.String() + " (idle_timeout)"
}

// Is makes errors.Is(err, ErrIdleTimeout) true.
func (e *IdleTimeoutError) Is(target error) bool { return target == ErrIdleTimeout }

// Detach returns a context for cleanup that must survive ctx's cancellation,
// but not for long: it ends grace after ctx is done (grace from now when ctx
// is done already) and limit from now in any case. Call the returned
// function when the cleanup is over.
func Detach(ctx context.Context, limit, grace time.Duration) (context.Context, context.CancelFunc) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	var mu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if dctx.Err() == nil {
			timer = time.AfterFunc(grace, cancel)
		}
	})
	return dctx, func() {
		stop()
		cancel()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}
}
