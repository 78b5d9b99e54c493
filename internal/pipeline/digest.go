package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"sync/atomic"
)

// Counter counts the bytes written through it to an underlying writer. N is
// safe to read from another goroutine (progress display).
type Counter struct {
	w io.Writer
	n atomic.Int64
}

// NewCounter wraps w.
func NewCounter(w io.Writer) *Counter { return &Counter{w: w} }

func (c *Counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// N returns the number of bytes written so far.
func (c *Counter) N() int64 { return c.n.Load() }

// Digest counts and hashes (SHA-256) what passes through it, as a writer
// (backup) or a reader (verify, restore).
type Digest struct {
	h hash.Hash
	n int64
}

// NewDigest returns an empty digest.
func NewDigest() *Digest { return &Digest{h: sha256.New()} }

func (d *Digest) Write(p []byte) (int, error) {
	d.h.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

// Size is the number of bytes seen.
func (d *Digest) Size() int64 { return d.n }

// Sum is the hex SHA-256 of the bytes seen.
func (d *Digest) Sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
