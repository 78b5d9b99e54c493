package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// step is one measured command of an engine.
type step struct {
	name string
	kind string // "raw", "cli", "gzip", "gsg-local", "gsg-s3", "gsg-restore-1", "gsg-restore", "cli-restore"
}

var steps = []step{
	{"raw dump", "raw"},
	{"CLI: dump | zstd -3 -T0 | age | tee | sha256sum", "cli"},
	{"CLI: dump | gzip -6", "gzip"},
	{"gosqlguard backup, local", "gsg-local"},
	{"gosqlguard backup, local + S3", "gsg-s3"},
	{"gosqlguard restore --jobs 1", "gsg-restore-1"},
	{"gosqlguard restore --jobs N", "gsg-restore"},
	{"CLI restore: age -d | zstd -dc | " + "client", "cli-restore"},
}

type bench struct {
	o       options
	root    string
	work    string
	bin     string
	commit  string // of the tree gosqlguard was built from
	recip   string
	key     string
	wrapDir string
	toolLog string
	s3      *s3Server
	dbs     map[string]string // engine -> data database

	// results[engine][kind] holds one usage per round.
	results map[string]map[string][]usage
	// sizes[engine] are the byte sizes of the first round.
	sizes map[string]*sizes
	// s3CPU[engine] is the versitygw CPU of each local + S3 backup.
	s3CPU map[string][]float64
	// round-local state: the backups and files the restores use.
	lastBackup map[string]string
	cliFile    map[string]string
}

type sizes struct {
	raw, stored, cli, gzip int64
}

func newBench(ctx context.Context, o options) (*bench, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "gsg-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{
		o: o, root: root, work: work, dbs: map[string]string{},
		results: map[string]map[string][]usage{}, sizes: map[string]*sizes{}, s3CPU: map[string][]float64{},
		lastBackup: map[string]string{}, cliFile: map[string]string{},
	}
	ok := false
	defer func() {
		if !ok {
			b.close()
		}
	}()
	b.commit = "?"
	b.bin = o.gosqlguard
	if b.bin == "" {
		b.commit = firstLine("git", "-C", root, "describe", "--always", "--dirty")
		b.bin = filepath.Join(work, "gosqlguard")
		fmt.Fprintln(os.Stderr, "building gosqlguard ...")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", b.bin, "./cmd/gosqlguard")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build gosqlguard: %v: %s", err, out)
		}
	}
	b.key = filepath.Join(work, "age-key.txt")
	if out, err := exec.CommandContext(ctx, "age-keygen", "-o", b.key).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("age-keygen: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, "age-keygen", "-y", b.key).Output()
	if err != nil {
		return nil, fmt.Errorf("age-keygen -y: %v", err)
	}
	b.recip = strings.TrimSpace(string(out))
	b.wrapDir = filepath.Join(work, "wrap")
	b.toolLog = filepath.Join(work, "tools.rusage")
	if err := writeWrappers(b.wrapDir, b.toolLog); err != nil {
		return nil, err
	}
	if o.small > 0 {
		if err := b.setupSmall(ctx); err != nil {
			return nil, err
		}
		ok = true
		return b, nil
	}
	for _, e := range o.engines {
		db, err := ensureData(ctx, e, o.sizeMB)
		if err != nil {
			return nil, err
		}
		b.dbs[e] = db
		b.results[e] = map[string][]usage{}
	}
	if o.s3 {
		if b.s3, err = startS3(ctx, filepath.Join(work, "s3")); err != nil {
			return nil, fmt.Errorf("S3 server: %w", err)
		}
	}
	if err := b.writeConfigs(); err != nil {
		return nil, err
	}
	ok = true
	return b, nil
}

func (b *bench) close() {
	if b.s3 != nil {
		b.s3.stop()
	}
	if b.o.keepWork {
		fmt.Fprintln(os.Stderr, "work directory kept:", b.work)
		return
	}
	_ = os.RemoveAll(b.work)
}

// writeConfigs writes local.yaml (local storage) and s3.yaml (local + S3),
// each with its own SQLite catalog: zstd level 3 and age, as documented.
func (b *bench) writeConfigs() error {
	var servers []string
	for _, e := range b.o.engines {
		if e == engineMariaDB {
			servers = append(servers, fmt.Sprintf("  - {name: bench-mariadb, type: mysql, socket: %s, user: root, databases: [%s]}", mysqlSocket, b.dbs[e]))
		} else {
			servers = append(servers, fmt.Sprintf("  - {name: bench-postgres, type: postgres, socket: %s, user: postgres, databases: [%s]}", pgSocketDir, b.dbs[e]))
		}
	}
	common := fmt.Sprintf(`servers:
%s
compression: {codec: zstd, level: 3}
encryption: {recipients: [%q], identity_file: %q}
`, strings.Join(servers, "\n"), b.recip, b.key)
	local := fmt.Sprintf("  - {name: local, type: local, path: %q}\n", filepath.Join(b.work, "backups"))
	if err := os.WriteFile(b.config("local"), []byte(common+
		fmt.Sprintf("catalog: {driver: sqlite, dsn: %q}\nstorages:\n", filepath.Join(b.work, "catalog-local.db"))+local), 0o600); err != nil {
		return err
	}
	if b.s3 == nil {
		return nil
	}
	return os.WriteFile(b.config("s3"), []byte(common+
		fmt.Sprintf("catalog: {driver: sqlite, dsn: %q}\nstorages:\n", filepath.Join(b.work, "catalog-s3.db"))+
		fmt.Sprintf("  - {name: local, type: local, path: %q}\n", filepath.Join(b.work, "backups-s3"))+
		fmt.Sprintf("  - {name: s3, type: s3, endpoint: %q, bucket: %s, region: %s, path_style: true, access_key_id_file: %q, secret_access_key_file: %q}\n",
			b.s3.endpoint, b.s3.bucket, s3Region, b.s3.keyFile, b.s3.secretFile)), 0o600)
}

func (b *bench) config(name string) string { return filepath.Join(b.work, name+".yaml") }

func serverName(engine string) string { return "bench-" + engine }

// dumpStage is the dump with the flags gosqlguard uses.
func dumpStage(engine, db string) stage {
	if engine == engineMariaDB {
		args := append([]string{"mariadb-dump"}, clientArgs(engine)...)
		args = append(args, "--single-transaction", "--quick", "--routines", "--triggers", "--events",
			"--default-character-set=utf8mb4", "--add-drop-table", "--no-tablespaces", "--max-allowed-packet=1G", db)
		return stage{name: "mariadb-dump", args: args}
	}
	args := append([]string{"pg_dump"}, clientArgs(engine)...)
	return stage{name: "pg_dump", args: append(args, "--format=custom", "--compress=0", db)}
}

// restoreClientStage loads a dump into db as gosqlguard's restore does.
func restoreClientStage(engine, db string) stage {
	if engine == engineMariaDB {
		args := append([]string{"mariadb"}, clientArgs(engine)...)
		return stage{name: "mariadb", args: append(args, "--default-character-set=utf8mb4", "--binary-mode", "--max-allowed-packet=1G", "--database="+db)}
	}
	args := append([]string{"pg_restore"}, clientArgs(engine)...)
	return stage{name: "pg_restore", args: append(args, "--no-owner", "--exit-on-error", "--single-transaction", "--dbname="+db)}
}

// gsg runs gosqlguard with the database tools wrapped, and splits its usage
// from theirs.
func (b *bench) gsg(ctx context.Context, args ...string) (usage, string, error) {
	if err := os.Remove(b.toolLog); err != nil && !errors.Is(err, os.ErrNotExist) {
		return usage{}, "", err
	}
	var poller *hwmPoller
	st := stage{name: "gosqlguard", args: append([]string{b.bin}, args...), direct: true,
		env: []string{"PATH=" + b.wrapDir + string(os.PathListSeparator) + os.Getenv("PATH")}}
	u, out, err := runPipeline(ctx, "", []stage{st}, "", func(pid int) { poller = pollHWM(pid) })
	polled := int64(0)
	if poller != nil {
		polled = poller.finish()
	}
	if err != nil {
		return u, out, err
	}
	toolCPU, toolRSS, err := readToolUsage(b.toolLog)
	if err != nil {
		return u, out, err
	}
	u.toolCPU, u.toolRSS = toolCPU, toolRSS
	u.ownCPU = u.cpu - toolCPU
	// gosqlguard's own peak: its VmHWM, sampled every 10 ms until it exits
	// (wait4's would include this program's memory, see runPipeline).
	u.ownRSS = polled
	u.rss = u.ownRSS + toolRSS
	return u, out, nil
}

// runStep runs one step of an engine once.
func (b *bench) runStep(ctx context.Context, round int, engine string, s step) (usage, error) {
	db := b.dbs[engine]
	dump := dumpStage(engine, db)
	file := func(ext string) string { return filepath.Join(b.work, fmt.Sprintf("%s-%d%s", engine, round, ext)) }
	ext := ".sql"
	if engine == enginePostgres {
		ext = ".dump"
	}
	switch s.kind {
	case "raw":
		u, _, err := runPipeline(ctx, "", []stage{dump}, os.DevNull, nil)
		return u, err
	case "cli":
		path := file(ext + ".zst.age")
		u, _, err := runPipeline(ctx, "", []stage{dump,
			{name: "zstd", args: []string{"zstd", "-3", "-T0", "-q", "-c"}},
			{name: "age", args: []string{"age", "-r", b.recip}},
			{name: "tee", args: []string{"tee", path}},
			{name: "sha256sum", args: []string{"sha256sum"}},
		}, "", nil)
		if err == nil {
			b.cliFile[engine] = path
			if fi, err := os.Stat(path); err == nil && round == 1 {
				b.sizesOf(engine).cli = fi.Size()
			}
		}
		return u, err
	case "gzip":
		path := file(ext + ".gz")
		u, _, err := runPipeline(ctx, "", []stage{dump, {name: "gzip", args: []string{"gzip", "-6"}}}, path, nil)
		if err == nil {
			if fi, err := os.Stat(path); err == nil && round == 1 {
				b.sizesOf(engine).gzip = fi.Size()
			}
			_ = os.Remove(path)
		}
		return u, err
	case "gsg-local", "gsg-s3":
		cfg := b.config("local")
		var before float64
		if s.kind == "gsg-s3" {
			cfg = b.config("s3")
			before = b.s3.cpu()
		}
		u, out, err := b.gsg(ctx, "backup", "--config", cfg, "--log-level", "warn", "--server", serverName(engine), "--no-prune")
		if err != nil {
			return u, err
		}
		id, _, _ := strings.Cut(out, "\t")
		if f := strings.Split(strings.TrimSpace(out), "\t"); len(f) < 5 || f[4] != "success" {
			return u, fmt.Errorf("backup did not succeed: %q", out)
		}
		if s.kind == "gsg-s3" {
			b.s3CPU[engine] = append(b.s3CPU[engine], b.s3.cpu()-before)
			b.deleteBackup(ctx, cfg, id)
			return u, nil
		}
		b.lastBackup[engine] = id
		if round == 1 {
			if err := b.readSizes(ctx, engine, id); err != nil {
				return u, err
			}
		}
		return u, nil
	case "gsg-restore-1", "gsg-restore":
		// The same backup twice: on one connection, then on -restore-jobs.
		jobs := 1
		if s.kind == "gsg-restore" {
			jobs = b.o.restoreJobs
		}
		scratch := newScratchName()
		defer dropDB(context.WithoutCancel(ctx), engine, scratch)
		u, _, err := b.gsg(ctx, "restore", b.lastBackup[engine], "--to-database", scratch, "--jobs", strconv.Itoa(jobs),
			"--config", b.config("local"), "--log-level", "warn")
		if s.kind == "gsg-restore" {
			b.deleteBackup(ctx, b.config("local"), b.lastBackup[engine])
		}
		return u, err
	case "cli-restore":
		scratch := newScratchName()
		if err := createDB(ctx, engine, scratch); err != nil {
			return usage{}, err
		}
		defer dropDB(context.WithoutCancel(ctx), engine, scratch)
		u, _, err := runPipeline(ctx, "", []stage{
			{name: "age", args: []string{"age", "-d", "-i", b.key, b.cliFile[engine]}},
			{name: "zstd", args: []string{"zstd", "-dc", "-q"}},
			restoreClientStage(engine, scratch),
		}, os.DevNull, nil)
		_ = os.Remove(b.cliFile[engine])
		return u, err
	}
	return usage{}, fmt.Errorf("unknown step %q", s.kind)
}

func (b *bench) sizesOf(engine string) *sizes {
	if b.sizes[engine] == nil {
		b.sizes[engine] = &sizes{}
	}
	return b.sizes[engine]
}

// readSizes reads the raw and stored size of a backup from `show -o json`.
func (b *bench) readSizes(ctx context.Context, engine, id string) error {
	out, err := exec.CommandContext(ctx, b.bin, "show", id, "-o", "json", "--config", b.config("local")).Output()
	if err != nil {
		return fmt.Errorf("show %s: %v", id, err)
	}
	var v struct {
		Raw    int64 `json:"raw_bytes"`
		Stored int64 `json:"stored_bytes"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("show %s: %v", id, err)
	}
	s := b.sizesOf(engine)
	s.raw, s.stored = v.Raw, v.Stored
	return nil
}

// deleteBackup removes a measured backup from its storages, so that a long
// run does not fill the disk; it is not measured.
func (b *bench) deleteBackup(ctx context.Context, cfg, id string) {
	if id == "" {
		return
	}
	if out, err := exec.CommandContext(ctx, b.bin, "delete", id, "--config", cfg, "--log-level", "error").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "warning: delete %s: %v: %s\n", id, err, out)
	}
}

func (b *bench) run(ctx context.Context) error {
	if b.o.small > 0 {
		return b.runSmall(ctx)
	}
	started := time.Now()
	for round := 1; round <= b.o.runs; round++ {
		for _, e := range b.o.engines {
			for _, s := range steps {
				if s.kind == "gsg-s3" && b.s3 == nil {
					continue
				}
				u, err := b.runStep(ctx, round, e, s)
				if err != nil {
					return fmt.Errorf("round %d, %s, %s: %w", round, e, s.name, err)
				}
				b.results[e][s.kind] = append(b.results[e][s.kind], u)
				fmt.Fprintf(os.Stderr, "round %d/%d %-8s %-50s %6.2f s  cpu %6.2f s  rss %6.1f MiB\n",
					round, b.o.runs, e, stepName(s, e, b.o.restoreJobs), u.wall.Seconds(), u.cpu, mib(u.rss))
			}
		}
	}
	if b.o.runs > 0 {
		report := b.report(started)
		fmt.Print(report)
		if b.o.out != "" {
			if err := os.WriteFile(b.o.out, []byte(report), 0o644); err != nil {
				return err
			}
		}
	}
	if b.o.profileDir != "" {
		return b.profile(ctx)
	}
	return nil
}

// profile writes CPU and allocation profiles of one backup (local storage)
// and one restore per engine, and their `go tool pprof -top` views.
func (b *bench) profile(ctx context.Context) error {
	dir := b.o.profileDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range b.o.engines {
		prof := func(what string) []string {
			base := filepath.Join(dir, fmt.Sprintf("%s-%dmb-%s", e, b.o.sizeMB, what))
			return []string{"--cpuprofile", base + ".cpu.pprof", "--memprofile", base + ".alloc.pprof"}
		}
		u, out, err := b.gsg(ctx, append([]string{"backup", "--config", b.config("local"), "--log-level", "warn", "--server", serverName(e), "--no-prune"}, prof("backup")...)...)
		if err != nil {
			return fmt.Errorf("profiled backup of %s: %w", e, err)
		}
		fmt.Fprintf(os.Stderr, "profiled backup  %-8s %6.2f s, own CPU %.2f s, tool CPU %.2f s\n", e, u.wall.Seconds(), u.ownCPU, u.toolCPU)
		id, _, _ := strings.Cut(out, "\t")
		scratch := newScratchName()
		u, _, err = b.gsg(ctx, append([]string{"restore", id, "--to-database", scratch, "--config", b.config("local"), "--log-level", "warn"}, prof("restore")...)...)
		_ = dropDB(context.WithoutCancel(ctx), e, scratch)
		b.deleteBackup(ctx, b.config("local"), id)
		if err != nil {
			return fmt.Errorf("profiled restore of %s: %w", e, err)
		}
		fmt.Fprintf(os.Stderr, "profiled restore %-8s %6.2f s, own CPU %.2f s, tool CPU %.2f s\n", e, u.wall.Seconds(), u.ownCPU, u.toolCPU)
		for _, what := range []string{"backup", "restore"} {
			base := filepath.Join(dir, fmt.Sprintf("%s-%dmb-%s", e, b.o.sizeMB, what))
			for _, kind := range []string{"cpu", "alloc"} {
				p := base + "." + kind + ".pprof"
				args := []string{"tool", "pprof", "-top", "-nodecount=40"}
				if kind == "alloc" {
					args = append(args, "-sample_index=alloc_space")
				}
				top, err := exec.CommandContext(ctx, "go", append(args, b.bin, p)...).CombinedOutput()
				if err != nil {
					return fmt.Errorf("pprof %s: %v: %s", p, err, top)
				}
				if err := os.WriteFile(base+"."+kind+".top.txt", top, 0o644); err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(os.Stderr, "profiles in %s (go tool pprof -top BINARY FILE; the binary is kept as %s)\n", dir, filepath.Join(dir, "gosqlguard"))
	return copyFile(b.bin, filepath.Join(dir, "gosqlguard"))
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

func stepName(s step, engine string, jobs int) string {
	if s.kind == "gsg-restore" {
		return "gosqlguard restore --jobs " + strconv.Itoa(jobs)
	}
	if s.kind != "cli-restore" {
		return s.name
	}
	if engine == engineMariaDB {
		return "CLI restore: age -d | zstd -dc | mariadb"
	}
	return "CLI restore: age -d | zstd -dc | pg_restore"
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
