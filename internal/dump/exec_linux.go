package dump

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// childAttr starts a child in a process group of its own that the kernel
// kills (SIGKILL) when this process dies, however it dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// enlargePipe asks for a 1 MiB pipe; failure (old kernel, limits) only costs speed.
func enlargePipe(f *os.File) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = sc.Control(func(fd uintptr) {
		_, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
	})
}
