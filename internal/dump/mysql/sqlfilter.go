package mysql

import (
	"bytes"
	"io"
	"regexp"
	"strings"
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
//   - It removes the source's name from the headers of triggers created
//     with a qualified name ("TRIGGER src.tr BEFORE INSERT ON src.t"): the
//     server keeps a trigger's text as it was written, so without this a
//     restore into another name would create the trigger in the source.
//     Other mentions of the source in definitions (a routine's body reading
//     src.t) are user code, left as they are and counted for a warning.
//   - It measures the longest line, which for a dump's INSERT statements
//     (one line each: the tool escapes line breaks) is the longest statement
//     a server must accept (max_allowed_packet), and notes its table.
type sqlFilter struct {
	w   io.Writer
	obs func([]byte) // sees every byte that reaches w

	// Set by setSource: the source's qualifier in trigger headers, and in
	// definitions for the warning.
	triggerHead *regexp.Regexp
	qualifier   *regexp.Regexp
	refs        int    // definition lines that name the source
	refSample   string // the first of them, shortened
	refTail     []byte // the current definition line's last bytes
	// disableEvents makes every event in the stream DISABLED (restore
	// drills: an event must not run in a drill's scratch database).
	disableEvents bool
	ddl           bool // the current line is not table data

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
	refKeep  = 300     // more than a quoted database name and its context
)

var (
	alterDatabase = []byte("ALTER DATABASE `")
	createTrigger = []byte("/*!50003 CREATE*/ /*!50017 DEFINER=")
	createEvent   = []byte("/*!50106 CREATE*/ ")
	// heldPrefixes start the lines that may be rewritten.
	heldPrefixes = [][]byte{alterDatabase, createTrigger, createEvent}
	// dataPrefixes start the lines of table data, never searched for names.
	dataPrefixes = [][]byte{[]byte("INSERT INTO "), []byte("(")}
)

// reAlterDatabase matches a whole ALTER DATABASE line that names a database.
var reAlterDatabase = regexp.MustCompile("^ALTER DATABASE `(?:[^`]|``)+` (CHARACTER SET [^\n]*\n)$")

func newSQLFilter(w io.Writer, obs func([]byte)) *sqlFilter {
	return &sqlFilter{w: w, obs: obs, atLineStart: true}
}

// setSource tells the filter the dumped database's name, for the trigger
// headers and the warning about definitions that name it.
func (f *sqlFilter) setSource(db string) {
	q := "(?i:`" + regexp.QuoteMeta(strings.ReplaceAll(db, "`", "``")) + "`|" + regexp.QuoteMeta(db) + ")\\."
	ident := "(?:`(?:[^`]|``)+`|[^\\s.`]+)"
	f.triggerHead = regexp.MustCompile(`^(/\*!50003 CREATE\*/ /\*!50017 DEFINER=.*?\*/ /\*!50003 TRIGGER )(?:` + q + `)?(` +
		ident + ` (?:BEFORE|AFTER) (?:INSERT|UPDATE|DELETE) ON )(?:` + q + `)?`)
	f.qualifier = regexp.MustCompile("(?:^|[^A-Za-z0-9_$`])" + q)
}

// startsWithAny reports whether p starts with one of prefixes, or is too
// short to tell and could (it is a prefix of one).
func startsWithAny(p []byte, prefixes [][]byte) bool {
	for _, pre := range prefixes {
		if bytes.HasPrefix(p, pre) || len(p) < len(pre) && bytes.HasPrefix(pre, p) {
			return true
		}
	}
	return false
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
			// A held line goes on once it ends or outgrows maxHeld, whatever
			// the size of the writes it came in.
			if ended || len(f.line) > maxHeld {
				if err := f.release(ended); err != nil {
					return 0, err
				}
			}
			continue
		}
		if f.atLineStart {
			rest := p[i:]
			if startsWithAny(rest, heldPrefixes) {
				if err := f.emit(p[start:i]); err != nil {
					return 0, err
				}
				f.holding, f.line = true, f.line[:0]
				start = i
				continue
			}
			f.head = f.head[:0]
			f.atLineStart = false
			f.ddl = !startsWithAny(rest[:min(len(rest), 12)], dataPrefixes)
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

// release passes the held line on, rewritten when it is a whole ALTER
// DATABASE line or starts with a trigger header naming the source; ended
// says whether the held bytes end the line.
func (f *sqlFilter) release(ended bool) error {
	out := f.line
	if m := reAlterDatabase.FindSubmatch(f.line); ended && len(f.line) <= maxHeld && m != nil {
		out = append([]byte("ALTER DATABASE "), m[1]...)
	} else if f.triggerHead != nil && bytes.HasPrefix(f.line, createTrigger) {
		out = f.triggerHead.ReplaceAll(f.line, []byte("${1}${2}"))
	} else if f.disableEvents && bytes.HasPrefix(f.line, createEvent) {
		// SHOW CREATE EVENT writes ON COMPLETION [NOT] PRESERVE right
		// before the status, so its first match is the header's.
		out = bytes.Replace(f.line, []byte(" PRESERVE ENABLE"), []byte(" PRESERVE DISABLE"), 1)
	}
	f.holding = false
	f.head = f.head[:0]
	f.ddl = true
	f.noteLine(out)
	if ended {
		f.endLine()
	} else {
		f.atLineStart = false
	}
	return f.emit(out)
}

func (f *sqlFilter) noteLine(b []byte) {
	if f.ddl && f.qualifier != nil {
		// Search the line so far (its last bytes, then b), so that a name
		// split between writes is found too.
		f.refTail = append(f.refTail, b...)
		if loc := f.qualifier.FindIndex(f.refTail); loc != nil {
			if f.refs == 0 {
				f.refSample = strings.TrimSpace(string(f.refTail[max(loc[0]-40, 0):min(loc[1]+40, len(f.refTail))]))
			}
			f.refs++
			f.ddl = false // count a line once
		} else if len(f.refTail) > refKeep {
			f.refTail = append(f.refTail[:0], f.refTail[len(f.refTail)-refKeep:]...)
		}
	}
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
	f.refTail = f.refTail[:0]
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
		if err := f.release(true); err != nil {
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

// sourceReferences returns how many definition lines name the source
// database (user code the dump keeps as written) and the first of them.
func (f *sqlFilter) sourceReferences() (int, string) { return f.refs, f.refSample }
