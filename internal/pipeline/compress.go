// Package pipeline holds the writer stages a dump passes through on its way to
// storage (compress, encrypt, count and hash) and the readers that undo them
// for restore and verify. Every stage streams: nothing is buffered whole.
package pipeline

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Codecs.
const (
	CodecZstd = "zstd"
	CodecGzip = "gzip"
	CodecNone = "none"
)

// Extension returns the file extension a codec adds ("zst", "gz", or "").
func Extension(codec string) string {
	switch codec {
	case CodecZstd:
		return "zst"
	case CodecGzip:
		return "gz"
	}
	return ""
}

// compressor returns a writer that compresses into w. Close flushes the
// compressed stream's end but does not close w.
func compressor(w io.Writer, codec string, level int) (io.WriteCloser, error) {
	switch codec {
	case CodecZstd, "":
		if level == 0 {
			level = 3
		}
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
			zstd.WithEncoderConcurrency(min(runtime.GOMAXPROCS(0), 4)),
		)
	case CodecGzip:
		if level == 0 {
			level = 6
		}
		gw, err := pgzip.NewWriterLevel(w, level)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		// 1 MiB blocks, at most 2 per core in flight: bounded memory.
		if err := gw.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return gw, nil
	case CodecNone:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown compression codec %q", codec)
}

// decompressor returns a reader of r's decompressed content.
func decompressor(r io.Reader, codec string) (io.ReadCloser, error) {
	switch codec {
	case CodecZstd, "":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return d.IOReadCloser(), nil
	case CodecGzip:
		g, err := pgzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return g, nil
	case CodecNone:
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("unknown compression codec %q", codec)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
