package metrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// metricsDoc describes every series.
const metricsDoc = "../../docs/metrics.md"

// families returns the names of the gosqlguard_ families that a populated
// Metrics exports.
func families(t *testing.T) []string {
	t.Helper()
	all, _ := expositionFamilies(t)
	return slices.DeleteFunc(all, func(n string) bool { return !strings.HasPrefix(n, namespace+"_") })
}

var seriesName = regexp.MustCompile(`\bgosqlguard_[a-z_]+`)

// mentioned returns the gosqlguard_ names in file, histogram suffixes cut.
func mentioned(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range seriesName.FindAllString(string(b), -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suffix); ok && strings.HasSuffix(base, "_seconds") {
				n = base
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// docs/metrics.md describes every exported series, and names no other.
func TestMetricsDocListsEverySeries(t *testing.T) {
	exported := families(t)
	documented := mentioned(t, metricsDoc)
	for _, n := range exported {
		if !slices.Contains(documented, n) {
			t.Errorf("%s does not describe %s", metricsDoc, n)
		}
	}
	for _, n := range documented {
		if !slices.Contains(exported, n) {
			t.Errorf("%s names %s, which is not exported", metricsDoc, n)
		}
	}
}
