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

func (m *mdWriter) facts(fs []fact) {
	rows := make([][]string, len(fs))
	for i, f := range fs {
		rows[i] = []string{f.Label, f.Value}
	}
	m.table([]string{"Item", "Value"}, rows)
}

// WriteMarkdown writes the incident report as Markdown for staff and IT.
func WriteMarkdown(w io.Writer, r queue.IncidentReport, o Options) error {
	v := buildView(r, o)
	m := &mdWriter{w: bufio.NewWriter(w)}

	m.printf("# %s\n\n", md(v.Title))
	m.printf("Report made %s. Times in the tables are in the same time zone; those on another day than the start show their date.\n", md(v.MadeAt))

	m.heading("Summary")
	m.facts(v.Facts)

	m.heading("The lobby during the " + strings.ToLower(v.KindName))
	m.facts(v.Lobby)
	m.printf("\nThe HTML report has a chart of the line and the backlog over time.\n")

	m.heading("Severity")
	m.printf("Peak severity: **%s**.\n\n", md(v.Peak))
	if len(v.Severity) == 0 {
		m.printf("No severity changes recorded.\n")
	} else {
		m.table([]string{"Time", "Change", "By"}, eventRows(v.Severity, false))
	}

	m.heading("Estimates against actual waits")
	m.printf("%s\n", md(v.EstimateSummary))
	if len(v.Waits) > 0 {
		rows := make([][]string, len(v.Waits))
		for i, w := range v.Waits {
			rows[i] = []string{w.Ticket, w.Service, w.CheckedIn, w.Estimate, w.Waited, w.Diff}
		}
		m.printf("\n")
		m.table([]string{"Ticket", "Service", "Checked in", "Estimate", "Waited", "Waited − estimate"}, rows)
	}

	m.heading("Conflicts and watch-list hits")
	m.printf("Conflicts flagged: %d. Watch-list hits: %d. Alert texts are left out because they can name visitors.\n",
		v.Conflicts, v.WatchHits)
	if len(v.Alerts) > 0 {
		rows := make([][]string, len(v.Alerts))
		for i, a := range v.Alerts {
			rows[i] = []string{a.At, a.Kind, a.Ticket}
		}
		m.printf("\n")
		m.table([]string{"Time", "Kind", "Ticket"}, rows)
	}

	m.heading("Checklist")
	m.printf("%d of %d steps done.\n", v.StepsDone, v.StepsTotal)
	if len(v.Steps) > 0 {
		rows := make([][]string, len(v.Steps))
		for i, s := range v.Steps {
			done := "not done"
			if s.Done {
				done = "done"
			}
			rows[i] = []string{strconv.Itoa(s.N), s.Text, done, s.By, s.At}
		}
		m.printf("\n")
		m.table([]string{"#", "Step", "Done", "By", "At"}, rows)
	}

	m.heading("Messages to the lobby")
	if len(v.Messages) == 0 {
		m.printf("No message was published.\n")
	} else {
		m.table([]string{"Time", "Action", "By", "Text"}, eventRows(v.Messages, true))
	}

	m.heading("Expected time back")
	m.printf("Last set: %s.\n", md(v.ExpectedBack))
	if len(v.Expected) > 0 {
		m.printf("\n")
		m.table([]string{"Time", "Change", "By"}, eventRows(v.Expected, false))
	}

	m.heading("Visitor feedback")
	m.printf("%s\n", md(v.FeedbackSummary))
	if v.HasFeedback {
		rows := make([][]string, len(v.Scores))
		for i, s := range v.Scores {
			rows[i] = []string{strconv.Itoa(s.Score), strconv.Itoa(s.Count), strconv.Itoa(s.Percent) + " %"}
		}
		m.printf("\n")
		m.table([]string{"Score", "Answers", "Share"}, rows)
		if v.OtherScores != "" {
			m.printf("\n%s\n", md(v.OtherScores))
		}
	}

	if v.Drill {
		m.heading("Drill response times")
		m.facts(v.Response)
	}

	m.heading("Timeline")
	if len(v.Timeline) == 0 {
		m.printf("Nothing recorded.\n")
	} else {
		m.table([]string{"Time", "Event", "By", "Details"}, eventRows(v.Timeline, true))
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
