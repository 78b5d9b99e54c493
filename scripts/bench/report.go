package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// agg is a step's figures over the rounds: medians, peak RSS the largest.
type agg struct {
	wall, cpu, ownCPU, toolCPU float64
	rss, ownRSS                int64
	n                          int
}

func aggregate(us []usage) agg {
	var a agg
	var wall, cpu, own, tool []float64
	for _, u := range us {
		wall = append(wall, u.wall.Seconds())
		cpu = append(cpu, u.cpu)
		own = append(own, u.ownCPU)
		tool = append(tool, u.toolCPU)
		a.rss = max(a.rss, u.rss)
		a.ownRSS = max(a.ownRSS, u.ownRSS)
	}
	a.wall, a.cpu, a.ownCPU, a.toolCPU, a.n = median(wall), median(cpu), median(own), median(tool), len(us)
	return a
}

func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return l
}

var versionRE = regexp.MustCompile(`v?[0-9]+\.[0-9]+(\.[0-9]+)?`)

// version is the last version number on the first line of "tool --version"
// (mariadb-dump names its own version before the server's).
func version(tool string) string {
	all := versionRE.FindAllString(firstLine(tool, "--version"), -1)
	if len(all) == 0 {
		return "?"
	}
	return strings.TrimPrefix(all[len(all)-1], "v")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// report renders the results as Markdown.
func (b *bench) report(started time.Time) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("Run %s, SIZE_MB=%d, %d round(s), %d CPU(s) (%s), gosqlguard %s, mariadb-dump %s, pg_dump %s, zstd %s, age %s.\n\n",
		started.UTC().Format("2006-01-02 15:04 MST"), b.o.sizeMB, b.o.runs, runtime.NumCPU(), cpuModel(), b.commit,
		version("mariadb-dump"), version("pg_dump"), version("zstd"), version("age"))
	for _, e := range b.o.engines {
		sz := b.sizesOf(e)
		r := b.results[e]
		raw := aggregate(r["raw"])
		cli := aggregate(r["cli"])
		cliRestore := aggregate(r["cli-restore"])
		title := "MariaDB"
		if e == enginePostgres {
			title = "PostgreSQL"
		}
		p("**%s** (`%s`): raw dump %.1f MiB; gosqlguard stored %.1f MiB (zstd 3 + age), CLI pipeline %.1f MiB, gzip -6 %.1f MiB.\n\n",
			title, b.dbs[e], mib(sz.raw), mib(sz.stored), mib(sz.cli), mib(sz.gzip))
		p("| step | wall s | × raw dump | × CLI | CPU s | gosqlguard own CPU s | own CPU s / 100 MB raw | peak RSS MiB | gosqlguard own peak RSS MiB |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range steps {
			us := r[s.kind]
			if len(us) == 0 {
				continue
			}
			a := aggregate(us)
			restore := strings.Contains(s.kind, "restore")
			vsRaw, vsCLI := "—", "—"
			if !restore && raw.wall > 0 {
				vsRaw = fmt.Sprintf("%.2f", a.wall/raw.wall)
			}
			if base := map[bool]agg{false: cli, true: cliRestore}[restore]; base.wall > 0 {
				vsCLI = fmt.Sprintf("%.2f", a.wall/base.wall)
			}
			own, per100, ownRSS := "", "", ""
			if strings.HasPrefix(s.kind, "gsg") {
				own = fmt.Sprintf("%.2f", a.ownCPU)
				if sz.raw > 0 {
					per100 = fmt.Sprintf("%.2f", a.ownCPU/(float64(sz.raw)/100e6))
				}
				ownRSS = fmt.Sprintf("%.1f", mib(a.ownRSS))
			}
			p("| %s | %.2f | %s | %s | %.2f | %s | %s | %.1f | %s |\n",
				strings.ReplaceAll(stepName(s, e, b.o.restoreJobs), "|", "\\|"), a.wall, vsRaw, vsCLI, a.cpu, own, per100, mib(a.rss), ownRSS)
		}
		if v := b.s3CPU[e]; len(v) > 0 {
			p("\nThe S3 server (versitygw, same machine) used a median %.2f CPU s per local + S3 backup, not counted above.\n", median(v))
		}
		p("\n")
	}
	p(`Wall time and CPU are medians over the rounds, peak RSS the largest. × CLI is against the CLI
pipeline for backups and against the CLI restore for restores. CPU is user + sys of every process
of the step. Peak RSS of a pipeline is the sum of its stages' peaks; for gosqlguard, its own peak
plus that of the database tool it ran. "Own CPU" is gosqlguard's CPU without the dump or restore
tool's; "per 100 MB raw" divides it by the raw dump size in units of 10^8 bytes. The database
server's own work (reading rows for a dump, loading and indexing for a restore) is in no figure.
`)
	return w.String()
}
