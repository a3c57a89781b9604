package main

import (
	"bytes"
	"fmt"
	"html"
	"time"
)

// series is one panel of the plot.
type series struct {
	title string
	unit  string
	value func(Sample) float64
}

var panels = []series{
	{"RSS", "MB", func(s Sample) float64 { return float64(s.RSS) / (1 << 20) }},
	{"Go heap, live", "MB", func(s Sample) float64 { return float64(s.HeapLive) / (1 << 20) }},
	{"Goroutines", "", func(s Sample) float64 { return float64(s.Goroutines) }},
	{"Open files", "", func(s Sample) float64 { return float64(s.Files) }},
	{"Threads", "", func(s Sample) float64 { return float64(s.Threads) }},
	{"Database", "MB", func(s Sample) float64 { return float64(s.DB) / (1 << 20) }},
	{"WAL", "MB", func(s Sample) float64 { return float64(s.WAL) / (1 << 20) }},
}

// SVG draws each measure against time, one panel under another, with the
// outages of the centre shaded.
func (r *Result) SVG() []byte {
	const (
		width, panelH, left, right, top, gap = 900.0, 120.0, 70.0, 20.0, 30.0, 40.0
	)
	var b bytes.Buffer
	height := top + float64(len(panels))*(panelH+gap)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	var end time.Duration
	if n := len(r.Samples); n > 0 {
		end = r.Samples[n-1].At
	}
	if end <= 0 {
		end = time.Second
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14">Lobbyline soak: %v, %d visits; grey: the centre stopped</text>`+"\n", left, end.Round(time.Second), r.last().Visits)
	x := func(at time.Duration) float64 { return left + (width-left-right)*at.Seconds()/end.Seconds() }
	for i, p := range panels {
		y0 := top + float64(i)*(panelH+gap) + 15
		lo, hi := 0.0, 0.0
		for j, s := range r.Samples {
			v := p.value(s)
			if j == 0 || v > hi {
				hi = v
			}
		}
		if hi <= lo {
			hi = lo + 1
		}
		hi *= 1.1
		y := func(v float64) float64 { return y0 + panelH - panelH*(v-lo)/(hi-lo) }
		for _, o := range r.Outages {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#ddd"/>`+"\n", x(o[0]), y0, x(min(o[1], end))-x(o[0]), panelH)
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", left, y0, width-left-right, panelH)
		label := p.title
		if p.unit != "" {
			label += " (" + p.unit + ")"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f">%s</text>`+"\n", left, y0-4, html.EscapeString(label))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%.4g</text>`+"\n", left-4, y0+10, hi)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">0</text>`+"\n", left-4, y0+panelH)
		b.WriteString(`<polyline fill="none" stroke="#1f5fbf" stroke-width="1.2" points="`)
		for _, s := range r.Samples {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(s.At), y(p.value(s)))
		}
		b.WriteString("\"/>\n")
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%v</text>`+"\n", width-right, height-8, end.Round(time.Second))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">0</text>`+"\n", left, height-8)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func (r *Result) last() Sample {
	if len(r.Samples) == 0 {
		return Sample{}
	}
	return r.Samples[len(r.Samples)-1]
}
