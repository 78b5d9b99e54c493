//go:build !linux

package s3

import "syscall"

// limitUnsent does nothing where TCP_NOTSENT_LOWAT is not known: the idle
// timeout then also counts the time the kernel's send buffer takes to drain.
func limitUnsent(_, _ string, _ syscall.RawConn) error { return nil }
