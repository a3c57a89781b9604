package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

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

// T is the template's lookup: key's text in the report's language, with
// its arguments as name, value pairs.
func (d htmlData) T(key string, args ...any) string { return d.Lang.t(key, args...) }

// LangCode is the report's language, for the page's lang attribute.
func (d htmlData) LangCode() string { return d.Lang.code }

// Either is T of the drill's key or the outage's.
func (d htmlData) Either(drill, outage string) string {
	if d.Drill {
		return d.Lang.t(drill)
	}
	return d.Lang.t(outage)
}

// Strong is text key, escaped, with its argument name set to value in
// bold.
func (d htmlData) Strong(key, name, value string) template.HTML {
	text := template.HTMLEscapeString(d.Lang.t(key, name, "\x00"))
	// Trusted: both parts are escaped here.
	return template.HTML(strings.Replace(text, "\x00", "<strong>"+template.HTMLEscapeString(value)+"</strong>", 1)) // #nosec G203 -- built from escaped text (HTMLEscapeString) or a PNG this program encoded
}

// WriteHTML writes the incident report as one self-contained HTML page:
// styles inline, the chart embedded as a PNG data URL, nothing loaded
// from elsewhere, so it can be mailed, archived and printed. Its text is
// in o.Lang.
func WriteHTML(w io.Writer, r queue.IncidentReport, o Options) error {
	v, err := buildView(r, o)
	if err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	png, err := ChartWith(r, o, htmlChartWidth, htmlChartHeight)
	if err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	d := htmlData{
		view: v,
		// Trusted: the URL is built here from the PNG's base64, which
		// cannot contain anything but its own alphabet.
		ChartURI:      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), // #nosec G203 -- built from escaped text (HTMLEscapeString) or a PNG this program encoded
		ChartWidth:    htmlChartWidth,
		ChartHeight:   htmlChartHeight,
		ChartHasLines: len(r.Samples) >= 2,
	}
	if err := htmlTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}
