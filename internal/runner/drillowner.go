package runner

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// bootSep separates the host name from the boot ID in a drill record's
// Host: "db1 boot 5f0c…". A record of an earlier boot is known dead.
const bootSep = " boot "

// drillHost is what a drill records as its Host: the host name and, where
// the kernel tells it, this boot's ID.
func drillHost() string {
	host, _ := os.Hostname()
	if id := bootID(); id != "" {
		return host + bootSep + id
	}
	return host
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ownerGone says why the process a running drill record names (by Host,
// as drillHost wrote it, and PID) is known to be gone, or "" when it may
// still run, and its drill database must be left alone. A record of another
// host is never proven dead from here.
func ownerGone(recHost string, pid int, procRoot string) string {
	host, boot, _ := strings.Cut(recHost, bootSep)
	thisHost, _ := os.Hostname()
	switch {
	case host != thisHost:
		return ""
	case boot != "" && bootID() != "" && bootID() != boot:
		return "the host rebooted since"
	case !processExists(pid):
		return "its process is gone"
	case !isGosqlguard(procRoot, pid):
		return "its process ID now belongs to another program"
	}
	return ""
}

// processExists reports whether a process with this ID exists on this host.
func processExists(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isGosqlguard reports whether process pid runs this program: its
// executable is ours or has our executable's base name (also when replaced
// by an upgrade since), or its argv[0] has the base name of ours. When
// neither can be read (no procfs, another user's hidden process) it cannot
// tell and says yes: a live drill's database must never be dropped.
func isGosqlguard(procRoot string, pid int) bool {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	known := false
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		known = true
		exe = strings.TrimSuffix(exe, " (deleted)")
		if self, err := os.Executable(); err == nil && (exe == self || filepath.Base(exe) == filepath.Base(self)) {
			return true
		}
	}
	if cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil && len(cmdline) > 0 {
		known = true
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if filepath.Base(string(argv0)) == filepath.Base(os.Args[0]) {
			return true
		}
	}
	return !known
}
