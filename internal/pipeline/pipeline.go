package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Options choose the stages a backup passes through.
type Options struct {
	Codec      string          // zstd | gzip | none
	Level      int             // 0: the codec's default
	Recipients []age.Recipient // encrypt to these when non-empty
}

// Encrypted reports whether the options encrypt.
func (o Options) Encrypted() bool { return len(o.Recipients) > 0 }

// Extension is the object's file extension after the raw dump's own, e.g. "zst.age".
func (o Options) Extension() string {
	ext := Extension(o.Codec)
	if o.Encrypted() {
		if ext != "" {
			ext += "."
		}
		ext += "age"
	}
	return ext
}

// Writer is the backup side of the pipeline: raw dump bytes in, stored bytes
// out to dst, counting and hashing the stored bytes on the way.
type Writer struct {
	raw    *Counter
	comp   io.WriteCloser
	enc    io.WriteCloser // nil without encryption
	stored *Digest
}

// NewWriter builds compress -> encrypt -> count+hash -> dst.
// Close must be called to flush the compressor's and age's trailers; it does
// not close dst.
func NewWriter(dst io.Writer, o Options) (*Writer, error) {
	w := &Writer{stored: NewDigest()}
	out := io.MultiWriter(dst, w.stored)
	if o.Encrypted() {
		enc, err := age.Encrypt(out, o.Recipients...)
		if err != nil {
			return nil, fmt.Errorf("age: %w", err)
		}
		w.enc = enc
		out = enc
	}
	comp, err := compressor(out, o.Codec, o.Level)
	if err != nil {
		return nil, err
	}
	w.comp = comp
	w.raw = NewCounter(comp)
	return w, nil
}

func (w *Writer) Write(p []byte) (int, error) { return w.raw.Write(p) }

// Close flushes the compressed stream and the age trailer.
func (w *Writer) Close() error {
	err := w.comp.Close()
	if w.enc != nil {
		err = errors.Join(err, w.enc.Close())
	}
	return err
}

// RawBytes is the number of dump bytes written so far (safe from any goroutine).
func (w *Writer) RawBytes() int64 { return w.raw.N() }

// StoredBytes is the number of bytes that left the pipeline; final after Close.
func (w *Writer) StoredBytes() int64 { return w.stored.Size() }

// SHA256 is the hex SHA-256 of the stored bytes; final after Close.
func (w *Writer) SHA256() string { return w.stored.Sum() }

// NewReader undoes the pipeline: decrypt (when identities are given) and
// decompress. Pass no identities for an unencrypted object.
func NewReader(src io.Reader, codec string, identities []age.Identity) (io.ReadCloser, error) {
	if len(identities) > 0 {
		d, err := age.Decrypt(src, identities...)
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		src = d
	}
	return decompressor(src, codec)
}

// Fingerprint identifies a recipient in a manifest without storing the key
// itself: the hex SHA-256 of its string form.
func Fingerprint(r age.Recipient) string {
	s, ok := r.(fmt.Stringer)
	if !ok {
		return ""
	}
	sum := sha256.Sum256([]byte(s.String()))
	return hex.EncodeToString(sum[:])
}
