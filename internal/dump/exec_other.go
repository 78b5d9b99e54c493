//go:build !linux

package dump

import (
	"os"
	"syscall"
)

// childAttr starts a child in a process group of its own. Outside Linux
// there is no parent-death signal: a child of a process killed with
// SIGKILL runs on until it ends (a clean stop cancels it as on Linux).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// enlargePipe does nothing: only Linux can size a pipe.
func enlargePipe(*os.File) {}
