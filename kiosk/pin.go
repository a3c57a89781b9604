package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lobbyline/queue"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxPINDigits matches the longest PIN queue.HashPIN accepts.
const maxPINDigits = 12

// pinMessageHeight holds two lines of message text between the dots and
// the keys.
const pinMessageHeight = 76

// fixedHeight lays its objects out at a height of its own, whatever they
// ask for, so a message appearing or going never moves what is below.
type fixedHeight float32

func (h fixedHeight) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var w float32
	for _, o := range objects {
		if o.Visible() {
			w = max(w, o.MinSize().Width)
		}
	}
	return fyne.NewSize(w, float32(h))
}

func (h fixedHeight) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// fieldMessageLines is how many lines of message a form keeps free under
// each field: the longest message, in the longest language, at the width
// of a form's column (a test holds this).
const fieldMessageLines = 3

// newFieldMessage is a message under a form's field, in caption text so
// that the longest fits the room kept for it; hidden while empty.
func newFieldMessage() *widget.Label {
	l := newWrapped("", theme.SizeNameCaptionText, widget.DangerImportance)
	l.Hide()
	return l
}

// messageSlot keeps room for lines lines of message l, shown or not.
func messageSlot(l *widget.Label, lines int) fyne.CanvasObject {
	return container.New(fixedHeight(messageHeight(l, lines)), denseLabel(l))
}

// messageHeight is the height of lines lines of message l.
func messageHeight(l *widget.Label, lines int) float32 {
	th := fyne.CurrentApp().Settings().Theme()
	line := fyne.MeasureText("Ag", th.Size(l.SizeName), l.TextStyle).Height
	n := float32(lines)
	return line*n + th.Size(theme.SizeNameLineSpacing)*(n-1) + 2*densePadding
}

// pinScreen is the PIN pad: for an account's PIN at sign-in, the set-up
// PIN, and a new account's PIN (twice). The PIN is shown as dots and kept
// only until Enter hands it to submit.
type pinScreen struct {
	pin    string
	submit func(pin string)
	locked time.Time // while after now, the lock message stays and counts down
	// checking says a PIN is being hashed or compared off the UI
	// goroutine (checkOnPad): the keys wait for the answer.
	checking bool
	dots     *widget.Label
	message  *widget.Label
	digits   [10]*widget.Button
	clear    *widget.Button
	enter    *widget.Button
	cancel   *widget.Button
	content  fyne.CanvasObject
}

// newPINScreen is the pad under title and prompt; Enter hands the PIN to
// submit, Back calls back.
func newPINScreen(u *UI, title, prompt string, submit func(string), back func()) *pinScreen {
	s := &pinScreen{
		submit:  submit,
		dots:    newText("", sizeNameTitle, true, widget.MediumImportance),
		message: newMessage(),
	}
	s.dots.Alignment = fyne.TextAlignCenter
	s.message.Alignment = fyne.TextAlignCenter
	for d := range s.digits {
		s.digits[d] = widget.NewButton(strconv.Itoa(d), func() { u.pinKey(strconv.Itoa(d)) })
	}
	s.clear = widget.NewButtonWithIcon(lang.X("pin.clear", "Clear"), theme.ContentClearIcon(), func() { u.pinKey("clear") })
	s.enter = widget.NewButtonWithIcon(lang.X("pin.enter", "Enter"), theme.ConfirmIcon(), u.pinEnter)
	s.enter.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon(lang.X("pin.back", "Back"), theme.NavigateBackIcon(), func() {
		u.touch()
		if !s.checking {
			back()
		}
	})
	s.cancel.Importance = widget.LowImportance

	pad := container.NewGridWithColumns(3)
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		pad.Add(sized(110, 76, s.digits[d]))
	}
	pad.Add(sized(110, 76, s.clear))
	pad.Add(sized(110, 76, s.digits[0]))
	pad.Add(sized(110, 76, s.enter))

	// The words on the left and the keys on the right, on a landscape
	// screen and a portrait one alike: a long prompt never pushes the
	// keys off an 800-pixel-high screen.
	heading := newWrapped(title, theme.SizeNameHeadingText, widget.MediumImportance)
	heading.TextStyle.Bold = true
	words := container.NewVBox(
		heading,
		newWrapped(prompt, theme.SizeNameText, widget.LowImportance),
		sized(0, 70, s.dots),
		// Room for two lines of message, always: nothing moves under a
		// finger when one appears.
		container.New(fixedHeight(pinMessageHeight), s.message),
		s.cancel,
	)
	s.content = container.NewCenter(sized(1000, 0, card(container.NewBorder(nil, nil, nil, container.NewVBox(pad), words))))
	s.render()
	return s
}

func (s *pinScreen) render() {
	s.dots.SetText(strings.Repeat("● ", len(s.pin)))
}

// showPINPad puts a PIN pad on the screen.
func (u *UI) showPINPad(title, prompt string, submit func(string), back func()) {
	u.pin = newPINScreen(u, title, prompt, submit, back)
	u.setScreen(screenPIN, u.pin.content)
}

// pinKey handles a key of the PIN pad: a digit or "clear".
func (u *UI) pinKey(key string) {
	u.touch()
	s := u.pin
	if s == nil || s.checking {
		return // a tap while the last PIN is checked counts for nothing
	}
	if s.showLock(u.cfg.Now()) {
		return // nothing is typed while the pad is locked
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

// pinEnter hands what was typed to the pad's submit, forgetting it here.
func (u *UI) pinEnter() {
	u.touch()
	s := u.pin
	if s == nil || s.checking || s.showLock(u.cfg.Now()) {
		return // one PIN is checked at a time: a second Enter is not a second try
	}
	pin := s.pin
	s.pin = ""
	s.render()
	s.submit(pin)
}

// checkOnPad runs work, which hashes or compares the PIN typed on the
// pad, on the bridge's goroutine: argon2id takes a tenth of a second and
// 64 MiB here, several times that on a small kiosk PC, and the
// touchscreen must not freeze meanwhile. The pad says it is checking and
// holds its keys until the answer. Of the two functions work returns,
// show runs on the UI goroutine if the same pad is still the screen,
// with its keys back; gone (may be nil) runs instead if the screen
// changed meanwhile (the idle timeout went back to the welcome screen):
// a late answer never opens anything behind whoever is at the kiosk now.
// work must not touch widgets or read the UI's fields.
func (u *UI) checkOnPad(work func() (show, gone func())) {
	s := u.pin
	if s == nil || s.checking {
		return
	}
	s.startChecking()
	u.background(func(context.Context) func() {
		show, gone := work()
		return func() {
			if u.pin != s || u.screen != screenPIN {
				if gone != nil {
					gone()
				}
				return
			}
			s.doneChecking()
			if show != nil {
				show()
			}
		}
	})
}

// startChecking says, in the message's reserved room, that the PIN is
// being checked, and holds the keys (greyed, so a finger sees it).
func (s *pinScreen) startChecking() {
	s.checking = true
	s.message.Importance = widget.MediumImportance // news, not a refusal
	setMessage(s.message, lang.X("pin.checking", "Checking the PIN…"))
	s.enableKeys(false)
}

// doneChecking gives the keys back and clears the message for the answer.
func (s *pinScreen) doneChecking() {
	s.checking = false
	s.message.Importance = widget.DangerImportance
	setMessage(s.message, "")
	s.enableKeys(true)
}

func (s *pinScreen) enableKeys(on bool) {
	for _, b := range append(s.digits[:], s.clear, s.enter, s.cancel) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// showLock shows how long the lock has left, or clears the lock message
// once it is over; it reports whether the pad is locked at now.
func (s *pinScreen) showLock(now time.Time) bool {
	if s.locked.IsZero() {
		return false
	}
	left := s.locked.Sub(now)
	if left <= 0 {
		s.locked = time.Time{}
		setMessage(s.message, "")
		return false
	}
	secs := int(left.Round(time.Second) / time.Second)
	setMessage(s.message, lang.X("pin.locked", "Too many wrong PINs. Try again in {{.Left}}.",
		map[string]any{"Left": fmt.Sprintf("%d:%02d", secs/60, secs%60)}))
	return true
}

// pinRefused shows why a PIN was refused on the pad: the lock and its
// countdown, or the store's words.
func (u *UI) pinRefused(err error) {
	s := u.pin
	if s == nil {
		return
	}
	var qe *queue.Error
	if errors.As(err, &qe) && qe.Code == queue.ELocked && !qe.Until.IsZero() {
		s.locked = qe.Until
		s.showLock(u.cfg.Now())
		return
	}
	setMessage(s.message, u.errorText(err))
}
