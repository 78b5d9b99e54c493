package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// parseDuration reads the interval of "@every": a duration as
// duration.Parse reads it ("90s", "1d", "1w2d", "1d12h"), without a sign.
func parseDuration(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid duration %q (an interval has no sign)", s)
	}
	return d, nil
}
