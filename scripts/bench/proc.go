package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const timeBin = "/usr/bin/time"

// stage is one process of a pipeline.
type stage struct {
	name string
	args []string
	env  []string // added to the environment
	// direct runs the stage as this process's child; otherwise it runs
	// under /usr/bin/time, which reports its usage (see runPipeline).
	direct bool
}

// usage is what one run of a step cost.
type usage struct {
	wall time.Duration
	// cpu is user+sys of every process of the step, children included.
	cpu float64
	// rss is the sum of the peak RSS (bytes) of the pipeline's stages, each
	// the largest of its process tree's.
	rss int64
	// For gosqlguard steps: its own CPU and peak RSS, and those of the
	// database tools it ran (summed over the tools; peak RSS the largest).
	ownCPU, toolCPU float64
	ownRSS, toolRSS int64
}

func rusageOf(ps *os.ProcessState) (cpu float64, rss int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return cpu, ru.Maxrss * 1024
}

// capBuf keeps the last 8 KiB written to it.
type capBuf struct {
	mu sync.Mutex
	b  []byte
}

func (c *capBuf) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b = append(c.b, p...)
	if len(c.b) > 8<<10 {
		c.b = c.b[len(c.b)-8<<10:]
	}
	return len(p), nil
}

func (c *capBuf) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(string(c.b))
}

// runPipeline runs the stages connected stdout to stdin, the first reading
// stdin ("": /dev/null), the last writing to stdout (a file path; "" keeps
// its output, which is returned). onStart, when set, gets the PID of the
// first stage. Every stage must exit 0.
//
// The peak RSS that wait4 reports for a child started by a Go program
// includes this program's own, as the child starts from this process's
// memory (vfork) before it executes the tool. So each stage that is not
// direct runs under /usr/bin/time, whose small process is the one the tool
// starts from; its report gives the stage's CPU and peak RSS. A direct stage
// reports its CPU from wait4 and no peak RSS.
func runPipeline(ctx context.Context, stdin string, stages []stage, stdout string, onStart func(pid int)) (usage, string, error) {
	var u usage
	cmds := make([]*exec.Cmd, len(stages))
	errs := make([]*capBuf, len(stages))
	reports := make([]string, len(stages))
	var outBuf bytes.Buffer
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
		for _, r := range reports {
			if r != "" {
				os.Remove(r)
			}
		}
	}()
	for i, s := range stages {
		args := s.args
		if !s.direct {
			f, err := os.CreateTemp("", "gsg-bench-rusage-")
			if err != nil {
				return u, "", err
			}
			f.Close()
			reports[i] = f.Name()
			args = append([]string{timeBin, "-f", rusageTag + " %U %S %M", "-o", reports[i]}, args...)
		}
		c := exec.CommandContext(ctx, args[0], args[1:]...)
		c.Env = append(os.Environ(), s.env...)
		errs[i] = &capBuf{}
		c.Stderr = errs[i]
		c.WaitDelay = 5 * time.Second
		cmds[i] = c
	}
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			return u, "", err
		}
		closers = append(closers, f)
		cmds[0].Stdin = f
	}
	if stdout != "" {
		f, err := os.Create(stdout)
		if err != nil {
			return u, "", err
		}
		closers = append(closers, f)
		cmds[len(cmds)-1].Stdout = f
	} else {
		cmds[len(cmds)-1].Stdout = &outBuf
	}
	// Pipes between stages: the kernel moves the bytes, not this process.
	pipeEnds := make([][2]*os.File, len(cmds)-1)
	for i := range pipeEnds {
		r, w, err := os.Pipe()
		if err != nil {
			return u, "", err
		}
		closers = append(closers, r, w)
		pipeEnds[i] = [2]*os.File{r, w}
		cmds[i].Stdout = w
		cmds[i+1].Stdin = r
	}
	start := time.Now()
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			for _, s := range cmds[:i] {
				_ = s.Process.Kill()
				_ = s.Wait()
			}
			return u, "", fmt.Errorf("start %s: %w", stages[i].name, err)
		}
		if i == 0 && onStart != nil {
			onStart(c.Process.Pid)
		}
	}
	// Our copies of the pipe ends must go, or readers never see EOF.
	for _, p := range pipeEnds {
		p[0].Close()
		p[1].Close()
	}
	var failures []string
	for i, c := range cmds {
		err := c.Wait()
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v: %s", stages[i].name, err, errs[i].String()))
		}
		switch {
		case reports[i] != "":
			cpu, rss, err := readToolUsage(reports[i])
			if err != nil {
				return u, "", err
			}
			u.cpu += cpu
			u.rss += rss
		case c.ProcessState != nil:
			cpu, _ := rusageOf(c.ProcessState)
			u.cpu += cpu
		}
	}
	u.wall = time.Since(start)
	if len(failures) > 0 {
		return u, "", fmt.Errorf("%s", strings.Join(failures, "; "))
	}
	return u, outBuf.String(), nil
}

// hwmPoller samples a process's VmHWM (its own peak RSS, children excluded)
// until stopped; the peak of the last sample before it exits is kept.
type hwmPoller struct {
	stop chan struct{}
	done chan struct{}
	peak int64
}

func pollHWM(pid int) *hwmPoller {
	p := &hwmPoller{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		path := "/proc/" + strconv.Itoa(pid) + "/status"
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readHWM(path); v > p.peak {
				p.peak = v
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *hwmPoller) finish() int64 {
	close(p.stop)
	<-p.done
	return p.peak
}

func readHWM(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// wrappedTools are the database tools gosqlguard may run; each gets a
// wrapper that runs the real one under /usr/bin/time, appending its usage to
// a log, so that gosqlguard's own CPU can be told from theirs.
var wrappedTools = []string{"mariadb-dump", "mysqldump", "mariadb", "mysql", "pg_dump", "pg_restore", "psql"}

const rusageTag = "GSGBENCH"

// writeWrappers writes the wrappers into dir, logging to logPath.
func writeWrappers(dir, logPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range wrappedTools {
		real, err := exec.LookPath(t)
		if err != nil {
			continue
		}
		// Fields: user s, sys s, peak RSS KiB, elapsed s (10 ms steps), command line.
		script := fmt.Sprintf("#!/bin/sh\nexec %s -a -o '%s' -f '%s %%U %%S %%M %%e %%C' '%s' \"$@\"\n", timeBin, logPath, rusageTag, real)
		if err := os.WriteFile(dir+"/"+t, []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// readToolUsage sums the CPU seconds of the logged tool runs and returns the
// largest peak RSS.
func readToolUsage(logPath string) (cpu float64, rss int64, err error) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != rusageTag {
			continue
		}
		u, _ := strconv.ParseFloat(f[1], 64)
		s, _ := strconv.ParseFloat(f[2], 64)
		kb, _ := strconv.ParseInt(f[3], 10, 64)
		cpu += u + s
		rss = max(rss, kb*1024)
	}
	return cpu, rss, nil
}

// toolRun is one logged run of a wrapped tool.
type toolRun struct {
	elapsed time.Duration // GNU time's %e: 10 ms steps, rounded down
	args    []string      // the command line, split at blanks
}

// readToolRuns returns the wrapped tools' runs in the order they ended.
func readToolRuns(logPath string) ([]toolRun, error) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var runs []toolRun
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != rusageTag {
			continue
		}
		e, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("tool log: %q: %v", line, err)
		}
		runs = append(runs, toolRun{elapsed: time.Duration(e * float64(time.Second)), args: f[5:]})
	}
	return runs, nil
}

// names reports whether the run's command line names database db, as its
// last argument (mariadb-dump) or as dbname=DB in a connection string
// (pg_dump --dbname=dbname='DB').
func (t toolRun) names(db string) bool {
	for _, a := range t.args {
		a = strings.Trim(a, "'")
		if a == db || strings.HasSuffix(a, "="+db) || strings.HasSuffix(a, "='"+db) {
			return true
		}
	}
	return false
}

// isVersion reports whether the run was a "TOOL --version".
func (t toolRun) isVersion() bool { return len(t.args) == 2 && t.args[1] == "--version" }
