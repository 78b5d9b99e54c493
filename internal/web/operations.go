package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// operationView is a running restore or drill as the dashboard and the
// backup's page show it: what it does, its pass, and how far that pass is.
type operationView struct {
	service.Operation
	// Percent of the current pass read (0..100); -1 when the pass reads
	// nothing or the size is unknown.
	Percent int
	Rate    float64 // bytes per second over the current pass; 0 unknown
	Left    string  // estimate of the pass's time left ("1m5s"); "" unknown
}

// newOperationView works out op's percentage, rate and time left as of now,
// from the bytes its current pass has read since the pass began.
func newOperationView(op service.Operation, now time.Time) operationView {
	v := operationView{Operation: op, Percent: -1}
	if op.TotalBytes <= 0 || (op.Phase != "restore" && !isVerifyPhase(op.Phase)) {
		return v
	}
	v.Percent = int(min(op.ReadBytes*100/op.TotalBytes, 100))
	if op.ReadBytes >= op.TotalBytes {
		return v // all read: what is left (indexes, the swap) has no byte count
	}
	if secs := now.Sub(op.PhaseStartedAt).Seconds(); secs > 0 && op.ReadBytes > 0 {
		v.Rate = float64(op.ReadBytes) / secs
		left, _ := duration.Left(op.ReadBytes, op.TotalBytes, v.Rate)
		v.Left = duration.Format(left)
	}
	return v
}

func isVerifyPhase(p string) bool { return strings.HasPrefix(p, "verify ") }

// What says what the operation does: "Restore into shop_copy", "Drill on pg-main".
func (v operationView) What() string {
	if v.Kind == "drill" {
		return "Restore drill on " + v.Target
	}
	return "Restore into " + v.Target
}

// Step says which pass runs, in words.
func (v operationView) Step() string {
	switch {
	case v.Phase == "queued":
		return "waiting for a free drill slot"
	case v.Phase == "":
		return "checking the target"
	case isVerifyPhase(v.Phase):
		return "verifying the copy in " + strings.TrimPrefix(v.Phase, "verify ")
	case v.Phase == "restore" && v.TotalBytes > 0 && v.ReadBytes >= v.TotalBytes:
		return "restoring: all data read, finishing (indexes, constraints, swap)"
	case v.Phase == "restore":
		return "restoring"
	case v.Phase == "compare":
		return "comparing with the backup's fingerprint"
	}
	return v.Phase
}

// Done is the progress of the current pass in words: "42% of 1.2 GiB,
// ~1m5s left"; "" when the pass reads no data.
func (v operationView) Done() string {
	if v.Percent < 0 {
		return ""
	}
	if v.ReadBytes >= v.TotalBytes {
		return "all of " + humanBytes(v.TotalBytes) + " read"
	}
	s := fmt.Sprintf("%d%% of %s", v.Percent, humanBytes(v.TotalBytes))
	if v.Left != "" {
		s += ", ~" + v.Left + " left"
	}
	return s
}

// operationViews returns the views of ops as of now.
func operationViews(ops []service.Operation, now time.Time) []operationView {
	out := make([]operationView, len(ops))
	for i, op := range ops {
		out[i] = newOperationView(op, now)
	}
	return out
}
