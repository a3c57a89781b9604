package kiosk

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// newMessage is the lobby message card: the message up now, the
// templates to pick from and the text, with what Publish will do.
func (s *incidentScreen) newMessage() fyne.CanvasObject {
	u := s.u
	// The message up and who put it up wrap: a long message or a long
	// name must not widen the card, which would push the tabs beside it
	// off a landscape screen.
	s.upNow = newWrapped("", theme.SizeNameCaptionText, widget.MediumImportance)
	s.upNow.TextStyle.Italic = true
	s.upNowBy = newWrapped("", theme.SizeNameCaptionText, widget.LowImportance)
	s.takeDown = widget.NewButtonWithIcon(lang.X("incident.take_down", "Take the message down"), theme.ContentClearIcon(), u.takeMessageDown)
	s.upNowRow = container.NewBorder(nil, nil, nil, s.takeDown, s.upNowBy)
	s.upNowBox = tight(s.upNow)
	s.practiceNow = newWrapped("", theme.SizeNameCaptionText, widget.MediumImportance)
	s.practiceNow.TextStyle.Italic = true
	s.practiceBy = newWrapped("", theme.SizeNameCaptionText, widget.LowImportance)
	s.takeDownPractice = widget.NewButtonWithIcon(lang.X("incident.take_down_practice", "Take the practice down"), theme.ContentClearIcon(), u.takePracticeDown)
	// Beside its Take down, so that the two messages leave the
	// templates room on a landscape screen.
	s.practiceRow = container.NewBorder(nil, nil, nil, s.takeDownPractice, container.NewVBox(tight(s.practiceNow), s.practiceBy))
	s.shadowed = newWrapped("", theme.SizeNameCaptionText, widget.WarningImportance)
	s.tplBox = container.NewVBox()

	s.message = u.newMultiLineEntry()
	s.message.Wrapping = fyne.TextWrapWord
	s.message.SetMinRowsVisible(4)
	s.message.SetPlaceHolder(lang.X("incident.message.placeholder", "What visitors will read"))
	s.message.OnChanged = func(string) { s.edited() }
	s.hint = newWrapped("", theme.SizeNameCaptionText, widget.LowImportance)
	s.publish = widget.NewButtonWithIcon(lang.X("incident.publish", "Publish"), theme.MailSendIcon(), u.publishMessage)
	s.publish.Importance = widget.HighImportance
	s.showDraft()

	// The messages up scroll with the templates: during a drill the
	// lobby's message and the practice one, long and with a long name,
	// would not leave the entry room on a landscape screen otherwise.
	top := incidentHeading(lang.X("incident.message", "Message for the lobby"))
	up := container.NewVBox(s.upNowBox, s.upNowRow, s.practiceRow, s.shadowed, widget.NewSeparator(), s.tplBox)
	bottom := container.NewVBox(s.message, container.NewBorder(nil, nil, nil, sized(220, 0, s.publish), s.hint))
	return card(container.NewBorder(top, bottom, nil, nil, container.NewVScroll(up)))
}

// orderTemplates lists the templates staff may publish now (see
// queue.MessageTemplate.Offered: those about an outage only during an
// incident of their kind), those of the incident's severity first,
// under a heading, then the others; it keeps the template chosen if it is
// still offered.
func (s *incidentScreen) orderTemplates(o outage.Outage) {
	sev, sit := severityOf(o), situation(o)
	if sev == s.tplSev && sit == s.tplSit {
		return
	}
	s.tplSev, s.tplSit = sev, sit
	var chosen queue.MessageTemplate
	if s.chosen >= 0 {
		chosen = s.tpls[s.chosen]
	}
	configured := s.u.cfg.Incident.Templates
	all := queue.TemplatesOffered(configured, sit)
	first := queue.TemplatesFor(all, sev)
	s.tpls = append(slices.Clone(first), slices.DeleteFunc(slices.Clone(all), func(t queue.MessageTemplate) bool { return t.Severity == sev })...)
	s.templates = s.templates[:0]
	s.chosen, s.moved = -1, true
	s.tplBox.RemoveAll()
	if len(configured) == 0 {
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
		if t.ID == chosen.ID {
			s.chosen = i
		}
		s.templates = append(s.templates, b)
		s.tplBox.Add(b)
	}
	if len(all) < len(configured) && sit == queue.AllWell {
		s.tplBox.Add(newWrapped(lang.X("incident.templates.outage", "Messages about an outage are offered during an incident or a drill."),
			theme.SizeNameCaptionText, widget.LowImportance))
	}
	if chosen.ID != "" && s.chosen < 0 && strings.TrimSpace(s.message.Text) == strings.TrimSpace(chosen.Message("").Text(s.u.lang)) {
		// The incident ended under a draft of a template about it, as
		// the template left it: its words are no longer true.
		s.message.SetText("")
	}
	s.markChosen()
	s.showDraft()
}

// situation is what the templates offered must be true of: the open
// incident's kind (its cause now, or the one it was opened with while
// its cause has cleared and it drains).
func situation(o outage.Outage) queue.Situation {
	switch {
	case o.Incident == nil:
		return queue.AllWell
	case o.Cause.Local() || o.Cause == outage.CauseNone && outage.IncidentCause(*o.Incident).Local():
		return queue.KioskProblem
	default:
		return queue.CentreDown
	}
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

// showMessage shows the lobby's message and the drill's practice
// message, each with its own Take down, and which of them visitors read.
func (s *incidentScreen) showMessage(o outage.Outage) {
	u := s.u
	practice := o.Practice
	if practice != nil && (!o.Drill() || practice.Incident != o.Incident.ID) {
		practice = nil // a drill's practice goes with it
	}
	switch {
	case o.Message != nil:
		args := map[string]any{"At": u.incidentClock(o.Message.PublishedAt), "By": o.Message.PublishedBy}
		s.set(s.upNow, "“"+o.Message.Text(u.lang)+"”")
		s.set(s.upNowBy, lang.X("incident.message.by", "Up since {{.At}}, by {{.By}}", args))
		s.show(s.upNowBox, true)
		s.show(s.upNowRow, true)
	case practice != nil:
		// The practice message below says what there is.
		s.show(s.upNowBox, false)
		s.show(s.upNowRow, false)
	default:
		s.set(s.upNow, lang.X("incident.message.none", "No message from staff in the lobby."))
		s.show(s.upNowBox, true)
		s.show(s.upNowRow, false)
	}
	if practice != nil {
		args := map[string]any{"At": u.incidentClock(practice.PublishedAt), "By": practice.PublishedBy}
		s.set(s.practiceNow, "“"+practice.Text(u.lang)+"”")
		s.set(s.practiceBy, lang.X("incident.message.practice_by", "Published at {{.At}} by {{.By}}, as practice", args))
	}
	s.show(s.practiceRow, practice != nil)

	shadowed := ""
	for _, a := range o.Announcements {
		if a.Lang == "" || a.Lang == u.lang {
			shadowed = lang.X("incident.message.centre", "The centre's announcement comes first in the lobby: “{{.Text}}”", map[string]any{"Text": a.Text})
			break
		}
	}
	// During a drill, say plainly which message visitors read: the
	// lobby's always, the practice one only if they are shown the drill
	// (see staffMessage).
	lobby := o.Message != nil
	switch {
	case shadowed != "" || !o.Drill():
	case o.Incident.DrillBanner && lobby && practice != nil:
		shadowed = lang.X("incident.message.both_shown", "Visitors read both under the drill banner; the practice message comes down when the drill ends.")
	case o.Incident.DrillBanner && practice != nil:
		shadowed = lang.X("incident.message.practice_shown", "Visitors read the practice message under the drill banner. It comes down when the drill ends.")
	case o.Incident.DrillBanner && lobby:
		shadowed = lang.X("incident.message.kept_shown", "Visitors still read this message during the drill. A message published now is practice: visitors read it below this one, under the drill banner, and it comes down when the drill ends.")
	case o.Incident.DrillBanner:
		shadowed = lang.X("incident.message.drill_shown", "A message published during this drill is practice: visitors read it under the drill banner, and it comes down when the drill ends.")
	case lobby && practice != nil:
		shadowed = lang.X("incident.message.both", "Visitors read the lobby's message, not the practice one, which comes down when the drill ends.")
	case practice != nil:
		shadowed = lang.X("incident.message.practice", "Visitors do not see the practice message. It comes down when the drill ends.")
	case lobby:
		shadowed = lang.X("incident.message.kept", "Visitors still read this message during the drill. A message published now is practice, kept apart from it: visitors do not see it, and it comes down when the drill ends.")
	default:
		shadowed = lang.X("incident.message.drill", "A message published during this drill is practice: visitors do not see it, and it comes down when the drill ends.")
	}
	s.set(s.shadowed, shadowed)
	s.show(s.shadowed, shadowed != "")
}

// publishMessage puts the draft on the lobby banner.
func (u *UI) publishMessage() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	m, _ := s.draft(u.staffOrDefault())
	m, err := u.incidentLog.PublishMessage(u.staffCtx(), m)
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("lobby message published", "id", m.ID, "template", m.Template, "by", m.PublishedBy, "practice", m.Practice)
	s.clearDraft()
	u.refreshOutage()
	args := map[string]any{"At": u.incidentClock(m.PublishedAt)}
	if m.Practice {
		s.setStatus(lang.X("incident.published_practice", "Practice message published at {{.At}}.", args), false)
		return
	}
	s.setStatus(lang.X("incident.published", "Message published at {{.At}}.", args), false)
}

// takeMessageDown takes the lobby's message down, the one the panel
// shows; a drill's practice message stays.
func (u *UI) takeMessageDown() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil || s.outage.Message == nil {
		return
	}
	if err := u.incidentLog.ClearMessage(u.staffCtx(), s.outage.Message.ID, u.staffOrDefault()); err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("lobby message taken down", "id", s.outage.Message.ID)
	u.refreshOutage()
	s.setStatus(lang.X("incident.taken_down", "The message is down."), false)
}

// takePracticeDown takes the drill's practice message down, the one the
// panel shows; the lobby's message stays.
func (u *UI) takePracticeDown() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil || s.outage.Practice == nil {
		return
	}
	if err := u.incidentLog.ClearMessage(u.staffCtx(), s.outage.Practice.ID, u.staffOrDefault()); err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("practice message taken down", "id", s.outage.Practice.ID)
	u.refreshOutage()
	s.setStatus(lang.X("incident.taken_down_practice", "The practice message is down."), false)
}
