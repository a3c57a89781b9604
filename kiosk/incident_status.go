package kiosk

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// backIn are the "expected time back" buttons: from now.
var backIn = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour}

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

func (s *incidentScreen) showStatus(o outage.Outage, now time.Time) {
	u := s.u
	clock := func(t time.Time) string { return t.In(u.location()).Format("15:04") }
	title, cause, imp := "", "", widget.SuccessImportance
	switch {
	case u.cfg.Outage == nil:
		title, imp = lang.X("incident.sync_off", "Sync is off"), widget.MediumImportance
		cause = lang.X("incident.sync_off.help", "This kiosk works on its own: no outage is watched, and lobby messages and drills need sync. Reports of past incidents are below.")
	case o.Drill():
		title, imp = lang.X("incident.drill.on", "Drill — ends at {{.Until}}", map[string]any{"Until": clock(o.Incident.DrillUntil)}), widget.WarningImportance
		cause = lang.X("incident.drill.hidden", "Visitors do not see the drill banner.")
		if o.Incident.DrillBanner {
			cause = lang.X("incident.drill.shown", "Visitors see the drill banner.")
		}
	case o.Incident != nil:
		title, imp = lang.X("staff.incident.on", "Incident: {{.Severity}}", map[string]any{"Severity": severityText(o.Incident.Severity)}), widget.DangerImportance
		if o.Incident.Severity == queue.SeverityNone {
			title = lang.X("staff.incident.starting", "Incident starting")
		}
		cause = causeText(o.Cause)
	case o.Cause != outage.CauseNone:
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
	if u.cfg.Outage != nil && (o.Incident != nil || o.Cause != outage.CauseNone) && !o.Since.IsZero() {
		lines = append(lines, lang.X("incident.since", "Since {{.Since}} · for {{.For}}",
			map[string]any{"Since": clock(o.Since), "For": spanText(now.Sub(o.Since))}))
	}
	if u.cfg.Sync != nil {
		lines = append(lines, lang.X("incident.backlog", "Waiting to sync: {{.Backlog}}", map[string]any{"Backlog": u.syncStatus.Backlog}))
	}
	s.set(s.details, strings.Join(lines, "\n"))
}

// causeText is a cause as staff read it.
func causeText(c outage.Cause) string {
	switch c {
	case outage.CauseUnreachable:
		return lang.X("cause.unreachable", "The central system does not answer.")
	case outage.CauseDegraded:
		return lang.X("cause.degraded", "The central system answers with errors.")
	case outage.CauseUnenrolled:
		return lang.X("cause.unenrolled", "The centre no longer accepts this kiosk.")
	case outage.CauseKioskOutdated:
		return lang.X("cause.outdated", "This kiosk needs an update: the centre no longer accepts its version.")
	case outage.CauseCentreOutdated:
		return lang.X("cause.centre_outdated", "The centre needs an update: it runs a version older than this kiosk's.")
	case outage.CauseDrill:
		return lang.X("cause.drill", "A drill: the central system is treated as down.")
	case outage.CauseDatabase:
		return lang.X("cause.database", "This kiosk cannot save to its database.")
	case outage.CauseDisk:
		return lang.X("cause.disk", "This kiosk's disk is nearly full.")
	case outage.CauseClock:
		return lang.X("cause.clock", "This kiosk's clock is far off.")
	}
	return ""
}

// showContacts lists whom to call for the current severity.
func (s *incidentScreen) showContacts(o outage.Outage) {
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

// showExpected shows when the centre is expected back, during an incident.
func (s *incidentScreen) showExpected(o outage.Outage, now time.Time) {
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
	if err := u.incidentLog.SetExpectedBack(u.staffCtx(), in.ID, at, u.staffOrDefault()); err != nil {
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
