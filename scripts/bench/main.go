// Command bench is GoSQLGuard's backup and restore benchmark suite (make
// bench-suite; docs/performance.md). It fills a MariaDB and a PostgreSQL
// database of a chosen size with deterministic rows, then times, round by
// round, the raw dump, the best CLI pipeline, gzip, gosqlguard backup (local
// storage; local + S3 on a local versitygw), gosqlguard restore and the CLI
// restore, and prints the medians as Markdown.
//
// With -small N (SMALL_DBS=N) it measures instead one `gosqlguard backup`
// of N small databases with concurrency.total 1 against 2, and what each
// backup costs outside its dump (small.go).
//
// It only ever creates and drops databases named gsg_bench_<N>mb (kept for
// later runs of the same size; dropped with -clean), gsg_bench_small_<i>
// (the same) and gsg_bench_scratch_<hex> (restore targets, dropped after
// each restore).
//
// Settings: flags, or the environment variables SIZE_MB, RUNS, ENGINES,
// SMALL_DBS and SMALL_MB.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/config"
)

const (
	engineMariaDB  = "mariadb"
	enginePostgres = "postgres"

	mysqlSocket = "/run/mysqld/mysqld.sock"
	pgSocketDir = "/run/postgresql"
)

type options struct {
	sizeMB     int
	runs       int
	engines    []string
	clean      bool
	s3         bool
	profileDir string
	out        string
	gosqlguard string
	keepWork   bool
	// small > 0 selects the many-small-databases measurement (small.go)
	// instead of the suite: small databases of smallMB each.
	small   int
	smallMB int
	// restoreJobs is the --jobs of the "gosqlguard restore" step.
	restoreJobs int
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "bench: %s=%q is not a whole number\n", name, v)
			os.Exit(2)
		}
		return n
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	var o options
	var engines string
	flag.IntVar(&o.sizeMB, "size", envInt("SIZE_MB", 100), "database size in MB of MariaDB dump ($SIZE_MB)")
	flag.IntVar(&o.runs, "runs", envInt("RUNS", 3), "rounds; every step runs once per round; 0 with -profile: profiles only ($RUNS)")
	flag.StringVar(&engines, "engines", envStr("ENGINES", "mariadb,postgres"), "engines to measure, comma-separated ($ENGINES)")
	flag.BoolVar(&o.clean, "clean", false, "drop every gsg_bench_<N>mb, gsg_bench_small_<i> and gsg_bench_scratch_* database and exit")
	flag.BoolVar(&o.s3, "s3", true, "also back up to local + S3 (a local versitygw)")
	flag.StringVar(&o.profileDir, "profile", os.Getenv("PROFILE_DIR"), "after the rounds, write CPU and allocation profiles of one backup and one restore per engine to this directory ($PROFILE_DIR)")
	flag.StringVar(&o.out, "o", os.Getenv("OUT"), "also write the Markdown report to this file ($OUT)")
	flag.StringVar(&o.gosqlguard, "gosqlguard", "", "gosqlguard binary (default: built from ./cmd/gosqlguard)")
	flag.BoolVar(&o.keepWork, "keep", false, "keep the work directory (backups, configs, logs)")
	flag.IntVar(&o.restoreJobs, "restore-jobs", envInt("RESTORE_JOBS", config.DefaultRestoreJobs()), "--jobs of the gosqlguard restore step; a step with --jobs 1 runs too ($RESTORE_JOBS)")
	flag.IntVar(&o.small, "small", envInt("SMALL_DBS", 0), "instead of the suite: back up this many small databases gsg_bench_small_<i> in one run, concurrency.total 1 against 2, and the per-backup overhead ($SMALL_DBS)")
	flag.IntVar(&o.smallMB, "small-mb", envInt("SMALL_MB", 5), "with -small: size of each small database in MB of MariaDB dump ($SMALL_MB)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	for _, e := range strings.Split(engines, ",") {
		switch e = strings.TrimSpace(e); e {
		case engineMariaDB, enginePostgres:
			o.engines = append(o.engines, e)
		case "":
		default:
			return fmt.Errorf("unknown engine %q (mariadb, postgres)", e)
		}
	}
	if o.sizeMB < 1 || o.runs < 0 || (o.runs == 0 && o.profileDir == "") {
		return errors.New("-size must be at least 1 and -runs at least 1 (or 0 with -profile)")
	}
	if len(o.engines) == 0 {
		return errors.New("no engine to measure")
	}
	if o.small > 0 && (o.smallMB < 1 || o.runs < 1) {
		return errors.New("-small needs -small-mb and -runs of at least 1")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if o.clean {
		return clean(ctx, o.engines)
	}
	if err := checkTools(o); err != nil {
		return err
	}
	b, err := newBench(ctx, o)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run(ctx)
}

// checkTools fails naming every missing tool.
func checkTools(o options) error {
	need := []string{"zstd", "age", "age-keygen", "gzip", "tee", "sha256sum", "go"}
	for _, e := range o.engines {
		if e == engineMariaDB {
			need = append(need, "mariadb", "mariadb-dump")
		} else {
			need = append(need, "psql", "pg_dump", "pg_restore")
		}
	}
	var missing []string
	for _, t := range need {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if _, err := os.Stat(timeBin); err != nil {
		missing = append(missing, timeBin+" (apt-get install time)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing tools: %s", strings.Join(missing, ", "))
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// repoRoot is the directory holding go.mod and cmd/gosqlguard, found upwards
// from the working directory.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "cmd", "gosqlguard")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("run from the repository (no cmd/gosqlguard above the working directory)")
		}
		d = p
	}
}

func seconds(d time.Duration) float64 { return d.Seconds() }
