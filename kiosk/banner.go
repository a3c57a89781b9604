package kiosk

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// Banner colours: calm, not alarming. Amber while something is wrong,
// green for "back to normal", each with a stripe on the left.
var (
	bannerAmber       = color.NRGBA{R: 0xff, G: 0xf4, B: 0xe0, A: 0xff}
	bannerAmberStripe = color.NRGBA{R: 0xe0, G: 0x8a, B: 0x00, A: 0xff}
	bannerGreen       = color.NRGBA{R: 0xe6, G: 0xf4, B: 0xea, A: 0xff}
	bannerGreenStripe = color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
)

// bannerLines is what the lobby is told, each line already translated;
// empty lines are not shown.
type bannerLines struct {
	Title    string
	Since    string // since when, and when it is expected back
	Works    string // what still works
	Waits    string // what waits for the centre
	Message  string // the centre's announcement or staff's message
	Updated  string
	Recovery bool // "back to normal"
}

// bannerFor decides what the lobby reads for outage o at now, in the
// current language; ok is false when there is nothing to say.
func bannerFor(o outage.Outage, now time.Time, code string, loc *time.Location) (b bannerLines, ok bool) {
	msg := ""
	for _, a := range o.Announcements {
		if a.Lang == "" || a.Lang == code {
			msg = a.Text // the centre's word comes first
			break
		}
	}
	drillHidden := o.Drill() && !o.Incident.DrillBanner
	if msg == "" {
		msg = staffMessage(o, code)
	}
	b.Message = msg
	clock := func(t time.Time) string { return t.In(loc).Format("15:04") }
	switch {
	case (o.Incident != nil || o.Severity != queue.SeverityNone) && !drillHidden:
		args := map[string]any{"Since": clock(o.Since)}
		b.Title = lang.X("banner.central.title", "Our central system is unavailable")
		b.Works = lang.X("banner.central.works", "Check-in works and your place in line is saved.")
		b.Waits = lang.X("banner.central.waits", "The central system gets your check-in when we reconnect.")
		switch o.Cause {
		case outage.CauseDatabase:
			b.Title = lang.X("banner.local.title", "This kiosk has a technical problem")
			b.Works = lang.X("banner.database.works", "Check-in here may not work. Please ask at reception.")
			b.Waits = ""
		case outage.CauseDisk, outage.CauseClock:
			b.Title = lang.X("banner.local.title", "This kiosk has a technical problem")
			b.Waits = lang.X("banner.local.waits", "Please tell reception.")
		}
		b.Since = lang.X("banner.since", "Since {{.Since}}.", args)
		if o.Incident != nil && !o.Incident.ExpectedBack.IsZero() {
			back := o.Incident.ExpectedBack
			args["Back"] = clock(back)
			if now.Before(back) {
				b.Since += " " + lang.X("banner.expected", "We expect it back around {{.Back}}.", args)
			} else {
				b.Since += " " + lang.X("banner.expected.late", "We hoped to be back by {{.Back}} and are still working on it.", args)
			}
		}
		if o.Drill() {
			b.Title = lang.X("banner.drill.title", "Practice drill: our central system is treated as unavailable")
		}
		b.Updated = updatedText(now.Sub(o.Updated))
	case !o.Recovered.IsZero():
		b.Title = lang.X("banner.back.title", "Back to normal")
		b.Works = lang.X("banner.back.body", "Our central system is working again. Thank you for your patience.")
		if o.RecoveredFrom.Local() {
			b.Works = lang.X("banner.back.local", "This kiosk is working normally again. Thank you for your patience.")
		}
		b.Recovery = true
	case msg != "":
		b.Title = lang.X("banner.notice.title", "Notice")
	default:
		return bannerLines{}, false
	}
	return b, true
}

// staffMessage is what the lobby reads of staff's messages, in language
// code: the lobby's message, and under it the drill's practice message
// if visitors are shown the drill.
//
// A drill visitors are not shown hides what the drill brings, and only
// that: its banner and the practice message staff publish during it
// (rehearsing the runbook's "publish a message"). A practice message is
// kept apart from the lobby's message, which staff put up for visitors
// about something real: it neither replaces nor hides it, and comes down
// alone when the drill ends (see queue.Store.PublishMessage), so the
// lobby reads its message throughout the drill and after it, as it reads
// the centre's announcements. A drill visitors are shown shows its
// practice message too, under the banner that names it a drill.
func staffMessage(o outage.Outage, code string) string {
	var lines []string
	if o.Message != nil {
		lines = append(lines, o.Message.Text(code))
	}
	if practiceShown(o) {
		lines = append(lines, o.Practice.Text(code))
	}
	return strings.Join(lines, "\n")
}

// practiceShown reports whether visitors read the drill's practice
// message: there is one, and visitors are shown the drill.
func practiceShown(o outage.Outage) bool {
	return o.Practice != nil && o.Drill() && o.Incident.DrillBanner && o.Practice.Incident == o.Incident.ID
}

// updatedText is "Updated just now" or "Updated N min ago".
func updatedText(ago time.Duration) string {
	n := int(ago / time.Minute)
	if n < 1 {
		return lang.X("banner.updated.now", "Updated just now")
	}
	return lang.X("banner.updated", "Updated {{.N}} min ago", map[string]any{"N": n})
}

// banner is the lobby's outage banner across the top of the welcome and
// ticket screens. It is hidden when all is well.
type banner struct {
	u       *UI
	bg      *canvas.Rectangle
	stripe  *canvas.Rectangle
	title   *widget.Label
	body    *widget.Label // since when, what works, what waits
	message *widget.Label
	updated *widget.Label
	content *fyne.Container
	// parent is the screen's container around the banner, laid out again
	// when the banner appears or goes; onShow, if set, is told first.
	parent *fyne.Container
	onShow func(visible bool)
	// short drops what still works and what waits: on the ticket, the
	// visitor has just seen both happen.
	short bool
}

func newBanner(u *UI) *banner {
	b := &banner{
		u:       u,
		bg:      canvas.NewRectangle(bannerAmber),
		stripe:  canvas.NewRectangle(bannerAmberStripe),
		title:   newText("", theme.SizeNameSubHeadingText, true, widget.MediumImportance),
		body:    newWrapped("", theme.SizeNameText, widget.MediumImportance),
		message: newWrapped("", theme.SizeNameText, widget.MediumImportance),
		updated: newText("", theme.SizeNameCaptionText, false, widget.LowImportance),
	}
	b.bg.CornerRadius = 8
	b.message.TextStyle.Italic = true
	text := denseVBox(
		container.NewBorder(nil, nil, nil, denseLabel(b.updated), denseLabel(b.title)),
		b.body, b.message)
	b.content = container.NewStack(b.bg,
		container.NewBorder(nil, nil, sized(8, 0, b.stripe), nil, container.NewPadded(text)))
	b.update(u.outage, u.cfg.Now())
	return b
}

// update shows outage o as of now, or hides the banner.
func (b *banner) update(o outage.Outage, now time.Time) {
	lines, ok := bannerFor(o, now, b.u.lang, b.u.location())
	if b.u.unsaved {
		lines, ok = unsavedLines(lines, ok, o.Cause)
	}
	was := b.content.Visible()
	defer func() {
		if b.content.Visible() == was {
			return
		}
		if b.onShow != nil {
			b.onShow(b.content.Visible())
		}
		if b.parent != nil {
			b.parent.Refresh()
		}
	}()
	if !ok {
		b.content.Hide()
		return
	}
	if lines.Recovery {
		b.bg.FillColor, b.stripe.FillColor = bannerGreen, bannerGreenStripe
	} else {
		b.bg.FillColor, b.stripe.FillColor = bannerAmber, bannerAmberStripe
	}
	setText(b.title, lines.Title)
	body := lines.Since
	more := []string{lines.Works, lines.Waits}
	if b.short && !lines.Recovery {
		more = nil
	}
	for _, l := range more {
		if l != "" && body != "" {
			body += " "
		}
		body += l
	}
	showLine(b.body, body)
	showLine(b.message, lines.Message)
	showLine(b.updated, lines.Updated)
	b.content.Show()
	b.content.Refresh()
}

// unsavedLines is the banner while a check-in cannot be saved here (the
// store's local problem: a full or read-only disk): nothing may say that
// check-in works, that the centre gets it later, or that the kiosk is
// back to normal; the welcome screen itself sends visitors to reception.
func unsavedLines(b bannerLines, ok bool, cause outage.Cause) (bannerLines, bool) {
	if !ok || b.Recovery {
		return bannerLines{}, false
	}
	if cause != outage.CauseDatabase { // its own words already say to ask at reception
		b.Works = ""
	}
	if cause != outage.CauseDisk && cause != outage.CauseClock { // those say "Please tell reception."
		b.Waits = ""
	}
	return b, true
}

// showLine sets a label's text and hides the label, with the padding
// around it, when there is none.
func showLine(l *widget.Label, text string) {
	setText(l, text)
	setVisible(l, text != "")
}

// location is where times shown to people are read.
func (u *UI) location() *time.Location {
	if u.cfg.Incident.Location != nil {
		return u.cfg.Incident.Location
	}
	return time.Local
}

// showOutage shows a new outage state wherever it appears.
func (u *UI) showOutage(o outage.Outage) {
	u.outage = o
	now := u.cfg.Now()
	switch {
	case u.screen == screenWelcome && u.welcome != nil:
		u.welcome.banner.update(o, now)
	case u.screen == screenTicket && u.ticket != nil:
		u.ticket.banner.update(o, now)
	}
	if u.staff != nil {
		u.staff.updateOutage(o)
		u.staff.updateSync(u.syncStatus, now) // a drill's hold reads as one
	}
	if u.incident != nil {
		u.incident.update(o)
	}
}

// updateOutage labels the staff screen's incident button with how bad
// things are.
func (s *staffScreen) updateOutage(o outage.Outage) {
	text, imp := lang.X("staff.incident", "Incident"), widget.MediumImportance
	if o.Incident != nil {
		args := map[string]any{"Severity": severityText(o.Incident.Severity)}
		text, imp = lang.X("staff.incident.on", "Incident: {{.Severity}}", args), widget.DangerImportance
		if o.Drill() {
			text, imp = lang.X("staff.incident.drill", "Drill: {{.Severity}}", args), widget.WarningImportance
		}
		switch {
		case o.Incident.Severity != queue.SeverityNone:
		case o.Drill():
			text = lang.X("incident.kind.drill", "Drill") // a drill rehearses the grace period too: no severity yet
		default:
			text = lang.X("staff.incident.starting", "Incident starting")
		}
	}
	if s.outage.Text != text || s.outage.Importance != imp {
		s.outage.SetText(text)
		s.outage.Importance = imp
		s.outage.Refresh()
	}
}

// severityText is a severity's name for staff.
func severityText(s queue.Severity) string {
	switch s {
	case queue.SeverityMinor:
		return lang.X("severity.minor", "minor")
	case queue.SeverityMajor:
		return lang.X("severity.major", "major")
	case queue.SeverityCritical:
		return lang.X("severity.critical", "critical")
	}
	return lang.X("severity.none", "none yet")
}
