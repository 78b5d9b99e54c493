package svgchart

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNiceMax(t *testing.T) {
	const MiB, GiB = 1 << 20, 1 << 30
	for _, c := range []struct {
		max       float64
		u         Unit
		top, step float64
	}{
		{0, Bytes, 4, 1},
		{math.NaN(), Bytes, 4, 1},
		{1, Bytes, 1, 1},
		{3, Bytes, 3, 1},
		{-5, Seconds, 1, 0.25},
		{0.09, Seconds, 0.1, 0.025},
		{180 * MiB, Bytes, 200 * MiB, 50 * MiB},
		{3 * GiB, Bytes, 3 * GiB, 1 * GiB},
		{47, Seconds, 60, 20},
		{600, Seconds, 10 * 60, 2.5 * 60},
		{1000, Bytes, 1000, 250},
	} {
		top, step := NiceMax(c.max, c.u)
		if math.Abs(top-c.top) > 1e-6*c.top || math.Abs(step-c.step) > 1e-6*c.step {
			t.Errorf("NiceMax(%v) = %v, %v; want %v, %v", c.max, top, step, c.top, c.step)
		}
		if !(top >= c.max) && c.max > 0 {
			t.Errorf("NiceMax(%v) = %v, below the maximum", c.max, top)
		}
	}
	// Huge values stay finite and cover the maximum.
	for _, m := range []float64{math.MaxInt64, 1e30, math.MaxFloat64 / 10} {
		top, step := NiceMax(m, Bytes)
		if math.IsInf(top, 0) || math.IsNaN(top) || top < m || !(step > 0) {
			t.Errorf("NiceMax(%g) = %g, %g", m, top, step)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v, top float64
		u      Unit
		want   string
	}{
		{0, 200 << 20, Bytes, "0 MiB"},
		{150 << 20, 200 << 20, Bytes, "150 MiB"},
		{1.5 * (1 << 30), 3 << 30, Bytes, "1.5 GiB"},
		{500, 1000, Bytes, "500 B"},
		{12.5, 50, Seconds, "12.5 s"},
		{150, 600, Seconds, "2.5 min"},
		{7200, 3 * 3600, Seconds, "2 h"},
		{0.025, 0.1, Seconds, "0.025 s"},
		{0.075, 0.1, Seconds, "0.075 s"},
	} {
		if got := Format(c.v, c.top, c.u); got != c.want {
			t.Errorf("Format(%v, %v) = %q, want %q", c.v, c.top, got, c.want)
		}
	}
}

func TestScale(t *testing.T) {
	s := Scale{Min: 0, Max: 100, From: 200, To: 0}
	if s.At(0) != 200 || s.At(100) != 0 || s.At(25) != 150 {
		t.Errorf("scale: %v %v %v", s.At(0), s.At(100), s.At(25))
	}
	if d := (Scale{Min: 5, Max: 5, From: 10, To: 20}); d.At(5) != 15 {
		t.Errorf("a degenerate domain maps to %v, want the middle 15", d.At(5))
	}
}

func TestPathBreaksAtGaps(t *testing.T) {
	t0 := time.Unix(1000, 0)
	pts := []Point{{t0, 1}, {t0.Add(time.Second), 2}, {t0.Add(2 * time.Second), math.NaN()}, {t0.Add(3 * time.Second), 3}, {time.Time{}, 9}}
	x := func(t time.Time) float64 { return float64(t.Sub(t0) / time.Second) }
	y := func(v float64) float64 { return v * 10 }
	if got, want := Path(pts, x, y), "M0 10 L1 20 M3 30"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got := Path(nil, x, y); got != "" {
		t.Errorf("empty Path = %q", got)
	}
}

var t0 = time.Date(2026, 11, 1, 2, 30, 0, 0, time.UTC)

func TestChartEmpty(t *testing.T) {
	svg := string(Chart{ID: "c", Title: "Sizes", Desc: "none", Unit: Bytes}.SVG())
	if !strings.Contains(svg, "No data yet") || strings.Contains(svg, "<path") {
		t.Errorf("empty chart: %s", svg)
	}
	if !strings.Contains(svg, `<title id="c-title">Sizes</title>`) || !strings.Contains(svg, `aria-labelledby="c-title c-desc"`) {
		t.Errorf("empty chart lacks its title: %s", svg)
	}
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Errorf("empty chart has NaN or Inf: %s", svg)
	}
}

func TestChartOnePoint(t *testing.T) {
	svg := string(Chart{Unit: Bytes, Series: []Series{{Name: "raw", Points: []Point{{t0, 5 << 20}}}}}.SVG())
	if strings.Contains(svg, "chart-line") {
		t.Errorf("one point drew a line: %s", svg)
	}
	if n := strings.Count(svg, `class="chart-dot"`); n != 1 {
		t.Errorf("%d dots, want 1", n)
	}
	if strings.Contains(svg, "NaN") || !strings.Contains(svg, "6 MiB") {
		t.Errorf("one point: %s", svg)
	}
}

func TestChartFailuresOnly(t *testing.T) {
	c := Chart{Unit: Seconds, Series: []Series{{Name: "duration"}}, Markers: []Marker{
		{T: t0, Kind: Failure, Label: "failed"}, {T: t0.Add(24 * time.Hour), Kind: Failure, Label: "failed"},
	}}
	svg := string(c.SVG())
	if n := strings.Count(svg, "marker-fail"); n != 2 {
		t.Errorf("%d failure markers, want 2", n)
	}
	if strings.Contains(svg, "No data yet") || strings.Contains(svg, "NaN") {
		t.Errorf("failures only: %s", svg)
	}
}

func TestChartEscapesLabels(t *testing.T) {
	evil := `db"><script>alert(1)</script>&`
	c := Chart{ID: `x"y`, Title: evil, Desc: evil, Series: []Series{{Name: evil, Class: `a"b`, Points: []Point{{t0, 1}, {t0.Add(time.Hour), 2}}}},
		Markers: []Marker{{T: t0, Kind: Failure, Label: evil}}}
	svg := string(c.SVG())
	if strings.Contains(svg, "<script") || strings.Contains(svg, `x"y`) || strings.Contains(svg, `a"b`) {
		t.Errorf("unescaped text: %s", svg)
	}
	if !strings.Contains(svg, "&lt;script&gt;") {
		t.Errorf("the label is missing: %s", svg)
	}
	if s := string(Sparkline([]float64{1, 2}, 80, 20, evil)); strings.Contains(s, "<script") {
		t.Errorf("sparkline: unescaped label: %s", s)
	}
}

var coord = regexp.MustCompile(`[MLl ]?(-?[0-9.]+) (-?[0-9.]+)`)

func TestChartHugeValuesStayInside(t *testing.T) {
	c := Chart{Width: 640, Height: 200, Unit: Bytes, Series: []Series{{Name: "raw", Points: []Point{
		{t0, 0}, {t0.Add(time.Hour), math.MaxInt64}, {t0.Add(2 * time.Hour), 1e30}, {t0.Add(3 * time.Hour), math.Inf(1)},
	}}}}
	svg := string(c.SVG())
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") || strings.Contains(svg, "e+") {
		t.Errorf("huge values: %s", svg)
	}
	d := regexp.MustCompile(`class="chart-line" d="([^"]*)"`).FindStringSubmatch(svg)
	if d == nil {
		t.Fatalf("no line: %s", svg)
	}
	for _, m := range coord.FindAllStringSubmatch(d[1], -1) {
		for _, s := range m[1:] {
			var f float64
			if _, err := fmtSscan(s, &f); err != nil || f < 0 || f > 640 {
				t.Errorf("coordinate %q outside the chart (%s)", s, d[1])
			}
		}
	}
}

func TestSparkline(t *testing.T) {
	if s := Sparkline(nil, 80, 20, "x"); s != "" {
		t.Errorf("empty sparkline: %s", s)
	}
	one := string(Sparkline([]float64{5}, 80, 20, "x"))
	if strings.Contains(one, "<path") || !strings.Contains(one, `cy="10"`) {
		t.Errorf("one value: %s", one)
	}
	s := string(Sparkline([]float64{1, 2, math.NaN(), 4}, 80, 20, "sizes"))
	if !strings.Contains(s, `<path d="M2 14 L27.3 10 M78 2"`) {
		t.Errorf("sparkline path: %s", s)
	}
	if !strings.Contains(s, `aria-label="sizes"`) || !strings.Contains(s, `viewBox="0 0 80 20"`) {
		t.Errorf("sparkline: %s", s)
	}
}

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }
