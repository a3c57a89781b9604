package report_test

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	stdhtml "html"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/report"
)

// cet is the site's zone in these tests; the reports are built in UTC so
// that rendering in another zone is visible.
var cet = time.FixedZone("CET", 3600)

// at is 2 March 2026 at hh:mm:ss CET.
func at(hh, mm, ss int) time.Time {
	return time.Date(2026, 3, 2, hh, mm, ss, 0, cet).UTC()
}

var opts = report.Options{Location: cet}

// Visitors' names that appear only in alert messages: no report may show them.
const (
	alertName1 = "Jane Doe"
	alertName2 = "John Smith"
)

// outage is a finished, drained outage with everything a report shows.
func outage() queue.IncidentReport {
	start := at(9, 14, 5)
	end := at(10, 19, 5)
	var samples []queue.Sample
	waiting := []int{0, 2, 4, 6, 9, 8, 7, 7, 5, 4, 4, 3, 2, 2, 1, 1}
	for i, w := range waiting {
		backlog := i * 6 // until the end at 10:19:05, drained at 10:22:25
		switch {
		case i == 14:
			backlog = 20
		case i > 14:
			backlog = 0
		}
		samples = append(samples, queue.Sample{At: at(9, 10, 0).Add(time.Duration(i) * 5 * time.Minute), Waiting: w, Backlog: backlog})
	}
	return queue.IncidentReport{
		Kiosk:     "kiosk-07",
		KioskName: "Main lobby",
		Site:      "North Hospital",
		MadeAt:    at(10, 30, 0),
		Incident: queue.Incident{
			ID: 42, Cause: "central unreachable",
			Severity: queue.SeverityMinor, Peak: queue.SeverityMajor,
			Start: start, End: end, DrainedAt: at(10, 22, 25),
			ExpectedBack: at(10, 30, 0), ReportedAt: at(10, 23, 0),
		},
		Duration:    end.Sub(start),
		CheckIns:    14,
		PeakWaiting: 9, PeakBacklog: 78,
		LongestWait: 42 * time.Minute,
		Waits: []queue.WaitOutcome{
			{Ticket: "A001", Service: "Radiology", CheckedIn: at(9, 20, 0), Estimate: 10 * time.Minute, Wait: 12 * time.Minute},
			{Ticket: "A002", Service: "Laboratory", CheckedIn: at(9, 31, 0), Estimate: 15 * time.Minute, Wait: 25 * time.Minute},
			{Ticket: "A003", Service: "Laboratory", CheckedIn: at(10, 0, 0), Estimate: 20 * time.Minute, Wait: 30 * time.Minute, Waiting: true},
		},
		DrainTime: 3*time.Minute + 20*time.Second,
		Conflicts: 1,
		WatchHits: 1,
		Alerts: []queue.StaffAlert{
			{ID: 8, Kind: queue.AlertWatch, Ticket: "A004", Message: "Watch-list match: " + alertName2, At: at(9, 50, 0)},
			{ID: 7, Kind: queue.AlertDuplicate, Ticket: "A002", Message: alertName1 + " also checked in at kiosk-03", At: at(9, 40, 0)},
		},
		Timeline: []queue.TimelineEntry{
			{At: start, Kind: queue.TimelineSeverity, Text: "none → minor"},
			{At: at(9, 19, 5), Kind: queue.TimelineSeverity, Text: "minor → major"},
			{At: at(9, 21, 30), Kind: queue.TimelineMessage, Actor: "Anna Berg", Text: "Check-in works. Please wait to be called."},
			{At: at(9, 25, 0), Kind: queue.TimelineExpected, Actor: "Anna Berg", Text: "expected back at 10:30"},
			{At: at(9, 22, 0), Kind: queue.TimelineStep, Actor: "Anna Berg", Step: 0, Text: "Tell reception"},
			{At: at(9, 48, 0), Kind: queue.TimelineStep, Actor: "Omar Ali", Step: 2, Text: "Call IT on call"},
			{At: at(10, 5, 0), Kind: queue.TimelineSeverity, Text: "major → minor"},
			{At: end, Kind: queue.TimelineEnd, Text: "central reachable again"},
			{At: at(10, 19, 30), Kind: queue.TimelineCleared, Actor: "Anna Berg", Text: "Check-in works. Please wait to be called."},
			{At: at(10, 22, 25), Kind: queue.TimelineDrained, Text: "backlog at the centre"},
		},
		Steps:    []string{"Tell reception", "Switch the printers to the local queue", "Call IT on call"},
		Samples:  samples,
		Feedback: []int{5, 4, 4, 2, 5},
	}
}

// drill is a drill still going on, with one sample and nobody called yet.
func drill() queue.IncidentReport {
	start := at(14, 0, 0)
	return queue.IncidentReport{
		Kiosk:    "kiosk-07",
		Site:     "North Hospital",
		MadeAt:   at(14, 20, 0),
		Duration: 20 * time.Minute,
		Incident: queue.Incident{
			ID: 43, Drill: true, Cause: "drill: central unreachable",
			Severity: queue.SeverityMajor, Peak: queue.SeverityMajor,
			Start: start, DrillUntil: at(14, 30, 0), DrillBanner: true,
		},
		CheckIns: 2,
		Waits: []queue.WaitOutcome{
			{Ticket: "B001", Service: "Radiology", CheckedIn: at(14, 5, 0), Estimate: 10 * time.Minute, Wait: 15 * time.Minute, Waiting: true},
		},
		Timeline: []queue.TimelineEntry{
			{At: at(14, 4, 10), Kind: queue.TimelineMessage, Actor: "Lea", Text: "This is a drill."},
		},
		Steps:     []string{"Tell reception", "Call IT on call"},
		Samples:   []queue.Sample{{At: at(14, 10, 0), Waiting: 1, Backlog: 3}},
		FirstSaid: 4*time.Minute + 10*time.Second,
	}
}

// keep writes what a test made into $REPORT_OUT_DIR, when set, for a
// person to look at.
func keep(t *testing.T, name string, b []byte) {
	t.Helper()
	if dir := os.Getenv("REPORT_OUT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func markdown(t *testing.T, r queue.IncidentReport) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteMarkdown(&b, r, opts); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	return b.String()
}

func html(t *testing.T, r queue.IncidentReport) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteHTML(&b, r, opts); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

// row is a pattern for one table row in the Markdown: its cells in order,
// with anything between them.
func row(cells ...string) *regexp.Regexp {
	q := make([]string, len(cells))
	for i, c := range cells {
		q[i] = regexp.QuoteMeta(c)
	}
	return regexp.MustCompile(`(?m)^\|[^\n]*` + strings.Join(q, `[^\n]*\|[^\n]*`) + `[^\n]*\|$`)
}

func TestMarkdownContent(t *testing.T) {
	tests := []struct {
		name    string
		report  queue.IncidentReport
		want    []string
		rows    [][]string
		notWant []string
	}{{
		name:   "outage",
		report: outage(),
		want: []string{
			"# Outage report: Main lobby (kiosk-07), North Hospital",
			"Peak severity: **major**.",
			"Mean absolute error 6 min over 2 visitors called; 50 % within 5 min of the estimate.",
			"Conflicts flagged: 1. Watch-list hits: 1.",
			"2 of 3 steps done.",
			"5 visitors answered, mean 4.0 of 5.",
		},
		rows: [][]string{
			{"Kind", "Outage"},
			{"Cause", "central unreachable"},
			{"Start", "2026-03-02 09:14:05 CET"},
			{"End", "2026-03-02 10:19:05 CET"},
			{"Duration", "1 h 05 min"},
			{"Check-ins during the incident", "14"},
			{"Longest line", "9 visitors waiting"},
			{"Longest wait", "42 min"},
			{"Backlog drained", "3 min 20 s after the end"},
			{"Estimates against actual waits", "6 min mean error, 50 % within 5 min (n = 2)"},
			{"09:19:05", "minor → major", "kiosk"},
			{"09:14:05", "none → minor", "kiosk"},
			{"10:05:00", "major → minor", "kiosk"},
			{"A002", "Laboratory", "09:31:00", "15 min", "25 min", "+10 min"},
			{"A003", "Laboratory", "10:00:00", "20 min", "30 min so far (still waiting)", "—"},
			{"09:40:00", "duplicate check-in", "A002"},
			{"09:50:00", "watch-list match", "A004"},
			{"1", "Tell reception", "done", "Anna Berg", "09:22:00"},
			{"2", "Switch the printers to the local queue", "not done", "—", "—"},
			{"3", "Call IT on call", "done", "Omar Ali", "09:48:00"},
			{"09:21:30", "message published", "Anna Berg", "Check-in works. Please wait to be called."},
			{"10:19:30", "message taken down", "Anna Berg"},
			{"09:25:00", "expected back at 10:30", "Anna Berg"},
			{"4", "2", "40 %"},
			{"3", "0", "0 %"},
			{"10:22:25", "backlog drained", "kiosk"},
		},
		notWant: []string{alertName1, alertName2, "Drill response times", "still going on", "no visitor called yet"},
	}, {
		name:   "drill",
		report: drill(),
		want: []string{
			"# Drill report: kiosk-07, North Hospital",
			"No visitor called yet",
			"0 of 2 steps done.",
			"No visitor answered.",
			"## Drill response times",
		},
		rows: [][]string{
			{"Kind", "Drill"},
			{"End", "still going on"},
			{"Duration", "20 min so far"},
			{"Severity now", "major"},
			{"Drill banner shown to visitors", "yes"},
			{"Planned end of the drill", "2026-03-02 14:30:00 CET"},
			{"Backlog drained", "not drained yet (still going on)"},
			{"Estimates against actual waits", "no visitor called yet"},
			{"Longest wait", "—"},
			{"First message published after the start", "4 min 10 s"},
			{"Checklist completed after the start", "—"},
			{"14:04:10", "message published", "Lea", "This is a drill."},
			{"1", "Tell reception", "not done"},
		},
		notWant: []string{"Outage"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := markdown(t, tt.report)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Markdown lacks %q", w)
				}
			}
			for _, r := range tt.rows {
				if !row(r...).MatchString(got) {
					t.Errorf("Markdown lacks a table row with %q", r)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Markdown has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("Markdown:\n%s", got)
			}
		})
	}
}

func TestHTMLContent(t *testing.T) {
	tests := []struct {
		name    string
		report  queue.IncidentReport
		want    []string
		notWant []string
	}{{
		name:   "outage",
		report: outage(),
		want: []string{
			`<html lang="en">`,
			"<title>Outage report: Main lobby (kiosk-07), North Hospital</title>",
			`<span class="badge outage">Outage</span>`,
			`<th scope="row">Duration</th><td>1 h 05 min</td>`,
			`<th scope="row">Peak severity</th><td>major</td>`,
			`<td>09:19:05</td><td>minor → major</td><td>kiosk</td>`,
			`<td>A003</td><td>Laboratory</td><td>10:00:00</td><td class="num">20 min</td><td class="num">30 min so far (still waiting)</td>`,
			`<td>09:40:00</td><td>duplicate check-in</td><td>A002</td>`,
			`<td>Switch the printers to the local queue</td><td class="notdone">not done</td>`,
			`<td>Call IT on call</td><td class="done">done</td><td>Omar Ali</td><td>09:48:00</td>`,
			`<td>09:21:30</td><td>message published</td><td>Anna Berg</td><td>Check-in works. Please wait to be called.</td>`,
			"Mean absolute error 6 min over 2 visitors called; 50 % within 5 min of the estimate.",
			`<img src="data:image/png;base64,`,
			"@media print",
		},
		notWant: []string{alertName1, alertName2, "Drill response times", "http://", "https://", "<link", "<script"},
	}, {
		name:   "drill",
		report: drill(),
		want: []string{
			`<span class="badge drill">Drill</span>`,
			`<th scope="row">End</th><td>still going on</td>`,
			"<h2>Drill response times</h2>",
			`<th scope="row">First message published after the start</th><td>4 min 10 s</td>`,
			`<th scope="row">Checklist completed after the start</th><td>—</td>`,
			"No visitor called yet",
		},
		notWant: []string{"http://", "https://"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := html(t, tt.report)
			keep(t, tt.name+".html", []byte(got))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("HTML has %q", w)
				}
			}
			m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(got)
			if m == nil {
				t.Fatal("HTML has no embedded PNG")
			}
			// The attribute's "+" are written as character references.
			raw, err := base64.StdEncoding.DecodeString(stdhtml.UnescapeString(m[1]))
			if err != nil {
				t.Fatalf("embedded chart: %v", err)
			}
			if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
				t.Fatalf("embedded chart: %v", err)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	r := outage()
	hostile := `<script>alert("x")</script> | **bold** [link](http://example.org)`
	r.KioskName = "<b>Lobby</b>"
	r.Steps[1] = "<img src=x onerror=alert(1)>"
	r.Timeline = append(r.Timeline,
		queue.TimelineEntry{At: at(9, 30, 0), Kind: queue.TimelineMessage, Actor: "<i>Eve</i>", Text: hostile},
		queue.TimelineEntry{At: at(9, 31, 0), Kind: queue.TimelineMessage, Actor: "Eve", Text: "=HYPERLINK(\"http://evil\")"},
	)

	t.Run("html", func(t *testing.T) {
		got := html(t, r)
		for _, bad := range []string{"<script", "<b>Lobby", "<i>Eve", "<img src=x"} {
			if strings.Contains(got, bad) {
				t.Errorf("HTML has %q unescaped", bad)
			}
		}
		for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;Lobby&lt;/b&gt;", "&lt;img src=x onerror=alert(1)&gt;"} {
			if !strings.Contains(got, want) {
				t.Errorf("HTML lacks escaped %q", want)
			}
		}
	})
	t.Run("markdown", func(t *testing.T) {
		got := markdown(t, r)
		if bad := regexp.MustCompile(`(^|[^\\])[<>]`).FindString(got); bad != "" {
			t.Errorf("Markdown has an unescaped angle bracket: %q", bad)
		}
		for _, bad := range []string{"**bold**", "[link]"} {
			if strings.Contains(got, bad) {
				t.Errorf("Markdown has %q unescaped", bad)
			}
		}
		if want := `\<script\>alert("x")\</script\> \| \*\*bold\*\* \[link\](http://example.org)`; !strings.Contains(got, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	})
	t.Run("csv", func(t *testing.T) {
		var b bytes.Buffer
		if err := report.WriteCSV(&b, r, opts); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, rec := range recs {
			if strings.Contains(rec[3], "HYPERLINK") {
				found = true
				if !strings.HasPrefix(rec[3], "'=") {
					t.Errorf("formula cell %q is not defused", rec[3])
				}
			}
		}
		if !found {
			t.Error("CSV lacks the formula message")
		}
	})
}

func readCSV(t *testing.T, r queue.IncidentReport) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteCSV(&b, r, opts); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	cr := csv.NewReader(&b)
	cr.FieldsPerRecord = 5
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	return recs
}

func TestCSV(t *testing.T) {
	recs := readCSV(t, outage())
	if got := strings.Join(recs[0], ","); got != "section,at,name,value,detail" {
		t.Fatalf("header = %q", got)
	}
	recs = recs[1:]
	summary := map[string][]string{}
	count := map[string]int{}
	for _, rec := range recs {
		count[rec[0]]++
		if rec[0] == "summary" {
			summary[rec[2]] = rec
		}
		for _, name := range []string{alertName1, alertName2} {
			if strings.Contains(strings.Join(rec, ","), name) {
				t.Errorf("CSV row %q has an alert's visitor name", rec)
			}
		}
	}

	for _, tt := range []struct{ name, value, detail string }{
		{"id", "42", ""},
		{"kind", "outage", ""},
		{"cause", "central unreachable", ""},
		{"start", "2026-03-02T09:14:05+01:00", ""},
		{"end", "2026-03-02T10:19:05+01:00", ""},
		{"duration_s", "3900", "1 h 05 min"},
		{"peak_severity", "major", ""},
		{"check_ins", "14", ""},
		{"peak_waiting", "9", ""},
		{"longest_wait_s", "2520", "42 min"},
		{"drain_time_s", "200", "3 min 20 s"},
		{"estimate_mae_s", "360", "6 min"},
		{"estimate_within5", "0.500", "share of called visitors"},
		{"estimate_n", "2", "visitors called"},
		{"conflicts", "1", ""},
		{"watch_hits", "1", ""},
		{"messages", "1", ""},
		{"steps_done", "2", ""},
		{"steps_total", "3", ""},
		{"feedback_count", "5", ""},
		{"feedback_mean", "4.00", "of 5"},
		{"first_message_after_s", "", "no message published"},
		{"checklist_done_after_s", "", "checklist not completed"},
	} {
		rec, ok := summary[tt.name]
		if !ok {
			t.Errorf("summary lacks %s", tt.name)
			continue
		}
		if rec[3] != tt.value || rec[4] != tt.detail {
			t.Errorf("summary %s = %q, %q; want %q, %q", tt.name, rec[3], rec[4], tt.value, tt.detail)
		}
	}

	r := outage()
	wantCount := map[string]int{
		"timeline": len(r.Timeline),
		"step":     len(r.Steps),
		"sample":   2 * len(r.Samples),
		"wait":     4 * len(r.Waits),
		"alert":    len(r.Alerts),
		"feedback": 5,
	}
	for section, n := range wantCount {
		if count[section] != n {
			t.Errorf("%d %s rows, want %d", count[section], section, n)
		}
	}

	has := func(want ...string) {
		t.Helper()
		for _, rec := range recs {
			if strings.Join(rec, ",") == strings.Join(want, ",") {
				return
			}
		}
		t.Errorf("CSV lacks row %q", want)
	}
	has("timeline", "2026-03-02T09:19:05+01:00", "severity", "minor → major", "")
	has("timeline", "2026-03-02T09:21:30+01:00", "message", "Check-in works. Please wait to be called.", "Anna Berg")
	has("step", "2026-03-02T09:22:00+01:00", "Tell reception", "done", "Anna Berg")
	has("step", "", "Switch the printers to the local queue", "not done", "")
	has("step", "2026-03-02T09:48:00+01:00", "Call IT on call", "done", "Omar Ali")
	has("sample", "2026-03-02T09:30:00+01:00", "waiting", "9", "")
	has("sample", "2026-03-02T09:30:00+01:00", "backlog", "24", "")
	has("wait", "2026-03-02T10:00:00+01:00", "service", "Laboratory", "A003")
	has("wait", "2026-03-02T10:00:00+01:00", "estimate_s", "1200", "A003")
	has("wait", "2026-03-02T10:00:00+01:00", "wait_s", "1800", "A003")
	has("wait", "2026-03-02T10:00:00+01:00", "still_waiting", "true", "A003")
	has("wait", "2026-03-02T09:20:00+01:00", "still_waiting", "false", "A001")
	has("alert", "2026-03-02T09:40:00+01:00", "kind", "duplicate", "A002")
	has("alert", "2026-03-02T09:50:00+01:00", "kind", "watch", "A004")
	has("feedback", "", "score_4", "2", "")
	has("feedback", "", "score_1", "0", "")

	// Timeline rows come in time order even when recorded out of order.
	var last string
	for _, rec := range recs {
		if rec[0] != "timeline" {
			continue
		}
		if rec[1] < last {
			t.Errorf("timeline row at %s after %s", rec[1], last)
		}
		last = rec[1]
	}
}

func TestCSVDrill(t *testing.T) {
	summary := map[string][]string{}
	for _, rec := range readCSV(t, drill())[1:] {
		if rec[0] == "summary" {
			summary[rec[2]] = rec
		}
	}
	for _, tt := range []struct{ name, value, detail string }{
		{"kind", "drill", ""},
		{"end", "", "still going on"},
		{"drain_time_s", "", "not drained yet"},
		{"estimate_mae_s", "", "no visitor called yet"},
		{"first_message_after_s", "250", "4 min 10 s"},
		{"checklist_done_after_s", "", "checklist not completed"},
		{"drill_banner", "true", ""},
	} {
		rec := summary[tt.name]
		if rec == nil || rec[3] != tt.value || rec[4] != tt.detail {
			t.Errorf("summary %s = %q; want value %q, detail %q", tt.name, rec, tt.value, tt.detail)
		}
	}
}

func TestChart(t *testing.T) {
	tests := []struct {
		name          string
		samples       []queue.Sample
		width, height int
	}{
		{"many samples", outage().Samples, 960, 400},
		{"smallest", outage().Samples, 320, 200},
		{"no samples", nil, 640, 300},
		{"one sample", drill().Samples, 320, 320},
		{"two samples at once", []queue.Sample{{At: at(9, 0, 0), Waiting: 1}, {At: at(9, 0, 0), Waiting: 2}}, 400, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := outage()
			r.Samples = tt.samples
			b, err := report.ChartIn(r, cet, tt.width, tt.height)
			if err != nil {
				t.Fatalf("ChartIn: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := img.Bounds().Size(); got.X != tt.width || got.Y != tt.height {
				t.Errorf("size %v, want %dx%d", got, tt.width, tt.height)
			}
			keep(t, strings.ReplaceAll(tt.name, " ", "-")+".png", b)
		})
	}
	t.Run("open outage in time.Local", func(t *testing.T) {
		r := outage()
		r.Incident.End, r.Incident.DrainedAt = time.Time{}, time.Time{}
		b, err := report.Chart(r, 500, 250)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	})
	for _, size := range [][2]int{{0, 400}, {960, -1}, {100000, 400}} {
		if _, err := report.Chart(outage(), size[0], size[1]); err == nil {
			t.Errorf("Chart(%d×%d) did not fail", size[0], size[1])
		}
	}
}

// TestChartLegendClearOfData: the key is drawn below the axes, so the top
// left of the plot area, where plot puts its own legend over the data,
// holds no text; and the key's sample of the waiting line is in the
// bottom strip, below the time axis' label.
func TestChartLegendClearOfData(t *testing.T) {
	const w, h = 960, 400
	b, err := report.ChartIn(outage(), cet, w, h)
	if err != nil {
		t.Fatal(err)
	}
	keep(t, "legend.png", b)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dark := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return r>>8 < 100 && g>>8 < 100 && bl>>8 < 100
	}
	for y := h / 10; y < h*3/10; y++ {
		for x := w * 15 / 100; x < w*40/100; x++ {
			if dark(x, y) {
				t.Fatalf("text at (%d, %d) in the plot area's top left: the legend covers the plot", x, y)
			}
		}
	}
	waiting := false
	for y := h * 90 / 100; y < h && !waiting; y++ {
		for x := range w {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 == 0x1f && g>>8 == 0x5f && bl>>8 == 0xa8 {
				waiting = true
				break
			}
		}
	}
	if !waiting {
		t.Error("no key for the visitors waiting in the bottom strip")
	}
}

func TestDeterministic(t *testing.T) {
	writers := map[string]func(io.Writer, queue.IncidentReport, report.Options) error{
		"markdown": report.WriteMarkdown,
		"csv":      report.WriteCSV,
		"html":     report.WriteHTML,
	}
	for name, write := range writers {
		for _, r := range []queue.IncidentReport{outage(), drill()} {
			var a, b bytes.Buffer
			if err := write(&a, r, opts); err != nil {
				t.Fatal(err)
			}
			if err := write(&b, r, opts); err != nil {
				t.Fatal(err)
			}
			if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s of incident %d differs between two runs", name, r.Incident.ID)
			}
		}
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	r := outage()
	paths, err := report.WriteAll(dir, r, opts)
	if err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	want := []string{"incident-42.md", "incident-42.csv", "incident-42.html"}
	if len(paths) != len(want) {
		t.Fatalf("paths = %q", paths)
	}
	writers := []func(io.Writer, queue.IncidentReport, report.Options) error{report.WriteMarkdown, report.WriteCSV, report.WriteHTML}
	for i, p := range paths {
		if p != filepath.Join(dir, want[i]) {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := writers[i](&b, r, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s differs from what the writer gives", p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode %v, want 0640", p, fi.Mode().Perm())
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o750 {
		t.Errorf("dir mode %v, want 0750", fi.Mode().Perm())
	}

	// A second run replaces the files and leaves no temporary files.
	r.CheckIns = 15
	if _, err := report.WriteAll(dir, r, opts); err != nil {
		t.Fatalf("WriteAll again: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %q, want only the three reports", names)
	}
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if !row("Check-ins during the incident", "15").Match(md) {
		t.Error("second WriteAll did not replace the Markdown")
	}
}

func TestWriteAllFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := report.WriteAll(filepath.Join(file, "reports"), outage(), opts); err == nil {
		t.Error("WriteAll under a file did not fail")
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "—"},
		{400 * time.Millisecond, "0 s"},
		{42 * time.Second, "42 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{4*time.Minute + 5*time.Second, "4 min 05 s"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 h 00 min"},
		{65 * time.Minute, "1 h 05 min"},
		{26*time.Hour + 29*time.Minute + 31*time.Second, "26 h 30 min"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			r := outage()
			r.LongestWait = tt.d
			if got := markdown(t, r); !row("Longest wait", tt.want).MatchString(got) {
				t.Errorf("longest wait %v not shown as %q", tt.d, tt.want)
			}
		})
	}
}

// escaped is a backslash escape in Markdown.
var escaped = regexp.MustCompile(`\\[\s\S]`)

// FuzzStaffText checks that whatever staff type stays one cell of its
// Markdown table, raises no Markdown or HTML markup, and comes back whole
// from the CSV.
func FuzzStaffText(f *testing.F) {
	for _, s := range []string{
		"Check-in works.",
		`<script>alert("x")</script>`,
		"a | b || c",
		`trailing backslash \`,
		`\| escaped already`,
		"line one\nline two\r\nthree",
		"**bold** _it_ `code` [x](y) ~~s~~ &amp; #1",
		"=1+1",
		"Grüße – ünïcödé → ok",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := outage()
		r.Timeline = []queue.TimelineEntry{{At: at(9, 30, 0), Kind: queue.TimelineMessage, Actor: "Eve", Text: text}}
		r.Steps = []string{text}

		var b bytes.Buffer
		if err := report.WriteMarkdown(&b, r, opts); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			plain := escaped.ReplaceAllString(line, "")
			if strings.ContainsAny(plain, "<>`[]") {
				t.Errorf("line %q has unescaped markup", line)
			}
			// Unescaped pipes separate cells: each row of a table has as
			// many as its header.
			if n := strings.Count(plain, "|"); strings.HasPrefix(line, "|") && (n < 3 || n > 7) {
				t.Errorf("row %q has %d cell borders", line, n)
			}
		}
		if !row("09:30:00", "message published", "Eve").Match(b.Bytes()) {
			t.Error("the message's row is broken")
		}

		b.Reset()
		if err := report.WriteCSV(&b, r, opts); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("parse CSV: %v", err)
		}
		for _, rec := range recs {
			if rec[0] == "timeline" {
				// encoding/csv turns \r\n inside a quoted field into \n.
				want := strings.ReplaceAll(text, "\r\n", "\n")
				if got := strings.TrimPrefix(rec[3], "'"); got != want && rec[3] != want {
					t.Errorf("CSV message %q, want %q", rec[3], want)
				}
			}
		}
	})
}

// TestCSVDefusesFormulas: text that staff or a kiosk typed comes out of
// the CSV led by an apostrophe wherever it would run as a formula, and no
// cell at all starts one.
func TestCSVDefusesFormulas(t *testing.T) {
	r := outage()
	r.KioskName = `=HYPERLINK("x")`
	r.Incident.Cause = "+1 555"
	r.Steps[1] = "-2+3+cmd|' /C calc'!A0"
	r.Timeline = append(r.Timeline, queue.TimelineEntry{At: at(9, 31, 0), Kind: queue.TimelineMessage, Actor: "@SUM(A1)", Text: "@SUM(A1)"})
	seen := map[string]bool{}
	for _, rec := range readCSV(t, r) {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q in row %q starts a formula", cell, rec)
			}
			seen[cell] = true
		}
	}
	for _, want := range []string{`'=HYPERLINK("x")`, "'+1 555", "'-2+3+cmd|' /C calc'!A0", "'@SUM(A1)"} {
		if !seen[want] {
			t.Errorf("no cell %q in the CSV", want)
		}
	}
}
