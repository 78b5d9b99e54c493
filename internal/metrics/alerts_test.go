package metrics

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// The example alert rules shipped with the docs, and their promtool unit tests.
const (
	alertRules     = "../../examples/prometheus-alerts.yml"
	alertRuleTests = "testdata/alerts_test.yml"
	metricsDoc     = "../../docs/metrics.md"
)

// families returns the names of the gosqlguard_ families that a populated
// Metrics exports.
func families(t *testing.T) []string {
	t.Helper()
	m := New()
	populate(m)
	got, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range got {
		if strings.HasPrefix(f.GetName(), namespace+"_") {
			out = append(out, f.GetName())
		}
	}
	return out
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

// The example rules are valid, fire as their unit tests say (an age alert
// for a job that never succeeded among them), and name only series that
// exist.
func TestAlertRules(t *testing.T) {
	exported := families(t)
	for _, n := range mentioned(t, alertRules) {
		if !slices.Contains(exported, n) {
			t.Errorf("%s names %s, which is not exported", alertRules, n)
		}
	}
	promtool := testenv.Tool(t, "promtool")
	for _, args := range [][]string{{"check", "rules", alertRules}, {"test", "rules", alertRuleTests}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
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
