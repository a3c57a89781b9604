package kiosk

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// checkOutScreen is where a visitor checks out on the way out, with the
// ticket number as printed or by scanning the ticket's QR code (a USB
// scanner types the reference and presses Enter). Checking out takes
// them off the on-site roster, and out of the line if they were still in
// it. The store finds the visit and says what is wrong; the screen shows
// its message under the entry.
//
// A scanned QR code is proof that the visitor holds the ticket: one step.
// A typed number is not (issue 13 §5). Where the site asks for phone
// proof and the visitor gave a phone, the screen asks for its last four
// digits; a visitor without them may go on, and the check-out is then
// recorded self-declared, as is any typed check-out without proof. The
// roster shows staff which is which. Wrong digits never check anyone
// out; after queue.MaxPhoneTries the visitor is sent to reception.
type checkOutScreen struct {
	title   *widget.Label
	ticket  *keyEntry
	message *widget.Label
	submit  *largeButton
	back    *widget.Button
	form    fyne.CanvasObject

	// A typed number is confirmed first: "Is this you?", and where the
	// site asks for it proved with the phone's last four digits.
	pending  *queue.Visit
	question *widget.Label
	yes, no  *widget.Button
	confirm  fyne.CanvasObject
	// The phone's digits, asked instead of "yes" (askDigits).
	askDigits bool
	digits    *keyEntry
	digitsMsg *widget.Label
	prove     *widget.Button // "Check out", with the digits
	skip      *widget.Button // "Check out without the digits": self-declared
	proof     fyne.CanvasObject
	without   fyne.CanvasObject // skip and what it means
	yesBox    fyne.CanvasObject
	proveBox  fyne.CanvasObject

	// After checking out: the goodbye, and the way back to welcome.
	goodbye  *widget.Label // "Thank you for visiting, Ana G."
	detail   *widget.Label
	leftLine *widget.Label // shown if they were still in line
	done     *widget.Button
	farewell fyne.CanvasObject
	// After an incident, within the feedback window: how did we handle
	// the wait that is now over.
	feedback *feedbackCard
	ask      *fyne.Container

	content fyne.CanvasObject
}

// checkOutMessageLines is how many lines the message under the ticket
// entry may take, in the longest language.
const checkOutMessageLines = 2

func newCheckOutScreen(u *UI) *checkOutScreen {
	s := &checkOutScreen{ticket: u.newEntry(padPrefix), message: newMessage()}
	s.ticket.SetPlaceHolder(lang.X("checkout.placeholder", "R-042"))
	s.ticket.OnChanged = func(string) { u.checkOutEdited() }
	s.ticket.OnSubmitted = func(string) { u.submitCheckOut() }
	s.submit = newLargeButton(lang.X("checkout.submit", "Check out"), sizeNameLarge, u.submitCheckOut)
	s.ticket.sendsWith(s.submit)
	s.back = widget.NewButtonWithIcon(lang.X("checkout.back", "Back"), theme.NavigateBackIcon(), u.showWelcome)

	// The heading, the number, and Back beside Check out: all of it fits
	// above the number pad, so the way back and the heading stay in view
	// while the visitor types.
	s.title = newText(lang.X("checkout.title", "Check out"), sizeNameTitle, true, widget.MediumImportance)
	s.form = container.NewVBox(
		s.title,
		newWrapped(lang.X("checkout.prompt", "Your ticket number, like R-042 — or scan the QR code on your ticket"),
			theme.SizeNameSubHeadingText, widget.MediumImportance),
		gap(8),
		container.NewGridWithColumns(2, s.ticket),
		// Room kept for the message: the buttons do not move under
		// a finger when one comes or goes.
		messageSlot(s.message, checkOutMessageLines),
		container.NewHBox(sized(200, 88, s.back), sized(420, 88, s.submit)),
	)

	s.goodbye = newWrapped("", sizeNameTitle, widget.HighImportance)
	s.goodbye.TextStyle.Bold = true
	s.detail = newWrapped("", theme.SizeNameSubHeadingText, widget.MediumImportance)
	s.leftLine = newWrapped(lang.X("checkout.left_line", "You are no longer in line."), theme.SizeNameSubHeadingText, widget.MediumImportance)
	s.done = widget.NewButtonWithIcon(lang.X("checkout.done", "Done"), theme.ConfirmIcon(), u.showWelcome)
	s.done.Importance = widget.HighImportance
	icon := widget.NewIcon(theme.NewPrimaryThemedResource(theme.ConfirmIcon()))
	s.ask = container.NewVBox()
	s.farewell = container.NewBorder(nil, nil, nil, s.ask, container.NewVBox(
		gap(80),
		container.NewHBox(sized(120, 120, icon)),
		s.goodbye, s.detail, s.leftLine,
		gap(32),
		container.NewHBox(sized(260, 84, s.done)),
	))
	s.farewell.Hide()

	s.question = newWrapped("", theme.SizeNameSubHeadingText, widget.MediumImportance)
	s.question.TextStyle.Bold = true
	s.yes = widget.NewButtonWithIcon(lang.X("checkout.yes", "Yes, check me out"), theme.ConfirmIcon(), u.confirmCheckOut)
	s.yes.Importance = widget.HighImportance
	s.no = widget.NewButtonWithIcon(lang.X("checkout.no", "No, that is not me"), theme.CancelIcon(), u.rejectCheckOut)

	s.digits = u.newEntry(padDigits)
	s.digits.SetPlaceHolder(lang.X("checkout.digits.placeholder", "Last 4 digits"))
	s.digits.OnChanged = func(string) { u.digitsEdited() }
	s.digits.OnSubmitted = func(string) { u.proveCheckOut() }
	s.digitsMsg = newMessage()
	s.prove = widget.NewButtonWithIcon(lang.X("checkout.digits.submit", "Check out"), theme.ConfirmIcon(), u.proveCheckOut)
	s.prove.Importance = widget.HighImportance
	s.digits.sendsWith(s.prove)
	s.skip = widget.NewButton(lang.X("checkout.digits.skip", "Check out without the digits"), u.skipProof)
	s.proof = container.NewVBox(
		newWrapped(lang.X("checkout.digits.prompt", "To check out, type the last four digits of the phone number you gave when you checked in."),
			theme.SizeNameSubHeadingText, widget.MediumImportance),
		container.NewGridWithColumns(2, s.digits),
		messageSlot(s.digitsMsg, checkOutMessageLines),
	)
	// What going on without the digits means, beside the button.
	s.without = container.NewBorder(nil, nil, container.NewVBox(sized(0, 72, s.skip)), nil,
		newWrapped(lang.X("checkout.digits.skip.note", "Without the digits, staff see your check-out as self-declared."),
			theme.SizeNameText, widget.LowImportance))
	s.yesBox, s.proveBox = sized(360, 96, s.yes), sized(360, 96, s.prove)
	s.confirm = container.NewVBox(
		gap(24),
		newText(lang.X("checkout.confirm.title", "Is this you?"), sizeNameTitle, true, widget.MediumImportance),
		s.question,
		gap(16),
		s.proof,
		container.NewHBox(s.yesBox, s.proveBox, sized(360, 96, s.no)),
		gap(16),
		s.without,
	)
	s.confirm.Hide()

	s.content = container.NewPadded(container.NewPadded(container.NewStack(s.form, s.confirm, s.farewell)))
	return s
}

// startCheckOut opens the visitor check-out screen, ready for typing or a
// scan.
func (u *UI) startCheckOut() {
	u.checkout = newCheckOutScreen(u)
	u.setScreen(screenCheckOut, u.checkout.content)
	u.win.Canvas().Focus(u.checkout.ticket)
}

// checkOutEdited clears the last message as the visitor types again.
func (u *UI) checkOutEdited() {
	u.touch()
	if s := u.checkout; s != nil {
		setMessage(s.message, "")
	}
}

// digitsEdited clears the last answer's message as the visitor types
// the digits again.
func (u *UI) digitsEdited() {
	u.touch()
	if s := u.checkout; s != nil {
		setMessage(s.digitsMsg, "")
	}
}

// submitCheckOut finds the visit typed or scanned. A scanned QR code
// checks out at once; a typed number asks "is this you?" first, showing
// what the lobby board would, so a slip of the finger does not take
// someone else out of the line or off the evacuation roster, and where
// the site asks for phone proof, the phone's last four digits.
func (u *UI) submitCheckOut() {
	u.touch()
	s := u.checkout
	if s == nil || !s.form.Visible() || u.keys.justDone() {
		return
	}
	v, verified, err := u.lobby.FindForCheckOut(u.ctx, s.ticket.Text)
	if err != nil {
		s.refuse(u, err)
		return
	}
	if verified {
		u.checkOutVisit(v.ID, queue.ProofQR)
		return
	}
	s.pending = &v
	s.askDigits = u.cfg.PhoneProof && v.CanProveByPhone()
	args := map[string]any{"Ticket": v.Ticket, "Service": u.serviceName(v.Service), "Time": v.CheckedInAt.In(u.location()).Format("15:04")}
	text := lang.X("checkout.confirm", "{{.Ticket}} · {{.Service}} · checked in at {{.Time}}", args)
	if name := MaskName(v.Name, u.cfg.Privacy); name != "" {
		text = name + " · " + text
	}
	s.question.SetText(text)
	u.keys.dismiss() // its entry is gone from the screen
	s.form.Hide()
	setVisible(s.yesBox, !s.askDigits)
	for _, o := range []fyne.CanvasObject{s.proof, s.proveBox, s.without} {
		setVisible(o, s.askDigits)
	}
	s.digits.SetText("")
	setMessage(s.digitsMsg, "")
	s.confirm.Show()
	s.confirm.Refresh()
	if s.askDigits {
		u.win.Canvas().Focus(s.digits)
		return
	}
	u.win.Canvas().Unfocus()
}

// confirmCheckOut is the visitor's "yes, that is me", where no proof is
// asked: a self-declared check-out.
func (u *UI) confirmCheckOut() {
	u.touch()
	s := u.checkout
	if s == nil || s.pending == nil || s.askDigits {
		return
	}
	id := s.pending.ID
	s.pending = nil
	u.checkOutVisit(id, queue.ProofSelf)
}

// proveCheckOut sends the phone's digits. The store checks them: right,
// the visitor is checked out with the proof "phone"; wrong, nobody is,
// and the message says how many tries are left; at the last, the visitor
// is sent back to the ticket number with "please ask at reception".
func (u *UI) proveCheckOut() {
	u.touch()
	s := u.checkout
	if s == nil || s.pending == nil || !s.askDigits {
		return
	}
	v, err := u.lobby.CheckOutByPhone(u.ctx, s.pending.ID, s.digits.Text)
	switch {
	case err == nil:
		s.pending = nil
		u.log.Info("checked out", "ticket", v.Ticket, "source", queue.SourceKiosk, "proof", v.LeftProof)
		u.reload()
		s.showGoodbye(u, v)
	case queue.ErrorCode(err) == queue.ELocked:
		u.log.Warn("check-out refused: too many wrong digits", "ticket", s.pending.Ticket)
		s.pending = nil
		u.keys.dismiss()
		s.confirm.Hide()
		s.form.Show()
		s.refuse(u, err)
	default:
		if queue.ErrorCode(err) == queue.EInvalid {
			u.log.Info("check-out: digits refused", "ticket", s.pending.Ticket)
		}
		s.digits.SetText("") // before the message: typing clears it
		setMessage(s.digitsMsg, u.errorText(err))
		u.win.Canvas().Focus(s.digits)
	}
}

// skipProof is "check out without the digits": the visitor's word alone,
// recorded self-declared. A visit locked by wrong digits is refused.
func (u *UI) skipProof() {
	u.touch()
	s := u.checkout
	if s == nil || s.pending == nil {
		return
	}
	id := s.pending.ID
	s.pending = nil
	u.checkOutVisit(id, queue.ProofSelf)
}

// rejectCheckOut is "no, that is not me": back to the number, to try again.
func (u *UI) rejectCheckOut() {
	u.touch()
	s := u.checkout
	if s == nil {
		return
	}
	s.pending = nil
	u.keys.dismiss()
	s.confirm.Hide()
	s.form.Show()
	setMessage(s.message, lang.X("checkout.not_me", "Please check the number on your ticket, or ask at reception."))
	u.win.Canvas().Focus(s.ticket)
	s.ticket.TypedShortcut(&fyne.ShortcutSelectAll{})
}

// checkOutVisit checks visit id out with proof and says goodbye.
func (u *UI) checkOutVisit(id int64, proof queue.Proof) {
	s := u.checkout
	v, err := u.lobby.CheckOutVisit(u.ctx, id, queue.SourceKiosk, proof)
	if err != nil {
		u.keys.dismiss()
		s.confirm.Hide()
		s.form.Show()
		s.refuse(u, err)
		return
	}
	u.log.Info("checked out", "ticket", v.Ticket, "source", queue.SourceKiosk, "proof", proof)
	u.reload()
	s.showGoodbye(u, v)
}

// refuse shows why the check-out did not happen, with what was typed
// selected so the next scan or number replaces it.
func (s *checkOutScreen) refuse(u *UI, err error) {
	setMessage(s.message, u.errorText(err))
	u.win.Canvas().Focus(s.ticket)
	s.ticket.TypedShortcut(&fyne.ShortcutSelectAll{})
}

// showGoodbye replaces the form with the goodbye to visit v, naming the
// visitor only as much as the lobby board would.
func (s *checkOutScreen) showGoodbye(u *UI, v queue.Visit) {
	s.ticket.SetText("") // a scanned reference does not stay on screen
	// The sentence's full stop ends an initial too: "Ana G." not "Ana G..".
	if name := strings.TrimSuffix(MaskName(v.Name, u.cfg.Privacy), "."); name != "" {
		s.goodbye.SetText(lang.X("checkout.bye.name", "Thank you for visiting, {{.Name}}.", map[string]any{"Name": name}))
	} else {
		s.goodbye.SetText(lang.X("checkout.bye", "Thank you for visiting."))
	}
	s.detail.SetText(lang.X("checkout.checked_out", "{{.Ticket}} is checked out. Take care.", map[string]any{"Ticket": v.Ticket}))
	// A visit cancelled at the moment it left was still in line.
	setVisible(s.leftLine, v.Status == queue.StatusCancelled && v.DoneAt.Equal(v.LeftAt))
	s.ask.RemoveAll()
	s.feedback = nil
	if id := u.feedbackIncident(); id != 0 {
		s.feedback = newFeedbackCard(u, id, v.ID)
		s.ask.Objects = []fyne.CanvasObject{layout.NewSpacer(), sized(420, 0, card(s.feedback.content)), layout.NewSpacer()}
	}
	u.keys.dismiss()
	s.form.Hide()
	s.confirm.Hide()
	s.farewell.Show()
	s.farewell.Refresh() // lays out the question beside the goodbye, if one was added
	u.win.Canvas().Unfocus()
}
