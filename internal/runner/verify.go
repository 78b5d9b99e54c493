package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// ErrCorrupt marks a stored object that does not match its catalog entry.
var ErrCorrupt = errors.New("stored object does not match the catalog")

// Verify reads every successful location of b back (or only the one in
// storageName, when given) and checks size and SHA-256 against the catalog.
// Unencrypted objects, and encrypted ones when an identity is configured, are
// also decompressed in full and their raw size checked. The error is non-nil
// when any location is bad.
func (r *Runner) Verify(ctx context.Context, b *backup.Backup, storageName string) ([]backup.VerifyResult, error) {
	var results []backup.VerifyResult
	var errs []error
	for _, loc := range b.Locations {
		if storageName != "" && loc.Storage != storageName {
			continue
		}
		if loc.Status != backup.LocationSuccess {
			if storageName != "" {
				errs = append(errs, fmt.Errorf("storage %s holds no complete copy (status %s)", loc.Storage, loc.Status))
			}
			continue
		}
		res := r.verifyLocation(ctx, b, loc)
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("storage %s: %w", loc.Storage, res.Err))
		}
		observers(r.Observers).verified(b, loc.Storage, res.Err)
		results = append(results, res)
	}
	if len(results) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("backup %s has no complete copy in any storage", b.ID))
	}
	err := errors.Join(errs...)
	level := slog.LevelInfo // a copy that fails verification is an error
	if err != nil {
		level = slog.LevelError
	}
	r.logger().Log(context.WithoutCancel(ctx), level, "verify finished", "id", b.ID, "locations", len(results), errAttr(err))
	return results, err
}

func (r *Runner) verifyLocation(ctx context.Context, b *backup.Backup, loc backup.Location) backup.VerifyResult {
	res := backup.VerifyResult{Storage: loc.Storage, Key: loc.Key}
	s, err := r.backend(loc.Storage)
	if err != nil {
		res.Err = err
		return res
	}
	res.Deep = !b.Encrypted || len(r.Identities) > 0
	readPhase(ctx, "verify "+loc.Storage)
	var decode func(io.Reader) error
	if res.Deep {
		decode = func(content io.Reader) error {
			var check dump.Check
			var sink io.Writer = io.Discard
			if b.Manifest != nil && r.Checks[b.Manifest.DumpFormat] != nil {
				check = r.Checks[b.Manifest.DumpFormat]()
				sink = check
			}
			n, err := io.CopyBuffer(sink, content, make([]byte, 1<<20))
			if err != nil {
				return fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			if b.RawBytes > 0 && n != b.RawBytes {
				return fmt.Errorf("%w: %d bytes after decompression, want %d", ErrCorrupt, n, b.RawBytes)
			}
			if check != nil {
				if err := check.Complete(); err != nil {
					return fmt.Errorf("%w: %v", ErrCorrupt, err)
				}
			}
			return nil
		}
	}
	res.Err = r.readChecked(ctx, s, b, loc.Key, decode)
	return res
}

// readChecked streams the object at key through size and SHA-256 checks; when
// use is given it receives the decrypted, decompressed content. It fails if
// the object differs from the catalog in size or checksum, even when use
// succeeded (use's consumer must then discard what it got). When the object
// is intact, use's own error is returned as it is: a restore tool refusing a
// target is not a damaged backup.
func (r *Runner) readChecked(ctx context.Context, s storage.Backend, b *backup.Backup, key string, use func(io.Reader) error) error {
	obj, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer obj.Close()
	digest := pipeline.NewDigest()
	var src io.Reader = obj
	if w := readWatchOf(ctx); w.Progress != nil {
		src = progressReader{obj, digest, w.Progress}
	}
	tee := io.TeeReader(src, digest)
	var useErr error
	if use != nil {
		ids := r.Identities
		if !b.Encrypted {
			ids = nil
		} else if len(ids) == 0 {
			return errors.New("backup is encrypted and no identity_file is configured")
		}
		content, err := pipeline.NewReader(tee, b.Compression, ids)
		if err == nil {
			useErr = use(content)
			content.Close()
		} else {
			useErr = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	// Hash what the decoder did not read (trailing bytes, or everything).
	if _, err := io.CopyBuffer(io.Discard, tee, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if digest.Size() != b.StoredBytes {
		return fmt.Errorf("%w: size %d bytes, want %d", ErrCorrupt, digest.Size(), b.StoredBytes)
	}
	if got := digest.Sum(); got != b.SHA256 {
		return fmt.Errorf("%w: sha256 %s, want %s", ErrCorrupt, got, b.SHA256)
	}
	return useErr
}

// progressReader reports how much of an object has been read.
type progressReader struct {
	r        io.Reader
	digest   *pipeline.Digest
	progress func(int64)
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.progress(p.digest.Size() + int64(n))
	return n, err
}
