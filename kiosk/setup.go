package kiosk

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/syncer"
	"lobbyline/syncer/wire"
)

// Setup is what the kiosk shows instead of the lobby while the lobby may
// not open: a reason it cannot that IT must fix on the machine (the
// sample PIN), or, for a kiosk not yet enrolled with its centre, a form
// for the centre's address and a one-time code from `central enroll`.
type Setup struct {
	// Problem is why the lobby cannot open that enrolment would not fix;
	// when set, it is all the screen shows.
	Problem string
	// Centre is the centre's address, if the config names it: the form
	// shows it and does not ask.
	Centre string
	// Enrol exchanges code for this kiosk's token at centre, keeps it and
	// starts sync. It runs off the UI goroutine; its error is shown as it
	// is (it says what to do).
	Enrol func(ctx context.Context, centre, code string) (SyncSource, OutageSource, error)
}

// setupScreen is the set-up screen.
type setupScreen struct {
	centre  *keyEntry
	code    *keyEntry
	connect *widget.Button
	message *widget.Label
	content fyne.CanvasObject
}

// setupMessageLines is the room kept for the centre's answer, which says
// what to do and may be long.
const setupMessageLines = 4

func newSetupScreen(u *UI) *setupScreen {
	st := u.cfg.Setup
	s := &setupScreen{message: newFieldMessage()}
	title := newText(lang.X("setup.title", "Set up this kiosk"), theme.SizeNameHeadingText, true, widget.MediumImportance)
	if st.Problem != "" {
		problem := newWrapped(st.Problem, theme.SizeNameSubHeadingText, widget.MediumImportance)
		s.content = container.NewCenter(sized(760, 0, card(
			newText(lang.X("setup.problem", "This kiosk cannot open yet"), theme.SizeNameHeadingText, true, widget.DangerImportance),
			problem)))
		return s
	}
	s.centre = u.newEntry(padURL)
	s.centre.SetPlaceHolder("https://central.example:8470")
	s.centre.SetText(st.Centre)
	// The config names the centre: shown as text, not asked.
	address := fyne.CanvasObject(s.centre)
	if st.Centre != "" {
		s.centre.Hide()
		address = newText(st.Centre, theme.SizeNameSubHeadingText, false, widget.MediumImportance)
	}
	s.code = u.newEntry(padText)
	s.code.SetPlaceHolder("ABCDE-FGHJK")
	s.code.OnSubmitted = func(string) { u.enrolKiosk() } // a scanner types the QR code and Enter
	s.code.OnChanged = func(string) { u.touch(); setMessage(s.message, "") }
	s.centre.OnChanged = s.code.OnChanged
	s.connect = widget.NewButtonWithIcon(lang.X("setup.connect", "Connect"), theme.LoginIcon(), u.enrolKiosk)
	s.connect.Importance = widget.HighImportance
	s.code.sendsWith(s.connect)
	label := func(key, fallback string) fyne.CanvasObject {
		return newText(lang.X(key, fallback), theme.SizeNameText, true, widget.MediumImportance)
	}
	s.content = container.NewCenter(sized(760, 0, card(
		title,
		newWrapped(lang.X("setup.intro", "This kiosk is not connected to its centre yet. Enter the centre's address and the enrolment code IT made for this kiosk (central enroll), or scan the code's QR."),
			theme.SizeNameText, widget.MediumImportance),
		gap(8),
		label("setup.centre", "Centre address"), address,
		label("setup.code", "Enrolment code"), s.code,
		messageSlot(s.message, setupMessageLines),
		container.NewHBox(sized(320, 72, s.connect)),
	)))
	return s
}

// showSetup puts up the set-up screen.
func (u *UI) showSetup() {
	u.setup = newSetupScreen(u)
	u.setScreen(screenSetup, u.setup.content)
	switch s := u.setup; {
	case s.code == nil:
	case s.centre.Visible() && s.centre.Text == "":
		u.win.Canvas().Focus(s.centre) // the first thing to fill in
	default:
		u.win.Canvas().Focus(s.code)
	}
}

// enrolKiosk sends the address and code to the centre, off the UI
// goroutine; on success the lobby opens.
func (u *UI) enrolKiosk() {
	s := u.setup
	if s == nil || s.code == nil || !s.connect.Visible() || s.connect.Disabled() {
		return
	}
	centre, code := strings.TrimSpace(s.centre.Text), strings.TrimSpace(s.code.Text)
	if scanned, c := wire.ParseEnrolScan(code); scanned != "" {
		// A QR code with both: the address too, unless the config names it.
		if s.centre.Visible() {
			centre = scanned
			s.centre.SetText(centre)
		}
		code = c
		s.code.SetText(code)
	}
	switch {
	case centre == "":
		setMessage(s.message, lang.X("setup.centre.empty", "Enter the centre's address, like https://central.example:8470."))
		return
	case code == "":
		setMessage(s.message, lang.X("setup.code.empty", "Enter the enrolment code IT gave you for this kiosk."))
		return
	}
	s.connect.Disable()
	setMessage(s.message, lang.X("setup.working", "Connecting to the centre…"))
	enrol := u.cfg.Setup.Enrol
	u.background(func(ctx context.Context) func() {
		sy, mon, err := enrol(ctx, centre, code)
		return func() { u.enrolled(sy, mon, err) }
	})
}

// enrolled shows the centre's answer; on success it attaches sync and
// opens the lobby.
func (u *UI) enrolled(sy SyncSource, mon OutageSource, err error) {
	s := u.setup
	if err != nil {
		if s != nil {
			msg := err.Error()
			var refused *syncer.HTTPError
			if errors.As(err, &refused) && refused.Message != "" {
				msg = refused.Message // the centre's advice, without the status
			}
			s.connect.Enable()
			setMessage(s.message, sentence(msg))
		}
		u.log.Info("enrolment refused", "err", err)
		return
	}
	u.cfg.Setup = nil
	u.attach(sy, mon)
	// The enrolment answer brought the site's accounts; a site with no
	// supervisor gets its first here, on the code's authority.
	if has, err := u.staffQueue.HasSupervisor(u.ctx); err == nil && !has {
		u.showFirstSupervisor("enrolment code", false)
		return
	}
	u.showWelcome()
}

// sentence is msg as a sentence: a capital first letter and a full stop.
func sentence(msg string) string {
	r := []rune(strings.TrimSpace(msg))
	if len(r) == 0 {
		return ""
	}
	r[0] = unicode.ToUpper(r[0])
	if last := r[len(r)-1]; last != '.' && last != '!' && last != '?' {
		r = append(r, '.')
	}
	return string(r)
}
