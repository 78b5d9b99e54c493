package mysql

import (
	"bytes"
	"io"
	"regexp"
	"strconv"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

const (
	// headSize is how much of the dump's start is kept: the binlog
	// coordinates come right after the header comments.
	headSize = 64 << 10
	// tailSize is how much of the dump's end is kept: the completion marker
	// and, for MariaDB, the deferred gtid_slave_pos comment.
	tailSize = 4 << 10
)

// completionMarker starts the last line of every complete dump.
var completionMarker = []byte("-- Dump completed")

// streamCheck passes the dump through to w (when set) and keeps its first
// and last bytes, to read the replication position and to check that the
// dump ended with the completion marker. Writes may split the marker
// anywhere. It is the dump.Check of the "sql" format.
type streamCheck struct {
	w    io.Writer
	head []byte
	tail []byte
	n    int64
}

func newStreamCheck(w io.Writer) *streamCheck { return &streamCheck{w: w} }

var _ dump.Check = (*streamCheck)(nil)

// NewCheck returns the completeness check of a mariadb-dump / mysqldump
// stream: it must end with the "-- Dump completed" line.
func NewCheck() dump.Check { return newStreamCheck(nil) }

func (s *streamCheck) Write(p []byte) (int, error) {
	if s.w == nil {
		s.observe(p)
		return len(p), nil
	}
	n, err := s.w.Write(p)
	s.observe(p[:n])
	return n, err
}

// Complete returns ErrIncomplete unless the stream ended with the marker.
func (s *streamCheck) Complete() error {
	if !s.complete() {
		return ErrIncomplete
	}
	return nil
}

func (s *streamCheck) observe(p []byte) {
	s.n += int64(len(p))
	if room := headSize - len(s.head); room > 0 {
		s.head = append(s.head, p[:min(room, len(p))]...)
	}
	if len(p) >= tailSize {
		s.tail = append(s.tail[:0], p[len(p)-tailSize:]...)
		return
	}
	s.tail = append(s.tail, p...)
	if len(s.tail) > 2*tailSize { // compact now and then, not per write
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-tailSize:]...)
	}
}

// lastTail returns the last tailSize bytes seen.
func (s *streamCheck) lastTail() []byte {
	if len(s.tail) > tailSize {
		return s.tail[len(s.tail)-tailSize:]
	}
	return s.tail
}

// complete reports whether the last non-blank line starts with the marker.
func (s *streamCheck) complete() bool {
	t := bytes.TrimRight(s.lastTail(), " \t\r\n")
	if i := bytes.LastIndexByte(t, '\n'); i >= 0 {
		t = t[i+1:]
	}
	return bytes.HasPrefix(t, completionMarker)
}

var (
	// MariaDB --master-data=2 and MySQL --source-data=2 / --master-data=2.
	reLogPos = regexp.MustCompile(`(?m)^-- CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^'\n]+)', (?:MASTER|SOURCE)_LOG_POS=([0-9]+)`)
	// MariaDB, printed near the end of the dump.
	reMariaGTID = regexp.MustCompile(`(?m)^-- SET GLOBAL gtid_slave_pos='([^'\n]*)'`)
	// MySQL with GTIDs on (--set-gtid-purged=ON|AUTO|COMMENTED).
	reMySQLGTID = regexp.MustCompile(`(?m)^(?:-- )?SET @@GLOBAL\.GTID_PURGED=(?:/\*!80000 '\+'\*/ )?'([^']*)'`)
)

// position reads the replication position the dump recorded, or nil.
func (s *streamCheck) position() *backup.Position {
	var pos backup.Position
	if m := reLogPos.FindSubmatch(s.head); m != nil {
		n, err := strconv.ParseUint(string(m[2]), 10, 64)
		if err == nil {
			pos.BinlogFile, pos.BinlogPos = string(m[1]), n
		}
	}
	for _, part := range [][]byte{s.head, s.lastTail()} {
		if pos.GTID != "" {
			break
		}
		if m := reMariaGTID.FindSubmatch(part); m != nil {
			pos.GTID = string(m[1])
		} else if m := reMySQLGTID.FindSubmatch(part); m != nil {
			pos.GTID = string(bytes.Join(bytes.Fields(m[1]), nil)) // may span lines
		}
	}
	if pos == (backup.Position{}) {
		return nil
	}
	return &pos
}
