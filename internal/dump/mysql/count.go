package mysql

import (
	"bytes"
	"encoding/binary"
	"regexp"
)

// sqlCounter counts what a mariadb-dump / mysqldump stream holds as it
// streams by: rows per table and objects per kind (see fingerprint). It
// keeps no more than one line's first countHead bytes, and its answer never
// depends on how the stream is split into writes.
//
// It reads the dump line by line, as the dump tool writes it:
//
//   - "CREATE TABLE `t`" at a line's start is a table, "CREATE SEQUENCE
//     `s`" a sequence; a view's temporary stand-in ("/*!50001 CREATE VIEW"
//     or, from old tools, "/*!50001 CREATE TABLE") is neither, and
//     "/*!50001 VIEW `v` AS", the view's final definition, is a view.
//   - Between "DELIMITER ;;" and "DELIMITER ;" each statement's first line
//     says whether it creates a trigger, event, function or procedure.
//   - "INSERT [IGNORE] INTO `t`" and "REPLACE INTO `t`" start a statement
//     whose row tuples are counted up to its closing ';': each '(' at
//     parenthesis depth 0 after the optional column list is one row. Quoted
//     strings ('...' and "..." with backslash escapes) and `identifiers`
//     are skipped whole, so their parentheses, commas, semicolons and
//     (never raw, but who knows) line breaks count for nothing.
type sqlCounter struct {
	state  int
	head   []byte // the current line's first bytes (line states)
	delim  []byte // the DELIMITER in force; nil for ";"
	tail   []byte // the current line's last bytes (inside DELIMITER blocks)
	inStmt bool   // inside DELIMITER blocks: the current line continues a statement
	// delimLine says the current line is a DELIMITER command.
	delimLine bool

	// The INSERT being counted.
	quote byte  // the quote character of the string being skipped
	esc   bool  // the string's next byte is escaped
	depth int   // parenthesis depth outside strings
	cols  bool  // the parentheses at hand are the column list
	n     int64 // rows so far
	table string

	fp counts
}

const (
	stLine      = iota // collecting the current line's head
	stSkipLine         // passing over the rest of a line already classified
	stAfterName        // an INSERT's table name is read; a column list may follow
	stValues           // an INSERT's tuples, outside quotes
	stQuoted           // inside a quoted string or identifier of an INSERT
)

// countHead is how much of a line is kept to classify it: enough for
// "INSERT IGNORE INTO" and a 64-character name of 4-byte characters with
// every one doubled, should it be a backtick.
const countHead = 1024

func newSQLCounter() *sqlCounter {
	return &sqlCounter{fp: counts{rows: map[string]int64{}}}
}

// Write counts p; it never fails.
func (c *sqlCounter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		switch c.state {
		case stLine:
			j := bytes.IndexByte(p, '\n')
			seg := p
			if j >= 0 {
				seg = p[:j]
			}
			k := min(countHead-len(c.head), len(seg))
			c.head = append(c.head, seg[:k]...)
			c.noteTail(seg[:k])
			switch {
			case k < len(seg): // a line longer than its head: classified now
				p = c.endLine(p[k:], false)
			case j >= 0:
				p = c.endLine(p[j+1:], true)
			default:
				p = nil
			}
		case stSkipLine:
			j := bytes.IndexByte(p, '\n')
			if j < 0 {
				c.noteTail(p)
				return n, nil
			}
			c.noteTail(p[:j])
			p = p[j+1:]
			c.lineDone()
		default:
			p = c.values(p)
		}
	}
	return n, nil
}

// noteTail keeps the last bytes of the line, which say whether a line
// inside a DELIMITER block ends its statement.
func (c *sqlCounter) noteTail(b []byte) {
	if c.delim == nil {
		return
	}
	const keep = 16
	if len(b) >= keep {
		c.tail = append(c.tail[:0], b[len(b)-keep:]...)
		return
	}
	c.tail = append(c.tail, b...)
	if len(c.tail) > keep {
		c.tail = append(c.tail[:0], c.tail[len(c.tail)-keep:]...)
	}
}

// endLine classifies the line whose head is collected and returns rest, the
// bytes that follow; ended says whether the line ended with the head, so
// that rest starts a new line.
func (c *sqlCounter) endLine(rest []byte, ended bool) []byte {
	h := c.head
	switch {
	case c.delim != nil && c.inStmt: // a statement's later line
	case reDelimiter.Match(h):
		c.delim = nil
		if d := reDelimiter.FindSubmatch(h)[1]; string(d) != ";" {
			c.delim = append([]byte(nil), d...)
		}
		c.tail, c.delimLine = c.tail[:0], true
	case c.delim != nil:
		if m := reDelimObject.FindSubmatch(h); m != nil {
			c.fp.object(string(bytes.ToUpper(m[1])))
		}
	case reInsertHead.Match(h):
		m := reInsertHead.FindSubmatchIndex(h)
		c.table, c.n, c.depth, c.cols = unquoteName(h[m[2]:m[3]]), 0, 0, false
		c.state = stAfterName
		more := h[m[1]:]
		if ended {
			more = append(more, '\n')
		}
		left := c.values(more)
		if c.state != stSkipLine {
			return rest // the statement goes on
		}
		// The statement ended in the head: what is left of the line is
		// passed over, up to the line break appended when it ended.
		if bytes.IndexByte(left, '\n') >= 0 {
			c.lineDone()
		}
		return rest
	case reCreateTable.Match(h):
		c.fp.table(unquoteName(reCreateTable.FindSubmatch(h)[1]))
	case reCreateSequence.Match(h):
		c.fp.sequences++
	case reFinalView.Match(h):
		c.fp.views++
	}
	if ended {
		c.lineDone()
	} else {
		c.state = stSkipLine
	}
	return rest
}

// lineDone starts a new line; inside a DELIMITER block it notes whether the
// line just ended leaves a statement open.
func (c *sqlCounter) lineDone() {
	switch {
	case c.delim == nil || c.delimLine:
		c.inStmt = false
	default:
		t := bytes.TrimRight(c.tail, " \t\r")
		c.inStmt = !bytes.HasSuffix(t, c.delim) && (c.inStmt || len(bytes.TrimSpace(c.head)) > 0)
	}
	c.delimLine = false
	c.state, c.head, c.tail = stLine, c.head[:0], c.tail[:0]
}

// values counts an INSERT's tuples in p and returns what follows its end.
// It is the hot loop: the bulk of a dump passes through it, so its state
// lives in locals while it runs.
func (c *sqlCounter) values(p []byte) []byte {
	i := 0
	if c.state == stAfterName {
		for i < len(p) && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
			i++
		}
		if i == len(p) {
			return nil
		}
		c.cols, c.state = p[i] == '(', stValues
	}
	depth, n, cols := c.depth, c.n, c.cols
	q, esc, quoted := c.quote, c.esc, c.state == stQuoted
	for {
		if quoted {
			if esc {
				if i == len(p) {
					break
				}
				esc = false
				i++
			}
			j := bytes.IndexByte(p[i:], q)
			end := len(p)
			if j >= 0 {
				end = i + j
			}
			// An odd run of backslashes before end escapes it; identifiers
			// know no escapes (a doubled `` reads as two of them).
			k := end
			for q != '`' && k > i && p[k-1] == '\\' {
				k--
			}
			if j < 0 {
				i, esc = end, (end-k)%2 == 1
				break
			}
			i = end + 1
			if (end-k)%2 == 1 {
				continue
			}
			quoted = false
		}
		for i+8 <= len(p) && !mayStop(binary.LittleEndian.Uint64(p[i:])) {
			i += 8
		}
		for i < len(p) && !valueStop[p[i]] {
			i++
		}
		if i == len(p) {
			break
		}
		switch b := p[i]; b {
		case '(':
			if depth == 0 && !cols {
				n++
			}
			depth++
		case ')':
			if depth--; depth == 0 {
				cols = false
			}
		case ';':
			if depth <= 0 {
				c.fp.addRows(c.table, n)
				c.table, c.n, c.depth, c.cols, c.esc = "", 0, 0, false, false
				c.state = stSkipLine
				return p[i+1:]
			}
		default:
			q, quoted = b, true
		}
		i++
	}
	c.depth, c.n, c.cols, c.quote, c.esc = depth, n, cols, q, esc
	c.state = stValues
	if quoted {
		c.state = stQuoted
	}
	return nil
}

var (
	reDelimiter      = regexp.MustCompile(`^DELIMITER\s+(\S+)\s*$`)
	reInsertHead     = regexp.MustCompile("^(?:INSERT(?:\\s+IGNORE)?|REPLACE)\\s+INTO\\s+`((?:[^`]|``)+)`")
	reCreateTable    = regexp.MustCompile("^CREATE\\s+(?:OR\\s+REPLACE\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`((?:[^`]|``)+)`")
	reCreateSequence = regexp.MustCompile("^CREATE\\s+(?:OR\\s+REPLACE\\s+)?SEQUENCE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`")
	reFinalView      = regexp.MustCompile("^/\\*!50001 VIEW\\s+`")
	// reDelimObject matches the first line of a trigger, event or routine as
	// the dump tools write them, e.g. "/*!50003 CREATE*/ /*!50017
	// DEFINER=`u`@`h`*/ /*!50003 TRIGGER ..." or "CREATE DEFINER=`u`@`h`
	// FUNCTION `f`(...".
	reDelimObject = regexp.MustCompile("^(?i)(?:/\\*!\\d+\\s*)?CREATE(?:\\s*\\*/)?\\s+" +
		"(?:(?:/\\*!\\d+\\s*)?DEFINER\\s*=\\s*(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.)*'|[^\\s@*]+)(?:@(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.)*'|[^\\s*]+))?(?:\\s*\\*/)?\\s+)?" +
		"(?:/\\*!\\d+\\s*)?(?:AGGREGATE\\s+)?(TRIGGER|EVENT|FUNCTION|PROCEDURE)\\b")
)

// unquoteName undoes the doubling of backticks in a quoted name.
func unquoteName(b []byte) string {
	return string(bytes.ReplaceAll(b, []byte("``"), []byte("`")))
}
