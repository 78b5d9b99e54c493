package postgres

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// ErrIncomplete means a custom-format archive is cut off, damaged or not an
// archive at all; its wrapping error says what is missing.
var ErrIncomplete = errors.New("dump incomplete")

// The custom format (pg_backup_custom.c, pg_backup_archiver.c), as pg_dump
// writes it to a pipe:
//
//	header  "PGDMP", major, minor, revision, intSize, offSize, format (1 =
//	        custom), compression (1.15+: one byte; before: an int), seven
//	        ints of creation time, dbname, server version, pg_dump version
//	TOC     an int count, then per entry: dumpId, hadDumper, tableoid, oid,
//	        tag, desc, section, defn, dropStmt, copyStmt, namespace,
//	        tablespace, tableam (1.14+), relkind (1.16+, an int), owner,
//	        "false", dependency ids up to a NULL string, and the data offset:
//	        a flag byte (1 not set, 2 set, 3 no data) and offSize bytes
//	data    per TOC entry with data, in TOC order: a block type byte
//	        (1 data, 3 large objects) and the entry's dumpId; then chunks
//	        (an int length and that many bytes) up to a zero length; for
//	        large objects, per object its oid and such chunks, up to oid 0
//
// An int is a sign byte and intSize bytes, least significant first; a
// string is an int length (-1: NULL) and that many bytes. The format has no
// trailer: an archive is complete when every entry the TOC announces data
// for has its whole block and nothing follows the last one.
const (
	formatCustom = 1

	offsetNotSet = 1
	offsetSet    = 2
	offsetNoData = 3

	blockData  = 1
	blockBlobs = 3

	minVersion = 1<<16 | 12<<8 // K_VERS_1_12 (PostgreSQL 9.0)
	maxVersion = 1<<16 | 16<<8 | 0xff
	version114 = 1<<16 | 14<<8 // tableam
	version115 = 1<<16 | 15<<8 // compression algorithm byte
	version116 = 1<<16 | 16<<8 // relkind

	// keepString is how much of a tag, desc or owner is kept for messages.
	keepString = 200
	// maxOwnerBytes bounds the owner names collected from one TOC.
	maxOwnerBytes = 1 << 20
)

var archiveMagic = []byte("PGDMP")

// NewCheck returns a completeness check for pg_dump's custom format. It
// parses the header and the table of contents as the bytes stream through
// and then follows the data blocks chunk by chunk without keeping them: its
// memory grows with the number of TOC entries that have data, never with
// the size of the data.
func NewCheck() dump.Check { return newArchiveCheck() }

// archiveCheck is a push parser: Write feeds it bytes, and each step says
// how many bytes to skip, then how many to collect before its continuation
// runs and installs the next step.
type archiveCheck struct {
	err    error
	offset int64 // bytes seen

	skip int64                 // bytes to pass over before the step's own bytes
	need int                   // bytes the continuation wants
	buf  []byte                // the bytes collected for it so far
	next func(b []byte)        // the continuation; nil only before the start
	at   func() string         // where the parser is, for messages
	idle bool                  // waiting for a block header with nothing collected
	tail func(off int64) error // set once the archive is complete

	version          int
	intSize, offSize int
	tocCount, tocIdx int
	tocDone          bool

	// Entries that announced data, by dumpId, and how many are still missing.
	data    map[int64]*dataEntry
	missing int

	owners     map[string]bool // collected only when ownerBytes >= 0
	ownerBytes int

	count *archiveCounts // what the archive holds; counted only when set

	// offsets, when set, makes the check remember where each data entry's
	// offset field and data block are (see recordOffsets).
	offsets bool

	entry tocEntry // the TOC entry being read
	block *dataEntry
	// chunkDone is set while chunk headers are read: what follows the
	// zero-length chunk that ends them.
	chunkDone func()
}

type tocEntry struct {
	id        int64
	tag, desc string
	namespace string
	owner     string
	dataState byte
}

type dataEntry struct {
	name string // e.g. `TABLE DATA public.orders`
	seen bool
	// table is the "schema.table" of a TABLE DATA entry when counting,
	// else empty; rows counts the line breaks of its COPY data, and tail
	// holds its last bytes (see countRows).
	table string
	rows  int64
	tail  []byte
	// tocPos is the stream position of the entry's data offset flag in the
	// TOC when the flag says "not set" (-1 otherwise), and dataPos the
	// position of its data block's type byte; both only with offsets.
	tocPos, dataPos int64
}

func newArchiveCheck() *archiveCheck {
	c := &archiveCheck{data: map[int64]*dataEntry{}, ownerBytes: -1}
	c.at = func() string { return "in the archive header" }
	c.read(len(archiveMagic)+2, c.magic)
	return c
}

// recordOffsets makes the check remember, for each TOC entry with data,
// where its data offset field and its data block are in the stream, for
// offsetPatches.
func (c *archiveCheck) recordOffsets() { c.offsets = true }

// collectOwners makes the check remember the distinct owners of TOC entries.
func (c *archiveCheck) collectOwners() {
	c.owners, c.ownerBytes = map[string]bool{}, 0
}

// Write never fails; a damaged archive is reported by Complete.
func (c *archiveCheck) Write(p []byte) (int, error) {
	n := len(p)
	for c.err == nil {
		if c.skip > 0 {
			if len(p) == 0 {
				break
			}
			k := int(min(c.skip, int64(len(p))))
			if b := c.block; b != nil && b.table != "" && c.chunkDone != nil {
				b.countRows(p[:k]) // only chunk bodies are skipped inside a data block
			}
			c.skip -= int64(k)
			c.offset += int64(k)
			p = p[k:]
			continue
		}
		if c.chunkDone != nil && len(c.buf) == 0 && c.need == 1+c.intSize && len(p) >= c.need {
			// Fast path for the common case, a whole chunk header at hand:
			// pg_dump writes one chunk per row of uncompressed data.
			if v, ok := c.decodeInt(p); ok && v > 0 {
				c.offset += int64(c.need)
				p = p[c.need:]
				c.skip = v
				continue
			}
		}
		if len(c.buf) < c.need {
			if len(p) == 0 {
				break
			}
			c.idle = false
			k := min(c.need-len(c.buf), len(p))
			c.buf = append(c.buf, p[:k]...)
			c.offset += int64(k)
			p = p[k:]
			continue
		}
		if c.tail != nil {
			if len(p) > 0 {
				c.err = c.tail(c.offset)
			}
			break
		}
		fn, b := c.next, c.buf
		c.buf, c.need, c.next = c.buf[len(c.buf):], 0, nil
		fn(b)
		if c.next == nil && c.tail == nil && c.err == nil {
			c.fail("parser stopped") // a bug, not a damaged archive
		}
	}
	return n, nil
}

// Complete says whether the bytes written so far are one whole archive.
func (c *archiveCheck) Complete() error {
	switch {
	case c.err != nil:
		return c.err
	case c.offset == 0:
		return fmt.Errorf("%w: the output is empty, not a custom-format archive", ErrIncomplete)
	case c.tail != nil:
		return nil
	case c.idle && c.tocDone:
		return fmt.Errorf("%w: the archive ends after %d bytes without the data of %s", ErrIncomplete, c.offset, c.missingList())
	default:
		return fmt.Errorf("%w: the archive ends %s after %d bytes", ErrIncomplete, c.at(), c.offset)
	}
}

func (c *archiveCheck) fail(format string, args ...any) {
	c.err = fmt.Errorf("%w: %s at byte %d (%s)", ErrIncomplete, fmt.Sprintf(format, args...), c.offset, c.at())
}

// read collects n bytes and passes them to fn.
func (c *archiveCheck) read(n int, fn func(b []byte)) {
	c.need, c.next = n, fn
	if cap(c.buf) < n {
		c.buf = make([]byte, 0, max(n, 64))
	}
	c.buf = c.buf[:0]
}

// skipThen passes over n bytes, then calls fn.
func (c *archiveCheck) skipThen(n int64, fn func()) {
	c.skip = n
	c.read(0, func([]byte) { fn() })
}

// readInt reads one archive int.
func (c *archiveCheck) readInt(fn func(v int64)) {
	c.read(1+c.intSize, func(b []byte) {
		v, ok := c.decodeInt(b)
		if !ok {
			c.fail("integer out of range")
			return
		}
		fn(v)
	})
}

// decodeInt decodes the int at the start of b, which holds at least
// 1+intSize bytes.
func (c *archiveCheck) decodeInt(b []byte) (int64, bool) {
	var v uint64
	for i := c.intSize; i >= 1; i-- {
		v = v<<8 | uint64(b[i])
	}
	if v > 1<<62 {
		return 0, false
	}
	if b[0] != 0 {
		return -int64(v), true
	}
	return int64(v), true
}

// readStr reads one archive string, keeping at most keep bytes of it; fn
// gets null for a NULL string.
func (c *archiveCheck) readStr(keep int, fn func(s string, null bool)) {
	c.readInt(func(n int64) {
		switch {
		case n < -1:
			c.fail("negative string length %d", n)
		case n == -1:
			fn("", true)
		case n <= int64(keep):
			c.read(int(n), func(b []byte) { fn(string(b), false) })
		default:
			c.read(keep, func(b []byte) {
				s := string(b) + "..."
				c.skipThen(n-int64(keep), func() { fn(s, false) })
			})
		}
	})
}

// skipStr reads one string and drops it.
func (c *archiveCheck) skipStr(fn func()) {
	c.readStr(0, func(string, bool) { fn() })
}

// skipInts reads n ints and drops them.
func (c *archiveCheck) skipInts(n int, fn func()) {
	if n == 0 {
		fn()
		return
	}
	c.readInt(func(int64) { c.skipInts(n-1, fn) })
}

// --- header ---

func (c *archiveCheck) magic(b []byte) {
	if string(b[:len(archiveMagic)]) != string(archiveMagic) {
		c.fail("no custom-format magic PGDMP: the output is not a pg_dump custom-format archive")
		return
	}
	vmaj, vmin := int(b[5]), int(b[6])
	c.read(4, func(b []byte) {
		c.version = vmaj<<16 | vmin<<8 | int(b[0])
		if c.version < minVersion || c.version > maxVersion {
			c.fail("archive version %d.%d.%d is not one this check reads (1.12 to 1.16, PostgreSQL 9.0 to 17)", vmaj, vmin, b[0])
			return
		}
		c.intSize, c.offSize = int(b[1]), int(b[2])
		if c.intSize < 1 || c.intSize > 8 || c.offSize < 1 || c.offSize > 8 {
			c.fail("implausible integer size %d or offset size %d", c.intSize, c.offSize)
			return
		}
		if b[3] != formatCustom {
			c.fail("archive format %d is not the custom format", b[3])
			return
		}
		compression := func(fn func()) { c.skipInts(1, fn) }
		if c.version >= version115 {
			compression = func(fn func()) { c.read(1, func([]byte) { fn() }) }
		}
		compression(func() {
			c.skipInts(7, func() { // creation time
				c.skipStr(func() { // dbname
					c.skipStr(func() { // server version
						c.skipStr(c.tocStart) // pg_dump version
					})
				})
			})
		})
	})
}

// --- table of contents ---

func (c *archiveCheck) tocStart() {
	c.at = func() string { return "in the table of contents" }
	c.readInt(func(n int64) {
		if n < 0 || n > 1<<30 {
			c.fail("implausible TOC entry count %d", n)
			return
		}
		c.tocCount = int(n)
		c.at = func() string {
			return fmt.Sprintf("in entry %d of %d of the table of contents", c.tocIdx+1, c.tocCount)
		}
		c.tocNext()
	})
}

func (c *archiveCheck) tocNext() {
	if c.tocIdx == c.tocCount {
		c.tocDone = true
		c.blockStart()
		return
	}
	e := &c.entry
	*e = tocEntry{}
	c.readInt(func(id int64) {
		e.id = id
		c.readInt(func(int64) { // hadDumper
			c.skipStr(func() { // tableoid
				c.skipStr(func() { // oid
					c.readStr(keepString, func(s string, _ bool) {
						e.tag = s
						c.readStr(keepString, func(s string, _ bool) {
							e.desc = s
							c.skipInts(1, func() { // section
								c.skipStr(func() { // defn
									c.skipStr(func() { // dropStmt
										c.skipStr(func() { // copyStmt
											c.readStr(keepString, func(s string, _ bool) {
												e.namespace = s
												c.skipStr(c.tocTableAM) // tablespace
											})
										})
									})
								})
							})
						})
					})
				})
			})
		})
	})
}

func (c *archiveCheck) tocTableAM() {
	owner := func() {
		c.readStr(keepString, func(s string, _ bool) {
			c.entry.owner = s
			c.skipStr(c.tocDeps) // "false": the old WITH OIDS flag
		})
	}
	relkind := owner
	if c.version >= version116 {
		relkind = func() { c.skipInts(1, owner) }
	}
	if c.version >= version114 {
		c.skipStr(relkind)
		return
	}
	relkind()
}

// tocDeps reads dependency ids up to a NULL string, then the data offset.
func (c *archiveCheck) tocDeps() {
	c.readStr(32, func(_ string, null bool) {
		if !null {
			c.tocDeps()
			return
		}
		c.read(1+c.offSize, c.tocOffset)
	})
}

func (c *archiveCheck) tocOffset(b []byte) {
	e := &c.entry
	e.dataState = b[0]
	switch e.dataState {
	case offsetNotSet, offsetSet:
		if _, dup := c.data[e.id]; dup {
			c.fail("dump id %d appears twice in the table of contents", e.id)
			return
		}
		name := e.desc
		if e.namespace != "" {
			name += " " + e.namespace + "."
		} else {
			name += " "
		}
		d := &dataEntry{name: name + e.tag + fmt.Sprintf(" (dump id %d)", e.id), tocPos: -1, dataPos: -1}
		if c.offsets && e.dataState == offsetNotSet {
			d.tocPos = c.offset - int64(1+c.offSize)
		}
		c.data[e.id] = d
		c.missing++
		if c.count != nil && e.desc == "TABLE DATA" {
			d.table = tableKey(e.namespace, e.tag)
		}
	case offsetNoData:
	default:
		c.fail("bad data offset flag %d", e.dataState)
		return
	}
	if c.count != nil {
		c.count.entry(e)
	}
	if c.owners != nil && e.owner != "" && !c.owners[e.owner] && c.ownerBytes < maxOwnerBytes {
		c.owners[e.owner] = true
		c.ownerBytes += len(e.owner)
	}
	c.tocIdx++
	c.tocNext()
}

// --- data blocks ---

func (c *archiveCheck) blockStart() {
	c.block = nil
	if c.missing == 0 {
		c.tail = func(off int64) error {
			return fmt.Errorf("%w: unexpected bytes at byte %d, after the last data block", ErrIncomplete, off)
		}
		return
	}
	c.at = func() string { return "between data blocks" }
	c.read(1, func(b []byte) {
		pos := c.offset - 1
		kind := b[0]
		if kind != blockData && kind != blockBlobs {
			c.fail("unknown data block type %d", kind)
			return
		}
		c.readInt(func(id int64) {
			e := c.data[id]
			switch {
			case e == nil:
				c.fail("data block for dump id %d, which the table of contents has no data for", id)
				return
			case e.seen:
				c.fail("second data block for %s", e.name)
				return
			}
			c.block = e
			if c.offsets {
				e.dataPos = pos
			}
			c.at = func() string { return "inside the data of " + e.name }
			if kind == blockData {
				c.chunks(c.blockEnd)
				return
			}
			c.blobNext()
		})
	})
	c.idle = true
}

func (c *archiveCheck) blockEnd() {
	c.block.seen = true
	c.missing--
	c.blockStart()
}

// blobNext reads the next large object's oid and its chunks, up to oid 0.
func (c *archiveCheck) blobNext() {
	c.readInt(func(oid int64) {
		if oid == 0 {
			c.blockEnd()
			return
		}
		if c.count != nil {
			c.count.blobData++
		}
		name := c.block.name
		c.at = func() string { return fmt.Sprintf("inside large object %d of %s", oid, name) }
		c.chunks(func() {
			c.at = func() string { return "inside the data of " + name }
			c.blobNext()
		})
	})
}

// chunks passes over length-prefixed chunks up to a zero length, then calls done.
func (c *archiveCheck) chunks(done func()) {
	c.chunkDone = done
	c.readInt(c.chunkHeader)
}

func (c *archiveCheck) chunkHeader(n int64) {
	switch {
	case n < 0:
		c.fail("negative chunk length %d", n)
	case n == 0:
		done := c.chunkDone
		c.chunkDone = nil
		done()
	default:
		c.readInt(c.chunkHeader)
		c.skip = n // before the next header
	}
}

// missingList names the entries whose data never came, the first few of them.
func (c *archiveCheck) missingList() string {
	var names []string
	for _, e := range c.data {
		if !e.seen {
			names = append(names, e.name)
		}
	}
	sort.Strings(names)
	const show = 5
	s := strings.Join(names[:min(show, len(names))], ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}

// ownerList returns the distinct owners of the TOC's entries, sorted.
func (c *archiveCheck) ownerList() []string {
	out := make([]string, 0, len(c.owners))
	for o := range c.owners {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// offsetPatch is one data offset field to write into an archive file.
type offsetPatch struct {
	at    int64  // where the field (its flag byte) starts in the file
	field []byte // the flag "set" and the offset, offSize bytes, least significant first
}

// offsetPatches returns what turns the complete archive the check read
// (with recordOffsets) into the one pg_dump writes to a seekable file: each
// TOC entry whose data offset says "not set", as pg_dump must leave it when
// it writes to a pipe, gets the position of its data block. pg_restore
// --jobs can then seek straight to each table's data instead of scanning
// the archive from the start for it. None when an offset does not fit in
// the archive's offset size.
func (c *archiveCheck) offsetPatches() ([]offsetPatch, error) {
	if !c.offsets || c.Complete() != nil {
		return nil, errors.New("offset patches of an archive not read whole with recordOffsets")
	}
	var out []offsetPatch
	for _, e := range c.data {
		if e.tocPos < 0 {
			continue
		}
		if e.dataPos < 0 {
			return nil, fmt.Errorf("no data block position for %s", e.name)
		}
		if c.offSize < 8 && e.dataPos>>(8*c.offSize) != 0 {
			return nil, fmt.Errorf("data position %d of %s does not fit the archive's %d-byte offsets", e.dataPos, e.name, c.offSize)
		}
		field := make([]byte, 1+c.offSize)
		field[0] = offsetSet
		for i, v := 1, uint64(e.dataPos); i <= c.offSize; i, v = i+1, v>>8 {
			field[i] = byte(v)
		}
		out = append(out, offsetPatch{at: e.tocPos, field: field})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out, nil
}
