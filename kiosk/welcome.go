package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// welcomeScreen is what a visitor walks up to: one big "Check in" button,
// the lobby board beside it (below it on a portrait screen), the language
// switch and a discreet way in for staff.
type welcomeScreen struct {
	checkIn   *largeButton
	unsaved   *widget.Label // in place of checkIn while a check-in cannot be saved here
	languages map[string]*widget.Button
	staff     *widget.Button
	larger    *widget.Button // larger text and high contrast, for this visitor
	bigText   bool           // larger text is on: the kiosk's name gives way
	checkOut  *widget.Button
	place     *widget.Label
	intro     *widget.Label
	banner    *banner
	board     *boardView
	body      *fyne.Container // the welcome part and the board, by the screen's shape (orientLayout)
	content   fyne.CanvasObject
}

func newWelcomeScreen(u *UI) *welcomeScreen {
	s := &welcomeScreen{languages: make(map[string]*widget.Button), board: newBoardView(u)}

	s.checkIn = newLargeButton(lang.X("welcome.checkin", "Check in"), sizeNameLarge, u.startCheckIn)
	s.unsaved = newWrapped(lang.X("welcome.unsaved", "Check-in cannot be saved on this kiosk right now. Please check in at reception."),
		theme.SizeNameSubHeadingText, widget.DangerImportance)
	s.unsaved.TextStyle.Bold = true
	s.showUnsaved(u.unsaved)
	s.checkOut = widget.NewButtonWithIcon(lang.X("welcome.checkout", "Leaving? Check out"), theme.LogoutIcon(), u.startCheckOut)

	place := u.cfg.KioskName
	if n := u.cfg.KioskNames[u.lang]; n != "" {
		place = n
	}
	s.place = newText(place, theme.SizeNameSubHeadingText, false, widget.LowImportance)
	s.intro = newWrapped(lang.X("welcome.intro", "Check in here to get your ticket. We will call your number on this screen."),
		theme.SizeNameSubHeadingText, widget.MediumImportance)
	// Sized to fit a 1280×720 panel in every language. Larger text needs
	// the room the kiosk's name and some air took.
	space, button, introLines := float32(8), float32(104), 3
	if s.bigText = u.theme.larger; s.bigText {
		space, button, introLines = 8, 120, 4
	}
	intro := container.NewVBox(
		s.place,
		newText(lang.X("welcome.title", "Welcome"), sizeNameTitle, true, widget.MediumImportance),
		// The same room in every language (three lines, four in larger
		// text), so the buttons under it stay where they were when a
		// visitor changes language.
		fixedLines(s.intro, introLines),
		gap(space),
		sized(0, button, container.NewStack(s.checkIn, s.unsaved)),
		gap(8),
		sized(0, 56, s.checkOut),
	)

	var switcher fyne.CanvasObject = layout.NewSpacer()
	if len(u.cfg.Languages) > 1 {
		// At most three a row: six languages take two rows of touch-sized
		// buttons and leave the lobby board its half of a 1280 px screen.
		row := container.NewGridWithColumns(min(len(u.cfg.Languages), 3))
		for _, code := range u.cfg.Languages {
			b := widget.NewButton(languageName(code), func() { u.chooseLanguage(code) })
			if code == u.lang {
				b.Importance = widget.HighImportance
			}
			s.languages[code] = b
			row.Add(sized(150, 0, b))
		}
		switcher = row
	}

	s.staff = widget.NewButtonWithIcon(lang.X("welcome.staff", "Staff"), theme.AccountIcon(), u.showPIN)
	s.staff.Importance = widget.LowImportance

	left := container.NewBorder(nil, switcher, nil, nil, container.NewVBox(layout.NewSpacer(), intro, layout.NewSpacer()))
	// The staff button sits under the board, where there is room: beside six
	// languages a long word for staff would push the board off the screen.
	s.larger = widget.NewButtonWithIcon(lang.X("welcome.larger", "Larger text"), theme.ZoomInIcon(), func() { u.touch(); u.setLarger(!u.theme.larger) })
	if u.theme.larger {
		s.larger.Importance = widget.HighImportance
	}
	// The outage banner or a staff notice goes above the board, which
	// gives it room: the welcome's own words and the visitor's buttons
	// stay where they are when one comes or goes.
	s.banner = newBanner(u)
	// Half the screen wide, a long title takes a second line.
	s.banner.title.Wrapping = fyne.TextWrapWord
	s.banner.title.Refresh()
	right := container.NewBorder(s.banner.content, container.NewHBox(s.larger, layout.NewSpacer(), s.staff), nil, nil, s.board.content)
	s.banner.parent = right
	s.body = orient(container.NewPadded(left), right)
	s.content = container.NewPadded(container.NewPadded(s.body))
	setVisible(s.place, !s.bigText && s.place.Text != "")
	return s
}

// showUnsaved swaps the check-in button for the message sending visitors
// to reception, and back.
func (s *welcomeScreen) showUnsaved(unsaved bool) {
	setVisible(s.checkIn, !unsaved)
	setVisible(s.unsaved, unsaved)
}
