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
	// Lang is the language of every text a person reads in the report
	// (a code of Languages; "" is English): the staff's, not a visitor's.
	// The CSV's header and codes stay English; see WriteCSV.
	Lang string
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
	Lang     language
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
	Checklist             string // "2 of 3 steps done"
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

// kindLabels are the catalogue keys naming timeline entries for people.
var kindLabels = map[string]string{
	queue.TimelineSeverity: "event.severity",
	queue.TimelineMessage:  "event.message",
	queue.TimelineCleared:  "event.cleared",
	queue.TimelineExpected: "event.expected",
	queue.TimelineStep:     "event.step",
	queue.TimelineEnd:      "event.end",
	queue.TimelineDrained:  "event.drained",
	queue.TimelineNote:     "event.note",
}

// alertLabels are the catalogue keys naming alert kinds for people.
var alertLabels = map[string]string{
	queue.AlertWatch:       "alert.watch",
	queue.AlertDuplicate:   "alert.duplicate",
	queue.AlertPreRegGone:  "alert.prereg_cancelled",
	queue.AlertUnknownCode: "alert.invite_unknown",
}

// severityLabels are the catalogue keys naming severities.
var severityLabels = map[queue.Severity]string{
	queue.SeverityNone:     "severity.none",
	queue.SeverityMinor:    "severity.minor",
	queue.SeverityMajor:    "severity.major",
	queue.SeverityCritical: "severity.critical",
}

// label is kind's name in l, or kind itself if it has none.
func (l language) label(labels map[string]string, kind string) string {
	if key, ok := labels[kind]; ok {
		return l.t(key)
	}
	return kind
}

func (l language) severity(s queue.Severity) string {
	if key, ok := severityLabels[s]; ok {
		return l.t(key)
	}
	return s.String()
}

// printer formats times and durations in one zone and language, with
// times on the incident's first day shown as a bare clock time.
type printer struct {
	language
	loc *time.Location
	day time.Time // local midnight of the incident's start
}

func newPrinter(r queue.IncidentReport, o Options) (printer, error) {
	l, err := newLanguage(o.Lang)
	if err != nil {
		return printer{}, err
	}
	p := printer{language: l, loc: o.location()}
	s := r.Incident.Start.In(p.loc)
	p.day = time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, p.loc)
	return p, nil
}

// full is a time with its date and zone, for the summary.
func (p printer) full(t time.Time) string {
	if t.IsZero() {
		return none
	}
	t = t.In(p.loc)
	return p.date(t) + t.Format(" 15:04:05 MST")
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
	return p.date(t) + t.Format(" 15:04:05")
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

func (l language) actor(a string) string {
	if a == "" {
		return l.t("actor.kiosk")
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
func (l language) kindName(inc queue.Incident) string {
	if inc.Drill {
		return l.t("kind.drill")
	}
	return l.t("kind.outage")
}

// either is the drill's key or the outage's.
func either(inc queue.Incident, drill, outage string) string {
	if inc.Drill {
		return drill
	}
	return outage
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

// estimateSummary says how good the wait estimates were.
func (l language) estimateSummary(r queue.IncidentReport) string {
	mae, within5, n := r.EstimateError()
	if n == 0 {
		return l.t("estimate.none.summary")
	}
	return l.t("estimate.summary", "Error", human(mae), "N", n, "Within", l.decimal(within5*100, 0))
}

func (l language) drainText(r queue.IncidentReport) string {
	switch {
	case r.Incident.Open():
		return l.t("drain.open")
	case r.Incident.DrainedAt.IsZero():
		return l.t("drain.not")
	default:
		return l.t("drain.after", "Duration", human(r.DrainTime))
	}
}

// peakText is the incident's peak severity, and why for a drill that
// ended before its severity rose: it is minor because a drill is at least.
func (l language) peakText(inc queue.Incident, tl []queue.TimelineEntry) string {
	if inc.Drill && !inc.Open() && inc.Peak == queue.DrillPeak && countKind(tl, queue.TimelineSeverity) == 0 {
		return l.t("peak.drill_least", "Peak", l.severity(inc.Peak))
	}
	return l.severity(inc.Peak)
}

func buildView(r queue.IncidentReport, o Options) (view, error) {
	p, err := newPrinter(r, o)
	if err != nil {
		return view{}, err
	}
	inc := r.Incident
	tl := timeline(r)
	ticked := ticks(tl)

	v := view{
		Lang:     p.language,
		KindName: p.kindName(inc),
		Drill:    inc.Drill,
		MadeAt:   p.full(r.MadeAt),
		Peak:     p.peakText(inc, tl),
	}
	v.Title = p.t(either(inc, "title.drill", "title.outage"), "Kiosk", kioskName(r))
	if r.Site != "" {
		v.Title += ", " + r.Site
	}

	end, duration := p.full(inc.End), human(r.Duration)
	if inc.Open() {
		end, duration = p.t("end.open"), p.t("duration.so_far", "Duration", human(r.Duration))
	}
	v.Facts = []fact{
		{p.t("fact.kind"), v.KindName},
		{p.t("fact.incident"), "#" + strconv.FormatInt(inc.ID, 10)},
		{p.t("fact.kiosk"), kioskName(r)},
		{p.t("fact.site"), orNone(r.Site)},
		{p.t("fact.cause"), orNone(inc.Cause)},
		{p.t("fact.start"), p.full(inc.Start)},
		{p.t("fact.end"), end},
		{p.t("fact.duration"), duration},
		{p.t("fact.peak"), v.Peak},
		{p.t("fact.severity_end"), p.severity(inc.Severity)},
	}
	if inc.Open() {
		v.Facts[len(v.Facts)-1].Label = p.t("fact.severity_now")
	}
	if inc.Drill {
		banner := p.t("value.no")
		if inc.DrillBanner {
			banner = p.t("value.yes")
		}
		v.Facts = append(v.Facts,
			fact{p.t("fact.drill_until"), p.full(inc.DrillUntil)},
			fact{p.t("fact.drill_banner"), banner})
	}
	v.Facts = append(v.Facts,
		fact{p.t("fact.expected_back"), p.full(inc.ExpectedBack)},
		fact{p.t("fact.made"), p.full(r.MadeAt)},
		fact{p.t("fact.reported"), p.full(inc.ReportedAt)})

	mae, within5, n := r.EstimateError()
	estimate := p.t("estimate.none")
	if n > 0 {
		estimate = p.t("estimate.fact", "Error", human(mae), "Within", p.decimal(within5*100, 0), "N", n)
	}
	v.StepsDone, v.StepsTotal = stepsDone(r.Steps, ticked), len(r.Steps)
	v.Checklist = p.t("checklist.count", "Done", v.StepsDone, "N", v.StepsTotal)
	fbCount, mean := len(r.Feedback), p.decimal(r.FeedbackMean(), 1)
	v.HasFeedback = fbCount > 0
	v.FeedbackSummary = p.t("feedback.none")
	fbFact := p.t("feedback.none.fact")
	if fbCount > 0 {
		fbFact = p.t("feedback.fact", "N", fbCount, "Mean", mean)
		v.FeedbackSummary = p.t("feedback.summary", "N", fbCount, "Mean", mean)
	}
	v.Lobby = []fact{
		{p.t("lobby.check_ins"), strconv.Itoa(r.CheckIns)},
		{p.t("lobby.longest_line"), p.t("lobby.waiting", "N", r.PeakWaiting)},
		{p.t("lobby.longest_wait"), humanOrNone(r.LongestWait)},
		{p.t("lobby.largest_backlog"), p.t("lobby.backlog", "N", r.PeakBacklog)},
		{p.t("heading.estimates"), estimate},
		{p.t("lobby.drained"), p.drainText(r)},
		{p.t("lobby.conflicts"), strconv.Itoa(r.Conflicts)},
		{p.t("lobby.watch_hits"), strconv.Itoa(r.WatchHits)},
		{p.t("lobby.messages"), strconv.Itoa(countKind(tl, queue.TimelineMessage))},
		{p.t("lobby.checklist"), v.Checklist},
		{p.t("lobby.feedback"), fbFact},
	}

	for _, e := range tl {
		ev := event{At: p.clock(e.At), Kind: p.label(kindLabels, e.Kind), Actor: p.actor(e.Actor), Text: orNone(p.storedText(e))}
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

	v.EstimateSummary = p.estimateSummary(r)
	waits := slices.Clone(r.Waits)
	slices.SortStableFunc(waits, func(a, b queue.WaitOutcome) int { return a.CheckedIn.Compare(b.CheckedIn) })
	for _, w := range waits {
		row := waitRow{
			Ticket: orNone(w.Ticket), Service: orNone(w.Service), CheckedIn: p.clock(w.CheckedIn),
			Estimate: human(w.Estimate), Waited: human(w.Wait), Diff: none,
		}
		if w.Waiting {
			row.Waited = p.t("wait.so_far", "Duration", row.Waited)
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
		v.Alerts = append(v.Alerts, alertRow{At: p.clock(a.At), Kind: p.label(alertLabels, a.Kind), Ticket: orNone(a.Ticket)})
	}

	for i, s := range r.Steps {
		row := stepRow{N: i + 1, Text: orNone(s), By: none, At: none}
		if t, ok := ticked[i]; ok {
			row.Done, row.By, row.At = true, p.actor(t.Actor), p.clock(t.At)
		}
		v.Steps = append(v.Steps, row)
	}
	for _, i := range forgotten(r.Steps, ticked) {
		t := ticked[i]
		v.Steps = append(v.Steps, stepRow{
			N: i + 1, Text: p.t("step.forgotten", "Step", i+1),
			Done: true, By: p.actor(t.Actor), At: p.clock(t.At), Forgotten: true,
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
		v.OtherScores = p.t("feedback.other", "N", other)
	}

	if inc.Drill {
		v.Response = []fact{
			{p.t("response.first_message"), humanOrNone(r.FirstSaid)},
			{p.t("response.checklist"), humanOrNone(r.AllTicked)},
		}
	}
	return v, nil
}
