package main

// The many-small-databases measurement (-small N): one `gosqlguard backup`
// of N databases of -small-mb MB each, with concurrency {total: 1,
// per_server: 1} against {total: 2, per_server: 2} and against two
// processes at once of half the databases each (what overlapping gives),
// alternating, -runs rounds; and, from the total 1 runs, what each backup
// costs outside its dump tool.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// smallConcurrency are the concurrency.total values compared; per_server is
// the same (one server per run).
var smallConcurrency = []int{1, 2}

func smallDB(i int) string { return fmt.Sprintf("gsg_bench_small_%d", i) }

// smallBackup is one backup of a run, from gosqlguard's JSON log and the
// wrapped dump tool's log.
type smallBackup struct {
	id, db string
	// started: "backup started" (after the catalog row is inserted);
	// dumpStart: "dump starting" (debug; just before the dump tool runs);
	// finished: "backup finished" (after the catalog row is updated).
	started, dumpStart, finished time.Time
	dump                         time.Duration // the dump tool's own wall time
	raw                          int64
}

// smallRun is one `gosqlguard backup` of the small databases.
type smallRun struct {
	engine  string
	total   int
	wall    time.Duration
	backups []smallBackup // in the order they finished
	// versions are the dump tool's "--version" runs (part of prepare).
	versions []time.Duration
	// mostAtOnce is the largest number of backups between their "backup
	// started" and "backup finished" at one instant.
	mostAtOnce int
}

// smallSplit, in place of a concurrency.total, is the reference for what
// overlapping gives: two `gosqlguard backup` processes at once, each with
// total 1 and half the databases (odd and even numbers), each with its own
// catalog and storage directory.
const smallSplit = 0

// smallVariants are measured in this order (reversed every other round).
var smallVariants = append(slices.Clone(smallConcurrency), smallSplit)

func variantName(total int) string {
	if total == smallSplit {
		return "2 processes"
	}
	return fmt.Sprintf("total %d", total)
}

// smallConfigs are the configuration files of a variant, one per process.
func (b *bench) smallConfigs(total int) []string {
	if total == smallSplit {
		return []string{b.config("small-split-a"), b.config("small-split-b")}
	}
	return []string{b.config(fmt.Sprintf("small-total%d", total))}
}

// setupSmall makes (or reuses) the small databases of every engine and
// writes the configurations: one per concurrency, each listing exactly those
// databases, and the two halves of smallSplit; each has its own catalog and
// local storage.
func (b *bench) setupSmall(ctx context.Context) error {
	var dbs []string
	for i := 1; i <= b.o.small; i++ {
		dbs = append(dbs, smallDB(i))
	}
	for _, e := range b.o.engines {
		start := time.Now()
		for _, db := range dbs {
			if err := ensureDB(ctx, e, db, b.o.smallMB); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d databases of %d MB ready in %.1f s\n", e, len(dbs), b.o.smallMB, time.Since(start).Seconds())
	}
	write := func(path, name string, total int, dbs []string) error {
		list := strings.Join(dbs, ", ")
		var servers []string
		for _, e := range b.o.engines {
			if e == engineMariaDB {
				servers = append(servers, fmt.Sprintf("  - {name: bench-mariadb, type: mysql, socket: %s, user: root, databases: [%s]}", mysqlSocket, list))
			} else {
				servers = append(servers, fmt.Sprintf("  - {name: bench-postgres, type: postgres, socket: %s, user: postgres, databases: [%s]}", pgSocketDir, list))
			}
		}
		cfg := fmt.Sprintf(`servers:
%s
compression: {codec: zstd, level: 3}
encryption: {recipients: [%q], identity_file: %q}
concurrency: {total: %d, per_server: %d}
catalog: {driver: sqlite, dsn: %q}
storages:
  - {name: local, type: local, path: %q}
`, strings.Join(servers, "\n"), b.recip, b.key, total, total,
			filepath.Join(b.work, "catalog-small-"+name+".db"), filepath.Join(b.work, "backups-small-"+name))
		return os.WriteFile(path, []byte(cfg), 0o600)
	}
	for _, total := range smallConcurrency {
		if err := write(b.smallConfigs(total)[0], fmt.Sprintf("total%d", total), total, dbs); err != nil {
			return err
		}
	}
	var odd, even []string
	for i, db := range dbs {
		if i%2 == 0 {
			odd = append(odd, db)
		} else {
			even = append(even, db)
		}
	}
	split := b.smallConfigs(smallSplit)
	if err := write(split[0], "split-a", 1, odd); err != nil {
		return err
	}
	return write(split[1], "split-b", 1, even)
}

// smallOnce runs one `gosqlguard backup` of an engine's small databases (two
// at once, each of half of them, for smallSplit); the wall time is until
// the last one exits.
func (b *bench) smallOnce(ctx context.Context, engine string, total, round int) (smallRun, error) {
	r := smallRun{engine: engine, total: total}
	if err := os.Remove(b.toolLog); err != nil && !os.IsNotExist(err) {
		return r, err
	}
	cfgs := b.smallConfigs(total)
	cmds := make([]*exec.Cmd, len(cfgs))
	outs := make([]*bytes.Buffer, len(cfgs))
	logs := make([]string, len(cfgs))
	for i, cfg := range cfgs {
		logs[i] = filepath.Join(b.work, fmt.Sprintf("small-%s-%s-round%d.log", engine, strings.TrimSuffix(filepath.Base(cfg), ".yaml"), round))
		logFile, err := os.Create(logs[i])
		if err != nil {
			return r, err
		}
		defer logFile.Close()
		// Debug level for the "dump starting" line; it adds a few lines per backup.
		cmds[i] = exec.CommandContext(ctx, b.bin, "backup", "--config", cfg, "--log-level", "debug", "--log-format", "json",
			"--server", serverName(engine), "--type", "manual", "--no-prune")
		cmds[i].Env = append(os.Environ(), "PATH="+b.wrapDir+string(os.PathListSeparator)+os.Getenv("PATH"))
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], logFile
	}
	start := time.Now()
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			for _, s := range cmds[:i] {
				_ = s.Process.Kill()
				_ = s.Wait()
			}
			return r, err
		}
	}
	var errs []string
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			errs = append(errs, fmt.Sprintf("gosqlguard backup: %v (log: %s): %s", err, logs[i], strings.TrimSpace(outs[i].String())))
		}
	}
	r.wall = time.Since(start)
	if len(errs) > 0 {
		return r, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	var lines []string
	for i := range cmds {
		lines = append(lines, strings.Split(strings.TrimSpace(outs[i].String()), "\n")...)
		bs, err := parseSmallLog(logs[i])
		if err != nil {
			return r, err
		}
		r.backups = append(r.backups, bs...)
	}
	slices.SortStableFunc(r.backups, func(x, y smallBackup) int { return x.finished.Compare(y.finished) })
	if len(lines) != b.o.small {
		return r, fmt.Errorf("gosqlguard backup printed %d lines, want %d: %q", len(lines), b.o.small, lines)
	}
	for _, l := range lines {
		if f := strings.Split(l, "\t"); len(f) < 5 || f[4] != "success" {
			return r, fmt.Errorf("backup did not succeed: %q", l)
		}
	}
	if len(r.backups) != b.o.small {
		return r, fmt.Errorf("%d finished backups in the logs %q, want %d", len(r.backups), logs, b.o.small)
	}
	runs, err := readToolRuns(b.toolLog)
	if err != nil {
		return r, err
	}
	for _, t := range runs {
		if t.isVersion() {
			r.versions = append(r.versions, t.elapsed)
		}
	}
	for i := range r.backups {
		bk := &r.backups[i]
		n := 0
		for _, t := range runs {
			if !t.isVersion() && t.names(bk.db) {
				bk.dump = t.elapsed
				n++
			}
		}
		if n != 1 {
			return r, fmt.Errorf("%d dump tool runs of %s logged, want 1", n, bk.db)
		}
		if bk.started.IsZero() || bk.dumpStart.IsZero() {
			return r, fmt.Errorf("%q: no backup started or dump starting line for %s", logs, bk.db)
		}
	}
	r.mostAtOnce = mostAtOnce(r.backups)
	return r, nil
}

// parseSmallLog reads the backups of a run from gosqlguard's JSON log, in
// the order they finished.
func parseSmallLog(path string) ([]smallBackup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byDB := map[string]*smallBackup{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec struct {
			Time     time.Time `json:"time"`
			Msg      string    `json:"msg"`
			ID       string    `json:"id"`
			Database string    `json:"database"`
			Raw      int64     `json:"raw_bytes"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Database == "" {
			continue // not a record of ours (progress output, other records)
		}
		bk := byDB[rec.Database]
		if bk == nil {
			bk = &smallBackup{db: rec.Database}
			byDB[rec.Database] = bk
		}
		switch rec.Msg {
		case "backup started":
			bk.id, bk.started = rec.ID, rec.Time
		case "dump starting":
			bk.dumpStart = rec.Time
		case "backup finished":
			bk.finished, bk.raw = rec.Time, rec.Raw
			order = append(order, rec.Database)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []smallBackup
	for _, db := range order {
		out = append(out, *byDB[db])
	}
	return out, nil
}

// mostAtOnce is the largest number of backups running at one instant.
func mostAtOnce(bs []smallBackup) int {
	type ev struct {
		t     time.Time
		delta int
	}
	var evs []ev
	for _, bk := range bs {
		evs = append(evs, ev{bk.started, 1}, ev{bk.finished, -1})
	}
	// An end sorts before a start at the same instant.
	slices.SortFunc(evs, func(a, b ev) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	n, most := 0, 0
	for _, e := range evs {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// perBackup are the parts of one backup of a sequential run, each from the
// previous backup's end: open (the CLI's line for the previous one, the
// catalog insert), prepare (pipeline, server inspection, dump tool
// --version, option file), dump (the tool's own wall time) and close (the
// end of the stream, compression and encryption trailers, object fsync and
// rename, manifest write, catalog update).
type perBackup struct {
	span, open, prepare, dump, close, overhead time.Duration
}

// sequentialParts splits every backup of a sequential run but the first
// (which has no previous end) into its parts.
func sequentialParts(r smallRun) []perBackup {
	var out []perBackup
	for i := 1; i < len(r.backups); i++ {
		prev, bk := r.backups[i-1], r.backups[i]
		p := perBackup{
			span:    bk.finished.Sub(prev.finished),
			open:    bk.started.Sub(prev.finished),
			prepare: bk.dumpStart.Sub(bk.started),
			dump:    bk.dump,
		}
		p.close = bk.finished.Sub(bk.dumpStart) - bk.dump
		p.overhead = p.span - p.dump
		out = append(out, p)
	}
	return out
}

func (b *bench) runSmall(ctx context.Context) error {
	started := time.Now()
	results := map[string]map[int][]smallRun{}
	for _, e := range b.o.engines {
		results[e] = map[int][]smallRun{}
	}
	for round := 1; round <= b.o.runs; round++ {
		order := slices.Clone(smallVariants)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		for _, e := range b.o.engines {
			for _, total := range order {
				r, err := b.smallOnce(ctx, e, total, round)
				if err != nil {
					return fmt.Errorf("round %d, %s, %s: %w", round, e, variantName(total), err)
				}
				results[e][total] = append(results[e][total], r)
				var dumps time.Duration
				for _, bk := range r.backups {
					dumps += bk.dump
				}
				fmt.Fprintf(os.Stderr, "round %d/%d %-8s %-11s: %6.2f s, dump tools %6.2f s in all, at most %d backup(s) at once\n",
					round, b.o.runs, e, variantName(total), r.wall.Seconds(), dumps.Seconds(), r.mostAtOnce)
			}
		}
	}
	report := b.smallReport(started, results)
	fmt.Print(report)
	if b.o.out != "" {
		return os.WriteFile(b.o.out, []byte(report), 0o644)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// p90 is the nearest-rank 90th percentile.
func p90(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*9+9)/10-1]
}

func medianOf(ds []time.Duration) time.Duration {
	v := make([]float64, len(ds))
	for i, d := range ds {
		v[i] = float64(d)
	}
	return time.Duration(median(v))
}

func (b *bench) smallReport(started time.Time, results map[string]map[int][]smallRun) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("Run %s, SMALL_DBS=%d, SMALL_MB=%d, %d round(s), %d CPU(s) (%s), gosqlguard %s, mariadb-dump %s, pg_dump %s.\n\n",
		started.UTC().Format("2006-01-02 15:04 MST"), b.o.small, b.o.smallMB, b.o.runs, runtime.NumCPU(), cpuModel(), b.commit,
		version("mariadb-dump"), version("pg_dump"))
	title := map[string]string{engineMariaDB: "MariaDB", enginePostgres: "PostgreSQL"}

	p("| engine | raw dump per database MiB | wall s, total 1 | wall s, total 2 | speedup, total 2 | wall s, 2 processes × half | speedup, 2 processes | most backups at once, total 1 / total 2 / 2 processes | dump tools' wall s in all, total 1 / total 2 / 2 processes |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, e := range b.o.engines {
		n := len(smallVariants)
		walls := make([][]float64, n)
		dumps := make([][]float64, n)
		most := make([]int, n)
		var raw []float64
		for k, total := range smallVariants {
			for _, r := range results[e][total] {
				walls[k] = append(walls[k], r.wall.Seconds())
				var d time.Duration
				for _, bk := range r.backups {
					d += bk.dump
					raw = append(raw, float64(bk.raw))
				}
				dumps[k] = append(dumps[k], d.Seconds())
				most[k] = max(most[k], r.mostAtOnce)
			}
		}
		w1, w2, ws := median(walls[0]), median(walls[1]), median(walls[2])
		p("| %s | %.1f | %.2f | %.2f | %.2f× | %.2f | %.2f× | %d / %d / %d | %.2f / %.2f / %.2f |\n", title[e], median(raw)/(1<<20),
			w1, w2, w1/w2, ws, w1/ws, most[0], most[1], most[2], median(dumps[0]), median(dumps[1]), median(dumps[2]))
	}
	p("\nPer backup, from the total 1 runs (backups one after another), every backup but the first of each run; medians in ms:\n\n")
	p("| engine | backups | from the previous backup's end to this one's | dump tool | outside the dump tool | of which: open (catalog insert) | prepare (server inspection, tool --version) | of prepare: tool --version | close (stream end, fsync, rename, manifest, catalog update) | outside the dump tool, 90th percentile / largest | run wall − dump tools, ÷ databases | outside the dump under 100 ms? |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, e := range b.o.engines {
		var span, open, prep, dump, cls, over, vers []time.Duration
		var perRun []time.Duration
		for _, r := range results[e][1] {
			for _, x := range sequentialParts(r) {
				span, open, prep, dump, cls, over = append(span, x.span), append(open, x.open), append(prep, x.prepare),
					append(dump, x.dump), append(cls, x.close), append(over, x.overhead)
			}
			vers = append(vers, r.versions...)
			outside := r.wall
			for _, bk := range r.backups {
				outside -= bk.dump
			}
			perRun = append(perRun, outside/time.Duration(len(r.backups)))
		}
		verdict := "yes"
		if medianOf(over) >= 100*time.Millisecond {
			verdict = "**no**"
		}
		p("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f / %.0f | %.0f | %s |\n", title[e], len(over),
			ms(medianOf(span)), ms(medianOf(dump)), ms(medianOf(over)), ms(medianOf(open)), ms(medianOf(prep)), ms(medianOf(vers)),
			ms(medianOf(cls)), ms(p90(over)), ms(slices.Max(over)), ms(medianOf(perRun)), verdict)
	}
	p(`
Wall time is the whole ` + "`gosqlguard backup`" + ` process (for "2 processes", two at once, each
with total 1 and half the databases, until both exit), median over the rounds; the variants
alternate within each round. Speedup is total 1's wall time over the other's. "Most backups at
once" counts backups between their "backup started" and "backup finished" log records. The dump
tool's wall time is GNU time's (10 ms steps, rounded down, so "outside the dump tool" may read up
to 10 ms high) for the tool run through a wrapper; the wrapper's own start (a shell and
/usr/bin/time, a few ms) counts as outside. The parts are medians each, so they need not add up
to "outside the dump tool". "Run wall − dump tools, ÷ databases" also spreads the process's start
and exit over the backups.
`)
	return w.String()
}
