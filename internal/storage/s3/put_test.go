package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// fakeAPI is an in-memory multipart service with injectable failures, for
// the parts of Put that a real server cannot make fail on cue.
type fakeAPI struct {
	mu       sync.Mutex
	objects  map[string][]byte
	uploads  map[string]map[int][]byte
	nextID   int
	attempts map[int]int // upload attempts per part number
	inFlight int
	maxLive  int
	aborted  []string

	// partErr, when set, decides the outcome of an attempt to upload a part.
	partErr func(number, attempt int) error
	// completeErr, when set, can refuse a completion attempt.
	completeErr func(attempt int) error
	// loseAnswer, when set, can make a completion attempt that succeeded
	// fail as if its answer was lost on the way.
	loseAnswer func(attempt int) bool
	completes  int
	// partDelay slows every part upload down.
	partDelay time.Duration
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{objects: map[string][]byte{}, uploads: map[string]map[int][]byte{}, attempts: map[int]int{}}
}

func noSuchUpload() error {
	return minio.ErrorResponse{StatusCode: http.StatusNotFound, Code: "NoSuchUpload"}
}

func (f *fakeAPI) PutObject(_ context.Context, _, object string, data io.Reader, _ int64, _, _ string, _ minio.PutObjectOptions) (minio.UploadInfo, error) {
	b, err := io.ReadAll(data)
	if err != nil {
		return minio.UploadInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[object] = b
	return minio.UploadInfo{Key: object, Size: int64(len(b))}, nil
}

func (f *fakeAPI) NewMultipartUpload(_ context.Context, _, object string, _ minio.PutObjectOptions) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("%s#%d", object, f.nextID)
	f.uploads[id] = map[int][]byte{}
	return id, nil
}

func (f *fakeAPI) PutObjectPart(ctx context.Context, _, _, uploadID string, number int, data io.Reader, size int64, opts minio.PutObjectPartOptions) (minio.ObjectPart, error) {
	f.mu.Lock()
	f.attempts[number]++
	attempt := f.attempts[number]
	f.inFlight++
	f.maxLive = max(f.maxLive, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.partDelay):
	case <-ctx.Done():
		return minio.ObjectPart{}, ctx.Err()
	}
	if f.partErr != nil {
		if err := f.partErr(number, attempt); err != nil {
			return minio.ObjectPart{}, err
		}
	}
	b, err := io.ReadAll(data)
	if err != nil {
		return minio.ObjectPart{}, err
	}
	if int64(len(b)) != size || opts.Sha256Hex != sha256Hex(b) {
		return minio.ObjectPart{}, errors.New("fake: size or checksum mismatch")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts, ok := f.uploads[uploadID]
	if !ok {
		return minio.ObjectPart{}, noSuchUpload()
	}
	parts[number] = b
	sum := md5.Sum(b)
	return minio.ObjectPart{PartNumber: number, ETag: hex.EncodeToString(sum[:]), Size: size}, nil
}

func (f *fakeAPI) CompleteMultipartUpload(_ context.Context, _, object, uploadID string, parts []minio.CompletePart, _ minio.PutObjectOptions) (minio.UploadInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completes++
	if f.completeErr != nil {
		if err := f.completeErr(f.completes); err != nil {
			return minio.UploadInfo{}, err
		}
	}
	stored, ok := f.uploads[uploadID]
	if !ok {
		return minio.UploadInfo{}, noSuchUpload()
	}
	var obj []byte
	for i, p := range parts {
		if p.PartNumber != i+1 || stored[p.PartNumber] == nil {
			return minio.UploadInfo{}, minio.ErrorResponse{StatusCode: http.StatusBadRequest, Code: "InvalidPart"}
		}
		obj = append(obj, stored[p.PartNumber]...)
	}
	f.objects[object] = obj
	delete(f.uploads, uploadID)
	if f.loseAnswer != nil && f.loseAnswer(f.completes) {
		return minio.UploadInfo{}, minio.ErrorResponse{StatusCode: http.StatusInternalServerError, Code: "InternalError"}
	}
	return minio.UploadInfo{Key: object, Size: int64(len(obj))}, nil
}

func (f *fakeAPI) AbortMultipartUpload(_ context.Context, _, _, uploadID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.uploads[uploadID]; !ok {
		return noSuchUpload()
	}
	delete(f.uploads, uploadID)
	f.aborted = append(f.aborted, uploadID)
	return nil
}

func (f *fakeAPI) ListMultipartUploads(context.Context, string, string, string, string, string, int) (minio.ListMultipartUploadsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var res minio.ListMultipartUploadsResult
	for id := range f.uploads {
		key, _, _ := strings.Cut(id, "#")
		res.Uploads = append(res.Uploads, minio.ObjectMultipartInfo{Key: key, UploadID: id})
	}
	return res, nil
}

func (f *fakeAPI) StatObject(_ context.Context, _, object string, _ minio.StatObjectOptions) (minio.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj, ok := f.objects[object]
	if !ok {
		return minio.ObjectInfo{}, minio.ErrorResponse{StatusCode: http.StatusNotFound, Code: "NoSuchKey"}
	}
	// The multipart ETag as S3 computes it, from 8-byte parts (fakeBackend).
	var parts []minio.CompletePart
	for i, off := 1, 0; off < len(obj); i, off = i+1, off+8 {
		sum := md5.Sum(obj[off:min(off+8, len(obj))])
		parts = append(parts, minio.CompletePart{PartNumber: i, ETag: hex.EncodeToString(sum[:])})
	}
	return minio.ObjectInfo{Key: object, Size: int64(len(obj)), ETag: multipartETag(parts)}, nil
}

func (f *fakeAPI) leftUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// fakeBackend puts in 8-byte parts of fixed size, so that a few bytes make a
// multipart upload, with fast retries.
func fakeBackend(api *fakeAPI, concurrency int) *Backend {
	return &Backend{
		name:          "fake",
		bucket:        "bucket",
		api:           api,
		logger:        slog.New(slog.DiscardHandler),
		partSize:      8,
		fixedPartSize: true,
		concurrency:   concurrency,
		retry:         retryPolicy{maxRetries: 3, base: time.Millisecond, max: 4 * time.Millisecond},
		abortTimeout:  time.Second,
		cancelGrace:   time.Second,
	}
}

var errConnRefused = &url.Error{Op: "Put", URL: "http://s3.invalid/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}

func TestPutFake(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") // 62 bytes: 8 parts
	boom := errors.New("dump died")
	tests := []struct {
		name        string
		reader      func() io.Reader
		partErr     func(number, attempt int) error
		completeErr func(attempt int) error
		loseAnswer  func(attempt int) bool
		wantErr     error  // errors.Is; nil: success
		wantMsg     string // in the error
		wantTries   map[int]int
		wantAbort   bool
	}{
		{
			name: "success",
		},
		{
			name:      "transient part errors are retried",
			partErr:   func(n, a int) error { return errIf(n == 3 && a <= 2, errConnRefused) },
			wantTries: map[int]int{3: 3, 4: 1},
		},
		{
			name: "server errors are retried",
			partErr: func(n, a int) error {
				return errIf(n == 2 && a == 1, minio.ErrorResponse{StatusCode: http.StatusServiceUnavailable, Code: "SlowDown"})
			},
			wantTries: map[int]int{2: 2},
		},
		{
			name:      "retries run out",
			partErr:   func(n, a int) error { return errIf(n == 5, errConnRefused) },
			wantMsg:   "upload part 5",
			wantTries: map[int]int{5: 4},
			wantAbort: true,
		},
		{
			name: "client errors are not retried",
			partErr: func(n, a int) error {
				return errIf(n == 2, minio.ErrorResponse{StatusCode: http.StatusForbidden, Code: "AccessDenied"})
			},
			wantMsg:   "AccessDenied",
			wantTries: map[int]int{2: 1},
			wantAbort: true,
		},
		{
			name:      "reader error aborts",
			reader:    func() io.Reader { return io.MultiReader(bytes.NewReader(data[:30]), errReader{boom}) },
			wantErr:   boom,
			wantAbort: true,
		},
		{
			name:       "lost answer to complete is recognised",
			loseAnswer: func(a int) bool { return a == 1 },
		},
		{
			name:        "complete retried after a server error",
			completeErr: func(a int) error { return errIf(a == 1, minio.ErrorResponse{StatusCode: 500, Code: "InternalError"}) },
		},
		{
			name:        "complete failing aborts",
			completeErr: func(a int) error { return minio.ErrorResponse{StatusCode: http.StatusBadRequest, Code: "InvalidPart"} },
			wantMsg:     "InvalidPart",
			wantAbort:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI()
			api.partErr, api.completeErr, api.loseAnswer = tt.partErr, tt.completeErr, tt.loseAnswer
			b := fakeBackend(api, 3)
			r := io.Reader(bytes.NewReader(data))
			if tt.reader != nil {
				r = tt.reader()
			}
			n, err := b.Put(context.Background(), "k", r)
			wantFail := tt.wantErr != nil || tt.wantMsg != ""
			switch {
			case !wantFail && err != nil:
				t.Fatalf("Put: %v", err)
			case wantFail && err == nil:
				t.Fatal("Put succeeded, want an error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Put = %v, want %v", err, tt.wantErr)
			case tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg):
				t.Fatalf("Put = %v, want it to mention %q", err, tt.wantMsg)
			}
			if !wantFail {
				if n != int64(len(data)) || !bytes.Equal(api.objects["k"], data) {
					t.Fatalf("stored %q (Put = %d), want %q", api.objects["k"], n, data)
				}
			} else if _, ok := api.objects["k"]; ok {
				t.Fatalf("object stored after a failed Put")
			}
			for part, want := range tt.wantTries {
				if got := api.attempts[part]; got != want {
					t.Errorf("part %d: %d attempts, want %d", part, got, want)
				}
			}
			if got := len(api.aborted) > 0; got != tt.wantAbort {
				t.Errorf("aborted = %v, want %v", got, tt.wantAbort)
			}
			if left := api.leftUploads(); left != 0 {
				t.Errorf("%d uploads left", left)
			}
		})
	}
}

func errIf(cond bool, err error) error {
	if cond {
		return err
	}
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestPutFakeSmallObjectIsOnePut(t *testing.T) {
	api := newFakeAPI()
	b := fakeBackend(api, 2)
	for _, data := range [][]byte{nil, []byte("1234567")} {
		if _, err := b.Put(context.Background(), "small", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(api.objects["small"], data) || api.nextID != 0 {
			t.Fatalf("stored %q with %d multipart uploads, want %q with none", api.objects["small"], api.nextID, data)
		}
	}
}

func TestPutFakeConcurrencyBound(t *testing.T) {
	api := newFakeAPI()
	api.partDelay = 5 * time.Millisecond
	b := fakeBackend(api, 3)
	data := bytes.Repeat([]byte("x"), 8*40)
	if _, err := b.Put(context.Background(), "k", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if api.maxLive > 3 || api.maxLive < 2 {
		t.Errorf("%d parts uploaded at once, want 2 or 3 (concurrency 3)", api.maxLive)
	}
}

// TestPutFakeCancelStopsRetries: cancelling the context ends a part that is
// waiting to be retried at once, and the upload is aborted.
func TestPutFakeCancelStopsRetries(t *testing.T) {
	api := newFakeAPI()
	api.partErr = func(n, a int) error { return errConnRefused }
	b := fakeBackend(api, 2)
	b.retry = retryPolicy{maxRetries: 100, base: 50 * time.Millisecond, max: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.Put(ctx, "k", bytes.NewReader(make([]byte, 64)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Put took %v after its context ended", d)
	}
	if len(api.aborted) != 1 || api.leftUploads() != 0 {
		t.Errorf("aborted %v, %d left; want the upload aborted", api.aborted, api.leftUploads())
	}
}

// TestPutFakeTooLarge: a stream longer than 10,000 parts fails with a clear
// message instead of a refusal of part 10,001.
func TestPutFakeTooLarge(t *testing.T) {
	api := newFakeAPI()
	b := fakeBackend(api, 4)
	_, err := b.Put(context.Background(), "k", bytes.NewReader(make([]byte, 8*maxParts+1)))
	if err == nil || !strings.Contains(err.Error(), "object exceeds 80000 bytes") {
		t.Fatalf("Put = %v, want the size limit", err)
	}
	if api.attempts[maxParts+1] != 0 || len(api.aborted) != 1 || api.leftUploads() != 0 {
		t.Errorf("part 10,001 tried %d times, aborted %v", api.attempts[maxParts+1], api.aborted)
	}
	if _, err := b.Put(context.Background(), "k", bytes.NewReader(make([]byte, 8*maxParts))); err != nil {
		t.Fatalf("Put of exactly 10,000 parts: %v", err)
	}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", errConnRefused, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"HTTP timeout", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"cancelled", fmt.Errorf("put: %w", context.Canceled), false},
		{"503", minio.ErrorResponse{StatusCode: 503, Code: "ServiceUnavailable"}, true},
		{"500", minio.ErrorResponse{StatusCode: 500, Code: "InternalError"}, true},
		{"slow down", minio.ErrorResponse{StatusCode: 503, Code: "SlowDown"}, true},
		{"429", minio.ErrorResponse{StatusCode: 429}, true},
		{"request timeout", minio.ErrorResponse{StatusCode: 400, Code: "RequestTimeout"}, true},
		{"access denied", minio.ErrorResponse{StatusCode: 403, Code: "AccessDenied"}, false},
		{"no such bucket", minio.ErrorResponse{StatusCode: 404, Code: "NoSuchBucket"}, false},
		{"no such upload", minio.ErrorResponse{StatusCode: 404, Code: "NoSuchUpload"}, false},
		{"corrupted on the way", minio.ErrorResponse{StatusCode: 400, Code: "XAmzContentSHA256Mismatch"}, true},
		{"invalid argument", minio.ErrorResponse{StatusCode: 400, Code: "InvalidArgument"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transient(tt.err); got != tt.want {
				t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	p := retryPolicy{maxRetries: 5, base: 500 * time.Millisecond, max: 10 * time.Second}
	for attempt, ceiling := range []time.Duration{500, 1000, 2000, 4000, 8000, 10000, 10000} {
		ceiling *= time.Millisecond
		for range 20 {
			if d := p.backoff(attempt); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
	if d := p.backoff(1000); d < 5*time.Second || d > 10*time.Second {
		t.Errorf("backoff(1000) = %v, want the ceiling", d)
	}
}

func TestMultipartETagOfNonMD5(t *testing.T) {
	if got := multipartETag([]minio.CompletePart{{PartNumber: 1, ETag: "not-md5"}}); got != "" {
		t.Errorf("multipartETag = %q, want empty", got)
	}
	sum := md5.Sum([]byte("a"))
	one := hex.EncodeToString(sum[:])
	whole := md5.Sum(sum[:])
	if got, want := multipartETag([]minio.CompletePart{{PartNumber: 1, ETag: `"` + one + `"`}}), hex.EncodeToString(whole[:])+"-1"; got != want {
		t.Errorf("multipartETag = %q, want %q", got, want)
	}
}

func TestBufferPool(t *testing.T) {
	p := newBufferPool(2) // one buffer free, the other is the first part's
	ctx := context.Background()
	a, err := p.get(ctx, 16)
	if err != nil || len(a) != 16 {
		t.Fatalf("get(16) = %d bytes, %v", len(a), err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := p.get(short, 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get beyond the pool's size = %v, want to wait until the context ends", err)
	}
	p.put(a)
	if b, err := p.get(ctx, 8); err != nil || len(b) != 8 || &b[:1][0] != &a[0] {
		t.Fatalf("get(8) after put did not reuse the buffer (%v)", err)
	}
}
