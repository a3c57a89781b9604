package kiosk

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"lobbyline/queue"
	"lobbyline/queue/estimate"
)

// qrSize is the side of the ticket's QR code in pixels.
const qrSize = 256

// ticketScreen shows a committed check-in: the number, large; where the
// visitor is in line and how long it may take; and a QR code that staff
// can scan to find the visit.
type ticketScreen struct {
	ticket   queue.Ticket
	number   *canvas.Text
	qr       *canvas.Image // nil if the code could not be made
	position *widget.Label
	wait     *widget.Label
	call     *widget.Label
	prereg   *widget.Label // whom a pre-registered visitor sees, and when
	banner   *banner
	done     *widget.Button
	content  fyne.CanvasObject
}

func newTicketScreen(u *UI, t queue.Ticket) *ticketScreen {
	s := &ticketScreen{ticket: t}
	// With the outage banner up a landscape screen is shorter. The number
	// is what the visitor must remember, so it keeps its size: the lines
	// under it are smaller, with less air, and the QR code is smaller. A
	// portrait screen has the room for the banner and the whole ticket.
	_, crowded := bannerFor(u.outage, u.cfg.Now(), u.lang, u.location())
	if size := u.win.Canvas().Size(); size.Height > size.Width {
		crowded = false
	}
	lineSize := theme.SizeNameSubHeadingText
	if crowded {
		lineSize = theme.SizeNameText
	}
	s.number = canvas.NewText(t.Visit.Ticket, teal)
	s.number.TextSize = u.theme.Size(sizeNameDisplay)
	s.number.TextStyle.Bold = true

	s.position = newWrapped(positionText(t.Position), lineSize, widget.MediumImportance)
	s.wait = newWrapped(ticketWaitText(u, t.Visit.Service, t.Estimate, t.OpenDesks), lineSize, widget.MediumImportance)
	s.call = newWrapped(lang.X("ticket.call", "We will call {{.Ticket}} on this screen. Please take a seat.",
		map[string]any{"Ticket": t.Visit.Ticket}), theme.SizeNameText, widget.MediumImportance)
	s.done = widget.NewButtonWithIcon(lang.X("ticket.done", "Done"), theme.ConfirmIcon(), u.showWelcome)
	s.done.Importance = widget.HighImportance

	space, top, qrSide := float32(12), float32(8), float32(280)
	caption := fyne.CanvasObject(newText(lang.X("ticket.title", "Your ticket"), theme.SizeNameSubHeadingText, false, widget.LowImportance))
	if crowded {
		space, top, qrSide, caption = 4, 0, 180, gap(0)
	}
	// Done keeps its place at the bottom; should a long name or language
	// need more height than the screen has, the lines above it scroll
	// rather than grow the window.
	info := container.NewBorder(nil, container.NewHBox(sized(260, 84, s.done)), nil, nil,
		container.NewVScroll(container.NewVBox(
			gap(top),
			caption,
			s.number,
			newText(u.serviceName(t.Visit.Service), theme.SizeNameSubHeadingText, true, widget.MediumImportance),
			s.expected(u, t),
			gap(space), s.position, s.wait, gap(space/2), s.call,
		)))

	var qrHint fyne.CanvasObject = newWrapped(lang.X("ticket.qr", "Take a photo of this code if you like: staff can scan it to find your check-in."), theme.SizeNameCaptionText, widget.LowImportance)
	if crowded {
		qrHint = layout.NewSpacer()
	}
	var code fyne.CanvasObject = layout.NewSpacer()
	png, err := qrcode.Encode(t.Ref, qrcode.Medium, qrSize)
	if err != nil {
		u.log.Error("ticket qr code", "ticket", t.Visit.Ticket, "err", err)
	} else {
		s.qr = canvas.NewImageFromResource(fyne.NewStaticResource("ticket-"+t.Visit.Ticket+".png", png))
		s.qr.FillMode = canvas.ImageFillContain
		s.qr.ScaleMode = canvas.ImageScalePixels
		s.qr.SetMinSize(fyne.NewSquareSize(qrSide))
		code = card(container.NewVBox(
			container.NewCenter(s.qr),
			qrHint,
		))
	}
	// How we handled the wait is asked at check-out, once there was one.
	side := container.NewVBox(layout.NewSpacer(), sized(340, 0, code), layout.NewSpacer())
	s.banner = newBanner(u)
	s.banner.short = true
	s.banner.update(u.outage, u.cfg.Now())
	s.banner.parent = container.NewBorder(s.banner.content, nil, nil, side,
		container.NewPadded(info))
	s.content = container.NewPadded(container.NewPadded(s.banner.parent))
	return s
}

// expected tells a pre-registered visitor whom they are seeing and when.
func (s *ticketScreen) expected(u *UI, t queue.Ticket) fyne.CanvasObject {
	if t.PreReg == nil || t.PreReg.Host == "" {
		return gap(0) // not a spacer: in the VBox it would take the spare height
	}
	args := map[string]any{"Host": t.PreReg.Host, "Time": t.PreReg.Expected.In(time.Local).Format("15:04")}
	text := lang.X("ticket.prereg", "{{.Host}} expects you at {{.Time}}.", args)
	if t.PreReg.Expected.IsZero() {
		text = lang.X("ticket.prereg.host", "{{.Host}} expects you.", args)
	}
	s.prereg = newWrapped(text, theme.SizeNameSubHeadingText, widget.HighImportance)
	return s.prereg
}

func positionText(position int) string {
	if position == 1 {
		return lang.X("ticket.position.next", "You are next in line.")
	}
	return lang.X("ticket.position", "You are number {{.Position}} in line.", map[string]any{"Position": position})
}

// ticketWaitText is the ticket's wait: a range while a desk serves the
// line, and while none does, that we will call when one opens, since no
// range could come true.
func ticketWaitText(u *UI, service string, e estimate.Range, openDesks int) string {
	if openDesks == 0 {
		return lang.X("ticket.wait.closed", "No desk is open for {{.Service}} right now — we will call you when one opens.",
			map[string]any{"Service": u.serviceName(service)})
	}
	return lang.X("ticket.wait", "Estimated wait: {{.Wait}}", map[string]any{"Wait": waitText(e)})
}

// update keeps the ticket true while it is shown: the place and the wait
// still ahead as the line moves and desks open or close, and the desk to
// go to once the visitor is called.
func (s *ticketScreen) update(u *UI, b queue.Board) {
	before := [...]string{s.position.Text, s.wait.Text}
	shown := [...]bool{s.position.Visible(), s.wait.Visible()}
	s.follow(u, b)
	if before != [...]string{s.position.Text, s.wait.Text} || shown != [...]bool{s.position.Visible(), s.wait.Visible()} {
		// A text of another length may wrap on more or fewer lines.
		s.content.Refresh()
	}
}

func (s *ticketScreen) follow(u *UI, b queue.Board) {
	id := s.ticket.Visit.ID
	for _, l := range b.Lines {
		for _, w := range l.Waiting {
			if w.Visit.ID == id {
				setText(s.position, positionText(w.Position))
				setText(s.wait, ticketWaitText(u, l.Service.ID, w.Estimate, l.OpenDesks))
				s.wait.Show()
				s.call.Show()
				return
			}
		}
	}
	s.wait.Hide()
	s.call.Hide()
	for _, d := range b.Desks {
		if d.Serving != nil && d.Serving.ID == id {
			setText(s.position, lang.X("ticket.called", "It is your turn: please go to {{.Desk}}.", map[string]any{"Desk": d.Desk.Name}))
			return
		}
	}
	// Served, cancelled or gone: nothing about a line is true any more.
	s.position.Hide()
}

func (u *UI) showTicket(t queue.Ticket) {
	u.form = nil // the form is done; nothing typed stays in memory
	u.ticket = newTicketScreen(u, t)
	u.setScreen(screenTicket, u.ticket.content)
}
