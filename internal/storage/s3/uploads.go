package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// ListIncompleteUploads returns the keys (relative to the storage's prefix)
// of multipart uploads in progress or left behind, sorted, one entry per
// upload.
func (b *Backend) ListIncompleteUploads(ctx context.Context) ([]string, error) {
	uploads, err := b.incompleteUploads(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(uploads))
	for _, u := range uploads {
		keys = append(keys, strings.TrimPrefix(u.Key, b.prefix))
	}
	slices.Sort(keys)
	return keys, nil
}

// AbortIncompleteUploads aborts the multipart uploads under the storage's
// prefix that were initiated more than olderThan ago, and returns how many it
// aborted. An upload a running Put still writes to is aborted too if it is
// old enough (that Put then fails), so olderThan should exceed the longest
// backup. Uploads that failed Puts could not abort are removed here.
func (b *Backend) AbortIncompleteUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	return b.Sweep(ctx, nil, olderThan)
}

// Sweep implements storage.Sweeper: it aborts the multipart uploads of the
// given keys whatever their age (their runs are known to be dead), and every
// other upload under the prefix initiated more than olderThan ago.
func (b *Backend) Sweep(ctx context.Context, deadKeys []string, olderThan time.Duration) (int, error) {
	uploads, err := b.incompleteUploads(ctx)
	if err != nil {
		return 0, err
	}
	dead := map[string]bool{}
	for _, k := range deadKeys {
		dead[b.prefix+k] = true
	}
	cutoff := time.Now().Add(-olderThan)
	aborted := 0
	for _, u := range uploads {
		if !dead[u.Key] && !u.Initiated.IsZero() && !u.Initiated.Before(cutoff) {
			continue
		}
		err := b.retry.do(ctx, b.logger, "abort multipart upload", func(ctx context.Context) error {
			return b.api.AbortMultipartUpload(ctx, b.bucket, u.Key, u.UploadID)
		})
		if err != nil && s3Error(err).Code != "NoSuchUpload" {
			return aborted, fmt.Errorf("abort upload of %s: %w", strings.TrimPrefix(u.Key, b.prefix), err)
		}
		if err == nil {
			aborted++
			b.logger.Info("aborted incomplete multipart upload", "key", strings.TrimPrefix(u.Key, b.prefix), "initiated", u.Initiated)
		}
	}
	return aborted, nil
}

// incompleteUploads lists every multipart upload under the prefix.
func (b *Backend) incompleteUploads(ctx context.Context) ([]minio.ObjectMultipartInfo, error) {
	var out []minio.ObjectMultipartInfo
	var keyMarker, idMarker string
	for {
		var res minio.ListMultipartUploadsResult
		err := b.retry.do(ctx, b.logger, "list multipart uploads", func(ctx context.Context) error {
			var err error
			res, err = b.api.ListMultipartUploads(ctx, b.bucket, b.prefix, keyMarker, idMarker, "", 1000)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list incomplete uploads: %w", err)
		}
		out = append(out, res.Uploads...)
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			return out, nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}
