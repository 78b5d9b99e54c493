package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
	"go.yaml.in/yaml/v3"
)

// The alert rules and the Grafana dashboard shipped in deploy/monitoring
// (docs/monitoring.md). make monitoring-test runs the tests below with
// promtool check rules and promtool test rules.
const (
	monitoringRules     = "../../deploy/monitoring/gosqlguard-rules.yaml"
	monitoringDashboard = "../../deploy/monitoring/gosqlguard-dashboard.json"
)

// scrapeSeries are the series Prometheus adds to every scrape target: an
// expression may name them though no exposition holds them.
var scrapeSeries = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

// expositionFamilies returns the metric families (by their # TYPE lines)
// in the text that GET /metrics serves for a Metrics fed one of every event
// (populate), and which of them are histograms.
func expositionFamilies(t *testing.T) (families, histograms []string) {
	t.Helper()
	body := populatedExposition(t)
	for line := range strings.Lines(body) {
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		families = append(families, f[2])
		if f[3] == "histogram" || f[3] == "summary" {
			histograms = append(histograms, f[2])
		}
	}
	if !slices.Contains(families, "gosqlguard_backup_runs_total") {
		t.Fatalf("exposition lacks gosqlguard_backup_runs_total:\n%s", body)
	}
	return families, histograms
}

// metricNames matches the names an expression selects: a name with a prefix
// of this exporter (or the Go and process collectors), a recording rule's
// name (it has a colon), or any name directly followed by a label matcher. Label names, functions and keywords match
// neither (they carry no such prefix and are not followed by '{').
var metricNames = regexp.MustCompile(`\b(?:(?:gosqlguard|go|process|promhttp)_[a-zA-Z0-9_]*|[a-zA-Z][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+|[a-zA-Z_][a-zA-Z0-9_:]*\s*\{)`)

// promqlNames returns the metric names expr selects, without the label
// matcher braces and without the text of quoted strings and of legend
// templates (a '{{server}}' is no selector).
func promqlNames(expr string) []string {
	expr = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`).ReplaceAllString(expr, `""`)
	var out []string
	for _, m := range metricNames.FindAllString(expr, -1) {
		out = append(out, strings.TrimSpace(strings.TrimSuffix(m, "{")))
	}
	return out
}

// missing returns the names among used that are neither an exposed family
// nor in extra. A histogram's samples (_bucket, _sum, _count) count as their
// family.
func missing(used, families, histograms, extra []string) []string {
	var out []string
	for _, n := range used {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suffix); ok && slices.Contains(histograms, base) {
				n = base
			}
		}
		if slices.Contains(families, n) || slices.Contains(extra, n) || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// ruleExprs returns the expressions of a Prometheus rules file and the names
// its recording rules define.
func ruleExprs(t *testing.T, file string) (exprs, recorded []string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rf struct {
		Groups []struct {
			Rules []struct {
				Record string `yaml:"record"`
				Alert  string `yaml:"alert"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
			if r.Record != "" {
				recorded = append(recorded, r.Record)
			}
		}
	}
	if len(exprs) == 0 {
		t.Fatalf("%s holds no rules", file)
	}
	return exprs, recorded
}

// dashboardExprs returns the PromQL of a Grafana dashboard: each panel
// target's expr (rows' nested panels too) and each query variable's query.
func dashboardExprs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var exprs []string
	var walk func(raw []json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p struct {
				Panels  []json.RawMessage `json:"panels"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			}
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatalf("%s: panel: %v", file, err)
			}
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var s string
			if json.Unmarshal(v.Query, &s) != nil {
				t.Fatalf("%s: variable query %s", file, v.Query)
			}
			q.Query = s
		}
		// label_values(selector, label): the selector is PromQL.
		exprs = append(exprs, q.Query)
	}
	if len(exprs) == 0 {
		t.Fatalf("%s holds no queries", file)
	}
	return exprs
}

// Every metric the shipped rules and dashboard query is one that the daemon
// exports (or one that Prometheus adds to a scrape, or a recording rule of
// the rules file): a renamed or misspelt series fails here instead of
// leaving an alert that can never fire or an empty panel.
func TestMonitoringNamesExportedSeries(t *testing.T) {
	families, histograms := expositionFamilies(t)
	exprs, recorded := ruleExprs(t, monitoringRules)
	extra := append(slices.Clone(scrapeSeries), recorded...)
	check := func(file string, exprs []string) {
		var used []string
		for _, e := range exprs {
			used = append(used, promqlNames(e)...)
		}
		if len(used) == 0 {
			t.Errorf("%s: no metric names found in its queries", file)
		}
		for _, n := range missing(used, families, histograms, extra) {
			t.Errorf("%s queries %s, which the /metrics exposition does not hold", file, n)
		}
	}
	check(monitoringRules, exprs)
	check(monitoringDashboard, dashboardExprs(t, monitoringDashboard))
}

// The extraction finds names in the shapes the files use, and the check
// flags a name the exposition does not hold.
func TestMonitoringNameExtraction(t *testing.T) {
	got := promqlNames(`histogram_quantile(0.95, sum by (le, server) (rate(gosqlguard_backup_duration_seconds_bucket{server=~"$server", type="a{b"}[5m])))` +
		` / on (type) group_left () gosqlguard:backup_max_age_seconds and up{job="x"} or label_values(gosqlguard_backups_running{job=~"$job"}, database)` +
		` + process_start_time_seconds + foo_bar{}`)
	want := []string{"gosqlguard_backup_duration_seconds_bucket", "gosqlguard:backup_max_age_seconds", "up", "gosqlguard_backups_running", "process_start_time_seconds", "foo_bar"}
	if !slices.Equal(got, want) {
		t.Errorf("promqlNames: got %q, want %q", got, want)
	}
	families, histograms := expositionFamilies(t)
	used := []string{"gosqlguard_backup_duration_seconds_bucket", "gosqlguard_restore_duration_seconds_count", "gosqlguard_backups_running_count", "gosqlguard_no_such_series"}
	if m := missing(used, families, histograms, nil); !slices.Equal(m, []string{"gosqlguard_backups_running_count", "gosqlguard_no_such_series"}) {
		t.Errorf("missing: got %q, want the made-up names only", m)
	}
}

// labelValues is a Grafana variable query label_values(selector, label).
var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// The dashboard's queries are valid PromQL: promtool check rules on a rules
// file that records each of them, with Grafana's interval variables set to
// 5m and each variable query's selector taken out of label_values(). The
// promtool is $PROMTOOL (make monitoring-test sets the pinned one) or the
// one on $PATH.
func TestMonitoringDashboardQueriesParse(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		promtool = testenv.Tool(t, "promtool")
	}
	intervals := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "5m", "$__range", "5m")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range dashboardExprs(t, monitoringDashboard) {
		if m := labelValues.FindStringSubmatch(e); m != nil {
			e = m[1]
		}
		q, err := json.Marshal(intervals.Replace(e)) // a JSON string is a YAML string
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, q)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, b.String())
	}
}
