package kiosk

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxPINDigits matches the longest PIN queue.HashPIN accepts.
const maxPINDigits = 12

// pinScreen is the staff PIN pad. The PIN is shown as dots and kept only
// until it is checked.
type pinScreen struct {
	pin     string
	dots    *widget.Label
	message *widget.Label
	digits  [10]*widget.Button
	clear   *widget.Button
	enter   *widget.Button
	cancel  *widget.Button
	content fyne.CanvasObject
}

func newPINScreen(u *UI) *pinScreen {
	s := &pinScreen{
		dots:    newText("", sizeNameTitle, true, widget.MediumImportance),
		message: newMessage(),
	}
	s.dots.Alignment = fyne.TextAlignCenter
	s.message.Alignment = fyne.TextAlignCenter
	for d := range s.digits {
		s.digits[d] = widget.NewButton(strconv.Itoa(d), func() { u.pinKey(strconv.Itoa(d)) })
	}
	s.clear = widget.NewButtonWithIcon(lang.X("pin.clear", "Clear"), theme.ContentClearIcon(), func() { u.pinKey("clear") })
	s.enter = widget.NewButtonWithIcon(lang.X("pin.enter", "Enter"), theme.ConfirmIcon(), u.unlockStaff)
	s.enter.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon(lang.X("pin.cancel", "Cancel"), theme.NavigateBackIcon(), u.showWelcome)
	s.cancel.Importance = widget.LowImportance

	pad := container.NewGridWithColumns(3)
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		pad.Add(sized(110, 76, s.digits[d]))
	}
	pad.Add(sized(110, 76, s.clear))
	pad.Add(sized(110, 76, s.digits[0]))
	pad.Add(sized(110, 76, s.enter))

	box := container.NewVBox(
		newText(lang.X("pin.title", "Staff sign-in"), theme.SizeNameHeadingText, true, widget.MediumImportance),
		newText(lang.X("pin.prompt", "Enter your PIN"), theme.SizeNameText, false, widget.LowImportance),
		sized(0, 70, s.dots),
		s.message,
		pad,
		gap(8),
		s.cancel,
	)
	s.content = container.NewCenter(sized(460, 0, card(box)))
	s.render()
	return s
}

func (s *pinScreen) render() {
	s.dots.SetText(strings.Repeat("● ", len(s.pin)))
}

func (u *UI) showPIN() {
	u.pin = newPINScreen(u)
	u.setScreen(screenPIN, u.pin.content)
}

// pinKey handles a key of the PIN pad: a digit or "clear".
func (u *UI) pinKey(key string) {
	u.touch()
	s := u.pin
	if s == nil {
		return
	}
	switch {
	case key == "clear":
		s.pin = ""
	case len(s.pin) < maxPINDigits:
		s.pin += key
	}
	setMessage(s.message, "")
	s.render()
}

// unlockStaff checks the PIN; the store counts wrong tries and locks.
func (u *UI) unlockStaff() {
	u.touch()
	s := u.pin
	if s == nil {
		return
	}
	pin := s.pin
	s.pin = ""
	s.render()
	if err := u.staffQueue.UnlockStaff(u.ctx, u.cfg.PINHash, pin); err != nil {
		setMessage(s.message, u.errorText(err))
		return
	}
	u.log.Info("staff mode unlocked")
	u.showStaff()
}
