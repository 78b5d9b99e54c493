// Package owner names the process that runs a backup, a drill or a child's
// private files, so that another process can tell whether that work is a
// live one or the leftover of a process that died (killed, host rebooted).
//
// An owner is recorded as two values: a host string ("db1 boot <boot ID>
// start <ticks>", see Owner.Record) and a PID. The owner is known dead when
// the record is of this host and the host rebooted since, or its PID is
// gone, or its PID now belongs to another process (another start time, or
// another program). A record of another host is never proven dead from here.
package owner

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Separators of the recorded host string. Host names hold no spaces.
const (
	bootSep  = " boot "
	startSep = " start "
	nsSep    = " pidns "
)

// procRoot is where the process table is read.
const procRoot = "/proc"

// Owner is one process, as recorded by the work it owns.
type Owner struct {
	Host  string // host name
	Boot  string // the kernel's boot ID; "" where unknown
	Start string // the process's start time, in clock ticks since boot; "" where unknown
	// NS is the process's PID namespace (the inode of /proc/self/ns/pid);
	// "" where unknown. Containers that share a host name (host network)
	// have PIDs of their own: a PID of another namespace says nothing here.
	NS  string
	PID int
}

var self = sync.OnceValue(func() Owner {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return Owner{Host: host, Boot: BootID(), Start: processStart(procRoot, pid), NS: pidNamespace(procRoot), PID: pid}
})

// pidNamespace is the inode number of this process's PID namespace, or ""
// where it cannot be read.
func pidNamespace(procRoot string) string {
	link, err := os.Readlink(filepath.Join(procRoot, "self", "ns", "pid"))
	if err != nil {
		return ""
	}
	n, ok := strings.CutPrefix(link, "pid:[")
	if !ok || !strings.HasSuffix(n, "]") {
		return ""
	}
	return strings.TrimSuffix(n, "]")
}

// Self is this process.
func Self() Owner { return self() }

// Of is process pid of this host, as it would record itself.
func Of(pid int) Owner {
	me := Self()
	return Owner{Host: me.Host, Boot: me.Boot, Start: processStart(procRoot, pid), NS: me.NS, PID: pid}
}

// Record is the host string stored with the PID: the host name, then
// " boot B", " start S" and " pidns N" for what is known, in that order
// ("host boot B start S pidns N").
func (o Owner) Record() string {
	s := o.Host
	if o.Boot != "" {
		s += bootSep + o.Boot
	}
	if o.Start != "" {
		s += startSep + o.Start
	}
	if o.NS != "" {
		s += nsSep + o.NS
	}
	return s
}

// Parse reads a recorded host string and PID back (see Record). Records
// written before PID namespaces were kept have none, older ones no start
// time, yet older ones no boot ID: those are taken for this namespace.
func Parse(record string, pid int) Owner {
	o := Owner{PID: pid}
	rest := record
	if i := strings.LastIndex(rest, nsSep); i >= 0 {
		rest, o.NS = rest[:i], rest[i+len(nsSep):]
	}
	if i := strings.LastIndex(rest, startSep); i >= 0 {
		rest, o.Start = rest[:i], rest[i+len(startSep):]
	}
	o.Host, o.Boot, _ = strings.Cut(rest, bootSep)
	return o
}

// BootID is the kernel's boot ID, or "" where it cannot be read.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Local reports whether o is a process of this host whose PID means the
// same here: of this host, and of this PID namespace where both are known.
func (o Owner) Local() bool {
	me := Self()
	return o.Host == me.Host && (o.NS == "" || me.NS == "" || o.NS == me.NS)
}

// Gone says why o is known to be gone, or "" when it may still run (or is
// of another host, which cannot be told from here).
func (o Owner) Gone() string { return o.gone(procRoot) }

func (o Owner) gone(procRoot string) string {
	me := Self()
	switch {
	case o.Host != me.Host:
		return ""
	case o.Boot != "" && me.Boot != "" && o.Boot != me.Boot:
		return "the host rebooted since"
	case !o.Local():
		return "" // another PID namespace (a container sharing the host name): its PID says nothing here
	case !processExists(o.PID):
		return "its process is gone"
	case o.PID == me.PID && (o.Start == "" || me.Start == "" || o.Start == me.Start):
		return "" // this process
	case o.Start != "" && differentStart(procRoot, o.PID, o.Start):
		return "its process ID now belongs to another process"
	case o.Start == "" && !isGosqlguard(procRoot, o.PID):
		// Only a record without a start time needs the program to tell a
		// reused PID: with one, the same start is the same process, which
		// may be any program using this code (a test binary, a renamed
		// build) and is alive.
		return "its process ID now belongs to another program"
	}
	return ""
}

// differentStart reports whether process pid is known to have started at
// another time than start; false when its start cannot be read.
func differentStart(procRoot string, pid int, start string) bool {
	now := processStart(procRoot, pid)
	return now != "" && now != start
}

// processStart is field 22 of /proc/PID/stat: when the process started, in
// clock ticks since boot; "" where it cannot be read.
func processStart(procRoot string, pid int) string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses itself: count the fields after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	const startField = 22 - 3 // fields 3.. follow the ')'
	if len(f) <= startField {
		return ""
	}
	if _, err := strconv.ParseUint(f[startField], 10, 64); err != nil {
		return ""
	}
	return f[startField]
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
// tell and says yes: live work must never be taken for a leftover.
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
