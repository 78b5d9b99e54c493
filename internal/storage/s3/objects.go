package s3

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Open implements storage.Backend. The request is made before Open returns,
// so a missing key gives storage.ErrNotExist here, not on the first Read.
func (b *Backend) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	object, err := b.object(key)
	if err != nil {
		return nil, err
	}
	var body io.ReadCloser
	err = b.retry.do(ctx, b.logger.With("key", key), "get object", func(ctx context.Context) error {
		var err error
		body, _, _, err = b.core.GetObject(ctx, b.bucket, object, minio.GetObjectOptions{})
		return err
	})
	if err != nil {
		return nil, b.wrap("open", key, err)
	}
	return body, nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, key string) (storage.Info, error) {
	object, err := b.object(key)
	if err != nil {
		return storage.Info{}, err
	}
	info, err := b.stat(ctx, key, object)
	if err != nil {
		return storage.Info{}, b.wrap("stat", key, err)
	}
	return storage.Info{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

func (b *Backend) stat(ctx context.Context, key, object string) (minio.ObjectInfo, error) {
	var info minio.ObjectInfo
	err := b.retry.do(ctx, b.logger.With("key", key), "stat object", func(ctx context.Context) error {
		var err error
		info, err = b.core.StatObject(ctx, b.bucket, object, minio.StatObjectOptions{})
		return err
	})
	return info, err
}

// List implements storage.Backend. Keys are relative to the storage's prefix.
func (b *Backend) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	var out []storage.Info
	err := b.retry.do(ctx, b.logger.With("prefix", prefix), "list objects", func(ctx context.Context) error {
		out = out[:0]
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for obj := range b.core.ListObjectsIter(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}) {
			if obj.Err != nil {
				return obj.Err
			}
			key := strings.TrimPrefix(obj.Key, b.prefix)
			if key == "" || strings.HasSuffix(key, "/") {
				continue // a directory marker, never one of our objects
			}
			out = append(out, storage.Info{Key: key, Size: obj.Size, ModTime: obj.LastModified})
		}
		return nil
	})
	if err != nil {
		return nil, b.wrap("list", fmt.Sprintf("%q", prefix), err)
	}
	slices.SortFunc(out, func(x, y storage.Info) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete implements storage.Backend. S3 deletes missing keys silently, so the
// key is looked up first to report storage.ErrNotExist.
func (b *Backend) Delete(ctx context.Context, key string) error {
	object, err := b.object(key)
	if err != nil {
		return err
	}
	if _, err := b.stat(ctx, key, object); err != nil {
		return b.wrap("delete", key, err)
	}
	err = b.retry.do(ctx, b.logger.With("key", key), "remove object", func(ctx context.Context) error {
		return b.core.RemoveObject(ctx, b.bucket, object, minio.RemoveObjectOptions{})
	})
	if err != nil {
		return b.wrap("delete", key, err)
	}
	return nil
}

// wrap names the operation and key and classifies missing objects as
// storage.ErrNotExist. The service's errors carry no credentials.
func (b *Backend) wrap(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s %s: %w", op, key, storage.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// isNotFound reports a missing object (not a missing bucket, which is a
// configuration error).
func isNotFound(err error) bool {
	switch s3Error(err).Code {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}
