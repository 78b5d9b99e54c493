package runner

import "context"

// ReadWatch follows the reads of stored objects that one verify, restore
// or drill makes, for a progress display. Carried in the context (see
// WithReadWatch), it belongs to one call, so calls that run at once on the
// same Runner each report to their own watch.
type ReadWatch struct {
	// Phase, when set, is called before each pass with what the pass is
	// for: "verify <storage>", "restore", or (a drill, after its restore)
	// "compare", which reads no object. A restore makes at least two
	// passes over the stored object: a full verify, then the restore.
	Phase func(phase string)
	// Progress, when set, is called with the stored bytes of the current
	// pass read so far; it counts up to the backup's StoredBytes.
	Progress func(n int64)
}

type readWatchKey struct{}

// WithReadWatch returns a copy of ctx whose verify, restore and drill calls
// report their reads to w.
func WithReadWatch(ctx context.Context, w ReadWatch) context.Context {
	return context.WithValue(ctx, readWatchKey{}, w)
}

// readWatchOf returns the watch ctx carries (the zero ReadWatch: none).
func readWatchOf(ctx context.Context) ReadWatch {
	w, _ := ctx.Value(readWatchKey{}).(ReadWatch)
	return w
}

// readPhase tells ctx's watch that a pass begins.
func readPhase(ctx context.Context, phase string) {
	if w := readWatchOf(ctx); w.Phase != nil {
		w.Phase(phase)
	}
}
