package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"lobbyline/queue"
)

// Options say how a report is rendered.
type Options struct {
	// Location is the time zone every time is shown in: the site's, as
	// a rule. Nil means time.Local.
	Location *time.Location
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

// none stands in the Markdown and HTML reports for a value that does not
// exist (yet): no end time, no message published, nobody.
const none = "—"

// fact is one labelled figure of a report.
type fact struct {
	Label, Value string
}

// event is a timeline entry with its time and actor ready to print.
type event struct {
	At, Kind, Actor, Text string
}

type waitRow struct {
	Ticket, Service, CheckedIn, Estimate, Waited, Diff string
}

type alertRow struct {
	At, Kind, Ticket string
}

type stepRow struct {
	N         int
	Text      string
	Done      bool
	By, At    string
	Forgotten bool // ticked, but no longer in the configured runbook
}

type scoreRow struct {
	Score, Count, Percent int
}

// view is what the Markdown and HTML reports show, worked out once so the
// two cannot disagree.
type view struct {
	Title    string
	KindName string
	Drill    bool
	MadeAt   string

	Facts []fact // kiosk, kind, cause, times, severity
	Lobby []fact // what the lobby lived through

	Peak     string
	Severity []event

	EstimateSummary string
	Waits           []waitRow

	Conflicts, WatchHits int
	Alerts               []alertRow

	StepsDone, StepsTotal int
	Steps                 []stepRow

	Messages     []event
	Expected     []event
	ExpectedBack string

	FeedbackSummary string
	HasFeedback     bool
	Scores          []scoreRow
	OtherScores     string // how many answers were outside 1–5, if any

	Response []fact // drills only

	Timeline []event
}

// kindLabels name timeline entries for people.
var kindLabels = map[string]string{
	queue.TimelineSeverity: "severity changed",
	queue.TimelineMessage:  "message published",
	queue.TimelineCleared:  "message taken down",
	queue.TimelineExpected: "expected time back",
	queue.TimelineStep:     "checklist step ticked",
	queue.TimelineEnd:      "ended",
	queue.TimelineDrained:  "backlog drained",
}

// alertLabels name alert kinds for people.
var alertLabels = map[string]string{
	queue.AlertWatch:       "watch-list match",
	queue.AlertDuplicate:   "duplicate check-in",
	queue.AlertPreRegGone:  "cancelled invitation",
	queue.AlertUnknownCode: "unknown invitation code",
}

func label(labels map[string]string, kind string) string {
	if l, ok := labels[kind]; ok {
		return l
	}
	return kind
}

// printer formats times and durations in one zone, with times on the
// incident's first day shown as a bare clock time.
type printer struct {
	loc *time.Location
	day time.Time // local midnight of the incident's start
}

func newPrinter(r queue.IncidentReport, o Options) printer {
	p := printer{loc: o.location()}
	s := r.Incident.Start.In(p.loc)
	p.day = time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, p.loc)
	return p
}

// full is a time with its date and zone, for the summary.
func (p printer) full(t time.Time) string {
	if t.IsZero() {
		return none
	}
	return t.In(p.loc).Format("2006-01-02 15:04:05 MST")
}

// clock is a time in a table: the clock time alone on the incident's
// first day, with its date otherwise.
func (p printer) clock(t time.Time) string {
	if t.IsZero() {
		return none
	}
	t = t.In(p.loc)
	if y, m, d := t.Date(); y == p.day.Year() && m == p.day.Month() && d == p.day.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// rfc3339 is a time for the CSV; empty when zero.
func (p printer) rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.loc).Format(time.RFC3339)
}

// human writes a duration as staff say it: "42 s", "4 min 05 s",
// "1 h 05 min". Seconds are rounded; from an hour on, minutes are.
func human(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "−", -d
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%s%d s", sign, d/time.Second)
	case d < time.Hour:
		m, s := d/time.Minute, (d%time.Minute)/time.Second
		if s == 0 {
			return fmt.Sprintf("%s%d min", sign, m)
		}
		return fmt.Sprintf("%s%d min %02d s", sign, m, s)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%s%d h %02d min", sign, d/time.Hour, (d%time.Hour)/time.Minute)
	}
}

// humanOrNone is human, or none for a zero duration that means "never".
func humanOrNone(d time.Duration) string {
	if d == 0 {
		return none
	}
	return human(d)
}

// seconds is a duration in whole seconds, for the CSV.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10)
}

func actor(a string) string {
	if a == "" {
		return "kiosk"
	}
	return a
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// kindName is "Outage" or "Drill".
func kindName(inc queue.Incident) string {
	if inc.Drill {
		return "Drill"
	}
	return "Outage"
}

// kioskName is the kiosk's name with its id, or whichever is known.
func kioskName(r queue.IncidentReport) string {
	switch {
	case r.KioskName != "" && r.Kiosk != "":
		return r.KioskName + " (" + r.Kiosk + ")"
	case r.KioskName != "":
		return r.KioskName
	default:
		return orNone(r.Kiosk)
	}
}

// timeline is the report's timeline in time order; entries with the same
// time keep the order the kiosk recorded them in.
func timeline(r queue.IncidentReport) []queue.TimelineEntry {
	t := slices.Clone(r.Timeline)
	slices.SortStableFunc(t, func(a, b queue.TimelineEntry) int { return a.At.Compare(b.At) })
	return t
}

// tick is when a runbook step was first ticked, and by whom.
type tick struct {
	At    time.Time
	Actor string
}

// ticks are the first tick of each step index, from a sorted timeline.
func ticks(tl []queue.TimelineEntry) map[int]tick {
	out := map[int]tick{}
	for _, e := range tl {
		if e.Kind != queue.TimelineStep {
			continue
		}
		if _, ok := out[e.Step]; !ok {
			out[e.Step] = tick{At: e.At, Actor: e.Actor}
		}
	}
	return out
}

// stepsDone counts the configured steps that were ticked.
func stepsDone(steps []string, ticked map[int]tick) int {
	n := 0
	for i := range steps {
		if _, ok := ticked[i]; ok {
			n++
		}
	}
	return n
}

// forgotten are the ticked step indexes that the runbook no longer has,
// in order.
func forgotten(steps []string, ticked map[int]tick) []int {
	var out []int
	for i := range ticked {
		if i < 0 || i >= len(steps) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

func countKind(tl []queue.TimelineEntry, kind string) int {
	n := 0
	for _, e := range tl {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// scores counts the answers 1 to 5, and those outside.
func scores(fb []int) (counts [5]int, other int) {
	for _, f := range fb {
		if f >= 1 && f <= 5 {
			counts[f-1]++
		} else {
			other++
		}
	}
	return counts, other
}

func sortedAlerts(r queue.IncidentReport) []queue.StaffAlert {
	a := slices.Clone(r.Alerts)
	slices.SortStableFunc(a, func(x, y queue.StaffAlert) int {
		return cmp.Or(x.At.Compare(y.At), cmp.Compare(x.ID, y.ID))
	})
	return a
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// estimateSummary says how good the wait estimates were.
func estimateSummary(r queue.IncidentReport) string {
	mae, within5, n := r.EstimateError()
	if n == 0 {
		return "No visitor called yet, so no estimate can be checked."
	}
	return fmt.Sprintf("Mean absolute error %s over %s called; %.0f %% within 5 min of the estimate.",
		human(mae), plural(n, "visitor", "visitors"), within5*100)
}

func drainText(r queue.IncidentReport) string {
	switch {
	case r.Incident.Open():
		return "not drained yet (still going on)"
	case r.Incident.DrainedAt.IsZero():
		return "not drained yet"
	default:
		return human(r.DrainTime) + " after the end"
	}
}

// peakText is the incident's peak severity, and why for a drill that
// ended before its severity rose: it is minor because a drill is at least.
func peakText(inc queue.Incident, tl []queue.TimelineEntry) string {
	if inc.Drill && !inc.Open() && inc.Peak == queue.DrillPeak && countKind(tl, queue.TimelineSeverity) == 0 {
		return inc.Peak.String() + " (the least a drill is; this one ended before its severity rose)"
	}
	return inc.Peak.String()
}

func buildView(r queue.IncidentReport, o Options) view {
	p := newPrinter(r, o)
	inc := r.Incident
	tl := timeline(r)
	ticked := ticks(tl)

	v := view{
		KindName: kindName(inc),
		Drill:    inc.Drill,
		MadeAt:   p.full(r.MadeAt),
		Peak:     peakText(inc, tl),
	}
	v.Title = v.KindName + " report: " + kioskName(r)
	if r.Site != "" {
		v.Title += ", " + r.Site
	}

	end, duration := p.full(inc.End), human(r.Duration)
	if inc.Open() {
		end, duration = "still going on", human(r.Duration)+" so far"
	}
	v.Facts = []fact{
		{"Kind", v.KindName},
		{"Incident", "#" + strconv.FormatInt(inc.ID, 10)},
		{"Kiosk", kioskName(r)},
		{"Site", orNone(r.Site)},
		{"Cause", orNone(inc.Cause)},
		{"Start", p.full(inc.Start)},
		{"End", end},
		{"Duration", duration},
		{"Peak severity", v.Peak},
		{"Severity at the end", inc.Severity.String()},
	}
	if inc.Open() {
		v.Facts[len(v.Facts)-1].Label = "Severity now"
	}
	if inc.Drill {
		banner := "no"
		if inc.DrillBanner {
			banner = "yes"
		}
		v.Facts = append(v.Facts,
			fact{"Planned end of the drill", p.full(inc.DrillUntil)},
			fact{"Drill banner shown to visitors", banner})
	}
	v.Facts = append(v.Facts,
		fact{"Expected back (set by staff)", p.full(inc.ExpectedBack)},
		fact{"Report made", p.full(r.MadeAt)},
		fact{"Summary sent to the centre", p.full(inc.ReportedAt)})

	mae, within5, n := r.EstimateError()
	estimate := "no visitor called yet"
	if n > 0 {
		estimate = fmt.Sprintf("%s mean error, %.0f %% within 5 min (n = %d)", human(mae), within5*100, n)
	}
	v.StepsDone, v.StepsTotal = stepsDone(r.Steps, ticked), len(r.Steps)
	fbCount, mean := len(r.Feedback), r.FeedbackMean()
	v.HasFeedback = fbCount > 0
	v.FeedbackSummary = "No visitor answered."
	fbFact := "none"
	if fbCount > 0 {
		fbFact = fmt.Sprintf("%s, mean %.1f of 5", plural(fbCount, "answer", "answers"), mean)
		v.FeedbackSummary = fmt.Sprintf("%s, mean %.1f of 5.", plural(fbCount, "visitor answered", "visitors answered"), mean)
	}
	v.Lobby = []fact{
		{"Check-ins during the incident", strconv.Itoa(r.CheckIns)},
		{"Longest line", plural(r.PeakWaiting, "visitor waiting", "visitors waiting")},
		{"Longest wait", humanOrNone(r.LongestWait)},
		{"Largest backlog", plural(r.PeakBacklog, "change not yet at the centre", "changes not yet at the centre")},
		{"Estimates against actual waits", estimate},
		{"Backlog drained", drainText(r)},
		{"Conflicts flagged", strconv.Itoa(r.Conflicts)},
		{"Watch-list hits", strconv.Itoa(r.WatchHits)},
		{"Messages published", strconv.Itoa(countKind(tl, queue.TimelineMessage))},
		{"Checklist", fmt.Sprintf("%d of %d steps done", v.StepsDone, v.StepsTotal)},
		{"Visitor feedback", fbFact},
	}

	for _, e := range tl {
		ev := event{At: p.clock(e.At), Kind: label(kindLabels, e.Kind), Actor: actor(e.Actor), Text: orNone(e.Text)}
		switch e.Kind {
		case queue.TimelineSeverity:
			v.Severity = append(v.Severity, ev)
		case queue.TimelineMessage, queue.TimelineCleared:
			v.Messages = append(v.Messages, ev)
		case queue.TimelineExpected:
			v.Expected = append(v.Expected, ev)
		}
		v.Timeline = append(v.Timeline, ev)
	}
	v.ExpectedBack = p.full(inc.ExpectedBack)

	v.EstimateSummary = estimateSummary(r)
	waits := slices.Clone(r.Waits)
	slices.SortStableFunc(waits, func(a, b queue.WaitOutcome) int { return a.CheckedIn.Compare(b.CheckedIn) })
	for _, w := range waits {
		row := waitRow{
			Ticket: orNone(w.Ticket), Service: orNone(w.Service), CheckedIn: p.clock(w.CheckedIn),
			Estimate: human(w.Estimate), Waited: human(w.Wait), Diff: none,
		}
		if w.Waiting {
			row.Waited += " so far (still waiting)"
		} else {
			row.Diff = human(w.Wait - w.Estimate)
			if w.Wait > w.Estimate {
				row.Diff = "+" + row.Diff
			}
		}
		v.Waits = append(v.Waits, row)
	}

	v.Conflicts, v.WatchHits = r.Conflicts, r.WatchHits
	for _, a := range sortedAlerts(r) {
		v.Alerts = append(v.Alerts, alertRow{At: p.clock(a.At), Kind: label(alertLabels, a.Kind), Ticket: orNone(a.Ticket)})
	}

	for i, s := range r.Steps {
		row := stepRow{N: i + 1, Text: orNone(s), By: none, At: none}
		if t, ok := ticked[i]; ok {
			row.Done, row.By, row.At = true, actor(t.Actor), p.clock(t.At)
		}
		v.Steps = append(v.Steps, row)
	}
	for _, i := range forgotten(r.Steps, ticked) {
		t := ticked[i]
		v.Steps = append(v.Steps, stepRow{
			N: i + 1, Text: fmt.Sprintf("step %d, no longer in the runbook", i+1),
			Done: true, By: actor(t.Actor), At: p.clock(t.At), Forgotten: true,
		})
	}

	counts, other := scores(r.Feedback)
	for i, c := range counts {
		pct := 0
		if fbCount > 0 {
			pct = (c*100 + fbCount/2) / fbCount
		}
		v.Scores = append(v.Scores, scoreRow{Score: i + 1, Count: c, Percent: pct})
	}
	if other > 0 {
		v.OtherScores = plural(other, "answer was", "answers were") + " outside 1–5."
	}

	if inc.Drill {
		v.Response = []fact{
			{"First message published after the start", humanOrNone(r.FirstSaid)},
			{"Checklist completed after the start", humanOrNone(r.AllTicked)},
		}
	}
	return v
}
