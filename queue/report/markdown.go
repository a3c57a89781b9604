package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lobbyline/queue"
)

// mdEscaper keeps text that staff typed from turning into Markdown or raw
// HTML, and from breaking a table row or line.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

// mdWriter writes Markdown, keeping the first error.
type mdWriter struct {
	w   *bufio.Writer
	err error
}

func (m *mdWriter) printf(format string, a ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, a...)
	}
}

func (m *mdWriter) heading(title string) { m.printf("\n## %s\n\n", title) }

// table writes a table; cells are escaped here.
func (m *mdWriter) table(header []string, rows [][]string) {
	m.printf("|")
	for _, h := range header {
		m.printf(" %s |", md(h))
	}
	m.printf("\n|")
	for range header {
		m.printf(" --- |")
	}
	m.printf("\n")
	for _, row := range rows {
		m.printf("|")
		for _, c := range row {
			m.printf(" %s |", md(c))
		}
		m.printf("\n")
	}
}

func (m *mdWriter) facts(l language, fs []fact) {
	rows := make([][]string, len(fs))
	for i, f := range fs {
		rows[i] = []string{f.Label, f.Value}
	}
	m.table([]string{l.t("col.item"), l.t("col.value")}, rows)
}

// header is the translated column names of a table.
func (l language) header(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = l.t(k)
	}
	return out
}

// markdownBold is text key with its argument name set to value in bold, the rest
// escaped for Markdown.
func (l language) markdownBold(key, name, value string) string {
	return strings.Replace(md(l.t(key, name, "\x00")), "\x00", "**"+md(value)+"**", 1)
}

// WriteMarkdown writes the incident report as Markdown for staff and IT,
// in o.Lang.
func WriteMarkdown(w io.Writer, r queue.IncidentReport, o Options) error {
	v, err := buildView(r, o)
	if err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	l := v.Lang
	m := &mdWriter{w: bufio.NewWriter(w)}

	m.printf("# %s\n\n", md(v.Title))
	m.printf("%s\n", md(l.t("report.made", "At", v.MadeAt)))

	m.heading(l.t("heading.summary"))
	m.facts(l, v.Facts)

	m.heading(l.t(either(r.Incident, "heading.lobby.drill", "heading.lobby.outage")))
	m.facts(l, v.Lobby)
	m.printf("\n%s\n", md(l.t("md.chart_note")))

	m.heading(l.t("heading.severity"))
	m.printf("%s\n\n", l.markdownBold("peak.line", "Peak", v.Peak))
	if len(v.Severity) == 0 {
		m.printf("%s\n", md(l.t("severity.no_changes")))
	} else {
		m.table(l.header("col.time", "col.change", "col.by"), eventRows(v.Severity, false))
	}

	m.heading(l.t("heading.estimates"))
	m.printf("%s\n", md(v.EstimateSummary))
	if len(v.Waits) > 0 {
		rows := make([][]string, len(v.Waits))
		for i, w := range v.Waits {
			rows[i] = []string{w.Ticket, w.Service, w.CheckedIn, w.Estimate, w.Waited, w.Diff}
		}
		m.printf("\n")
		m.table(l.header("col.ticket", "col.service", "col.checked_in", "col.estimate", "col.waited", "col.diff"), rows)
	}

	m.heading(l.t("heading.alerts"))
	m.printf("%s\n", md(l.t("alerts.summary", "Conflicts", v.Conflicts, "Hits", v.WatchHits)))
	if len(v.Alerts) > 0 {
		rows := make([][]string, len(v.Alerts))
		for i, a := range v.Alerts {
			rows[i] = []string{a.At, a.Kind, a.Ticket}
		}
		m.printf("\n")
		m.table(l.header("col.time", "col.kind", "col.ticket"), rows)
	}

	m.heading(l.t("heading.checklist"))
	m.printf("%s.\n", md(v.Checklist))
	if len(v.Steps) > 0 {
		rows := make([][]string, len(v.Steps))
		for i, s := range v.Steps {
			done := l.t("step.not_done")
			if s.Done {
				done = l.t("step.done")
			}
			rows[i] = []string{strconv.Itoa(s.N), s.Text, done, s.By, s.At}
		}
		m.printf("\n")
		m.table(append([]string{"#"}, l.header("col.step", "col.done", "col.by", "col.at")...), rows)
	}

	m.heading(l.t("heading.messages"))
	if len(v.Messages) == 0 {
		m.printf("%s\n", md(l.t("messages.none")))
	} else {
		m.table(l.header("col.time", "col.action", "col.by", "col.text"), eventRows(v.Messages, true))
	}

	m.heading(l.t("heading.expected"))
	m.printf("%s\n", md(l.t("expected.last", "At", v.ExpectedBack)))
	if len(v.Expected) > 0 {
		m.printf("\n")
		m.table(l.header("col.time", "col.change", "col.by"), eventRows(v.Expected, false))
	}

	m.heading(l.t("heading.feedback"))
	m.printf("%s\n", md(v.FeedbackSummary))
	if v.HasFeedback {
		rows := make([][]string, len(v.Scores))
		for i, s := range v.Scores {
			rows[i] = []string{strconv.Itoa(s.Score), strconv.Itoa(s.Count), strconv.Itoa(s.Percent) + " %"}
		}
		m.printf("\n")
		m.table(l.header("col.score", "col.answers", "col.share"), rows)
		if v.OtherScores != "" {
			m.printf("\n%s\n", md(v.OtherScores))
		}
	}

	if v.Drill {
		m.heading(l.t("heading.drill_response"))
		m.facts(l, v.Response)
	}

	m.heading(l.t("heading.timeline"))
	if len(v.Timeline) == 0 {
		m.printf("%s\n", md(l.t("timeline.none")))
	} else {
		m.table(l.header("col.time", "col.event", "col.by", "col.details"), eventRows(v.Timeline, true))
	}

	if m.err != nil {
		return fmt.Errorf("write markdown: %w", m.err)
	}
	if err := m.w.Flush(); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// eventRows are events as table rows: time, text and actor, with the
// event's kind after the time when withKind.
func eventRows(es []event, withKind bool) [][]string {
	rows := make([][]string, len(es))
	for i, e := range es {
		if withKind {
			rows[i] = []string{e.At, e.Kind, e.Actor, e.Text}
		} else {
			rows[i] = []string{e.At, e.Text, e.Actor}
		}
	}
	return rows
}
