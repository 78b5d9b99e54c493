package catalog

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

func TestIsUnreachable(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("ERROR: syntax error at or near \"ON\""), false},
		{fmt.Errorf("catalog: get x: %w", ErrNotFound), false},
		{fmt.Errorf("catalog: list: %w", dial), true},
		{fmt.Errorf("catalog: list: failed to connect: %w", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}), true},
		{fmt.Errorf("catalog: update: %w", driver.ErrBadConn), true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
	} {
		if got := IsUnreachable(tc.err); got != tc.want {
			t.Errorf("IsUnreachable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
