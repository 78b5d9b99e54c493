package metrics

import (
	"testing"
)

// value returns the value of the series of the named gauge or counter whose
// labels are exactly labels, reading the registry without creating series
// (as WithLabelValues would); ok is false when there is no such series.
func value(t *testing.T, m *Metrics, name string, labels map[string]string) (v float64, ok bool) {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			if len(s.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range s.GetLabel() {
				if want, has := labels[l.GetName()]; !has || want != l.GetValue() {
					continue series
				}
			}
			switch {
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue(), true
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue(), true
			}
			t.Fatalf("%s is neither a gauge nor a counter", name)
		}
	}
	return 0, false
}

// job returns the labels of a job, with storage and status when not empty.
func job(server, database, typ, storage, status string) map[string]string {
	l := map[string]string{"server": server, "database": database, "type": typ}
	if storage != "" {
		l["storage"] = storage
	}
	if status != "" {
		l["status"] = status
	}
	return l
}

// countSeries counts the series of the named family.
func countSeries(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
