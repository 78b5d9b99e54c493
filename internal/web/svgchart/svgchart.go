// Package svgchart draws small charts as inline SVG on the server: a time
// series chart with markers (failed runs, anomalies, restore drills) and a
// sparkline. The SVG uses no inline style and no script, so a strict
// Content-Security-Policy allows it; colours come from CSS classes (see the
// UI's stylesheet) with currentColor as the fallback.
//
// Every text that goes into the SVG is escaped here; the result is safe to
// put into an HTML page as is.
package svgchart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit says how axis values are written.
type Unit int

const (
	// Bytes are written in binary units: B, KiB, MiB, GiB, TiB, PiB.
	Bytes Unit = iota
	// Seconds are written as s, min or h.
	Seconds
)

// Point is one value of a series at a time. NaN values are gaps.
type Point struct {
	T time.Time
	V float64
}

// Series is one line of a chart; Class is its CSS class (for its colour).
type Series struct {
	Name   string
	Class  string
	Points []Point
}

// MarkerKind is what a marker shows.
type MarkerKind string

const (
	Failure   MarkerKind = "fail"      // a failed run: a red cross on the time axis
	Anomaly   MarkerKind = "anomaly"   // a size anomaly: a ring on the point
	DrillOK   MarkerKind = "drill-ok"  // a passed restore drill: a diamond at the top
	DrillFail MarkerKind = "drill-bad" // a failed restore drill: a diamond at the top
)

// Marker is an event at time T. V is the value an Anomaly marker rings
// (ignored by the other kinds); Label is its tooltip.
type Marker struct {
	T     time.Time
	V     float64
	Kind  MarkerKind
	Label string
}

// Chart is a line chart over time with one y axis from 0.
type Chart struct {
	ID            string // the id of the <svg> (its <title> and <desc> get suffixed ids)
	Class         string // CSS classes besides "chart"
	Title, Desc   string
	Width, Height int // the viewBox, in user units; 0: 640 × 200
	Unit          Unit
	Series        []Series
	Markers       []Marker
}

// Plot margins, in user units.
const (
	marginLeft   = 74
	marginRight  = 14
	marginTop    = 16
	marginBottom = 34
)

// Scale maps a value domain [Min, Max] onto a pixel range [From, To].
type Scale struct {
	Min, Max float64
	From, To float64
}

// At returns the position of v; a degenerate domain maps to the middle.
func (s Scale) At(v float64) float64 {
	if s.Max <= s.Min {
		return (s.From + s.To) / 2
	}
	return s.From + (v-s.Min)/(s.Max-s.Min)*(s.To-s.From)
}

// NiceMax returns a round upper bound for a y axis from 0 to max, in the
// unit's display unit, and the step of its ticks (2 to 4 steps, each 1, 2,
// 2.5 or 5 times a power of ten of the display unit; never below 1 byte).
// It is at least max; for max ≤ 0 or NaN it is 1 s, or 4 B (the axis of an
// empty chart).
func NiceMax(max float64, u Unit) (top, step float64) {
	div, _ := displayUnit(max, u)
	m := max / div
	if !(m > 0) || math.IsInf(m, 0) {
		if u == Bytes {
			return 4, 1 // no fractions of a byte
		}
		return div, div / 4
	}
	raw := m / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		step = f * mag
		if step*4 >= m*(1-1e-12) {
			break
		}
	}
	if u == Bytes && div == 1 {
		step = math.Max(step, 1) // no fractions of a byte
	}
	top = step * math.Ceil(m/step-1e-9)
	return top * div, step * div
}

// displayUnit is the divisor and name of the unit that writes v best.
func displayUnit(v float64, u Unit) (float64, string) {
	if u == Seconds {
		switch {
		case v >= 2*3600:
			return 3600, "h"
		case v >= 120:
			return 60, "min"
		}
		return 1, "s"
	}
	names := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	div := 1.0
	i := 0
	for v >= 1024*div && i < len(names)-1 {
		div *= 1024
		i++
	}
	return div, names[i]
}

// Format writes v (a tick of an axis whose top is top) in the unit that
// writes top best: "512 MiB", "1.5 GiB", "30 s", "2.5 min".
func Format(v, top float64, u Unit) string {
	div, name := displayUnit(top, u)
	return trimFloat(v/div) + " " + name
}

func trimFloat(f float64) string {
	// Three decimals write every tick NiceMax makes below 1 (0.025, 0.075).
	s := strconv.FormatFloat(f, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// num writes a coordinate with one decimal.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// timeRange is the first and last time among the series and markers.
func (c Chart) timeRange() (lo, hi time.Time, ok bool) {
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if !ok || t.Before(lo) {
			lo = t
		}
		if !ok || t.After(hi) {
			hi = t
		}
		ok = true
	}
	for _, s := range c.Series {
		for _, p := range s.Points {
			see(p.T)
		}
	}
	for _, m := range c.Markers {
		see(m.T)
	}
	return lo, hi, ok
}

// maxValue is the largest finite value, 0 when there is none.
func (c Chart) maxValue() float64 {
	var m float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) && p.V > m {
				m = p.V
			}
		}
	}
	return m
}

// Path is the "d" of a line through the points (M … L …), starting a new
// subpath after each gap (NaN). Points with a zero time are skipped.
func Path(pts []Point, x func(time.Time) float64, y func(float64) float64) string {
	var b strings.Builder
	pen := false
	for _, p := range pts {
		if p.T.IsZero() || math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			pen = false
			continue
		}
		if pen {
			b.WriteString(" L")
		} else {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("M")
		}
		b.WriteString(num(x(p.T)) + " " + num(y(p.V)))
		pen = true
	}
	return b.String()
}

// SVG renders the chart. An empty chart (no point, no marker) is the axes
// with a "No data" note.
func (c Chart) SVG() template.HTML {
	w, h := c.Width, c.Height
	if w <= 0 || h <= 0 {
		w, h = 640, 200
	}
	id := c.ID
	if id == "" {
		id = "chart"
	}
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="%s" id="%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">`,
		esc(strings.TrimSpace("chart "+c.Class)), esc(id), w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(c.Desc))

	left, right := float64(marginLeft), float64(w-marginRight)
	top, bottom := float64(marginTop), float64(h-marginBottom)
	maxV := c.maxValue()
	yTop, yStep := NiceMax(maxV, c.Unit)
	ys := Scale{Min: 0, Max: yTop, From: bottom, To: top}
	lo, hi, hasData := c.timeRange()
	pad := 8.0
	xs := Scale{Min: float64(lo.UnixMilli()), Max: float64(hi.UnixMilli()), From: left + pad, To: right - pad}
	x := func(t time.Time) float64 { return xs.At(float64(t.UnixMilli())) }
	y := func(v float64) float64 { return ys.At(math.Min(math.Max(v, 0), yTop)) }

	// Grid and y ticks.
	b.WriteString(`<g class="chart-grid">`)
	for i := 0; ; i++ {
		v := float64(i) * yStep
		if v > yTop*(1+1e-9) || i > 10 {
			break
		}
		py := ys.At(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(left), num(py), num(right), num(py))
		fmt.Fprintf(&b, `<text class="chart-tick" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`,
			num(left-6), num(py), esc(Format(v, yTop, c.Unit)))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<line class="chart-axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(left), num(bottom), num(right), num(bottom))

	// x labels: the first and last time (and the middle when they differ).
	if hasData {
		labels := []time.Time{lo}
		if hi.Sub(lo) >= time.Minute {
			labels = append(labels, lo.Add(hi.Sub(lo)/2), hi)
		}
		for i, t := range labels {
			anchor := "middle"
			if len(labels) > 1 && i == 0 {
				anchor = "start"
			} else if len(labels) > 1 && i == len(labels)-1 {
				anchor = "end"
			}
			px := x(t)
			if anchor == "start" {
				px = left
			} else if anchor == "end" {
				px = right
			}
			fmt.Fprintf(&b, `<text class="chart-tick" x="%s" y="%s" text-anchor="%s">%s</text>`,
				num(px), num(bottom+18), anchor, esc(timeLabel(t, lo, hi)))
		}
	} else {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle">No data yet</text>`,
			num((left+right)/2), num((top+bottom)/2))
	}

	// Series: the line and a dot per point (one point alone is only a dot).
	for _, s := range c.Series {
		cls := "chart-series " + s.Class
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title>`, esc(strings.TrimSpace(cls)), esc(s.Name))
		if d := Path(s.Points, x, y); strings.Contains(d, "L") {
			fmt.Fprintf(&b, `<path class="chart-line" d="%s" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>`, d)
		}
		for _, p := range s.Points {
			if p.T.IsZero() || math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			fmt.Fprintf(&b, `<circle class="chart-dot" cx="%s" cy="%s" r="2.5" fill="currentColor"/>`, num(x(p.T)), num(y(p.V)))
		}
		b.WriteString(`</g>`)
	}

	// Markers.
	for _, m := range c.Markers {
		if m.T.IsZero() {
			continue
		}
		px := x(m.T)
		title := `<title>` + esc(m.Label) + `</title>`
		switch m.Kind {
		case Failure:
			fmt.Fprintf(&b, `<g class="chart-marker marker-fail">%s<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-dasharray="3 3"/>`+
				`<path d="M%s %sl8 8m0 -8l-8 8" stroke="currentColor" stroke-width="2.5" fill="none"/></g>`,
				title, num(px), num(top), num(px), num(bottom), num(px-4), num(bottom-4))
		case Anomaly:
			fmt.Fprintf(&b, `<g class="chart-marker marker-anomaly">%s<circle cx="%s" cy="%s" r="7" fill="none" stroke="currentColor" stroke-width="2"/></g>`,
				title, num(px), num(y(m.V)))
		case DrillOK, DrillFail:
			fmt.Fprintf(&b, `<g class="chart-marker marker-%s">%s<path d="M%s %sl5 5l-5 5l-5 -5z" fill="currentColor"/></g>`,
				m.Kind, title, num(px), num(top-10))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// timeLabel writes t (UTC) for the x axis: date and time of day when the
// range is under ten days, else the date with its year.
func timeLabel(t, lo, hi time.Time) string {
	t = t.UTC()
	if hi.Sub(lo) < 10*24*time.Hour {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("Jan 2 2006")
}

// Sparkline renders values (oldest first) as a small line, scaled from 0 to
// the largest value, w × h user units. label is its accessible name. Fewer
// than one finite value gives an empty string.
func Sparkline(values []float64, w, h int, label string) template.HTML {
	var pts []Point
	base := time.Unix(0, 0)
	maxV := 0.0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			pts = append(pts, Point{T: base.Add(time.Duration(i+1) * time.Second), V: math.NaN()})
			continue
		}
		maxV = math.Max(maxV, v)
		pts = append(pts, Point{T: base.Add(time.Duration(i+1) * time.Second), V: v})
	}
	finite := 0
	for _, p := range pts {
		if !math.IsNaN(p.V) {
			finite++
		}
	}
	if finite == 0 {
		return ""
	}
	xs := Scale{Min: 1, Max: float64(len(values)), From: 2, To: float64(w) - 2}
	ys := Scale{Min: 0, Max: maxV, From: float64(h) - 2, To: 2}
	if maxV <= 0 {
		ys = Scale{Min: 0, Max: 1, From: float64(h) - 2, To: 2}
	}
	x := func(t time.Time) float64 { return xs.At(float64(t.Sub(base) / time.Second)) }
	y := func(v float64) float64 { return ys.At(math.Max(v, 0)) }
	if finite == 1 {
		// One value has nothing to compare with: a dot on the middle line,
		// level with the row's text, not at the top of the box.
		y = func(float64) float64 { return float64(h) / 2 }
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		w, h, w, h, html.EscapeString(label), html.EscapeString(label))
	if d := Path(pts, x, y); strings.Contains(d, "L") {
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>`, d)
	}
	last := pts[len(pts)-1]
	if !math.IsNaN(last.V) {
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" fill="currentColor"/>`, num(x(last.T)), num(y(last.V)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
