package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Storage types.
const (
	StorageLocal = "local"
	StorageS3    = "s3"
)

// S3 limits on multipart upload part sizes.
const (
	MinPartSize = 5 * MiB
	MaxPartSize = 5 * GiB
)

// s3Keys may only be given for s3 storages.
var s3Keys = []string{
	"endpoint", "region", "bucket", "prefix", "path_style",
	"access_key_id", "access_key_id_file", "secret_access_key", "secret_access_key_file",
	"ca_bundle", "sse", "sse_kms_key_id", "storage_class", "part_size", "upload_concurrency", "insecure", "fixed_part_size",
}

func (c *checker) storages() {
	if len(c.cfg.Storages) == 0 {
		c.ps.add("storages", "at least one storage is required")
	}
	seen := map[string]string{}
	for i := range c.cfg.Storages {
		p := indexPath("storages", i)
		s := &c.cfg.Storages[i]
		c.name(p+".name", s.Name, "storage", seen)
		switch s.Type {
		case StorageLocal:
			c.local(p, s)
		case StorageS3:
			c.s3(p, s)
		case "":
			c.ps.add(p+".type", "required (local or s3)")
		default:
			c.ps.addf(p+".type", "must be local or s3, not %q", s.Type)
		}
		c.durationIn(p+".idle_timeout", s.IdleTimeout, idleTimeoutRange)
		c.retention(p, s)
	}
}

func (c *checker) local(p string, s *Storage) {
	if s.Path == "" {
		c.ps.add(p+".path", "required for type local")
	}
	for _, key := range s3Keys {
		if c.ps.has(p + "." + key) {
			c.ps.add(p+"."+key, "only valid for type s3")
		}
	}
}

func (c *checker) s3(p string, s *Storage) {
	if c.ps.has(p + ".path") {
		c.ps.add(p+".path", "only valid for type local (use bucket and prefix)")
	}
	if s.Bucket == "" {
		c.ps.add(p+".bucket", "required for type s3")
	} else if err := s3utils.CheckValidBucketName(s.Bucket); err != nil {
		// The S3 client's own rule (3-63 characters of letters, digits,
		// ".", "-", "_" and ":", not an IP address): a name it refuses
		// would fail every backup.
		c.ps.addf(p+".bucket", "invalid bucket name %q: %s", s.Bucket, strings.ToLower(err.Error()[:1])+err.Error()[1:])
	}
	if s.Endpoint != "" && !isHTTPURL(s.Endpoint) {
		c.ps.addf(p+".endpoint", "must be an http:// or https:// URL, not %q", s.Endpoint)
	} else if s.Endpoint != "" {
		if u, _ := url.Parse(s.Endpoint); strings.HasSuffix(u.Host, ":") {
			c.ps.addf(p+".endpoint", "has an empty port: %q", s.Endpoint)
		} else if u.Path != "" && u.Path != "/" {
			c.ps.addf(p+".endpoint", "must not have a path (%q): put the bucket in bucket and the folder in prefix", u.Path)
		}
	}
	if strings.HasPrefix(s.Prefix, "/") {
		c.ps.add(p+".prefix", "must not start with /")
	}
	for _, elem := range strings.Split(s.Prefix, "/") {
		if elem == ".." || elem == "." {
			c.ps.addf(p+".prefix", "must not contain %q elements", elem)
		}
	}
	switch {
	case s.AccessKeyID != "" && s.SecretAccessKey == "":
		c.ps.add(c.secretPath(p+".secret_access_key"), "required when access_key_id is set")
	case s.AccessKeyID == "" && s.SecretAccessKey != "":
		c.ps.add(c.secretPath(p+".access_key_id"), "required when secret_access_key is set")
	}
	switch s.SSE {
	case "", "AES256":
		if s.SSEKMSKeyID != "" {
			c.ps.add(p+".sse_kms_key_id", "only valid with sse aws:kms or aws:kms:dsse")
		}
	case "aws:kms", "aws:kms:dsse":
	default:
		c.ps.addf(p+".sse", "must be AES256, aws:kms or aws:kms:dsse, not %q", s.SSE)
	}
	if s.CABundle != "" {
		name := s.CABundle
		s.CABundle = resolvePath(c.baseDir, name)
		if msg := readableFile(s.CABundle, name); msg != "" {
			c.ps.add(p+".ca_bundle", msg)
		}
	}
	if c.ps.has(p+".part_size") && (s.PartSize < MinPartSize || s.PartSize > MaxPartSize) {
		c.ps.addf(p+".part_size", "must be between %s and %s", MinPartSize, MaxPartSize)
	}
	if c.ps.has(p + ".upload_concurrency") {
		c.between(p+".upload_concurrency", s.UploadConcurrency, 1, MaxUploadConcurrency)
	}
}

func (c *checker) retention(p string, s *Storage) {
	for typ, r := range s.Retention {
		rp := p + ".retention." + typ
		if _, ok := c.cfg.BackupTypes[typ]; !ok {
			c.ps.addf(rp, "unknown backup type %q", typ)
			continue
		}
		if r.Keep != nil {
			c.between(rp+".keep", *r.Keep, 0, MaxKeep)
		}
		c.durationIn(rp+".max_age", r.MaxAge, maxAgeRange)
	}
}

// readableFile explains why the file at path (written as name) cannot be
// read, or returns "".
func readableFile(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("cannot read %q: %s", name, fileError(err))
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || info.IsDir() {
		return fmt.Sprintf("cannot read %q: not a regular file", name)
	}
	return ""
}
