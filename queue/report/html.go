package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"

	"lobbyline/queue"
)

// The chart's size in the HTML report, in pixels.
const (
	htmlChartWidth  = 960
	htmlChartHeight = 400
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlData is the view with the chart, for the template.
type htmlData struct {
	view
	ChartURI                template.URL
	ChartWidth, ChartHeight int
	ChartHasLines           bool // enough samples for lines, not just a note
}

// WriteHTML writes the incident report as one self-contained HTML page:
// styles inline, the chart embedded as a PNG data URL, nothing loaded
// from elsewhere, so it can be mailed, archived and printed.
func WriteHTML(w io.Writer, r queue.IncidentReport, o Options) error {
	png, err := ChartIn(r, o.location(), htmlChartWidth, htmlChartHeight)
	if err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	d := htmlData{
		view: buildView(r, o),
		// Trusted: the URL is built here from the PNG's base64, which
		// cannot contain anything but its own alphabet.
		ChartURI:      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		ChartWidth:    htmlChartWidth,
		ChartHeight:   htmlChartHeight,
		ChartHasLines: len(r.Samples) >= 2,
	}
	if err := htmlTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}
