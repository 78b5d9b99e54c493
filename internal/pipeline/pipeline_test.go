package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"

	"filippo.io/age"
)

func TestRoundTrip(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte('a' + rng.IntN(4)) // compressible, not trivial
	}
	tests := []struct {
		name string
		opts Options
		ids  []age.Identity
		ext  string
	}{
		{"zstd", Options{Codec: CodecZstd}, nil, "zst"},
		{"zstd level 19", Options{Codec: CodecZstd, Level: 19}, nil, "zst"},
		{"gzip", Options{Codec: CodecGzip}, nil, "gz"},
		{"none", Options{Codec: CodecNone}, nil, ""},
		{"zstd+age", Options{Codec: CodecZstd, Recipients: []age.Recipient{id.Recipient()}}, []age.Identity{id}, "zst.age"},
		{"none+age", Options{Codec: CodecNone, Recipients: []age.Recipient{id.Recipient()}}, []age.Identity{id}, "age"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stored bytes.Buffer
			w, err := NewWriter(&stored, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Write in odd-sized chunks, as a pipe would deliver them.
			for off := 0; off < len(raw); off += 77777 {
				if _, err := w.Write(raw[off:min(off+77777, len(raw))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := w.RawBytes(); got != int64(len(raw)) {
				t.Errorf("RawBytes = %d, want %d", got, len(raw))
			}
			if got := w.StoredBytes(); got != int64(stored.Len()) {
				t.Errorf("StoredBytes = %d, want %d", got, stored.Len())
			}
			sum := sha256.Sum256(stored.Bytes())
			if got, want := w.SHA256(), hex.EncodeToString(sum[:]); got != want {
				t.Errorf("SHA256 = %s, want %s", got, want)
			}
			if got := tc.opts.Extension(); got != tc.ext {
				t.Errorf("Extension = %q, want %q", got, tc.ext)
			}
			if tc.opts.Codec != CodecNone && stored.Len() >= len(raw)/2 {
				t.Errorf("stored %d bytes of %d: not compressed", stored.Len(), len(raw))
			}
			r, err := NewReader(bytes.NewReader(stored.Bytes()), tc.opts.Codec, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Errorf("round trip changed the data (%d bytes back, %d in)", len(got), len(raw))
			}
		})
	}
}

func TestReaderRejectsCorruption(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	var stored bytes.Buffer
	w, _ := NewWriter(&stored, Options{Codec: CodecZstd, Recipients: []age.Recipient{id.Recipient()}})
	w.Write(bytes.Repeat([]byte("row data\n"), 100000))
	w.Close()
	blob := stored.Bytes()

	flipped := bytes.Clone(blob)
	flipped[len(flipped)/2] ^= 0x01
	truncated := blob[:len(blob)-100]
	for name, tc := range map[string]struct {
		data []byte
		ids  []age.Identity
	}{
		"flipped byte": {flipped, []age.Identity{id}},
		"truncated":    {truncated, []age.Identity{id}},
		"wrong key":    {blob, []age.Identity{other}},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.data), CodecZstd, tc.ids)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			if err == nil {
				t.Fatal("corrupt object read back without error")
			}
		})
	}
}
