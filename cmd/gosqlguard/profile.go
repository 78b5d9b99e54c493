package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"

	"github.com/spf13/cobra"
)

// Profiling for performance work (docs/performance.md): the hidden global
// flags --cpuprofile FILE and --memprofile FILE write a CPU profile of the
// whole command and an allocation profile (pprof "allocs", all allocations
// since the start, sampled at the runtime's default rate) when it ends, in
// the format `go tool pprof` reads. They change nothing else. Hidden flags
// rather than environment variables, because every GOSQLGUARD_* variable is a
// configuration key.

// profiling is the profile of the command running in this process, if any.
var profiling struct {
	mu       sync.Mutex
	cpu      *os.File // open while the CPU profile runs
	memPath  string
	finalize sync.Once
}

// addProfileFlags registers the hidden --cpuprofile and --memprofile flags on
// root: the profiles start once the command line is parsed and are written
// when the command ends, whether it succeeded or not.
func addProfileFlags(root *cobra.Command) {
	var cpuPath, memPath string
	pf := root.PersistentFlags()
	pf.StringVar(&cpuPath, "cpuprofile", "", "write a CPU profile to this file")
	pf.StringVar(&memPath, "memprofile", "", "write an allocation profile to this file")
	_ = pf.MarkHidden("cpuprofile")
	_ = pf.MarkHidden("memprofile")
	next := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if next != nil {
			if err := next(cmd, args); err != nil {
				return err
			}
		}
		if cpuPath == "" && memPath == "" {
			return nil
		}
		profiling.finalize.Do(func() { cobra.OnFinalize(stopProfiles) })
		return startProfiles(cpuPath, memPath)
	}
}

// startProfiles starts the CPU profile into cpuPath (when set) and records
// memPath for stopProfiles. A file that cannot be created is a usage error.
func startProfiles(cpuPath, memPath string) error {
	profiling.mu.Lock()
	defer profiling.mu.Unlock()
	if profiling.cpu != nil || profiling.memPath != "" {
		return usageError("a profile is already running in this process")
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return usageError("--cpuprofile: %v", err)
		}
		profiling.cpu = f
	}
	profiling.memPath = memPath
	return nil
}

// stopProfiles ends the CPU profile and writes the allocation profile; a
// failure is reported on stderr and does not change the exit code.
func stopProfiles() {
	profiling.mu.Lock()
	defer profiling.mu.Unlock()
	var errs []error
	if f := profiling.cpu; f != nil {
		pprof.StopCPUProfile()
		errs = append(errs, f.Close())
		profiling.cpu = nil
	}
	if path := profiling.memPath; path != "" {
		profiling.memPath = ""
		runtime.GC()
		f, err := os.Create(path)
		if err == nil {
			err = errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "error: writing profile:", err)
	}
}
