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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Put implements storage.Backend. It reads r to its end without knowing its
// length. A stream shorter than one part is stored with a single PUT; a longer
// one with a multipart upload whose parts are buffered (at most Concurrency+1
// at a time, see Config) and uploaded concurrently, each retried on transient
// errors.
//
// On any failure (r's error, ctx done, a part failing after its retries, the
// completion failing) the multipart upload is aborted, so no object and no
// parts remain; the returned error wraps the cause. The abort is tried for a
// bounded time even after ctx is done; an upload that still cannot be aborted
// (the service stayed unreachable) is reported in the error and left for
// AbortIncompleteUploads.
func (b *Backend) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	object, err := b.object(key)
	if err != nil {
		return 0, err
	}
	first, err := readFirst(ctxReader{ctx, r}, int(partSize(b.partSize, 1, b.fixedPartSize)))
	n := int64(len(first))
	switch {
	case err == io.EOF:
		if err := b.putSingle(ctx, b.logger.With("key", key), object, first); err != nil {
			return n, fmt.Errorf("put %s: %w", key, err)
		}
		return n, nil
	case err != nil:
		return n, fmt.Errorf("put %s: read: %w", key, err)
	}
	return b.putMultipart(ctx, key, object, first, r)
}

// putSingle stores a small object with one PUT, which S3 makes visible
// atomically.
func (b *Backend) putSingle(ctx context.Context, log *slog.Logger, object string, data []byte) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	sum := sha256Hex(data)
	opts := b.putOpts
	// The payload's SHA-256 is signed and checked by the service.
	opts.DisableContentSha256 = true
	return b.retry.do(ctx, log, "put object", func(ctx context.Context) error {
		_, err := b.api.PutObject(ctx, b.bucket, object, bytes.NewReader(data), int64(len(data)), "", sum, opts)
		return err
	})
}

// putMultipart uploads first and the rest of r as a multipart upload.
func (b *Backend) putMultipart(ctx context.Context, key, object string, first []byte, r io.Reader) (int64, error) {
	n := int64(len(first))
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("put %s: %w", key, context.Cause(ctx))
	}
	// Created on a context the caller cannot cancel: a request cancelled in
	// flight could create the upload on the server without telling us its
	// ID, and an upload we do not know of cannot be aborted. A cancellation
	// meanwhile is seen by uploadParts, which then aborts.
	// It is bounded: each attempt by the idle timeout, all of them by two
	// minutes, and by cancelGrace once ctx is done, so shutdown never waits
	// on a stalled service.
	cctx, cancel := storage.Detach(ctx, 2*time.Minute, b.cancelGrace)
	defer cancel()
	log := b.logger.With("key", key)
	var uploadID string
	err := b.retry.do(cctx, log, "create multipart upload", func(rctx context.Context) error {
		id, err := b.api.NewMultipartUpload(rctx, b.bucket, object, b.putOpts)
		uploadID = id
		return err
	})
	if err != nil {
		return n, fmt.Errorf("put %s: create multipart upload: %w", key, err)
	}
	parts, n, err := b.uploadParts(ctx, log, object, uploadID, first, r)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		err = b.complete(ctx, log, object, uploadID, parts, n)
	}
	if err != nil {
		if aerr := b.abort(ctx, log, object, uploadID); aerr != nil {
			return n, fmt.Errorf("put %s: %w (multipart upload %s could not be aborted and is left for the cleanup of incomplete uploads: %v)", key, err, uploadID, aerr)
		}
		return n, fmt.Errorf("put %s: %w", key, err)
	}
	return n, nil
}

// uploadParts reads r into parts and uploads them concurrently, first being
// part 1. It returns the parts in order and the total byte count; the error is
// the first failure's cause.
func (b *Backend) uploadParts(ctx context.Context, log *slog.Logger, object, uploadID string, first []byte, r io.Reader) ([]minio.CompletePart, int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	pool := newBufferPool(b.concurrency + 1)
	sem := make(chan struct{}, b.concurrency)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		parts []minio.CompletePart
	)
	upload := func(number int, data []byte) {
		wg.Go(func() {
			defer pool.put(data)
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			part, err := b.uploadPart(ctx, log, object, uploadID, number, data)
			if err != nil {
				cancel(fmt.Errorf("upload part %d: %w", number, err))
				return
			}
			mu.Lock()
			parts = append(parts, part)
			mu.Unlock()
		})
	}

	total := int64(len(first))
	upload(1, first)
	cr := ctxReader{ctx, r}
	for number := 2; ; number++ {
		if number > maxParts {
			var one [1]byte
			m, err := io.ReadFull(cr, one[:])
			total += int64(m)
			if m > 0 {
				cancel(errTooLarge(b.partSize, b.fixedPartSize))
			} else if err != io.EOF {
				cancel(fmt.Errorf("read: %w", err))
			}
			break
		}
		buf, err := pool.get(ctx, int(partSize(b.partSize, number, b.fixedPartSize)))
		if err != nil {
			break // ctx is done; its cause is the error
		}
		m, err := io.ReadFull(cr, buf)
		total += int64(m)
		if m > 0 {
			upload(number, buf[:m])
		} else {
			pool.put(buf)
		}
		if err == nil {
			continue
		}
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			cancel(fmt.Errorf("read: %w", err))
		}
		break
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, total, err
	}
	slices.SortFunc(parts, func(a, b minio.CompletePart) int { return a.PartNumber - b.PartNumber })
	return parts, total, nil
}

// uploadPart uploads one part, retrying transient failures.
func (b *Backend) uploadPart(ctx context.Context, log *slog.Logger, object, uploadID string, number int, data []byte) (minio.CompletePart, error) {
	opts := minio.PutObjectPartOptions{
		// The part's SHA-256 is signed and checked by the service.
		Sha256Hex:            sha256Hex(data),
		DisableContentSha256: true,
	}
	var part minio.ObjectPart
	err := b.retry.do(ctx, log, fmt.Sprintf("upload part %d", number), func(ctx context.Context) error {
		var err error
		part, err = b.api.PutObjectPart(ctx, b.bucket, object, uploadID, number, bytes.NewReader(data), int64(len(data)), opts)
		return err
	})
	return minio.CompletePart{PartNumber: number, ETag: part.ETag}, err
}

// complete completes the upload. When a retry finds the upload gone, an
// earlier attempt may have succeeded without its answer arriving: the object
// is then accepted if its size and multipart ETag are the expected ones.
func (b *Backend) complete(ctx context.Context, log *slog.Logger, object, uploadID string, parts []minio.CompletePart, size int64) error {
	attempt := 0
	return b.retry.do(ctx, log, "complete multipart upload", func(ctx context.Context) error {
		attempt++
		_, err := b.api.CompleteMultipartUpload(ctx, b.bucket, object, uploadID, parts, b.putOpts)
		if err != nil && attempt > 1 && s3Error(err).Code == "NoSuchUpload" {
			info, serr := b.api.StatObject(ctx, b.bucket, object, minio.StatObjectOptions{})
			if serr == nil && info.Size == size && strings.Trim(info.ETag, `"`) == multipartETag(parts) {
				return nil
			}
		}
		return err
	})
}

// multipartETag is the ETag S3 gives a completed multipart upload: the MD5 of
// the parts' binary MD5s, "-", the part count. Empty when a part's ETag is not
// an MD5.
func multipartETag(parts []minio.CompletePart) string {
	h := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(sum) != md5.Size {
			return ""
		}
		h.Write(sum)
	}
	return fmt.Sprintf("%x-%d", h.Sum(nil), len(parts))
}

// abort aborts the multipart upload. It runs even when ctx is done: each
// attempt is bounded by the idle timeout, all of them by b.abortTimeout, or
// by b.cancelGrace once ctx is done. An attempt that stalls is not
// repeated: the service that stalled the upload is not expected to answer
// now, and the other storages wait for this Put to end. What is left is
// reported and removed by the sweep of incomplete uploads.
func (b *Backend) abort(ctx context.Context, log *slog.Logger, object, uploadID string) error {
	ctx, cancel := storage.Detach(ctx, b.abortTimeout, b.cancelGrace)
	defer cancel()
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := b.api.AbortMultipartUpload(ctx, b.bucket, object, uploadID)
		if err == nil || s3Error(err).Code == "NoSuchUpload" {
			return nil
		}
		if errors.Is(err, storage.ErrIdleTimeout) {
			log.Warn("s3 abort of multipart upload stalled: idle timeout", "upload_id", uploadID, "attempt", attempt, "err", err)
		}
		if !transient(err) || ctx.Err() != nil || errors.Is(err, storage.ErrIdleTimeout) {
			return err
		}
		log.Warn("s3 abort of multipart upload failed, retrying", "upload_id", uploadID, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// readFirst reads up to limit bytes, growing its buffer as data arrives so
// that small objects stay small in memory. It returns io.EOF when r ended
// within limit, nil when limit bytes were read, or r's error.
func readFirst(r io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 64<<10))
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(make([]byte, 0, min(2*cap(buf), limit)), buf...)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// bufferPool hands out at most n part buffers, reusing them.
type bufferPool struct{ free chan []byte }

// newBufferPool returns a pool of n buffers of which one is already taken
// (the first part, read before the pool exists).
func newBufferPool(n int) *bufferPool {
	p := &bufferPool{free: make(chan []byte, n)}
	for range n - 1 {
		p.free <- nil
	}
	return p
}

// get waits for a free buffer and returns it with length size.
func (p *bufferPool) get(ctx context.Context, size int) ([]byte, error) {
	select {
	case buf := <-p.free:
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		return buf[:size], nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (p *bufferPool) put(buf []byte) { p.free <- buf[:0] }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}
