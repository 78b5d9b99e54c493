// Package s3 stores backups in a bucket of Amazon S3 or any S3-compatible
// service (MinIO, Ceph, R2, versitygw...).
//
// Objects of unknown length are streamed with a multipart upload of our own:
// parts are buffered in a bounded pool, uploaded concurrently and retried on
// transient errors; on any failure the upload is aborted, so nothing is
// visible under the key and no parts are left behind (see Put).
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// Defaults for the zero values of Config.
const (
	DefaultPartSize    = 8 << 20 // as the AWS CLI; parts grow for very large dumps
	DefaultConcurrency = 4
	DefaultMaxRetries  = 5
)

// Config describes one S3 storage. Only Name and Bucket are required.
type Config struct {
	Name string
	// Endpoint is the service's URL (http:// or https://; a bare host means
	// https). Empty means AWS S3 in Region.
	Endpoint  string
	Region    string
	Bucket    string
	Prefix    string // every key is stored under Prefix + "/"
	PathStyle bool   // path-style (true) or virtual-hosted (false) bucket addressing
	// AccessKeyID and SecretAccessKey are used when both are set. With neither,
	// credentials come from the environment (AWS_* or MINIO_*), the shared AWS
	// credentials file, or IAM (web identity/IRSA, container or instance role).
	AccessKeyID     string
	SecretAccessKey string
	CABundle        string // PEM file of extra trusted CAs
	Insecure        bool   // skip TLS certificate verification
	SSE             string // "", "AES256", "aws:kms" or "aws:kms:dsse"
	SSEKMSKeyID     string
	StorageClass    string
	// PartSize is the size of the first parts of a multipart upload (5 MiB to
	// 5 GiB; 0 means DefaultPartSize). It grows as described at partSize,
	// unless FixedPartSize is set (for services such as Cloudflare R2 that
	// require all but the last part to be the same size), which limits an
	// object to PartSize × 10,000.
	PartSize      int64
	FixedPartSize bool
	// Concurrency is how many parts are uploaded at once (0 means
	// DefaultConcurrency). Put buffers at most Concurrency+1 parts.
	Concurrency int
	// MaxRetries is how often a request that failed transiently is retried
	// (0 means DefaultMaxRetries, negative means never).
	MaxRetries int
	// IdleTimeout is how long one request (a part upload, a small PUT, a
	// GET, LIST or DELETE) may move no byte in either direction before it is
	// abandoned as stalled and retried like a dropped connection; progress
	// resets it, so a slow upload that keeps moving is never cut. 0 means
	// storage.DefaultIdleTimeout (60s); negative is refused.
	IdleTimeout time.Duration
}

// String describes the config without its secret.
func (c Config) String() string {
	return fmt.Sprintf("s3 storage %s (endpoint %q, bucket %q, prefix %q)", c.Name, c.Endpoint, c.Bucket, c.Prefix)
}

// GoString keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from logging the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", c.Name), slog.String("endpoint", c.Endpoint),
		slog.String("bucket", c.Bucket), slog.String("prefix", c.Prefix))
}

// objectAPI is the part of minio.Core the backend uses; tests substitute it
// to exercise retries and failure handling deterministically.
type objectAPI interface {
	PutObject(ctx context.Context, bucket, object string, data io.Reader, size int64, md5Base64, sha256Hex string, opts minio.PutObjectOptions) (minio.UploadInfo, error)
	NewMultipartUpload(ctx context.Context, bucket, object string, opts minio.PutObjectOptions) (string, error)
	PutObjectPart(ctx context.Context, bucket, object, uploadID string, partID int, data io.Reader, size int64, opts minio.PutObjectPartOptions) (minio.ObjectPart, error)
	CompleteMultipartUpload(ctx context.Context, bucket, object, uploadID string, parts []minio.CompletePart, opts minio.PutObjectOptions) (minio.UploadInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, object, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket, prefix, keyMarker, uploadIDMarker, delimiter string, maxUploads int) (minio.ListMultipartUploadsResult, error)
	StatObject(ctx context.Context, bucket, object string, opts minio.StatObjectOptions) (minio.ObjectInfo, error)
}

// Backend is a storage.Backend on an S3 bucket.
type Backend struct {
	name   string
	bucket string
	prefix string // "" or ends with "/"
	core   *minio.Core
	api    objectAPI
	logger *slog.Logger

	putOpts       minio.PutObjectOptions
	partSize      int64
	fixedPartSize bool
	concurrency   int
	retry         retryPolicy
	// abortTimeout bounds how long a failed Put keeps trying to abort its
	// multipart upload while the service is unreachable.
	abortTimeout time.Duration
	// cancelGrace bounds how long cleanup that must outlive a cancelled
	// context (creating or aborting a multipart upload) goes on after it.
	cancelGrace time.Duration
	idleTimeout time.Duration
}

var _ storage.Backend = (*Backend)(nil)

// New returns a backend for c. It does not contact the service.
func New(ctx context.Context, c Config, logger *slog.Logger) (*Backend, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fail := func(format string, args ...any) (*Backend, error) {
		return nil, fmt.Errorf("s3 storage %s: "+format, append([]any{c.Name}, args...)...)
	}
	if c.Bucket == "" {
		return fail("bucket is required")
	}
	partSize := c.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < minPartSize || partSize > maxPartSize {
		return fail("part size %d is outside 5 MiB to 5 GiB", partSize)
	}
	concurrency := c.Concurrency
	if concurrency == 0 {
		concurrency = DefaultConcurrency
	}
	if concurrency < 0 {
		return fail("upload concurrency must be positive")
	}
	maxRetries := c.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	maxRetries = max(maxRetries, 0)
	idle := c.IdleTimeout
	if idle == 0 {
		idle = storage.DefaultIdleTimeout
	}
	if idle < 0 {
		return fail("idle timeout must be positive")
	}

	host, secure, err := parseEndpoint(c.Endpoint)
	if err != nil {
		return fail("%v", err)
	}
	tr, err := transport(secure, c.CABundle, c.Insecure)
	if err != nil {
		return fail("%v", err)
	}
	// The idle timeout governs the wait for an answer too (minio's default
	// gives up after one minute whatever the setting).
	tr.ResponseHeaderTimeout = 0
	creds, err := credentialChain(c.AccessKeyID, c.SecretAccessKey)
	if err != nil {
		return fail("%v", err)
	}
	sse, err := serverSide(c.SSE, c.SSEKMSKeyID)
	if err != nil {
		return fail("%v", err)
	}
	lookup := minio.BucketLookupDNS
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	core, err := minio.NewCore(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    &idleTransport{base: tr, timeout: idle},
		Region:       c.Region,
		BucketLookup: lookup,
		// One attempt per call: retries are ours (retryPolicy), so that one
		// policy with one classification of errors governs every request.
		MaxRetries: 1,
	})
	if err != nil {
		return fail("%v", err)
	}
	prefix := strings.Trim(c.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Backend{
		name:   c.Name,
		bucket: c.Bucket,
		prefix: prefix,
		core:   core,
		api:    core,
		logger: logger.With("storage", c.Name),
		putOpts: minio.PutObjectOptions{
			ServerSideEncryption: sse,
			StorageClass:         c.StorageClass,
			ContentType:          "application/octet-stream",
		},
		partSize:      partSize,
		fixedPartSize: c.FixedPartSize,
		concurrency:   concurrency,
		retry:         retryPolicy{maxRetries: maxRetries, base: 500 * time.Millisecond, max: 10 * time.Second},
		abortTimeout:  30 * time.Second,
		cancelGrace:   5 * time.Second,
		idleTimeout:   idle,
	}, nil
}

// Name implements storage.Backend.
func (b *Backend) Name() string { return b.name }

// object is the bucket key for a storage key.
func (b *Backend) object(key string) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	return b.prefix + key, nil
}

// parseEndpoint turns the configured endpoint into minio's host[:port] and
// TLS flag. Empty means AWS S3.
func parseEndpoint(endpoint string) (host string, secure bool, err error) {
	if endpoint == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false, fmt.Errorf("endpoint: %w", err)
	}
	switch u.Scheme {
	case "https":
		secure = true
	case "http":
	default:
		return "", false, fmt.Errorf("endpoint %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", false, fmt.Errorf("endpoint %q: want scheme://host[:port] only", u.Redacted())
	}
	return u.Host, secure, nil
}

// transport starts from minio's default transport and adds the CA bundle.
func transport(secure bool, caBundle string, insecure bool) (*http.Transport, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	// minio's dialer, plus the limit on unsent bytes that the idle timeout
	// needs to see progress where it happens.
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: limitUnsent}).DialContext
	if !secure {
		return tr, nil
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("ca bundle: %w", err)
		}
		pool := tr.TLSClientConfig.RootCAs
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil {
				pool = x509.NewCertPool()
			}
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("ca bundle: no PEM certificate found")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	tr.TLSClientConfig.InsecureSkipVerify = insecure
	return tr, nil
}

// credentialChain returns static credentials when both keys are given, else
// the environment, the shared AWS credentials file, then IAM.
func credentialChain(accessKey, secretKey string) (*credentials.Credentials, error) {
	switch {
	case accessKey != "" && secretKey != "":
		return credentials.NewStaticV4(accessKey, secretKey, ""), nil
	case accessKey != "" || secretKey != "":
		return nil, errors.New("access_key_id and secret_access_key must be set together")
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.EnvMinio{},
		&credentials.FileAWSCredentials{},
		// IAM reads AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN (IRSA), the
		// container credentials URIs, and the instance metadata service.
		&credentials.IAM{},
	}), nil
}

// serverSide maps the configured SSE mode to minio's encryption.
func serverSide(mode, kmsKeyID string) (encrypt.ServerSide, error) {
	if kmsKeyID != "" && !strings.HasPrefix(mode, "aws:kms") {
		return nil, errors.New("sse_kms_key_id needs sse aws:kms or aws:kms:dsse")
	}
	switch mode {
	case "":
		return nil, nil
	case "AES256":
		return encrypt.NewSSE(), nil
	case "aws:kms":
		return encrypt.NewSSEKMS(kmsKeyID, nil)
	case "aws:kms:dsse":
		return dsse{keyID: kmsKeyID}, nil
	default:
		return nil, fmt.Errorf("sse %q: want AES256, aws:kms or aws:kms:dsse", mode)
	}
}

// dsse is dual-layer SSE-KMS, which minio-go has no constructor for.
type dsse struct{ keyID string }

func (dsse) Type() encrypt.Type { return encrypt.KMS }

func (d dsse) Marshal(h http.Header) {
	h.Set(encrypt.SseGenericHeader, "aws:kms:dsse")
	if d.keyID != "" {
		h.Set(encrypt.SseKmsKeyID, d.keyID)
	}
}
