package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"lobbyline/queue"
)

// Chart sizes in pixels: below the minimum the axes and legend do not
// fit; the maximum keeps a mistaken size from taking the kiosk's memory.
const (
	minChartWidth  = 320
	minChartHeight = 200
	maxChartSide   = 4000
	chartDPI       = 96
)

var (
	sans         = font.Font{Typeface: "Liberation", Variant: "Sans"}
	waitingColor = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	backlogColor = color.RGBA{R: 0xd9, G: 0x6c, B: 0x06, A: 0xff}
	outageColor  = color.RGBA{R: 0xf6, G: 0xd5, B: 0xd5, A: 0xff}
	drillColor   = color.RGBA{R: 0xd8, G: 0xe4, B: 0xf6, A: 0xff}
	markColor    = color.RGBA{R: 0x80, G: 0x20, B: 0x20, A: 0xff}
	drainedColor = color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
)

// Chart draws the visitors waiting and the backlog (changes not yet at
// the centre) over the incident as a PNG of width × height pixels, with
// the incident's span shaded. Clock times are in time.Local and the text
// in English; ChartWith takes another zone and language.
func Chart(r queue.IncidentReport, width, height int) ([]byte, error) {
	return ChartWith(r, Options{Location: time.Local}, width, height)
}

// ChartIn is Chart with clock times in loc (nil means time.Local).
func ChartIn(r queue.IncidentReport, loc *time.Location, width, height int) ([]byte, error) {
	return ChartWith(r, Options{Location: loc}, width, height)
}

// ChartWith is Chart with clock times in o.Location and its title, axes
// and key in o.Lang.
func ChartWith(r queue.IncidentReport, o Options, width, height int) ([]byte, error) {
	if width < minChartWidth || height < minChartHeight || width > maxChartSide || height > maxChartSide {
		return nil, fmt.Errorf("chart size %d×%d: must be at least %d×%d and at most %d on a side",
			width, height, minChartWidth, minChartHeight, maxChartSide)
	}
	l, err := newLanguage(o.Lang)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	loc := o.location()
	p := plot.New()
	p.Title.Text = l.t("chart.title")
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 11)
		a.Tick.Label.Font = font.From(sans, 10)
	}

	samples := slices.Clone(r.Samples)
	slices.SortStableFunc(samples, func(a, b queue.Sample) int { return a.At.Compare(b.At) })
	var key []legendEntry
	if len(samples) < 2 {
		err = drawNoSamples(p, l, samples, loc)
	} else {
		key, err = drawSamples(p, l, r, samples, loc, width)
	}
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}

	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, width, height))), vgimg.UseDPI(chartDPI))
	p.Draw(drawLegend(draw.New(c), key))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// drawNoSamples says in the middle of an empty chart that there is no
// line to draw.
func drawNoSamples(p *plot.Plot, l language, samples []queue.Sample, loc *time.Location) error {
	p.HideAxes()
	text := l.t("chart.no_samples")
	if len(samples) == 1 {
		s := samples[0]
		text = l.t("chart.one_sample", "At", s.At.In(loc).Format("15:04:05"), "Waiting", s.Waiting, "Backlog", s.Backlog)
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 0, Y: 0}}, Labels: []string{text}})
	if err != nil {
		return err
	}
	labels.TextStyle[0].Font = font.From(sans, 12)
	labels.TextStyle[0].XAlign = draw.XCenter
	labels.TextStyle[0].YAlign = draw.YCenter
	p.Add(labels)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -1, 1, -1, 1
	return nil
}

// legendEntry is one line of the chart's key: a name and what it looks
// like on the chart.
type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// drawLegend draws the key in rows along the bottom of c, below the axes,
// where it cannot cover the data, and returns the rest of c for the plot.
// (plot's own legend is drawn inside the plot area.)
func drawLegend(c draw.Canvas, key []legendEntry) draw.Canvas {
	if len(key) == 0 {
		return c
	}
	var (
		margin = vg.Points(6)
		gap    = vg.Points(14) // between entries in a row
		rowGap = vg.Points(2)
	)
	legends := make([]plot.Legend, len(key))
	widths := make([]vg.Length, len(key))
	for i, e := range key {
		l := plot.NewLegend()
		l.TextStyle.Font = font.From(sans, 10)
		l.Top, l.Left = true, true
		l.Add(e.name, e.thumbs...)
		legends[i], widths[i] = l, l.Rectangle(c).Size().X
	}
	rowH := legends[0].Rectangle(c).Size().Y + rowGap
	// Fill rows left to right; an entry that does not fit starts a row.
	var rows [][]int
	x := margin
	for i, w := range widths {
		if n := len(rows); n == 0 || (x+w > c.Size().X-margin && len(rows[n-1]) > 0) {
			rows, x = append(rows, nil), margin
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], i)
		x += w + gap
	}
	height := rowH*vg.Length(len(rows)) + margin
	for r, row := range rows {
		top := c.Min.Y + height - margin/2 - rowH*vg.Length(r)
		x := c.Min.X + margin
		for _, i := range row {
			legends[i].Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: top - rowH}, Max: vg.Point{X: x + widths[i], Y: top},
			}})
			x += widths[i] + gap
		}
	}
	return draw.Crop(c, 0, 0, height, 0)
}

func drawSamples(p *plot.Plot, lang language, r queue.IncidentReport, samples []queue.Sample, loc *time.Location, width int) ([]legendEntry, error) {
	inc := r.Incident
	waiting := make(plotter.XYs, len(samples))
	backlog := make(plotter.XYs, len(samples))
	top := 1
	for i, s := range samples {
		x := unixX(s.At)
		waiting[i] = plotter.XY{X: x, Y: float64(s.Waiting)}
		backlog[i] = plotter.XY{X: x, Y: float64(s.Backlog)}
		top = max(top, s.Waiting, s.Backlog)
	}
	// A little headroom: the highest value is not drawn on the frame.
	yMax := math.Ceil(float64(top)*1.05) + 1
	var key []legendEntry

	// The incident's span, shaded; while it lasts, up to the last sample
	// or the report, whichever is later.
	start, end := inc.Start, inc.End
	spanName := lang.t("chart.span.outage")
	spanColor := outageColor
	if inc.Drill {
		spanName, spanColor = lang.t("chart.span.drill"), drillColor
	}
	if inc.Open() {
		end = samples[len(samples)-1].At
		if r.MadeAt.After(end) {
			end = r.MadeAt
		}
		spanName = lang.t("chart.span.open", "Span", spanName)
	}
	if !start.IsZero() && end.After(start) {
		span, err := plotter.NewPolygon(plotter.XYs{
			{X: unixX(start), Y: 0}, {X: unixX(end), Y: 0}, {X: unixX(end), Y: yMax}, {X: unixX(start), Y: yMax},
		})
		if err != nil {
			return nil, err
		}
		span.Color = spanColor
		span.LineStyle.Width = 0
		p.Add(span)
		key = append(key, legendEntry{spanName, []plot.Thumbnailer{span}})
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(grid)
	marks := []struct {
		at    time.Time
		color color.Color
		dash  bool
		key   bool // named in the key
	}{
		{at: start, color: markColor},
		{at: inc.End, color: markColor, dash: true},
		{at: inc.DrainedAt, color: drainedColor, dash: true, key: true},
	}
	for _, m := range marks {
		if m.at.IsZero() {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: unixX(m.at), Y: 0}, {X: unixX(m.at), Y: yMax}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = m.color, vg.Points(1)
		if m.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if m.key {
			key = append(key, legendEntry{lang.t("event.drained"), []plot.Thumbnailer{l}})
		}
	}

	for _, s := range []struct {
		xys   plotter.XYs
		name  string
		color color.Color
	}{
		{waiting, lang.t("chart.waiting"), waitingColor},
		{backlog, lang.t("chart.backlog"), backlogColor},
	} {
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep // a sample holds until the next one
		l.Color, l.Width = s.color, vg.Points(2)
		p.Add(l)
		key = append(key, legendEntry{s.name, []plot.Thumbnailer{l}})
	}

	p.Y.Min, p.Y.Max = 0, yMax
	p.Y.Label.Text = lang.t("chart.count")
	p.Y.Tick.Marker = integerTicks{}
	pad := (p.X.Max - p.X.Min) * 0.02
	p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	p.X.Label.Text = lang.t("chart.time", "Zone", zoneName(samples[0].At, loc))
	p.X.Tick.Marker = clockTicks{lang: lang, loc: loc, most: max(2, width/pixelsPerTick)}
	return key, nil
}

// unixX is a time as an x value: seconds since the Unix epoch.
func unixX(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func fromX(x float64) time.Time {
	sec, frac := math.Modf(x)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// zoneName is the zone's abbreviation at t ("CET"), or its name when it
// has none.
func zoneName(t time.Time, loc *time.Location) string {
	name, _ := t.In(loc).Zone()
	if name == "" {
		return loc.String()
	}
	return name
}

// pixelsPerTick keeps the time axis' labels ("Mar 2 09:30") apart.
const pixelsPerTick = 110

// clockTicks marks the time axis at round clock times of loc, with at
// most most labels.
type clockTicks struct {
	lang language
	loc  *time.Location
	most int
}

var tickSteps = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Ticks implements plot.Ticker.
func (c clockTicks) Ticks(lo, hi float64) []plot.Tick {
	from, to := fromX(lo).In(c.loc), fromX(hi).In(c.loc)
	span := to.Sub(from)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if int(span/s) <= c.most {
			step = s
			break
		}
	}
	if int(span/step) > c.most {
		step = (span/(time.Duration(c.most)*24*time.Hour) + 1) * 24 * time.Hour
	}
	label := func(t time.Time) string { return t.Format("15:04") }
	switch {
	case step >= 24*time.Hour:
		label = c.lang.day
	case from.YearDay() != to.YearDay() || from.Year() != to.Year():
		label = func(t time.Time) string { return c.lang.day(t) + t.Format(" 15:04") }
	case step < time.Minute:
		label = func(t time.Time) string { return t.Format("15:04:05") }
	}
	midnight := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, c.loc)
	t := midnight.Add(from.Sub(midnight) / step * step)
	if t.Before(from) {
		t = t.Add(step)
	}
	var ticks []plot.Tick
	for ; !t.After(to); t = t.Add(step) {
		ticks = append(ticks, plot.Tick{Value: unixX(t), Label: label(t)})
		if half := t.Add(step / 2); !half.After(to) {
			ticks = append(ticks, plot.Tick{Value: unixX(half)})
		}
	}
	return ticks
}

// integerTicks are plot's default ticks without fractions: people are
// counted whole.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		}
	}
	return out
}
