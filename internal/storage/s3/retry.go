package s3

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// retryPolicy retries an operation on transient errors with exponential
// backoff: the n-th wait is between half and all of min(base·2ⁿ, max).
type retryPolicy struct {
	maxRetries int
	base, max  time.Duration
}

// do calls f until it succeeds, fails permanently, has been retried
// maxRetries times, or ctx is done. It never retries once ctx is done.
func (p retryPolicy) do(ctx context.Context, logger *slog.Logger, op string, f func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last error: %v)", context.Cause(ctx), err)
		}
		last := attempt >= p.maxRetries || !transient(err)
		if errors.Is(err, storage.ErrIdleTimeout) {
			// One line per stalled attempt, retried or not.
			logger.Warn("s3 request stalled: idle timeout", "op", op, "attempt", attempt+1, "attempts", p.maxRetries+1,
				"retrying", !last, "err", err)
		}
		if last {
			return annotate(err)
		}
		wait := p.backoff(attempt)
		if !errors.Is(err, storage.ErrIdleTimeout) {
			logger.Warn("s3 request failed, retrying", "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last error: %v)", context.Cause(ctx), err)
		}
	}
}

func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.max
	if attempt < 30 {
		d = min(p.base<<attempt, p.max)
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// retryableCodes are S3 error codes worth another attempt. A checksum
// mismatch is one: we hash the very buffer we send, so the body was corrupted
// on the way.
var retryableCodes = map[string]bool{
	"RequestTimeout": true, "SlowDown": true, "SlowDownWrite": true,
	"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true,
	"RequestThrottled": true, "InternalError": true, "ServiceUnavailable": true,
	"ExpiredToken": true, "ExpiredTokenException": true,
	"BadDigest": true, "XAmzContentSHA256Mismatch": true,
}

// transient reports whether err may go away on its own: network errors,
// timeouts, throttling and server-side (5xx) errors. Client errors (4xx such
// as AccessDenied or NoSuchBucket), TLS trust errors and cancellation are not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return false
	}
	resp := s3Error(err)
	if resp.StatusCode == 0 && resp.Code == "" {
		// No answer from the service: connection refused or reset, DNS, timeout.
		return true
	}
	if retryableCodes[resp.Code] {
		return true
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, 499:
		return true
	}
	return resp.StatusCode >= 500
}

// s3Error is the service's error response within err, or the zero value.
func s3Error(err error) minio.ErrorResponse {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp
	}
	return minio.ErrorResponse{}
}

// annotate puts the service's error code and HTTP status, which minio-go's
// messages leave out, in front of err.
func annotate(err error) error {
	resp := s3Error(err)
	if resp.Code == "" {
		return err
	}
	return fmt.Errorf("%s (HTTP %d): %w", resp.Code, resp.StatusCode, err)
}
