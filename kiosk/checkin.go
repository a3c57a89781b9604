package kiosk

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// checkInScreen is the check-in form: a visitor's own, or a walk-in added
// by staff (source queue.SourceStaff). The store validates; the form shows
// every problem at once, each under its field, in room kept for it so
// nothing moves when a message comes or goes. It asks only the fields
// queue.AskedFields gives for the kiosk's configuration, and an optional
// field says what it is for (issue 13 §6).
type checkInScreen struct {
	source  string
	asked   queue.FormFields
	name    *keyEntry
	host    *keyEntry
	phone   *keyEntry
	invite  *keyEntry // typed, or from a USB scanner that types and presses Enter
	service string
	// services are the choice buttons, in the order of serviceIDs.
	services   []*widget.Button
	serviceIDs []string
	choices    *fyne.Container // holds the service buttons
	// Messages under each field, and one for the form as a whole.
	nameMsg, hostMsg, phoneMsg, inviteMsg, serviceMsg, formMsg *widget.Label
	title                                                      *widget.Label
	submit                                                     *largeButton
	back                                                       *widget.Button
	content                                                    fyne.CanvasObject
}

func newCheckInScreen(u *UI, source string) *checkInScreen {
	s := &checkInScreen{
		source: source, asked: queue.AskedFields(queue.FormConfig{PhoneProof: u.cfg.PhoneProof, Centre: u.cfg.Centre}),
		name: u.newEntry(padName), host: u.newEntry(padName), phone: u.newEntry(padNumber), invite: u.newEntry(padText),
		nameMsg: newFieldMessage(), hostMsg: newFieldMessage(), phoneMsg: newFieldMessage(), inviteMsg: newFieldMessage(),
		serviceMsg: newFieldMessage(), formMsg: newFieldMessage(),
	}
	s.invite.SetPlaceHolder(lang.X("form.invite.placeholder", "Type it or scan it (optional)"))
	s.invite.OnChanged = func(string) { u.formEdited("invite") }
	s.invite.OnSubmitted = func(string) { u.inviteEntered() }
	s.name.SetPlaceHolder(lang.X("form.name.placeholder", "First and last name"))
	s.host.SetPlaceHolder(lang.X("form.host.placeholder", "Patient or staff member (optional)"))
	s.phone.SetPlaceHolder(lang.X("form.phone.placeholder", "Optional"))
	s.name.OnChanged = func(string) { u.formEdited("name") }
	s.host.OnChanged = func(string) { u.formEdited("host") }
	s.phone.OnChanged = func(string) { u.formEdited("phone") }
	s.name.OnSubmitted = func(string) { u.win.Canvas().Focus(s.host) }
	s.host.OnSubmitted = func(string) {
		// On to the next field; after the last, the keyboard stays
		// open: closing it would move the form's buttons under the
		// finger that taps a reason next (Done closes it).
		switch {
		case s.asked.Phone:
			u.win.Canvas().Focus(s.phone)
		case s.asked.Invite:
			u.win.Canvas().Focus(s.invite)
		}
	}

	s.choices = container.NewVBox()
	s.fillChoices(u)
	choices := s.choices

	title := lang.X("form.title", "Check in")
	submitText := lang.X("form.submit", "Get my ticket")
	if source == queue.SourceStaff {
		title = lang.X("walkin.title", "Add a walk-in")
		submitText = lang.X("walkin.submit", "Add to the line")
	}
	s.title = newText(title, sizeNameTitle, true, widget.MediumImportance)
	s.submit = newLargeButton(submitText, theme.SizeNameSubHeadingText, u.submitCheckIn)
	s.back = widget.NewButtonWithIcon(lang.X("form.back", "Back"), theme.NavigateBackIcon(), u.leaveCheckIn)

	// field is a label, what the field is for (why, if not plain), the
	// entry and the room for its message.
	field := func(label, why string, e *keyEntry, msg *widget.Label) fyne.CanvasObject {
		f := stacked(denseLabel(newText(label, theme.SizeNameText, true, widget.MediumImportance)))
		if why != "" {
			f.Add(denseLabel(newWrapped(why, theme.SizeNameCaptionText, widget.MediumImportance)))
		}
		f.Add(e)
		f.Add(messageSlot(msg, fieldMessageLines))
		return f
	}
	ask := formQuestions(source)
	fields := stacked(field(ask.name, "", s.name, s.nameMsg))
	if s.asked.Host {
		fields.Add(field(ask.host,
			lang.X("form.host.why", "Staff see it on the list of who is in the building."), s.host, s.hostMsg))
	}
	if s.asked.Phone {
		fields.Add(field(lang.X("form.phone", "Phone number"),
			ask.phoneWhy, s.phone, s.phoneMsg))
	}
	reason := stacked(
		denseLabel(newText(ask.service, theme.SizeNameText, true, widget.MediumImportance)),
		choices, messageSlot(s.serviceMsg, fieldMessageLines),
	)
	if s.asked.Invite {
		reason.Add(field(lang.X("form.invite", "Invite code"), "", s.invite, s.inviteMsg))
	}
	side := func(o fyne.CanvasObject) fyne.CanvasObject {
		return container.New(layout.NewCustomPaddedLayout(0, 0, padding, padding), o)
	}
	// Two columns on a landscape screen; on a portrait one the fields
	// above the reasons, a column as wide as the screen.
	body := container.New(&formColumns{}, container.NewVScroll(side(fields)), container.NewVScroll(side(reason)))
	footer := stacked(messageSlot(s.formMsg, 1), container.NewBorder(nil, nil, sized(200, 84, s.back), sized(420, 0, s.submit)))
	s.content = container.NewPadded(container.New(layout.NewCustomPaddedLayout(0, 0, padding, padding), container.NewBorder(
		denseLabel(s.title),
		footer, nil, nil,
		// In a language with long words the form may need more height
		// than the screen has: it scrolls rather than grow the window.
		container.NewVScroll(body),
	)))
	return s
}

// fillChoices makes one button per service in use: when the form is
// built, and again if the centre's configuration changed the services
// while the form was open.
func (s *checkInScreen) fillChoices(u *UI) {
	services := u.lobby.Services()
	s.services, s.serviceIDs = nil, nil
	s.choices.Objects = nil
	s.choices.Layout = layout.NewVBoxLayout()
	// More than two side by side, two a row: with the keyboard open all
	// of them stay in view beside the name, even with larger text.
	if len(services) > 2 {
		s.choices.Layout = layout.NewGridLayoutWithColumns(2)
	}
	for _, svc := range services {
		b := widget.NewButton(svc.DisplayName(u.lang), func() { u.chooseService(svc.ID) })
		s.services = append(s.services, b)
		s.serviceIDs = append(s.serviceIDs, svc.ID)
		// 64 px: a large target, and with the keyboard open two or three
		// of them beside the name even with larger text.
		s.choices.Add(sized(0, 64, b))
	}
	s.choices.Refresh()
}

// formColumns lays out the form's two parts, each in a scroll of its
// own, by the shape of the room it gets. Landscape: side by side, each
// column as high as the room and scrolling by itself, so a field brought
// into view above the keyboard never moves the service buttons beside
// it. Portrait: the fields above the reasons, each as high as it needs,
// and the form's scroll around them scrolls the two as one.
type formColumns struct{ portrait bool }

func (l *formColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	lead, rest := objs[0], objs[1]
	pad := theme.Padding()
	l.portrait = size.Height > size.Width
	if l.portrait {
		h := columnContent(lead).MinSize().Height
		above(lead, rest, size.Width, h, max(columnContent(rest).MinSize().Height, size.Height-h-pad))
		return
	}
	sideBySide(lead, rest, size)
}

func (l *formColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	a, b := columnContent(objs[0]).MinSize(), columnContent(objs[1]).MinSize()
	if l.portrait {
		return fyne.NewSize(max(a.Width, b.Width), a.Height+theme.Padding()+b.Height)
	}
	// Side by side each column scrolls: as wide as they need, no height.
	return fyne.NewSize(2*max(a.Width, b.Width)+theme.Padding(), 0)
}

// columnContent is what a column's scroll holds.
func columnContent(o fyne.CanvasObject) fyne.CanvasObject {
	if s, ok := o.(*container.Scroll); ok {
		return s.Content
	}
	return o
}

// stacked stacks a form's parts without the theme's padding between them:
// the room under each field for its message keeps them apart.
func stacked(objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedVBoxLayout(0), objects...)
}

// form is what has been typed and chosen so far.
func (s *checkInScreen) form() queue.CheckInForm {
	return queue.CheckInForm{Name: s.name.Text, Service: s.service, Host: s.host.Text, Phone: s.phone.Text, Invite: s.invite.Text}
}

// showError puts err's message under the field it names, or under the form.
func (s *checkInScreen) showError(field, msg string) {
	switch field {
	case "name":
		setMessage(s.nameMsg, msg)
	case "host":
		setMessage(s.hostMsg, msg)
	case "phone":
		setMessage(s.phoneMsg, msg)
	case "invite":
		setMessage(s.inviteMsg, msg)
	case "service":
		setMessage(s.serviceMsg, msg)
	default:
		setMessage(s.formMsg, msg)
	}
}

// showErrors shows every problem of a refused form, each beside its field.
func (s *checkInScreen) showErrors(u *UI, err error) {
	var fe *queue.FormError
	if !errors.As(err, &fe) {
		s.showError("", u.errorText(err))
		return
	}
	for _, p := range fe.Problems {
		s.showError(p.Field, u.formErrorText(s.source, p))
	}
	if fe.Problems[0].Field == "name" {
		u.win.Canvas().Focus(s.name)
	}
}

// serviceGone reports whether a refused form named a service the kiosk
// does not offer.
func serviceGone(err error) bool {
	var fe *queue.FormError
	if !errors.As(err, &fe) {
		return false
	}
	for _, p := range fe.Problems {
		if p.Field == "service" && p.Key == "error.service.unknown" {
			return true
		}
	}
	return false
}

// chooseService marks a service as the reason for the visit.
func (u *UI) chooseService(id string) {
	u.touch()
	s := u.form
	if s == nil {
		return
	}
	s.service = id
	// The keyboard stays as it is: closing it would move the form's
	// buttons under the finger (Done closes it, or sending the form).
	for i, b := range s.services {
		if s.serviceIDs[i] == id {
			b.Importance = widget.HighImportance
			b.Icon = theme.ConfirmIcon()
		} else {
			b.Importance = widget.MediumImportance
			b.Icon = nil
		}
		b.Refresh()
	}
	s.showError("service", "")
	// The tap took the focus from the field the keys type into: give it
	// back, so the field shows where the next key goes.
	if k := u.keys; k.open && k.target != nil {
		u.win.Canvas().Focus(k.target)
	}
}

// formEdited re-checks a field as it is typed. Only problems that typing
// more cannot fix (too long, characters we cannot take) show at once; an
// empty or unfinished field is judged when the form is sent.
func (u *UI) formEdited(field string) {
	u.touch()
	s := u.form
	if s == nil {
		return
	}
	// Check the one field alone, with valid stand-ins for the others.
	f := queue.CheckInForm{Name: "x", Service: "x"}
	var shown *widget.Label
	switch field {
	case "name":
		f.Name, shown = s.name.Text, s.nameMsg
	case "host":
		f.Host, shown = s.host.Text, s.hostMsg
	case "phone":
		f.Phone, shown = s.phone.Text, s.phoneMsg
	case "invite":
		f.Invite, shown = s.invite.Text, s.inviteMsg
	}
	err := f.Normalize().Validate()
	var e *queue.Error
	switch {
	case err == nil || (errors.As(err, &e) && (e.Key == "error.name.empty" || e.Key == "error.phone" || e.Key == "error.invite.format") && !shown.Visible()):
		s.showError(field, "")
	default:
		s.showError(field, u.errorText(err))
	}
	setMessage(s.formMsg, "")
}

// submitCheckIn sends the form to the store. The ticket is shown only
// once the store has committed the visit.
func (u *UI) submitCheckIn() {
	u.touch()
	s := u.form
	if s == nil || u.keys.justDone() {
		return
	}
	for _, f := range []string{"name", "host", "phone", "invite", "service", ""} {
		s.showError(f, "")
	}
	t, err := u.lobby.CheckIn(u.ctx, s.form(), s.source)
	if err != nil {
		u.keys.dismiss() // the messages under every field, in view
		s.showErrors(u, err)
		if serviceGone(err) && s.service != "" {
			// The centre's configuration took the chosen service away
			// while the form was open: the buttons follow, the visitor
			// chooses again and keeps what they typed.
			u.log.Info("check-in form: the chosen service is no longer offered", "service", s.service)
			s.service = ""
			s.fillChoices(u)
			s.showError("service", lang.X("form.service.changed", "The services on offer have just changed. Please choose again."))
		}
		return
	}
	u.log.Info("checked in", "ticket", t.Visit.Ticket, "service", t.Visit.Service, "source", s.source)
	u.reload()
	if s.source == queue.SourceStaff {
		u.showStaff()
		u.staff.setStatus(lang.X("staff.walkin.done", "Added {{.Ticket}} for {{.Name}}.",
			map[string]any{"Ticket": t.Visit.Ticket, "Name": t.Visit.Name}), false)
		return
	}
	u.showTicket(t)
}

// inviteEntered looks up an invite code as soon as it is complete (a
// scanner ends it with Enter): a pre-registered visitor sees their name
// and host filled in, and need only choose why they are here.
func (u *UI) inviteEntered() {
	u.touch()
	s := u.form
	if s == nil {
		return
	}
	f := queue.CheckInForm{Name: "x", Service: "x", Invite: s.invite.Text}.Normalize()
	if err := f.Validate(); err != nil {
		s.showError("invite", u.errorText(err))
		return
	}
	p, ok, err := u.lobby.Invite(u.ctx, f.Invite)
	switch {
	case err != nil:
		s.showError("invite", u.errorText(err))
		return
	case !ok:
		s.showError("invite", u.formErrorText(s.source, &queue.Error{Key: "error.invite.unknown",
			Message: "We cannot find this invite code. Please check it, or leave it empty and check in with your name."}))
		return
	}
	if s.name.Text == "" {
		s.name.SetText(p.Name)
	}
	if s.host.Text == "" {
		s.host.SetText(p.Host)
	}
	setMessage(s.inviteMsg, "")
	u.win.Canvas().Focus(s.name)
}

// leaveCheckIn drops the form: back to welcome, or to the staff screen.
func (u *UI) leaveCheckIn() {
	if u.form != nil && u.form.source == queue.SourceStaff {
		u.showStaff()
		return
	}
	u.showWelcome()
}
