package s3

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// maxUnsent is the most bytes a connection keeps queued in the kernel that
// it has not sent yet. Without a limit the kernel queues megabytes, so a
// slow upload would seem not to progress (its writes return at once, then
// nothing for a long time) and a stall would be seen late.
const maxUnsent = 64 << 10

// limitUnsent sets TCP_NOTSENT_LOWAT on a new connection, so that a write
// returns only once the data is close to being on the wire: the idle
// timeout then measures the network's progress, not the kernel's buffer.
func limitUnsent(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, maxUnsent)
	})
	if err != nil {
		return err
	}
	_ = serr // an old kernel without the option still works, only less precisely
	return nil
}
