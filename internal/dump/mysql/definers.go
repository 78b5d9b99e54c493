package mysql

import (
	"bytes"
	"regexp"
	"sort"
)

// definerTracker watches a dump on its way to the client and remembers on
// which line each DEFINER clause stands, so that a client error "at line N"
// can name the definer of the failing statement. The client reports the
// line a statement starts on. A dump's CREATE ... DEFINER= statements name
// their definer on that line, except views: mariadb-dump and mysqldump
// write "/*!50001 CREATE ALGORITHM=... */" and the DEFINER on the next line
// ("/*!50013 DEFINER=... SQL SECURITY ... */"), which is remembered for
// both lines.
//
// It keeps the most recent maxDefiners clauses only: the client fails at
// most a pipe's worth of input behind what was written, so older ones are
// never asked for. Write never fails.
type definerTracker struct {
	line  int    // 1-based number of the line being written
	carry []byte // the unfinished line's last bytes, for a clause split across writes
	// pending says carry ends in a DEFINER clause not yet seen whole.
	pending bool
	head    []byte // the current line's first bytes, up to len(viewDefinerHead)
	seen    []definerAt
}

type definerAt struct {
	line    int
	definer string
}

const (
	maxDefiners = 4096
	// carryKeep covers "DEFINER=" and a quoted user@host of the maximum
	// lengths (user 128, host 255 characters).
	carryKeep = 1 << 10
)

var (
	definerToken = []byte("DEFINER=")
	// viewDefinerHead starts the line after a view's first line.
	viewDefinerHead = []byte("/*!50013 DEFINER=")
)

// reDefiner matches DEFINER=`user`@`host` as the dump tools write it.
var reDefiner = regexp.MustCompile("DEFINER=(`(?:[^`]|``)*`@`(?:[^`]|``)*`)")

func newDefinerTracker() *definerTracker { return &definerTracker{line: 1} }

func (t *definerTracker) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		chunk := rest
		if i >= 0 {
			chunk = rest[:i]
		}
		t.scan(chunk, i >= 0)
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	return len(p), nil
}

// scan looks at the next part of the current line; ended says it ends there.
func (t *definerTracker) scan(part []byte, ended bool) {
	if n := len(viewDefinerHead) - len(t.head); n > 0 {
		t.head = append(t.head, part[:min(n, len(part))]...)
	}
	// Most lines are INSERTs: only a part that holds the token (or continues
	// one cut by the previous write) is worth a regexp.
	joint := append(t.carry[max(0, len(t.carry)-len(definerToken)):len(t.carry):len(t.carry)], part[:min(len(part), len(definerToken))]...)
	if t.pending || bytes.Contains(part, definerToken) || bytes.Contains(joint, definerToken) {
		text := append(t.carry[:len(t.carry):len(t.carry)], part...)
		matchEnd := 0
		if m := reDefiner.FindAllSubmatchIndex(text, -1); len(m) > 0 {
			last := m[len(m)-1]
			definer := string(text[last[2]:last[3]])
			if bytes.Equal(t.head, viewDefinerHead) && t.line > 1 {
				t.rememberAt(t.line-1, definer)
			}
			t.remember(definer)
			matchEnd = last[1]
		}
		// A clause cut by the end of this write is looked at again with the next.
		t.pending = !ended && bytes.LastIndex(text, definerToken) >= matchEnd
	}
	if ended {
		t.line++
		t.carry, t.pending, t.head = t.carry[:0], false, t.head[:0]
		return
	}
	if len(part) >= carryKeep {
		t.carry = append(t.carry[:0], part[len(part)-carryKeep:]...)
		return
	}
	t.carry = append(t.carry, part...)
	if len(t.carry) > carryKeep {
		t.carry = append(t.carry[:0], t.carry[len(t.carry)-carryKeep:]...)
	}
}

func (t *definerTracker) remember(definer string) { t.rememberAt(t.line, definer) }

// rememberAt records definer for line, which is never before the last
// line recorded.
func (t *definerTracker) rememberAt(line int, definer string) {
	if n := len(t.seen); n > 0 && t.seen[n-1].line >= line {
		if t.seen[n-1].line == line {
			t.seen[n-1].definer = definer
		}
		return
	}
	if len(t.seen) == maxDefiners {
		t.seen = append(t.seen[:0], t.seen[maxDefiners/2:]...)
	}
	t.seen = append(t.seen, definerAt{line, definer})
}

// at returns the definer named on line n of the dump, "" if none is known.
func (t *definerTracker) at(n int) string {
	i := sort.Search(len(t.seen), func(i int) bool { return t.seen[i].line >= n })
	if i < len(t.seen) && t.seen[i].line == n {
		return t.seen[i].definer
	}
	return ""
}
