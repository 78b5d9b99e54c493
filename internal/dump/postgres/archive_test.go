package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// archiveFixture makes a small database whose archive has every kind of
// data block: table data, an empty table, a partitioned table with an
// empty partition, a sequence and large objects (one of them empty).
func archiveFixture(t *testing.T) string {
	t.Helper()
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_arch_")
	newDatabase(t, admin, name)
	conn := connectAt(t, adminConn(), name)
	mustExec(t, conn,
		`CREATE TABLE items (id serial PRIMARY KEY, label text)`,
		`INSERT INTO items (label) SELECT 'item ' || g FROM generate_series(1, 30) g`,
		`CREATE TABLE empty (id int)`,
		`CREATE TABLE measures (at date NOT NULL, v int) PARTITION BY RANGE (at)`,
		`CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
		`CREATE TABLE measures_2026 PARTITION OF measures FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
		`INSERT INTO measures VALUES ('2026-03-01', 1), ('2026-04-01', 2)`,
		`SELECT lo_from_bytea(0, 'large object payload')`,
		`SELECT lo_from_bytea(0, '')`,
		`SELECT lo_from_bytea(0, decode(repeat('ab', 5000), 'hex'))`,
	)
	return name
}

// pgDumpRaw runs pg_dump on db with extra flags and returns its output.
func pgDumpRaw(t *testing.T, db string, flags ...string) []byte {
	t.Helper()
	args := []string{"--host=" + testSocketDir(), "--username=postgres", "--format=custom"}
	file := ""
	for _, f := range flags {
		if f == "--file=" {
			file = filepath.Join(t.TempDir(), "archive")
			f += file
		}
		args = append(args, f)
	}
	out, err := exec.Command("pg_dump", append(args, dbnameArg(db))...).Output()
	if err != nil {
		t.Fatalf("pg_dump %v: %v", flags, err)
	}
	if file != "" {
		if out, err = os.ReadFile(file); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// cuts returns the offsets to cut an archive of size n at: every one of
// the first 4 KiB and the last 256 bytes, and about 2000 in between.
func cuts(n int) []int {
	var out []int
	stride := max(1, n/2000)
	for i := 0; i < n; i++ {
		if i < 4096 || i >= n-256 || i%stride == 0 {
			out = append(out, i)
		}
	}
	return out
}

func checkBytes(b []byte) error {
	c := NewCheck()
	_, _ = c.Write(b)
	return c.Complete()
}

func TestCheckRealArchives(t *testing.T) {
	db := archiveFixture(t)
	cases := map[string][]string{
		"uncompressed": {"--compress=0"},
		"compressed":   {"--compress=6"},
		"schema only":  {"--compress=0", "--schema-only"},
		"data only":    {"--compress=0", "--data-only"},
		"no blobs":     {"--compress=0", "--no-blobs"},
		// A seekable output gets its TOC rewritten with the data offsets set.
		"written to a file": {"--compress=0", "--file="},
	}
	for name, flags := range cases {
		t.Run(name, func(t *testing.T) {
			archive := pgDumpRaw(t, db, flags...)
			if err := checkBytes(archive); err != nil {
				t.Fatalf("whole archive (%d bytes): %v", len(archive), err)
			}
			// One byte at a time reaches the same verdict.
			c := NewCheck()
			for i := range archive {
				c.Write(archive[i : i+1])
			}
			if err := c.Complete(); err != nil {
				t.Fatalf("written byte by byte: %v", err)
			}
			// Every cut is caught: all of them in the header, the TOC and
			// the last bytes, a sample in between.
			for _, n := range cuts(len(archive)) {
				err := checkBytes(archive[:n])
				if err == nil {
					t.Fatalf("archive cut at %d of %d bytes passed", n, len(archive))
				}
				if !errors.Is(err, ErrIncomplete) {
					t.Fatalf("cut at %d: %v does not wrap ErrIncomplete", n, err)
				}
			}
			if err := checkBytes(append(bytes.Clone(archive), 0)); err == nil {
				t.Error("archive with a trailing byte passed")
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	db := archiveFixture(t)
	archive := pgDumpRaw(t, db, "--compress=0")
	blobs := bytes.LastIndex(archive, []byte("large object payload"))
	items := bytes.Index(archive, []byte("item 30"))
	if blobs < 0 || items < 0 {
		t.Fatal("fixture data not found in the archive")
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "output is empty"},
		{"not an archive", []byte("-- PostgreSQL database dump\n"), "not a pg_dump custom-format archive"},
		{"header", archive[:12], "in the archive header"},
		{"table data", archive[:items], "inside the data of TABLE DATA public.items"},
		{"large object", archive[:blobs], "inside large object"},
		{"trailing garbage", append(bytes.Clone(archive), "junk"...), "after the last data block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBytes(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want it to say %q", err, tt.want)
			}
		})
	}
	// An archive cut exactly between two blocks names what is missing.
	c := newArchiveCheck()
	for i := range archive {
		c.Write(archive[i : i+1])
		if c.idle && c.missing > 0 && c.missing < len(c.data) {
			break
		}
	}
	if err := c.Complete(); err == nil || !strings.Contains(err.Error(), "without the data of") {
		t.Errorf("cut between blocks: got %v", err)
	}
}

// TestCheckArchiveVersions checks the header and TOC layouts of the archive
// versions of PostgreSQL 12 to 17 with synthetic archives built to the
// format's description.
func TestCheckArchiveVersions(t *testing.T) {
	for _, v := range []byte{12, 13, 14, 15, 16} {
		a := synthArchive(v)
		if err := checkBytes(a); err != nil {
			t.Errorf("version 1.%d: %v", v, err)
			continue
		}
		for n := range len(a) {
			if checkBytes(a[:n]) == nil {
				t.Errorf("version 1.%d cut at %d of %d passed", v, n, len(a))
				break
			}
		}
	}
	a := synthArchive(16)
	a[6] = 17
	if err := checkBytes(a); err == nil || !strings.Contains(err.Error(), "archive version 1.17.0") {
		t.Errorf("version 1.17: %v", err)
	}
}

// synthArchive builds a custom-format archive of version 1.minor with two
// data entries (table data and large objects) and one without data.
func synthArchive(minor byte) []byte {
	var b bytes.Buffer
	wint := func(v int) {
		var s [5]byte
		if v < 0 {
			s[0], v = 1, -v
		}
		binary.LittleEndian.PutUint32(s[1:], uint32(v))
		b.Write(s[:])
	}
	wstr := func(s string) { wint(len(s)); b.WriteString(s) }
	b.WriteString("PGDMP")
	b.Write([]byte{1, minor, 0, 4, 8, formatCustom})
	if minor >= 15 {
		b.WriteByte(0)
	} else {
		wint(0)
	}
	for range 7 {
		wint(1)
	}
	wstr("db")
	wstr("17.0")
	wstr("17.0")
	entries := []struct {
		id          int
		desc, tag   string
		state, kind byte
	}{
		{1, "TABLE", "t", offsetNoData, 0},
		{2, "TABLE DATA", "t", offsetNotSet, blockData},
		{3, "BLOBS", "BLOBS", offsetSet, blockBlobs},
	}
	wint(len(entries))
	for _, e := range entries {
		wint(e.id)
		wint(int(e.kind))
		wstr("0")
		wstr("0")
		wstr(e.tag)
		wstr(e.desc)
		wint(2)
		wstr("CREATE TABLE t (x int);")
		wstr("")
		wstr("")
		wstr("public")
		wstr("")
		if minor >= 14 {
			wstr("heap")
		}
		if minor >= 16 {
			wint('r')
		}
		wstr("owner")
		wstr("false")
		if e.id > 1 {
			wstr("1")
		}
		wint(-1)
		b.WriteByte(e.state)
		b.Write(make([]byte, 8))
	}
	b.WriteByte(blockData)
	wint(2)
	wint(3)
	b.WriteString("1\n2")
	wint(0)
	b.WriteByte(blockBlobs)
	wint(3)
	wint(16400)
	wint(2)
	b.WriteString("lo")
	wint(0)
	wint(0)
	return b.Bytes()
}

func TestDumpRejectsCutArchive(t *testing.T) {
	db := archiveFixture(t)
	d := New(adminConn(), nil)
	real, err := exec.LookPath("pg_dump")
	if err != nil {
		testenv.Require(t, "tool pg_dump", err)
	}
	// The wrapper exits 0 whatever pg_dump did: only the check can notice.
	d.Tools.Dump = filepath.Join(t.TempDir(), "pg_dump")
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then exec " + real + " --version; fi\n" + real + " \"$@\" | head -c 2000\nexit 0\n"
	if err := os.WriteFile(d.Tools.Dump, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err = d.Dump(context.Background(), db, &out)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("dump through a cutting wrapper: got %v, want ErrIncomplete", err)
	}
	var _ dump.Check = NewCheck()
}

// BenchmarkCheck measures the check on an uncompressed archive of small
// chunks, the worst case: pg_dump writes one chunk per row.
func BenchmarkCheck(b *testing.B) {
	a := synthArchive(15)
	i := bytes.Index(a, []byte("1\n2"))
	var data bytes.Buffer
	data.Write(a[:i-5]) // up to the first chunk of the table data
	row := bytes.Repeat([]byte("x"), 95)
	for range 100000 {
		data.Write([]byte{0, byte(len(row)), 0, 0, 0})
		data.Write(row)
	}
	data.Write(a[i-5:])
	archive := data.Bytes()
	b.SetBytes(int64(len(archive)))
	for b.Loop() {
		c := NewCheck()
		for off := 0; off < len(archive); off += 1 << 20 {
			c.Write(archive[off:min(off+1<<20, len(archive))])
		}
		if err := c.Complete(); err != nil {
			b.Fatal(err)
		}
	}
}
