package kiosk

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// incidentScreen is the staff incident panel: what is wrong and since
// when, whom to call, the message the lobby reads, when the centre is
// expected back, the runbook, drills and reports.
//
// The left column is the lobby message, so a template is two taps from
// the staff screen. The right column is in tabs (the state, the runbook,
// reports) rather than one long scroll: Fyne's scroll containers do not
// follow a finger on a desktop touchscreen.
//
// update runs on every refresh tick: it changes labels and visibility and
// never rebuilds the screen, so a message half typed stays as it is.
//
// This file holds the shell and what the parts share; each part is in
// its own file, with the staff actions it offers: incident_status.go,
// incident_message.go, incident_runbook.go, incident_drill.go and
// incident_reports.go.
type incidentScreen struct {
	u      *UI
	outage outage.Outage // as last shown

	back    *widget.Button
	signed  *widget.Label // whose name the timeline records
	status  *widget.Label // the outcome of the last action
	tabs    *container.AppTabs
	content fyne.CanvasObject
	moved   bool // something was shown or hidden: lay the panel out again

	// What is going on.
	title   *widget.Label
	details *widget.Label // the cause, since when, the backlog: a line each
	calls   *fyne.Container
	callers *widget.Label  // who to call, a line each
	callSev queue.Severity // the severity calls lists

	// The lobby message.
	tpls      []queue.MessageTemplate // in the order shown
	templates []*widget.Button        // one per tpls
	tplBox    *fyne.Container
	tplSev    queue.Severity  // the severity tpls were ordered for
	tplSit    queue.Situation // what the lobby went through when tpls were chosen
	chosen    int             // index in tpls of the template in message; -1 for none
	message   *keyEntry
	hint      *widget.Label // what publishing will do with the text
	publish   *widget.Button
	upNow     *widget.Label // the message in the lobby, on one line
	upNowRow  fyne.CanvasObject
	upNowBox  fyne.CanvasObject // upNow, tight
	upNowBy   *widget.Label
	takeDown  *widget.Button
	// The drill's practice message, kept apart from the lobby's.
	practiceNow      *widget.Label
	practiceRow      fyne.CanvasObject
	practiceBy       *widget.Label
	takeDownPractice *widget.Button
	shadowed         *widget.Label // which of them visitors read

	// When the centre is expected back, during an incident.
	expectedBox fyne.CanvasObject
	expected    *widget.Label
	backIn      []*widget.Button
	clearBack   *widget.Button

	// The runbook.
	runbookTab *container.TabItem
	noRunbook  *widget.Label     // instead of the steps when no incident is open
	steps      []*widget.Button  // tick buttons, one per runbook step
	ticked     []*widget.Label   // "✓ 14:07 · Carmen", in place of the button
	stepRows   []*fyne.Container // the rows holding them
	ticks      map[int]queue.TimelineEntry
	ticksFor   int64     // the incident ticks were read for
	ticksAt    time.Time // the outage's Updated when they were read

	// Drills.
	drillCard   fyne.CanvasObject
	drillLength time.Duration
	lengths     []*widget.Button // one per drillLengths
	drillBanner *widget.Check
	startDrill  *widget.Button
	stopDrill   *widget.Button

	// Reports of recent incidents.
	reportRows   *fyne.Container
	reportIDs    []int64          // the incidents listed, newest first
	reports      []*widget.Button // "Write report", one per reportIDs
	language     *reportLanguage  // the reports' language; nil with one language
	reportsFor   int64            // the open incident when the list was read; -1 before
	reportDialog dialog.Dialog
	reportFiles  *fyne.Container // the dialog's list of files written
}

// showIncident opens the staff incident panel.
func (u *UI) showIncident() {
	s := newIncidentScreen(u)
	u.incident = s
	u.setScreen(screenIncident, s.content)
	s.update(u.outage)
}

// leaveIncident goes back to the staff screen.
func (u *UI) leaveIncident() {
	u.incident = nil
	u.showStaff()
}

func newIncidentScreen(u *UI) *incidentScreen {
	s := &incidentScreen{u: u, chosen: -1, tplSev: -1, callSev: -1, reportsFor: -1, drillLength: defaultDrill}
	s.back = widget.NewButtonWithIcon(lang.X("incident.back", "Back"), theme.NavigateBackIcon(), u.leaveIncident)
	s.signed = newText(lang.X("incident.signed", "Actions recorded as {{.Name}}", map[string]any{"Name": u.staffOrDefault()}),
		theme.SizeNameCaptionText, false, widget.LowImportance)
	// The outcome of an action shows in the header, where it moves
	// nothing under the next tap.
	s.status = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	header := container.NewBorder(nil, nil,
		container.NewHBox(sized(160, 0, s.back),
			newText(lang.X("incident.title", "Incident"), theme.SizeNameHeadingText, true, widget.MediumImportance)),
		container.NewCenter(s.signed),
		container.NewPadded(s.status))

	reports := container.NewTabItemWithIcon(lang.X("incident.reports", "Reports"), theme.DocumentIcon(),
		container.NewVScroll(s.newReports()))
	if u.cfg.Outage == nil {
		// Without the monitor nothing reaches the lobby banner and no
		// incident opens; past incidents can still be reported on.
		s.content = container.NewPadded(container.NewBorder(header, nil, nil, nil,
			container.NewVScroll(container.NewVBox(s.newStatus(), s.newReports()))))
		return s
	}

	s.runbookTab = container.NewTabItemWithIcon(lang.X("incident.runbook", "Runbook"), theme.ListIcon(),
		container.NewVScroll(s.newRunbook()))
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.X("incident.state", "Now"), theme.InfoIcon(),
			container.NewVScroll(container.NewVBox(s.newStatus(), s.newDrill()))),
		s.runbookTab, reports)
	s.tabs.OnSelected = func(*container.TabItem) { u.touch() }
	s.content = container.NewPadded(container.NewBorder(header, nil, nil, nil,
		orientEven(s.newMessage(), s.tabs))) // on a portrait screen, the message above the tabs
	return s
}

// incidentHeading is the title of a part of the panel.
func incidentHeading(title string) *widget.Label {
	return newText(title, theme.SizeNameText, true, widget.HighImportance)
}

// tight sets a label with less space above and below it, for lines
// under a heading; it keeps its side padding, so it lines up with the
// labels around it. To hide the label, hide the wrapper.
func tight(l *widget.Label) fyne.CanvasObject {
	const d = densePadding - innerPadding
	return container.New(layout.NewCustomPaddedLayout(d, d, 0, 0), l)
}

// update shows a new outage state. The refresh tick calls it every two
// seconds: it reads the store only when the incident changed.
func (s *incidentScreen) update(o outage.Outage) {
	u := s.u
	if u.incident != s || u.screen != screenIncident {
		return
	}
	s.outage = o
	now := u.cfg.Now()
	defer s.relayout()
	s.showStatus(o, now)
	s.showReports(o)
	if u.cfg.Outage == nil {
		return
	}
	s.showContacts(o)
	s.orderTemplates(o)
	s.showMessage(o)
	s.showExpected(o, now)
	s.showRunbook(o)
	s.showDrill(o)
}

// set changes a label's text, and notes a change for relayout: the
// label may now need more lines, or fewer.
func (s *incidentScreen) set(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
		s.moved = true
	}
}

// show shows or hides o, and notes a change for relayout.
func (s *incidentScreen) show(o fyne.CanvasObject, on bool) {
	if setVisible(o, on) {
		s.moved = true
	}
}

// relayout lays the panel out again after parts of it were shown or
// hidden: Fyne does not resize a container when a child's visibility
// changes, and the space a hidden part took would stay empty.
func (s *incidentScreen) relayout() {
	if s.moved && s.content != nil {
		s.moved = false
		s.content.Refresh()
	}
}

// severityOf is the severity templates and contacts are chosen by.
func severityOf(o outage.Outage) queue.Severity {
	if o.Incident == nil {
		return queue.SeverityNone
	}
	return o.Incident.Severity
}

// setStatus shows the outcome of the last action.
func (s *incidentScreen) setStatus(msg string, failed bool) {
	if s.status.Text != msg {
		s.moved = true
	}
	setResult(s.status, msg, failed)
	s.relayout()
}

// staffOrDefault is the name the incident's timeline records.
func (u *UI) staffOrDefault() string {
	if n := strings.TrimSpace(u.staffName); n != "" {
		return n
	}
	return lang.X("incident.staff", "staff")
}

// refreshOutage has the monitor look again after staff changed something
// and shows the answer at once; the subscription brings it again later.
func (u *UI) refreshOutage() {
	if err := u.cfg.Outage.Evaluate(u.ctx); err != nil {
		u.log.Warn("evaluate outage", "err", err)
	}
	u.showOutage(u.cfg.Outage.Outage())
}

// incidentClock is a time as staff read it on the panel.
func (u *UI) incidentClock(t time.Time) string { return t.In(u.location()).Format("15:04") }
