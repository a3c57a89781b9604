package queue

import (
	"fmt"
	"time"
)

// Severity is how bad an incident is for the lobby.
type Severity int

// Severities, in rising order. Minor: sync is degraded. Major: the centre
// has been unreachable longer than a threshold. Critical: something on
// the kiosk itself is failing (database, disk, clock).
const (
	SeverityNone Severity = iota
	SeverityMinor
	SeverityMajor
	SeverityCritical
)

var severityNames = [...]string{"none", "minor", "major", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads "minor", "major" or "critical" (and "none").
func ParseSeverity(v string) (Severity, error) {
	for i, n := range severityNames {
		if n == v {
			return Severity(i), nil
		}
	}
	return SeverityNone, fmt.Errorf("severity %q must be minor, major or critical", v)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Incident is one outage, or one drill, as the kiosk lived it.
type Incident struct {
	ID           int64
	Drill        bool
	Cause        string    // what is down, for staff and the report: "central unreachable"
	Severity     Severity  // now, or when it ended
	Peak         Severity  // the highest it reached
	Start        time.Time // when the problem began (not when the grace ran out)
	End          time.Time // zero while it lasts
	DrainedAt    time.Time // when the backlog was empty after End; zero until then
	ExpectedBack time.Time // set by staff; zero if nobody said
	DrillUntil   time.Time // a drill's planned end
	DrillBanner  bool      // visitors see the banner during this drill
	ReportedAt   time.Time // when its summary went into the outbox for the centre
}

// DrillPeak is the least peak severity a drill ends with. A drill
// rehearses the centre being away, which is a minor incident once it is
// one; a drill is an incident from its first second (staff started it), so
// one stopped before the grace period ran out, whose severity never rose
// on its own, still ends minor. Its live severity keeps rehearsing the
// grace period. A centre of the previous release accepts only minor to
// critical, so this is also what keeps its summary from being refused.
const DrillPeak = SeverityMinor

// ReportedPeak is the peak severity in's report and summary give: its
// peak, raised to DrillPeak for a drill.
func ReportedPeak(in Incident) Severity {
	if in.Drill {
		return max(in.Peak, DrillPeak)
	}
	return in.Peak
}

// Open reports whether the incident is still going on.
func (i Incident) Open() bool { return i.End.IsZero() }

// Timeline entry kinds.
const (
	TimelineSeverity = "severity" // the severity changed; Text is "minor → major"
	TimelineMessage  = "message"  // staff published a message for the lobby
	TimelineCleared  = "cleared"  // staff took their message down
	TimelineExpected = "expected" // staff set or cleared the expected time back
	TimelineStep     = "step"     // staff ticked a runbook step
	TimelineEnd      = "end"      // the centre came back, or the drill ended
	TimelineDrained  = "drained"  // the backlog reached the centre
)

// TimelineEntry is one thing that happened during an incident.
type TimelineEntry struct {
	At    time.Time
	Kind  string
	Actor string // staff name, or "" for the kiosk itself
	Text  string // what happened, in the words staff used or the kiosk's
	Step  int    // for TimelineStep: the runbook step's index
}

// Sample is the lobby's state at a moment of an incident, for the chart.
type Sample struct {
	At      time.Time
	Waiting int // visitors waiting at this kiosk
	Backlog int // changes not yet at the centre
}

// WaitOutcome is one visit that checked in during an incident: what the
// kiosk estimated and how long the visitor really waited.
type WaitOutcome struct {
	Ticket    string
	Service   string
	CheckedIn time.Time
	Estimate  time.Duration // the estimate shown on the ticket (middle of the range)
	Wait      time.Duration // until called; until the report if still waiting
	Waiting   bool          // not called yet when the report was made
}

// IncidentReport is everything the kiosk knows about an incident, for
// the Markdown, CSV and HTML reports and for the centre's summary.
type IncidentReport struct {
	Kiosk     string
	KioskName string
	Site      string
	MadeAt    time.Time
	Incident  Incident
	Duration  time.Duration // Start to End, or to MadeAt while open

	CheckIns    int           // check-ins taken between Start and End
	PeakWaiting int           // the longest the line was, from the events log
	PeakBacklog int           // the most changes waiting for the centre at once, until drained
	LongestWait time.Duration // of the visits that checked in during the incident
	Waits       []WaitOutcome
	DrainTime   time.Duration // End to DrainedAt; 0 if not drained yet
	Conflicts   int           // duplicate check-ins and cancelled invitations flagged
	WatchHits   int           // watch-list matches, local or from the centre's re-screen
	Alerts      []StaffAlert  // those conflicts and hits

	Timeline  []TimelineEntry
	Steps     []string // the runbook as configured, for the checklist table
	Samples   []Sample
	Feedback  []int         // visitors' 1–5 answers
	FirstSaid time.Duration // from Start to the first message published; 0 if none
	AllTicked time.Duration // from Start to the last runbook step ticked, if all were; 0 otherwise
}

// EstimateError is the mean absolute difference between the estimates
// shown and the waits of visitors already called, and how many of them
// were within five minutes.
func (r IncidentReport) EstimateError() (mae time.Duration, within5 float64, n int) {
	var sum time.Duration
	var ok int
	for _, w := range r.Waits {
		if w.Waiting {
			continue
		}
		d := w.Wait - w.Estimate
		if d < 0 {
			d = -d
		}
		sum += d
		if d <= 5*time.Minute {
			ok++
		}
		n++
	}
	if n == 0 {
		return 0, 0, 0
	}
	return sum / time.Duration(n), float64(ok) / float64(n), n
}

// FeedbackMean is the visitors' average answer, 0 if none answered.
func (r IncidentReport) FeedbackMean() float64 {
	if len(r.Feedback) == 0 {
		return 0
	}
	sum := 0
	for _, f := range r.Feedback {
		sum += f
	}
	return float64(sum) / float64(len(r.Feedback))
}

// IncidentSummary is what a kiosk sends the centre about an incident once
// it is over and drained: the report's figures, no personal data.
type IncidentSummary struct {
	ID          int64         `json:"id"`
	Drill       bool          `json:"drill,omitempty"`
	Cause       string        `json:"cause"`
	Peak        Severity      `json:"peak"`
	Start       time.Time     `json:"start"`
	End         time.Time     `json:"end"`
	Duration    time.Duration `json:"duration_ns"`
	CheckIns    int           `json:"check_ins"`
	PeakWaiting int           `json:"peak_waiting"`
	LongestWait time.Duration `json:"longest_wait_ns"`
	DrainTime   time.Duration `json:"drain_time_ns"`
	Conflicts   int           `json:"conflicts"`
	WatchHits   int           `json:"watch_hits"`
	Messages    int           `json:"messages"`
	StepsDone   int           `json:"steps_done"`
	StepsTotal  int           `json:"steps_total"`
	Feedback    int           `json:"feedback"`
	FeedbackAvg float64       `json:"feedback_avg,omitempty"`
	FirstSaid   time.Duration `json:"first_said_ns,omitempty"`
	AllTicked   time.Duration `json:"all_ticked_ns,omitempty"`
}

// Summary condenses the report for the centre.
func (r IncidentReport) Summary() IncidentSummary {
	s := IncidentSummary{
		ID: r.Incident.ID, Drill: r.Incident.Drill, Cause: r.Incident.Cause, Peak: ReportedPeak(r.Incident),
		Start: r.Incident.Start.UTC(), End: r.Incident.End.UTC(), Duration: r.Duration,
		CheckIns: r.CheckIns, PeakWaiting: r.PeakWaiting, LongestWait: r.LongestWait, DrainTime: r.DrainTime,
		Conflicts: r.Conflicts, WatchHits: r.WatchHits, StepsTotal: len(r.Steps),
		Feedback: len(r.Feedback), FeedbackAvg: r.FeedbackMean(), FirstSaid: r.FirstSaid, AllTicked: r.AllTicked,
	}
	ticked := map[int]bool{}
	for _, e := range r.Timeline {
		switch e.Kind {
		case TimelineMessage:
			s.Messages++
		case TimelineStep:
			if e.Step < len(r.Steps) { // a step no longer in the runbook does not count
				ticked[e.Step] = true
			}
		}
	}
	s.StepsDone = len(ticked)
	return s
}
