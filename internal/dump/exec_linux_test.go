package dump

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEnlargePipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	enlargePipe(r)
	sc, _ := r.SyscallConn()
	var size int
	_ = sc.Control(func(fd uintptr) { size, _ = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
	if size != pipeSize {
		t.Logf("pipe size %d, want %d (a limit may apply)", size, pipeSize)
	}
	if size < 64<<10 {
		t.Errorf("pipe size %d", size)
	}
}
