package s3

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/encrypt"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		endpoint   string
		wantHost   string
		wantSecure bool
		wantErr    bool
	}{
		{"", "s3.amazonaws.com", true, false},
		{"https://s3.eu-central-1.amazonaws.com", "s3.eu-central-1.amazonaws.com", true, false},
		{"http://127.0.0.1:7070", "127.0.0.1:7070", false, false},
		{"http://minio.local:9000/", "minio.local:9000", false, false},
		{"minio.local:9000", "minio.local:9000", true, false},
		{"ftp://host", "", false, true},
		{"https://host/bucket", "", false, true},
		{"https://user:pw@host", "", false, true},
		{"https://", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			host, secure, err := parseEndpoint(tt.endpoint)
			if (err != nil) != tt.wantErr || host != tt.wantHost || secure != tt.wantSecure {
				t.Fatalf("parseEndpoint(%q) = %q, %v, %v; want %q, %v, error %v", tt.endpoint, host, secure, err, tt.wantHost, tt.wantSecure, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func TestServerSide(t *testing.T) {
	tests := []struct {
		mode, key string
		wantType  encrypt.Type
		wantHdr   string
		wantErr   bool
	}{
		{mode: ""},
		{mode: "AES256", wantType: encrypt.S3, wantHdr: "AES256"},
		{mode: "aws:kms", key: "arn:key", wantType: encrypt.KMS, wantHdr: "aws:kms"},
		{mode: "aws:kms:dsse", key: "arn:key", wantType: encrypt.KMS, wantHdr: "aws:kms:dsse"},
		{mode: "aws:kms", wantType: encrypt.KMS, wantHdr: "aws:kms"}, // the AWS managed key
		{mode: "AES256", key: "arn:key", wantErr: true},
		{mode: "rot13", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.key, func(t *testing.T) {
			sse, err := serverSide(tt.mode, tt.key)
			if (err != nil) != tt.wantErr {
				t.Fatalf("serverSide = %v, want error %v", err, tt.wantErr)
			}
			if err != nil || tt.mode == "" {
				if sse != nil {
					t.Fatalf("serverSide = %v, want none", sse)
				}
				return
			}
			if sse.Type() != tt.wantType {
				t.Errorf("type %v, want %v", sse.Type(), tt.wantType)
			}
			h := make(map[string][]string)
			sse.Marshal(h)
			if got := h[encrypt.SseGenericHeader]; len(got) != 1 || got[0] != tt.wantHdr {
				t.Errorf("header %v, want %s", got, tt.wantHdr)
			}
			if tt.key != "" && h[encrypt.SseKmsKeyID][0] != tt.key {
				t.Errorf("key id header %v, want %s", h[encrypt.SseKmsKeyID], tt.key)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	const secret = "wJalrXUtnFEMI-very-secret"
	base := Config{Name: "off", Bucket: "b", AccessKeyID: "AKIA", SecretAccessKey: secret}
	badPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket is required"},
		{"part size too small", func(c *Config) { c.PartSize = 1 << 20 }, "part size"},
		{"part size too large", func(c *Config) { c.PartSize = 6 << 30 }, "part size"},
		{"negative concurrency", func(c *Config) { c.Concurrency = -1 }, "concurrency"},
		{"one key only", func(c *Config) { c.AccessKeyID = "" }, "set together"},
		{"bad endpoint", func(c *Config) { c.Endpoint = "gopher://x" }, "scheme"},
		{"bad sse", func(c *Config) { c.SSE = "des" }, "sse"},
		{"missing ca bundle", func(c *Config) { c.Endpoint = "https://x"; c.CABundle = filepath.Join(t.TempDir(), "none.pem") }, "ca bundle"},
		{"bad ca bundle", func(c *Config) { c.Endpoint = "https://x"; c.CABundle = badPEM }, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.modify(&c)
			_, err := New(context.Background(), c, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "s3 storage off: ") {
				t.Fatalf("New = %v, want an error about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	b, err := New(context.Background(), Config{Name: "aws", Bucket: "b", Region: "eu-central-1", Prefix: "/prod//", StorageClass: "STANDARD_IA", SSE: "AES256"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.prefix != "prod/" || b.partSize != DefaultPartSize || b.concurrency != DefaultConcurrency || b.retry.maxRetries != DefaultMaxRetries {
		t.Errorf("prefix %q, part size %d, concurrency %d, retries %d", b.prefix, b.partSize, b.concurrency, b.retry.maxRetries)
	}
	if u := b.core.EndpointURL(); u.Scheme != "https" || u.Host != "s3.amazonaws.com" {
		t.Errorf("endpoint %v, want https://s3.amazonaws.com", u)
	}
	if b.putOpts.StorageClass != "STANDARD_IA" || b.putOpts.ServerSideEncryption == nil {
		t.Errorf("put options %+v lack storage class or SSE", b.putOpts)
	}
	if b.Name() != "aws" {
		t.Errorf("Name = %q", b.Name())
	}
	if nb, err := New(context.Background(), Config{Name: "n", Bucket: "b", MaxRetries: -1}, nil); err != nil || nb.retry.maxRetries != 0 {
		t.Errorf("MaxRetries -1: %v, %d retries; want none", err, nb.retry.maxRetries)
	}
}

func TestConfigHidesSecret(t *testing.T) {
	const secret = "wJalrXUtnFEMI-very-secret"
	c := Config{Name: "off", Bucket: "b", AccessKeyID: "AKIA", SecretAccessKey: secret}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "storage", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), logged.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("secret shown in %q", s)
		}
	}
}
