package mysql

import (
	"bytes"
	"io"
	"regexp"
)

// sqlFilter passes a mariadb-dump / mysqldump stream through to w, with two
// jobs on the way, in constant memory and without copying the bulk of the
// data:
//
//   - It removes the source database's name from the "ALTER DATABASE `src`
//     CHARACTER SET ..." lines the dump tool writes around routines,
//     triggers and events whose character set differs from the database's.
//     Without a name, ALTER DATABASE acts on the database being restored
//     into, so a dump restores into any name and never touches the source.
//   - It measures the longest line, which for a dump's INSERT statements
//     (one line each: the tool escapes line breaks) is the longest statement
//     a server must accept (max_allowed_packet), and notes its table.
type sqlFilter struct {
	w   io.Writer
	obs func([]byte) // sees every byte that reaches w

	atLineStart bool
	holding     bool   // line holds the start of a line that may be rewritten
	line        []byte // held back until its end, at most maxHeld bytes
	lineLen     int64  // bytes of the current line so far
	head        []byte // the current line's first headKeep bytes
	maxLen      int64
	table       string // the table of the last INSERT line
	maxTable    string // the table the longest line inserts into
}

const (
	maxHeld  = 4 << 10 // an ALTER DATABASE line is far shorter
	headKeep = 200     // enough for "INSERT INTO `<64-char name>`"
)

var alterDatabase = []byte("ALTER DATABASE `")

// reAlterDatabase matches a whole ALTER DATABASE line that names a database.
var reAlterDatabase = regexp.MustCompile("^ALTER DATABASE `(?:[^`]|``)+` (CHARACTER SET [^\n]*\n)$")

func newSQLFilter(w io.Writer, obs func([]byte)) *sqlFilter {
	return &sqlFilter{w: w, obs: obs, atLineStart: true}
}

func (f *sqlFilter) Write(p []byte) (int, error) {
	n := len(p)
	start := 0 // p[start:i] is passed through unchanged when the next hold begins or p ends
	i := 0
	for i < len(p) {
		if f.holding {
			end, ended := len(p), false
			if j := bytes.IndexByte(p[i:], '\n'); j >= 0 {
				end, ended = i+j+1, true
			}
			f.line = append(f.line, p[i:end]...)
			i, start = end, end
			// A held line longer than any ALTER DATABASE line goes on as it is,
			// whatever the size of the writes it came in.
			if rewrite := len(f.line) <= maxHeld; ended || !rewrite {
				if err := f.release(rewrite && ended, ended); err != nil {
					return 0, err
				}
			}
			continue
		}
		if f.atLineStart {
			rest := p[i:]
			if bytes.HasPrefix(rest, alterDatabase) || len(rest) < len(alterDatabase) && bytes.HasPrefix(alterDatabase, rest) {
				if err := f.emit(p[start:i]); err != nil {
					return 0, err
				}
				f.holding, f.line = true, f.line[:0]
				start = i
				continue
			}
			f.head = f.head[:0]
			f.atLineStart = false
		}
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			f.noteLine(p[i:])
			i = len(p)
			break
		}
		f.noteLine(p[i : i+j+1])
		f.endLine()
		i += j + 1
	}
	if err := f.emit(p[start:i]); err != nil {
		return 0, err
	}
	return n, nil
}

// release passes the held line on, rewritten when asked and it is an ALTER
// DATABASE line; ended says whether the held bytes end the line.
func (f *sqlFilter) release(rewrite, ended bool) error {
	out := f.line
	if rewrite {
		if m := reAlterDatabase.FindSubmatch(f.line); m != nil {
			out = append([]byte("ALTER DATABASE "), m[1]...)
		}
	}
	f.holding = false
	f.head = f.head[:0]
	f.noteLine(out)
	if ended {
		f.endLine()
	} else {
		f.atLineStart = false
	}
	return f.emit(out)
}

func (f *sqlFilter) noteLine(b []byte) {
	f.lineLen += int64(len(b))
	if room := headKeep - len(f.head); room > 0 {
		f.head = append(f.head, b[:min(room, len(b))]...)
	}
}

// endLine notes the finished line. A long INSERT's rows may start on lines
// of their own, so a line's table is that of the last INSERT line.
func (f *sqlFilter) endLine() {
	if m := reInsertTable.FindSubmatch(f.head); m != nil {
		f.table = string(bytes.ReplaceAll(m[1], []byte("``"), []byte("`")))
	}
	if f.lineLen > f.maxLen {
		f.maxLen, f.maxTable = f.lineLen, f.table
	}
	f.lineLen, f.atLineStart = 0, true
}

func (f *sqlFilter) emit(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := f.w.Write(b); err != nil {
		return err
	}
	if f.obs != nil {
		f.obs(b)
	}
	return nil
}

// Close passes on what is still held (a stream that ended mid-line).
func (f *sqlFilter) Close() error {
	if f.holding {
		if err := f.release(false, true); err != nil {
			return err
		}
	}
	if f.lineLen > 0 {
		f.endLine()
	}
	return nil
}

var reInsertTable = regexp.MustCompile("^INSERT INTO `((?:[^`]|``)+)`")

// longest returns the longest line's length in bytes and the table it
// inserts into ("" when it is not part of an INSERT).
func (f *sqlFilter) longest() (int64, string) {
	return f.maxLen, f.maxTable
}
