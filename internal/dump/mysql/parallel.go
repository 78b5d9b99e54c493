package mysql

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// A parallel load splits one stored dump, as it streams in, between the
// stock client and several connections of this process:
//
//   - The client (one `mariadb`/`mysql` process, the same flags as a serial
//     load) gets every statement but the table data, in dump order: the
//     session settings, CREATE TABLE, views, triggers, routines, events.
//   - Each INSERT statement goes to one of opts.Jobs connections. Before it
//     runs, its connection runs every session setting (SET) the client got
//     before that INSERT, in the same order: the header's character set,
//     time zone, sql_mode, foreign key and unique checks, and those a dump
//     sets for one table's data (MariaDB's system_versioning_insert_history).
//     The statements of an
//     InnoDB table with a primary key are spread over all of them; those of
//     any other table (row order may then show) stay on one connection, in
//     dump order.
//
// Order is kept where it matters: a table's first INSERT waits until the
// client has run everything before it (its CREATE TABLE), confirmed by a
// marker the client echoes; and every statement that is not table structure
// — a trigger (it would fire on rows still loading), an event, a routine, a
// final view, anything unknown — waits until every INSERT sent before it has
// been applied. LOCK TABLES and UNLOCK TABLES are left out (they would stop
// the other connections); ALTER TABLE ... ENABLE KEYS is left out for InnoDB
// tables (it does nothing there) and runs in its place in the dump, once the
// table's data is in, for the others. The stored object is untouched: it stays one dump
// that the stock client restores alone.

// parallelBudget bounds the bytes of INSERT statements read but not yet
// applied, over all connections. A statement larger than the budget waits
// until nothing else is pending.
const parallelBudget = 64 << 20

// syncPrefix starts the marker the client echoes when it reaches a sync point.
const syncPrefix = "gosqlguard-sync-"

// maxDeadlockRetries is how often an INSERT rolled back by a deadlock (or a
// lock wait timeout) is tried again; the server undid all of it.
const maxDeadlockRetries = 3

var (
	reInsertInto = regexp.MustCompile("^INSERT INTO `((?:[^`]|``){1,64})`[ (]")
	reCreateHead = regexp.MustCompile("^CREATE TABLE `((?:[^`]|``){1,64})` \\(")
	reDropHead   = regexp.MustCompile("^DROP TABLE IF EXISTS `((?:[^`]|``){1,64})`;$")
	reEnableKeys = regexp.MustCompile("^/\\*!40000 ALTER TABLE `((?:[^`]|``){1,64})` ENABLE KEYS \\*/;$")
	reLockTables = regexp.MustCompile("^(?:LOCK TABLES `(?:[^`]|``){1,64}` WRITE|UNLOCK TABLES);$")
	// reSafe starts statements that may run on the client while INSERTs of
	// other tables are still applied: settings of the client's own session,
	// table structure and the stand-ins written for views before the data.
	reSafe = regexp.MustCompile("^(?:/\\*M?![0-9]{5,6} SET |SET |/\\*!40000 ALTER TABLE `(?:[^`]|``){1,64}` DISABLE KEYS \\*/;$|/\\*!50001 DROP VIEW IF EXISTS |/\\*!50001 CREATE VIEW |/\\*M!999999\\\\- enable the sandbox mode \\*/)")
	// reSet matches a one-line session setting, which every data
	// connection runs too before the INSERTs that follow it.
	reSet = regexp.MustCompile("^(?:/\\*M?![0-9]{5,6} )?SET .*;$")
	// reGlobal matches a setting of the server, made once, by the client.
	reGlobal = regexp.MustCompile("(?i)\\bGLOBAL\\b")
)

// tableInfo is what the load knows of a table created by the dump.
type tableInfo struct {
	split bool // InnoDB with a primary key: any connection may load it
	conn  int  // otherwise its connection
}

// insertJob is one INSERT statement for the data connections.
type insertJob struct {
	table string
	stmt  []byte
	conn  int      // -1: any
	sets  [][]byte // the session settings to run before it, in order
}

// parallelLoad is one load of a dump into db on several connections.
type parallelLoad struct {
	d     *Dumper
	db    string
	jobs  int
	ctx   context.Context
	abort context.CancelCauseFunc

	client     *bufio.Writer // to the client's stdin, through definers
	clientDone chan struct{} // closed when the client exited
	clientErr  error         // set before clientDone closes
	markers    chan int
	nextMarker int
	dirty      bool // the client got statements since the last sync

	sets     [][]byte // the session settings the client got so far, in order
	tables   map[string]*tableInfo
	nextConn int

	started  bool
	pool     *sql.DB
	shared   chan insertJob
	own      []chan insertJob
	inflight sync.WaitGroup
	budget   *semaphore.Weighted
	workers  sync.WaitGroup
	pending  map[string]int // INSERTs of a table sent and not yet applied
	mu       sync.Mutex     // guards pending and firstErr
	applied1 *sync.Cond     // on mu: an INSERT was applied or the load failed
	firstErr error
	stmts    int64   // INSERT statements sent to the connections
	applied  []int64 // INSERT statements applied, by connection
}

// loadParallel feeds the dump r into database db, splitting its table data
// over opts.Jobs connections (see parallelLoad). definers sees what the
// client gets, so that a client error's line names its definer.
func (d *Dumper) loadParallel(ctx context.Context, tool, db string, r io.Reader, opts dump.RestoreOptions, definers *definerTracker) error {
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	return d.withOptionFile(func(dir, optFile string) error {
		cmd := d.command(tool, dir, optFile,
			"--default-character-set=utf8mb4", "--binary-mode", "--max-allowed-packet=1G",
			"--loose-skip-print-query-on-error", "--batch", "--skip-column-names", "--unbuffered", "--database="+db)
		pr, pw := io.Pipe()
		cmd.Stdin = pr
		l := &parallelLoad{
			d: d, db: db, jobs: opts.Jobs, ctx: ctx, abort: abort,
			client:     bufio.NewWriterSize(io.MultiWriter(pw, definers), 64<<10),
			clientDone: make(chan struct{}),
			markers:    make(chan int, 16),
			tables:     map[string]*tableInfo{},
			pending:    map[string]int{},
			budget:     semaphore.NewWeighted(parallelBudget),
		}
		l.applied1 = sync.NewCond(&l.mu)
		cmd.Stdout = &markerWriter{markers: l.markers, logger: d.logger}
		go func() {
			stderr, err := cmd.Run(ctx)
			if err == nil && stderr != "" {
				d.logger.Warn("client wrote to stderr", "database", db, "stderr", stderr)
			}
			l.clientErr = err
			if err == nil {
				err = errors.New("client exited")
			}
			pr.CloseWithError(err) // our writes fail instead of blocking
			close(l.clientDone)
		}()
		err := l.run(r)
		if err != nil {
			l.abort(err) // stops the data connections' statements
		} else if ferr := l.client.Flush(); ferr != nil {
			err = l.failure(ferr)
		}
		l.stop()
		if err != nil {
			pw.CloseWithError(err) // the client is stopped, not told the input ended
		} else {
			pw.Close()
		}
		<-l.clientDone
		if err == nil {
			err = l.clientErr
		}
		if err == nil {
			d.logger.Debug("parallel load finished", "database", db, "connections", l.jobs,
				"insert_statements", l.stmts, "applied_by_connection", l.applied)
		}
		return err
	})
}

// run reads the dump and hands out its statements; it returns when all of
// them are applied or the first error.
func (l *parallelLoad) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		line   []byte
		data   *insertJob // the INSERT being read
		delim  bool       // inside DELIMITER ;; ... DELIMITER ;
		open   bool       // a client statement goes on on the next line
		create *bytes.Buffer
		name   string // of the table create is for
	)
	for {
		var err error
		line, err = readLine(br, line[:0])
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		text := bytes.TrimSuffix(line, []byte("\n"))
		switch {
		case data != nil:
			data.stmt = append(data.stmt, line...)
			if endsStatement(text) {
				if err := l.send(data); err != nil {
					return err
				}
				data = nil
			}
			continue
		case delim:
			if string(text) == "DELIMITER ;" {
				delim = false
			}
			if err := l.write(line); err != nil {
				return err
			}
			continue
		case open:
			open = !endsStatement(text)
			if create != nil {
				create.Write(line)
				if !open {
					l.created(name, create.Bytes())
					create = nil
				}
			}
			if err := l.write(line); err != nil {
				return err
			}
			continue
		}
		if m := reInsertInto.FindSubmatch(text); m != nil && l.tables[unquoteName(m[1])] != nil {
			data = &insertJob{table: unquoteName(m[1]), stmt: append([]byte(nil), line...)}
			if endsStatement(text) {
				if err := l.send(data); err != nil {
					return err
				}
				data = nil
			}
			continue
		}
		if reLockTables.Match(text) {
			continue
		}
		if m := reEnableKeys.FindSubmatch(text); m != nil {
			t := l.tables[unquoteName(m[1])]
			if t != nil && t.split {
				continue // InnoDB: no such option, nothing to do
			}
			// MyISAM, Aria: builds the indexes, after the table's data.
			if err := l.waitTable(unquoteName(m[1])); err != nil {
				return err
			}
			if err := l.write(line); err != nil {
				return err
			}
			continue
		}
		trivial := len(text) == 0 || bytes.HasPrefix(text, []byte("--"))
		if reSet.Match(bytes.TrimRight(text, " ")) && !reGlobal.Match(text) {
			l.sets = append(l.sets, bytes.Clone(bytes.TrimRight(text, " ;")))
		}
		m := reCreateHead.FindSubmatch(text)
		if m == nil {
			m = reDropHead.FindSubmatch(text)
		}
		var wait bool
		switch {
		case trivial:
		case m != nil:
			// Table structure: only its own table's data must be in.
			wait = l.busy(unquoteName(m[1]))
		case reSafe.Match(text):
		default:
			wait = true
		}
		if wait {
			if err := l.barrier(); err != nil {
				return err
			}
		}
		if bytes.HasPrefix(text, []byte("DELIMITER ")) {
			delim = string(text) != "DELIMITER ;"
		} else if !trivial {
			open = !endsStatement(text)
			if m := reCreateHead.FindSubmatch(text); m != nil {
				name, create = unquoteName(m[1]), bytes.NewBuffer(append([]byte(nil), line...))
				if !open {
					l.created(name, create.Bytes())
					create = nil
				}
			}
		}
		if err := l.write(line); err != nil {
			return err
		}
	}
	if data != nil {
		return fmt.Errorf("the dump ends inside an INSERT statement into %s", quoteIdent(data.table))
	}
	return l.barrier()
}

// created notes a table the dump creates, and whether its INSERTs may be
// spread over the connections.
func (l *parallelLoad) created(name string, stmt []byte) {
	t := &tableInfo{conn: l.nextConn}
	l.nextConn = (l.nextConn + 1) % l.jobs
	t.split = bytes.Contains(stmt, []byte("\n  PRIMARY KEY (")) && bytes.Contains(stmt, []byte(") ENGINE=InnoDB"))
	l.tables[name] = t
}

// write sends a line to the client.
func (l *parallelLoad) write(line []byte) error {
	l.dirty = true
	if _, err := l.client.Write(line); err != nil {
		return l.failure(err)
	}
	return nil
}

// failure returns the error that ended the load: a data connection's or the
// client's when there is one, else err.
func (l *parallelLoad) failure(err error) error {
	l.mu.Lock()
	first := l.firstErr
	l.mu.Unlock()
	if first != nil {
		return first
	}
	select {
	case <-l.clientDone:
		if l.clientErr != nil {
			return l.clientErr
		}
	default:
	}
	if cause := context.Cause(l.ctx); cause != nil {
		return cause
	}
	return err
}

// sync returns once the client has run every statement written to it.
func (l *parallelLoad) sync() error {
	if !l.dirty {
		return nil
	}
	l.nextMarker++
	if err := l.write([]byte("SELECT '" + syncPrefix + strconv.Itoa(l.nextMarker) + "';\n")); err != nil {
		return err
	}
	if err := l.client.Flush(); err != nil {
		return l.failure(err)
	}
	for {
		select {
		case n := <-l.markers:
			if n == l.nextMarker {
				l.dirty = false
				return nil
			}
		case <-l.clientDone:
			return l.failure(errors.New("the client exited before it reached a sync point"))
		case <-l.ctx.Done():
			return l.failure(l.ctx.Err())
		}
	}
}

// barrier returns once every INSERT sent is applied.
func (l *parallelLoad) barrier() error {
	l.inflight.Wait()
	return l.failure(nil)
}

// waitTable returns once every INSERT into table sent is applied.
func (l *parallelLoad) waitTable(table string) error {
	l.mu.Lock()
	for l.pending[table] > 0 && l.firstErr == nil {
		l.applied1.Wait()
	}
	l.mu.Unlock()
	return l.failure(nil)
}

// busy reports whether INSERTs into table are sent and not yet applied.
func (l *parallelLoad) busy(table string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending[table] > 0
}

// send hands an INSERT to the data connections, after the client has run
// what came before it.
func (l *parallelLoad) send(j *insertJob) error {
	if err := l.sync(); err != nil {
		return err
	}
	if !l.started {
		if err := l.start(); err != nil {
			return err
		}
	}
	j.sets = l.sets
	if t := l.tables[j.table]; !t.split {
		j.conn = t.conn
	} else {
		j.conn = -1
	}
	weight := min(int64(len(j.stmt)), parallelBudget)
	if err := l.budget.Acquire(l.ctx, weight); err != nil {
		return l.failure(err)
	}
	l.mu.Lock()
	l.pending[j.table]++
	l.mu.Unlock()
	l.inflight.Add(1)
	l.stmts++
	ch := l.shared
	if j.conn >= 0 {
		ch = l.own[j.conn]
	}
	select {
	case ch <- *j:
		return nil
	case <-l.ctx.Done():
		l.done(j, weight)
		return l.failure(l.ctx.Err())
	}
}

// done marks a job applied (or given up).
func (l *parallelLoad) done(j *insertJob, weight int64) {
	l.mu.Lock()
	l.pending[j.table]--
	l.applied1.Broadcast()
	l.mu.Unlock()
	l.budget.Release(weight)
	l.inflight.Done()
}

// start opens the data connections and starts their workers.
func (l *parallelLoad) start() error {
	l.started = true
	pool, err := l.d.openDatabase(l.db, l.jobs)
	if err != nil {
		return err
	}
	l.pool = pool
	l.shared = make(chan insertJob)
	l.own = make([]chan insertJob, l.jobs)
	l.applied = make([]int64, l.jobs)
	for i := range l.own {
		l.own[i] = make(chan insertJob, 4)
	}
	for i := range l.jobs {
		conn, err := pool.Conn(l.ctx)
		if err != nil {
			return l.fail(fmt.Errorf("opening data connection: %w", err))
		}
		l.workers.Add(1)
		go l.worker(conn, i)
	}
	return nil
}

// worker applies INSERTs on one connection until stop.
func (l *parallelLoad) worker(conn *sql.Conn, i int) {
	defer l.workers.Done()
	defer conn.Close()
	own := l.own[i]
	sets := 0 // of the session settings, run on this connection
	for {
		var j insertJob
		var ok bool
		select {
		case j, ok = <-own:
		case j, ok = <-l.shared:
		}
		if !ok {
			return
		}
		weight := min(int64(len(j.stmt)), parallelBudget)
		for ; sets < len(j.sets) && l.ctx.Err() == nil; sets++ {
			if _, err := conn.ExecContext(l.ctx, string(j.sets[sets])); err != nil {
				l.fail(fmt.Errorf("setting up a data connection: %w", err))
			}
		}
		if l.ctx.Err() == nil {
			if err := l.apply(conn, j); err != nil {
				l.fail(fmt.Errorf("loading table %s: %w", quoteIdent(j.table), err))
			} else {
				l.applied[i]++ // read after the workers ended
			}
		}
		l.done(&j, weight)
	}
}

// apply runs one INSERT, again when a deadlock rolled it back.
func (l *parallelLoad) apply(conn *sql.Conn, j insertJob) error {
	stmt := string(bytes.TrimRight(j.stmt, "\n ;"))
	for try := 0; ; try++ {
		_, err := conn.ExecContext(l.ctx, stmt)
		if err == nil {
			return nil
		}
		if code, _ := errorCode(err); (code == 1213 || code == 1205) && try < maxDeadlockRetries {
			time.Sleep(time.Duration(try+1) * 50 * time.Millisecond)
			continue
		}
		return err
	}
}

// fail records the first error and stops everything.
func (l *parallelLoad) fail(err error) error {
	l.mu.Lock()
	if l.firstErr == nil {
		l.firstErr = err
	}
	first := l.firstErr
	l.applied1.Broadcast()
	l.mu.Unlock()
	l.abort(first)
	return first
}

// stop ends the workers (after what they hold; nothing once the load is
// aborted) and closes the connections.
func (l *parallelLoad) stop() {
	if l.started {
		// Nothing is sent any more: closing the channels ends the workers
		// once they drained them.
		for _, ch := range l.own {
			close(ch)
		}
		if l.shared != nil {
			close(l.shared)
		}
		l.workers.Wait()
		l.pool.Close()
	}
}

// openDatabase returns a pool of up to conns connections to database db,
// whose statements may be as large as the server's max_allowed_packet.
func (d *Dumper) openDatabase(db string, conns int) (*sql.DB, error) {
	cfg := d.driverConfig()
	cfg.DBName = db
	cfg.MaxAllowedPacket = 0 // the server's
	return d.openPool(cfg, conns)
}

// markerWriter reads the client's standard output for sync markers; any
// other output is logged (a dump has no statement that returns rows).
type markerWriter struct {
	markers chan<- int
	logger  interface {
		Warn(msg string, args ...any)
	}
	line   []byte
	warned bool
}

func (m *markerWriter) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(m.line) < 256 {
				m.line = append(m.line, rest...)
			}
			break
		}
		m.line = append(m.line, rest[:i]...)
		rest = rest[i+1:]
		if n, ok := strings.CutPrefix(string(m.line), syncPrefix); ok {
			if v, err := strconv.Atoi(n); err == nil {
				m.markers <- v
			}
		} else if !m.warned {
			m.warned = true
			out := string(m.line)
			if len(out) > 200 {
				out = out[:200] + "..."
			}
			m.logger.Warn("the client printed output during a restore", "output", out)
		}
		m.line = m.line[:0]
	}
	return len(p), nil
}

// readLine appends the next line of br, with its newline, to buf.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

// endsStatement reports whether a dump line (outside DELIMITER blocks) ends
// a statement: it ends in ";", spaces aside.
func endsStatement(text []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(text, " \r\t"), []byte(";"))
}
