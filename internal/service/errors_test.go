package service

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
)

// A catalog whose server does not answer is a dependency that is away
// (503), not a fault of the daemon (500); its details stay in the log.
func TestClassifyUnreachableCatalog(t *testing.T) {
	err := fmt.Errorf("catalog: list: failed to connect to `user=gsg database=cat`: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	if kind, text := Classify(err); kind != Unavailable || text != "" {
		t.Fatalf("Classify = %v, %q; want Unavailable without details", kind, text)
	}
	if kind, _ := Classify(fmt.Errorf("catalog: list: syntax error")); kind != Internal {
		t.Fatalf("Classify of another catalog error = %v, want Internal", kind)
	}
}

// An action that ran and failed is its own kind, with its text for the
// client, whatever else it wraps.
func TestClassifyFailed(t *testing.T) {
	err := fmt.Errorf("%w: restore x: verify: %w", ErrFailed, context.Canceled)
	if kind, text := Classify(err); kind != Failed || text != "restore x: verify: context canceled" {
		t.Fatalf("Classify = %v, %q; want Failed with the text after the sentinel", kind, text)
	}
	if kind, _ := Classify(fmt.Errorf("%w: restore x", context.Canceled)); kind != Canceled {
		t.Fatalf("Classify of a canceled restore = %v, want Canceled", kind)
	}
}
