package kiosk

import (
	"errors"
	"fmt"
	"slices"
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
	"lobbyline/syncer"
)

// drillLengths are the drill lengths staff pick from; defaultDrill is
// picked when the panel opens.
var drillLengths = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

const defaultDrill = 15 * time.Minute

// backIn are the "expected time back" buttons: from now.
var backIn = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour}

// recentIncidents is how many past incidents the panel lists for reports.
const recentIncidents = 5

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
type incidentScreen struct {
	u      *UI
	outage syncer.Outage // as last shown

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
	tplSev    queue.Severity // the severity tpls were ordered for
	chosen    int            // index in tpls of the template in message; -1 for none
	message   *widget.Entry
	hint      *widget.Label // what publishing will do with the text
	publish   *widget.Button
	upNow     *widget.Label // the message in the lobby, on one line
	upNowRow  fyne.CanvasObject
	upNowBy   *widget.Label
	takeDown  *widget.Button
	shadowed  *widget.Label // why visitors may not read it

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
	reportsFor   int64            // the open incident when the list was read; -1 before
	reportDialog dialog.Dialog
	reportFiles  *fyne.Container // the dialog's list of files written
}

// showIncident opens the staff incident panel.
func (u *UI) showIncident() {
	if u.staff != nil {
		if name := strings.TrimSpace(u.staff.staffName.Text); name != "" {
			u.staffName = name
		}
	}
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
	s.signed = newText(lang.X("incident.signed", "Signed as {{.Name}}", map[string]any{"Name": u.staffOrDefault()}),
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
		container.NewGridWithColumns(2, s.newMessage(), s.tabs)))
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

// newStatus is the card saying what is going on: the severity and
// cause, since when, the backlog, when the centre is expected back, and
// whom to call.
func (s *incidentScreen) newStatus() fyne.CanvasObject {
	u := s.u
	s.title = newWrapped("", theme.SizeNameSubHeadingText, widget.MediumImportance)
	s.title.TextStyle.Bold = true
	s.details = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	if u.cfg.Outage == nil {
		return card(s.title, tight(s.details))
	}

	s.stopDrill = widget.NewButtonWithIcon(lang.X("incident.drill.stop", "Stop drill"), theme.MediaStopIcon(), u.stopDrill)
	s.stopDrill.Importance = widget.WarningImportance
	s.stopDrill.Hide()

	s.expected = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	buttons := container.NewGridWithColumns(len(backIn) + 1)
	for _, d := range backIn {
		b := widget.NewButton(backInText(d), func() { u.setExpectedBack(d) })
		s.backIn = append(s.backIn, b)
		buttons.Add(b)
	}
	s.clearBack = widget.NewButton(lang.X("incident.expected.clear", "Clear"), func() { u.setExpectedBack(0) })
	buttons.Add(s.clearBack)
	s.expectedBox = container.NewVBox(widget.NewSeparator(), tight(s.expected), buttons)
	s.expectedBox.Hide()

	s.callers = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	s.calls = container.NewVBox(widget.NewSeparator(), tight(incidentHeading("")), tight(s.callers))
	s.calls.Hide()
	return card(s.title, tight(s.details), s.stopDrill, s.expectedBox, s.calls)
}

func backInText(d time.Duration) string {
	if d%time.Hour == 0 {
		return lang.X("incident.expected.hours", "+{{.N}} h", map[string]any{"N": int(d / time.Hour)})
	}
	return lang.X("incident.expected.minutes", "+{{.N}} min", map[string]any{"N": int(d / time.Minute)})
}

// newMessage is the lobby message card: the message up now, the
// templates to pick from and the text, with what Publish will do.
func (s *incidentScreen) newMessage() fyne.CanvasObject {
	u := s.u
	s.upNow = newText("", theme.SizeNameCaptionText, false, widget.MediumImportance)
	s.upNow.TextStyle.Italic = true
	s.upNow.Truncation = fyne.TextTruncateEllipsis
	s.upNowBy = newText("", theme.SizeNameCaptionText, false, widget.LowImportance)
	s.takeDown = widget.NewButtonWithIcon(lang.X("incident.take_down", "Take the message down"), theme.ContentClearIcon(), u.takeMessageDown)
	s.upNowRow = container.NewBorder(nil, nil, nil, s.takeDown, s.upNowBy)
	s.shadowed = newWrapped("", theme.SizeNameCaptionText, widget.WarningImportance)
	s.tplBox = container.NewVBox()

	s.message = widget.NewMultiLineEntry()
	s.message.Wrapping = fyne.TextWrapWord
	s.message.SetMinRowsVisible(4)
	s.message.SetPlaceHolder(lang.X("incident.message.placeholder", "What visitors will read"))
	s.message.OnChanged = func(string) { s.edited() }
	s.hint = newWrapped("", theme.SizeNameCaptionText, widget.LowImportance)
	s.publish = widget.NewButtonWithIcon(lang.X("incident.publish", "Publish"), theme.MailSendIcon(), u.publishMessage)
	s.publish.Importance = widget.HighImportance
	s.showDraft()

	top := container.NewVBox(incidentHeading(lang.X("incident.message", "Message for the lobby")),
		tight(s.upNow), s.upNowRow,
		s.shadowed, widget.NewSeparator())
	bottom := container.NewVBox(s.message, container.NewBorder(nil, nil, nil, sized(220, 0, s.publish), s.hint))
	return card(container.NewBorder(top, bottom, nil, nil, container.NewVScroll(s.tplBox)))
}

// newRunbook is the checklist, a tick button per step.
func (s *incidentScreen) newRunbook() fyne.CanvasObject {
	u := s.u
	s.noRunbook = newWrapped(lang.X("incident.runbook.idle", "The runbook is for an incident; none is going on."),
		theme.SizeNameText, widget.LowImportance)
	rows := []fyne.CanvasObject{s.noRunbook}
	if len(u.cfg.Incident.Runbook) == 0 {
		s.noRunbook.SetText(lang.X("incident.runbook.none", "No runbook is set up for this kiosk."))
	}
	for i, step := range u.cfg.Incident.Runbook {
		tick := widget.NewButtonWithIcon(lang.X("incident.step.tick", "Done"), theme.CheckButtonIcon(), func() { u.tickStep(i) })
		done := newText("", theme.SizeNameText, true, widget.SuccessImportance)
		done.Hide()
		text := newWrapped(fmt.Sprintf("%d. %s", i+1, step), theme.SizeNameText, widget.MediumImportance)
		row := container.NewBorder(nil, nil, nil, container.NewCenter(container.NewStack(tick, done)), text)
		row.Hide()
		s.steps, s.ticked, s.stepRows = append(s.steps, tick), append(s.ticked, done), append(s.stepRows, row)
		rows = append(rows, row)
	}
	return card(rows...)
}

// newDrill is the card to start a drill.
func (s *incidentScreen) newDrill() fyne.CanvasObject {
	u := s.u
	lengths := container.NewGridWithColumns(len(drillLengths))
	for _, d := range drillLengths {
		b := widget.NewButton(fmt.Sprint(int(d/time.Minute)), func() { s.chooseDrillLength(d) })
		s.lengths = append(s.lengths, b)
		lengths.Add(b)
	}
	s.drillBanner = widget.NewCheck(lang.X("incident.drill.banner", "Visitors see the banner"), func(bool) { u.touch() })
	s.drillBanner.SetChecked(u.cfg.Incident.DrillBanner)
	s.startDrill = widget.NewButtonWithIcon(lang.X("incident.drill.start", "Start drill"), theme.MediaPlayIcon(), u.startDrill)
	s.startDrill.Importance = widget.WarningImportance
	s.chooseDrillLength(s.drillLength)
	s.drillCard = card(
		incidentHeading(lang.X("incident.drill", "Drill")),
		tight(newWrapped(lang.X("incident.drill.help", "Practise an outage: the kiosk holds its changes as if the centre were down."),
			theme.SizeNameCaptionText, widget.LowImportance)),
		container.NewBorder(nil, nil, newText(lang.X("incident.drill.minutes", "Minutes"), theme.SizeNameText, false, widget.MediumImportance), nil, lengths),
		s.drillBanner, s.startDrill)
	return s.drillCard
}

// newReports is the card listing recent incidents with their reports.
func (s *incidentScreen) newReports() fyne.CanvasObject {
	s.reportRows = container.NewVBox()
	return card(incidentHeading(lang.X("incident.reports.recent", "Recent incidents")), s.reportRows)
}

// update shows a new outage state. The refresh tick calls it every two
// seconds: it reads the store only when the incident changed.
func (s *incidentScreen) update(o syncer.Outage) {
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
	s.orderTemplates(severityOf(o))
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
func severityOf(o syncer.Outage) queue.Severity {
	if o.Incident == nil {
		return queue.SeverityNone
	}
	return o.Incident.Severity
}

func (s *incidentScreen) showStatus(o syncer.Outage, now time.Time) {
	u := s.u
	clock := func(t time.Time) string { return t.In(u.location()).Format("15:04") }
	title, cause, imp := "", "", widget.SuccessImportance
	switch {
	case u.cfg.Outage == nil:
		title, imp = lang.X("incident.sync_off", "Sync is off"), widget.MediumImportance
		cause = lang.X("incident.sync_off.help", "This kiosk works on its own: no outage is watched, and lobby messages and drills need sync. Reports of past incidents are below.")
	case o.Drill():
		title, imp = lang.X("incident.drill.on", "Drill — ends at {{.Until}}", map[string]any{"Until": clock(o.Incident.DrillUntil)}), widget.WarningImportance
		cause = lang.X("incident.drill.hidden", "Visitors do not see the banner.")
		if o.Incident.DrillBanner {
			cause = lang.X("incident.drill.shown", "Visitors see the banner.")
		}
	case o.Incident != nil:
		title, imp = lang.X("staff.incident.on", "Incident: {{.Severity}}", map[string]any{"Severity": severityText(o.Incident.Severity)}), widget.DangerImportance
		if o.Incident.Severity == queue.SeverityNone {
			title = lang.X("staff.incident.starting", "Incident starting")
		}
		cause = causeText(o.Cause)
	case o.Cause != syncer.CauseNone:
		title, imp = lang.X("incident.watching", "A problem, not an incident yet"), widget.WarningImportance
		cause = causeText(o.Cause)
	case !o.Recovered.IsZero():
		title = lang.X("incident.recovered", "Back to normal since {{.At}}", map[string]any{"At": clock(o.Recovered)})
	default:
		title = lang.X("incident.none", "No incident: the centre is reachable")
	}
	if s.title.Importance != imp {
		s.title.Importance = imp
		s.title.Refresh()
	}
	s.set(s.title, title)

	var lines []string
	if cause != "" {
		lines = append(lines, cause)
	}
	if u.cfg.Outage != nil && (o.Incident != nil || o.Cause != syncer.CauseNone) && !o.Since.IsZero() {
		lines = append(lines, lang.X("incident.since", "Since {{.Since}} · for {{.For}}",
			map[string]any{"Since": clock(o.Since), "For": spanText(now.Sub(o.Since))}))
	}
	if u.cfg.Sync != nil {
		lines = append(lines, lang.X("incident.backlog", "Waiting to sync: {{.Backlog}}", map[string]any{"Backlog": u.syncStatus.Backlog}))
	}
	s.set(s.details, strings.Join(lines, "\n"))
}

// causeText is a cause as staff read it.
func causeText(c syncer.Cause) string {
	switch c {
	case syncer.CauseUnreachable:
		return lang.X("cause.unreachable", "The central system does not answer.")
	case syncer.CauseDegraded:
		return lang.X("cause.degraded", "The central system answers with errors.")
	case syncer.CauseUnenrolled:
		return lang.X("cause.unenrolled", "The centre no longer accepts this kiosk.")
	case syncer.CauseDrill:
		return lang.X("cause.drill", "A drill: the central system is treated as down.")
	case syncer.CauseDatabase:
		return lang.X("cause.database", "This kiosk cannot save to its database.")
	case syncer.CauseDisk:
		return lang.X("cause.disk", "This kiosk's disk is nearly full.")
	case syncer.CauseClock:
		return lang.X("cause.clock", "This kiosk's clock is far off.")
	}
	return ""
}

// showContacts lists whom to call for the current severity.
func (s *incidentScreen) showContacts(o syncer.Outage) {
	sev := severityOf(o)
	if sev == s.callSev {
		return
	}
	s.callSev = sev
	s.show(s.calls, sev != queue.SeverityNone)
	if sev == queue.SeverityNone {
		return
	}
	args := map[string]any{"Severity": severityText(sev)}
	s.set(s.calls.Objects[1].(*fyne.Container).Objects[0].(*widget.Label), lang.X("incident.call", "Who to call ({{.Severity}})", args))
	lines := make([]string, 0, len(s.u.cfg.Incident.Contacts[sev]))
	for _, c := range s.u.cfg.Incident.Contacts[sev] {
		lines = append(lines, "☎ "+c)
	}
	if len(lines) == 0 {
		lines = append(lines, lang.X("incident.call.none", "Nobody is listed for a {{.Severity}} incident on this kiosk.", args))
	}
	s.set(s.callers, strings.Join(lines, "\n"))
}

// orderTemplates lists the templates of severity sev first, under a
// heading, then the others; it keeps the template chosen.
func (s *incidentScreen) orderTemplates(sev queue.Severity) {
	if sev == s.tplSev {
		return
	}
	s.tplSev = sev
	chosen := ""
	if s.chosen >= 0 {
		chosen = s.tpls[s.chosen].ID
	}
	all := s.u.cfg.Incident.Templates
	first := queue.TemplatesFor(all, sev)
	s.tpls = append(slices.Clone(first), slices.DeleteFunc(slices.Clone(all), func(t queue.MessageTemplate) bool { return t.Severity == sev })...)
	s.templates = s.templates[:0]
	s.chosen, s.moved = -1, true
	s.tplBox.RemoveAll()
	if len(all) == 0 {
		s.tplBox.Add(newWrapped(lang.X("incident.templates.none", "No ready-made messages are set up; write your own below."),
			theme.SizeNameText, widget.LowImportance))
	}
	for i, t := range s.tpls {
		switch {
		case i == 0 && len(first) > 0:
			s.tplBox.Add(newText(lang.X("incident.templates.for", "For a {{.Severity}} incident", map[string]any{"Severity": severityText(sev)}),
				theme.SizeNameCaptionText, true, widget.LowImportance))
		case i == len(first) && len(first) > 0:
			s.tplBox.Add(newText(lang.X("incident.templates.other", "Other messages"), theme.SizeNameCaptionText, true, widget.LowImportance))
		}
		b := widget.NewButton(t.TitleIn(s.u.lang), func() { s.u.chooseTemplate(i) })
		b.Alignment = widget.ButtonAlignLeading
		if t.ID == chosen {
			s.chosen = i
		}
		s.templates = append(s.templates, b)
		s.tplBox.Add(b)
	}
	s.markChosen()
}

// markChosen ticks the button of the template in the entry.
func (s *incidentScreen) markChosen() {
	for i, b := range s.templates {
		var icon fyne.Resource
		if i == s.chosen {
			icon = theme.ConfirmIcon()
		}
		if b.Icon != icon {
			b.SetIcon(icon)
		}
	}
}

// chooseTemplate puts template i in the entry, ready to publish.
func (u *UI) chooseTemplate(i int) {
	u.touch()
	s := u.incident
	if s == nil || i < 0 || i >= len(s.tpls) {
		return
	}
	s.chosen = i
	s.message.SetText(s.tpls[i].Message("").Text(u.lang))
	s.markChosen()
	s.showDraft()
}

// edited follows the text as staff type.
func (s *incidentScreen) edited() {
	s.u.touch()
	s.showDraft()
}

// draft is the message Publish would put up: the chosen template with
// the text in the entry as its text in the current language, or the
// entry's text alone. edited says the text is not the template's.
func (s *incidentScreen) draft(by string) (m queue.LobbyMessage, edited bool) {
	u := s.u
	text := s.message.Text
	if s.chosen < 0 {
		return queue.LobbyMessage{Severity: severityOf(s.outage), Texts: map[string]string{u.lang: text}, PublishedBy: by}, true
	}
	m = s.tpls[s.chosen].Message(by)
	if strings.TrimSpace(text) != strings.TrimSpace(m.Text(u.lang)) {
		m.Texts[u.lang] = text
		edited = true
	}
	return m, edited
}

// showDraft says what Publish will do, and allows it once there is text.
func (s *incidentScreen) showDraft() {
	args := map[string]any{"Language": languageName(s.u.lang)}
	_, edited := s.draft("")
	blank := strings.TrimSpace(s.message.Text) == ""
	var hint string
	switch {
	case blank:
		hint = lang.X("incident.hint.pick", "Tap a message above, or write your own.")
	case s.chosen < 0:
		hint = lang.X("incident.hint.own", "Your own text: visitors read it as written, in every language.")
	case edited:
		hint = lang.X("incident.hint.edited", "Edited: the {{.Language}} text is yours; other languages keep the template's.", args)
	default:
		hint = lang.X("incident.hint.ready", "Ready: tap Publish. An edit changes only the {{.Language}} text.", args)
	}
	s.set(s.hint, hint)
	if blank {
		s.publish.Disable()
	} else {
		s.publish.Enable()
	}
	s.relayout()
}

// clearDraft empties the entry after the message went up.
func (s *incidentScreen) clearDraft() {
	s.chosen = -1
	s.message.SetText("")
	s.markChosen()
	s.showDraft()
}

// showMessage shows the message in the lobby, and what hides it.
func (s *incidentScreen) showMessage(o syncer.Outage) {
	u := s.u
	if o.Message == nil {
		s.set(s.upNow, lang.X("incident.message.none", "No message from staff in the lobby."))
		s.show(s.upNowRow, false)
	} else {
		s.set(s.upNow, "“"+o.Message.Text(u.lang)+"”")
		s.set(s.upNowBy, lang.X("incident.message.by", "Up since {{.At}}, by {{.By}}", map[string]any{
			"At": o.Message.PublishedAt.In(u.location()).Format("15:04"), "By": o.Message.PublishedBy}))
		s.show(s.upNowRow, true)
	}
	shadowed := ""
	for _, a := range o.Announcements {
		if a.Lang == "" || a.Lang == u.lang {
			shadowed = lang.X("incident.message.centre", "The centre's announcement comes first in the lobby: “{{.Text}}”", map[string]any{"Text": a.Text})
			break
		}
	}
	if shadowed == "" && o.Drill() && !o.Incident.DrillBanner {
		shadowed = lang.X("incident.message.drill", "Visitors do not see the banner during this drill.")
	}
	s.set(s.shadowed, shadowed)
	s.show(s.shadowed, shadowed != "")
}

// showExpected shows when the centre is expected back, during an incident.
func (s *incidentScreen) showExpected(o syncer.Outage, now time.Time) {
	s.show(s.expectedBox, o.Incident != nil)
	if o.Incident == nil {
		return
	}
	back := o.Incident.ExpectedBack
	args := map[string]any{"Back": back.In(s.u.location()).Format("15:04")}
	switch {
	case back.IsZero():
		s.set(s.expected, lang.X("incident.expected.unset", "Nobody has said when it will be back."))
	case now.Before(back):
		s.set(s.expected, lang.X("incident.expected.at", "Expected back at {{.Back}}.", args))
	default:
		s.set(s.expected, lang.X("incident.expected.late", "Expected back at {{.Back}}; that time has passed.", args))
	}
	if back.IsZero() {
		s.clearBack.Disable()
	} else {
		s.clearBack.Enable()
	}
}

// showRunbook shows the steps during an incident, which are ticked, by
// whom and when, and counts them on the tab.
func (s *incidentScreen) showRunbook(o syncer.Outage) {
	open := o.Incident != nil && len(s.steps) > 0
	s.show(s.noRunbook, !open)
	title := lang.X("incident.runbook", "Runbook")
	if !open {
		for _, r := range s.stepRows {
			s.show(r, false)
		}
		s.setTabTitle(s.runbookTab, title)
		return
	}
	if s.ticksFor != o.Incident.ID || !s.ticksAt.Equal(o.Updated) {
		s.readTicks(o.Incident.ID)
		s.ticksAt = o.Updated
	}
	n := 0
	for i := range s.steps {
		e, done := s.ticks[i]
		if done {
			n++
			s.set(s.ticked[i], lang.X("incident.step.done", "✓ {{.At}} · {{.By}}", map[string]any{
				"At": e.At.In(s.u.location()).Format("15:04"), "By": runbookName(e.Actor)}))
		}
		s.show(s.ticked[i], done)
		s.show(s.steps[i], !done)
		s.show(s.stepRows[i], true)
	}
	s.setTabTitle(s.runbookTab, lang.X("incident.runbook.count", "Runbook {{.Done}}/{{.Steps}}", map[string]any{"Done": n, "Steps": len(s.steps)}))
}

// setTabTitle renames a tab, redrawing the tabs only if it changed.
func (s *incidentScreen) setTabTitle(t *container.TabItem, title string) {
	if t.Text != title {
		t.Text = title
		s.tabs.Refresh()
	}
}

// readTicks reads incident id's ticked steps from its timeline.
func (s *incidentScreen) readTicks(id int64) {
	tl, err := s.u.store.Timeline(s.u.ctx, id)
	if err != nil {
		s.u.log.Warn("read incident timeline", "incident", id, "err", err)
		return
	}
	s.ticks, s.ticksFor = map[int]queue.TimelineEntry{}, id
	for _, e := range tl {
		if e.Kind == queue.TimelineStep {
			s.ticks[e.Step] = e
		}
	}
}

// runbookName keeps a name short enough for a runbook row.
func runbookName(n string) string {
	const max = 16
	if r := []rune(n); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return n
}

// showDrill offers a drill when all is well, and its end during one.
func (s *incidentScreen) showDrill(o syncer.Outage) {
	s.show(s.drillCard, o.Incident == nil)
	s.show(s.stopDrill, o.Drill())
}

func (s *incidentScreen) chooseDrillLength(d time.Duration) {
	s.u.touch()
	s.drillLength = d
	for i, b := range s.lengths {
		imp := widget.MediumImportance
		if drillLengths[i] == d {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
}

// showReports lists the recent incidents, reading them again when an
// incident started or ended.
func (s *incidentScreen) showReports(o syncer.Outage) {
	var open int64
	if o.Incident != nil {
		open = o.Incident.ID
	}
	if open == s.reportsFor {
		return
	}
	u := s.u
	list, err := u.store.Incidents(u.ctx, recentIncidents)
	if err != nil {
		u.log.Warn("read incidents", "err", err)
		return
	}
	s.reportsFor, s.moved = open, true
	s.reportRows.RemoveAll()
	s.reportIDs, s.reports = s.reportIDs[:0], s.reports[:0]
	if len(list) == 0 {
		s.reportRows.Add(newWrapped(lang.X("incident.reports.none", "No incidents yet."), theme.SizeNameText, widget.LowImportance))
	}
	for _, in := range list {
		kind := lang.X("incident.kind.outage", "Outage")
		if in.Drill {
			kind = lang.X("incident.kind.drill", "Drill")
		}
		length := lang.X("incident.going_on", "going on")
		if !in.Open() {
			length = spanText(in.End.Sub(in.Start))
		}
		line := newText(kind+" · "+u.rosterTime(in.Start), theme.SizeNameText, true, widget.MediumImportance)
		detail := newText(length, theme.SizeNameCaptionText, false, widget.LowImportance)
		if !in.Drill && in.Peak != queue.SeverityNone {
			detail.SetText(length + " · " + severityText(in.Peak))
		}
		id := in.ID
		write := widget.NewButtonWithIcon(lang.X("incident.report.write", "Write report"), theme.DocumentSaveIcon(), func() { u.writeReport(id) })
		if u.cfg.Incident.WriteReport == nil {
			write.Hide()
		}
		s.reportIDs, s.reports = append(s.reportIDs, id), append(s.reports, write)
		s.reportRows.Add(container.NewBorder(nil, nil, nil, write, denseVBox(tight(line), tight(detail))))
	}
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

// publishMessage puts the draft on the lobby banner.
func (u *UI) publishMessage() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	m, _ := s.draft(u.staffOrDefault())
	m, err := u.store.PublishMessage(u.ctx, m)
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("lobby message published", "id", m.ID, "template", m.Template, "by", m.PublishedBy)
	s.clearDraft()
	u.refreshOutage()
	s.setStatus(lang.X("incident.published", "Message published at {{.At}}.", map[string]any{"At": u.incidentClock(m.PublishedAt)}), false)
}

// takeMessageDown clears the lobby message.
func (u *UI) takeMessageDown() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	if err := u.store.ClearMessage(u.ctx, u.staffOrDefault()); err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("lobby message taken down")
	u.refreshOutage()
	s.setStatus(lang.X("incident.taken_down", "The message is down."), false)
}

// setExpectedBack says the centre should be back in d; 0 clears it.
func (u *UI) setExpectedBack(d time.Duration) {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	in := s.outage.Incident
	if in == nil {
		s.setStatus(lang.X("incident.over", "There is no incident going on."), true)
		return
	}
	var at time.Time
	if d > 0 {
		at = u.cfg.Now().Add(d)
	}
	if err := u.store.SetExpectedBack(u.ctx, in.ID, at, u.staffOrDefault()); err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.refreshOutage()
	if at.IsZero() {
		s.setStatus(lang.X("incident.expected.cleared", "The expected time is cleared."), false)
		return
	}
	s.setStatus(lang.X("incident.expected.set", "Expected time back set to {{.Back}}.", map[string]any{"Back": u.incidentClock(at)}), false)
}

// tickStep records that runbook step i is done.
func (u *UI) tickStep(i int) {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil || i < 0 || i >= len(u.cfg.Incident.Runbook) {
		return
	}
	in := s.outage.Incident
	if in == nil {
		s.setStatus(lang.X("incident.over", "There is no incident going on."), true)
		return
	}
	err := u.store.TickStep(u.ctx, in.ID, i, u.cfg.Incident.Runbook[i], u.staffOrDefault())
	s.ticksFor = 0 // read again, whoever ticked it
	s.showRunbook(s.outage)
	s.relayout()
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	s.setStatus(lang.X("incident.step.ticked", "Step {{.N}} done.", map[string]any{"N": i + 1}), false)
}

// startDrill starts a drill of the chosen length.
func (u *UI) startDrill() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	in, err := u.cfg.Outage.StartDrill(u.ctx, s.drillLength, s.drillBanner.Checked, u.staffOrDefault())
	u.showOutage(u.cfg.Outage.Outage())
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("drill started from the panel", "id", in.ID, "until", in.DrillUntil)
	s.setStatus(lang.X("incident.drill.started", "Drill started. It ends at {{.Until}}.", map[string]any{"Until": u.incidentClock(in.DrillUntil)}), false)
}

// stopDrill ends the running drill now.
func (u *UI) stopDrill() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	err := u.cfg.Outage.StopDrill(u.ctx, u.staffOrDefault())
	u.showOutage(u.cfg.Outage.Outage())
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	s.setStatus(lang.X("incident.drill.stopped", "Drill stopped. The kiosk sends what it held."), false)
}

// writeReport writes incident id's report files and lists them.
func (u *UI) writeReport(id int64) {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Incident.WriteReport == nil {
		return
	}
	paths, err := u.cfg.Incident.WriteReport(u.ctx, id)
	if err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) {
			s.setStatus(u.errorText(err), true)
			return
		}
		u.log.Error("write incident report", "incident", id, "err", err)
		s.setStatus(lang.X("incident.report.failed", "The report could not be written. IT can find why in the kiosk's log."), true)
		return
	}
	rows := []fyne.CanvasObject{newWrapped(lang.X("incident.report.files", "The report is in these files:"), theme.SizeNameText, widget.MediumImportance)}
	for _, p := range paths {
		rows = append(rows, newWrapped(p, theme.SizeNameCaptionText, widget.MediumImportance))
	}
	s.reportFiles = container.NewVBox(rows...)
	d := dialog.NewCustom(lang.X("incident.report.title", "Report written"), lang.X("dialog.close", "Close"),
		container.NewVScroll(s.reportFiles), u.win)
	d.Resize(fyne.NewSize(760, 420))
	s.reportDialog = d
	d.Show()
	s.setStatus(lang.X("incident.report.done", "Report written: {{.N}} files.", map[string]any{"N": len(paths)}), false)
}
