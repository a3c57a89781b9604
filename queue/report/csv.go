package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/csvsafe"
)

// csvHeader is the CSV's first row; the package doc says what each
// section puts in its columns. It stays English in every language, as do
// the sections, names and coded values: tools read them.
var csvHeader = []string{"section", "at", "name", "value", "detail"}

// WriteCSV writes the incident report as one long-form CSV for
// spreadsheets and scripts. The package doc describes its sections. Text
// that staff or a kiosk typed goes through csvsafe.Cell; figures the
// report computes are written as they are.
//
// The CSV is a machine format: its header, section names, figure names
// and coded values ("done", "true", severities, kinds) are English in
// every language, so a script reads every kiosk's reports alike. Only the
// notes for people, in the detail column, and the name of a step no
// longer in the runbook are in o.Lang. Numbers keep a decimal point.
func WriteCSV(w io.Writer, r queue.IncidentReport, o Options) error {
	p, err := newPrinter(r, o)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	inc := r.Incident
	tl := timeline(r)
	ticked := ticks(tl)
	var rows [][]string
	add := func(section, at, name, value, detail string) {
		rows = append(rows, []string{section, at, name, value, detail})
	}
	sum := func(name, value, detail string) { add("summary", "", name, value, detail) }
	dur := func(name string, d time.Duration, zeroMeans string) {
		if d == 0 && zeroMeans != "" {
			sum(name, "", zeroMeans)
			return
		}
		sum(name, seconds(d), human(d))
	}

	kind := "outage"
	if inc.Drill {
		kind = "drill"
	}
	sum("id", strconv.FormatInt(inc.ID, 10), "")
	sum("kiosk", csvsafe.Cell(r.Kiosk), "")
	sum("kiosk_name", csvsafe.Cell(r.KioskName), "")
	sum("site", csvsafe.Cell(r.Site), "")
	sum("made_at", p.rfc3339(r.MadeAt), "")
	sum("kind", kind, "")
	sum("cause", csvsafe.Cell(inc.Cause), "")
	sum("severity", inc.Severity.String(), "")
	sum("peak_severity", inc.Peak.String(), "")
	sum("start", p.rfc3339(inc.Start), "")
	if inc.Open() {
		sum("end", "", p.t("end.open"))
	} else {
		sum("end", p.rfc3339(inc.End), "")
	}
	dur("duration_s", r.Duration, "")
	if inc.Drill {
		sum("drill_until", p.rfc3339(inc.DrillUntil), "")
		sum("drill_banner", strconv.FormatBool(inc.DrillBanner), "")
	}
	sum("expected_back", p.rfc3339(inc.ExpectedBack), "")
	sum("check_ins", strconv.Itoa(r.CheckIns), "")
	sum("peak_waiting", strconv.Itoa(r.PeakWaiting), "")
	sum("peak_backlog", strconv.Itoa(r.PeakBacklog), p.t("csv.backlog"))
	dur("longest_wait_s", r.LongestWait, "")
	sum("drained_at", p.rfc3339(inc.DrainedAt), "")
	if inc.DrainedAt.IsZero() {
		sum("drain_time_s", "", p.t("drain.not"))
	} else {
		dur("drain_time_s", r.DrainTime, "")
	}
	mae, within5, n := r.EstimateError()
	if n == 0 {
		sum("estimate_mae_s", "", p.t("estimate.none"))
		sum("estimate_within5", "", p.t("estimate.none"))
	} else {
		sum("estimate_mae_s", seconds(mae), human(mae))
		sum("estimate_within5", strconv.FormatFloat(within5, 'f', 3, 64), p.t("csv.within5"))
	}
	sum("estimate_n", strconv.Itoa(n), p.t("csv.called"))
	sum("conflicts", strconv.Itoa(r.Conflicts), "")
	sum("watch_hits", strconv.Itoa(r.WatchHits), "")
	sum("alerts", strconv.Itoa(len(r.Alerts)), "")
	sum("messages", strconv.Itoa(countKind(tl, queue.TimelineMessage)), "")
	sum("steps_done", strconv.Itoa(stepsDone(r.Steps, ticked)), "")
	sum("steps_total", strconv.Itoa(len(r.Steps)), "")
	sum("feedback_count", strconv.Itoa(len(r.Feedback)), "")
	if len(r.Feedback) == 0 {
		sum("feedback_mean", "", p.t("csv.no_answers"))
	} else {
		sum("feedback_mean", strconv.FormatFloat(r.FeedbackMean(), 'f', 2, 64), p.t("csv.of5"))
	}
	dur("first_message_after_s", r.FirstSaid, p.t("csv.no_message"))
	dur("checklist_done_after_s", r.AllTicked, p.t("csv.not_completed"))
	sum("reported_at", p.rfc3339(inc.ReportedAt), "")

	for _, e := range tl {
		add("timeline", p.rfc3339(e.At), csvsafe.Cell(e.Kind), csvsafe.Cell(e.Text), csvsafe.Cell(e.Actor))
	}

	for i, s := range r.Steps {
		if t, ok := ticked[i]; ok {
			add("step", p.rfc3339(t.At), csvsafe.Cell(s), "done", csvsafe.Cell(t.Actor))
		} else {
			add("step", "", csvsafe.Cell(s), "not done", "")
		}
	}
	for _, i := range forgotten(r.Steps, ticked) {
		t := ticked[i]
		add("step", p.rfc3339(t.At), p.t("step.forgotten", "Step", i+1), "done", csvsafe.Cell(t.Actor))
	}

	for _, s := range r.Samples {
		at := p.rfc3339(s.At)
		add("sample", at, "waiting", strconv.Itoa(s.Waiting), "")
		add("sample", at, "backlog", strconv.Itoa(s.Backlog), "")
	}

	for _, w := range r.Waits {
		at, ticket := p.rfc3339(w.CheckedIn), csvsafe.Cell(w.Ticket)
		add("wait", at, "service", csvsafe.Cell(w.Service), ticket)
		add("wait", at, "estimate_s", seconds(w.Estimate), ticket)
		add("wait", at, "wait_s", seconds(w.Wait), ticket)
		add("wait", at, "still_waiting", strconv.FormatBool(w.Waiting), ticket)
	}

	for _, a := range sortedAlerts(r) {
		add("alert", p.rfc3339(a.At), "kind", csvsafe.Cell(a.Kind), csvsafe.Cell(a.Ticket))
	}

	counts, other := scores(r.Feedback)
	for i, c := range counts {
		add("feedback", "", "score_"+strconv.Itoa(i+1), strconv.Itoa(c), "")
	}
	if other > 0 {
		add("feedback", "", "score_other", strconv.Itoa(other), p.t("csv.other_scores"))
	}

	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
