package kiosk

import (
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// stillThereFor is how long "Still there?" counts down before a
// half-filled form is discarded.
const stillThereFor = 15 * time.Second

// stillThere asks a visitor who stopped half-way through a form whether
// they are still there, with a countdown, before the form is cleared for
// the next visitor.
type stillThere struct {
	dialog    dialog.Dialog
	countdown *widget.Label
	stay      *widget.Button
}

// halfFilled reports whether the visitor has typed something that the
// idle timeout would throw away.
func (u *UI) halfFilled() bool {
	switch {
	case u.screen == screenCheckIn && u.form != nil:
		for _, e := range []*keyEntry{u.form.name, u.form.host, u.form.phone, u.form.invite} {
			if e.Text != "" {
				return true
			}
		}
	case u.screen == screenCheckOut && u.checkout != nil:
		return u.checkout.ticket.Text != ""
	}
	return false
}

// askStillThere shows or updates the question with the time left.
func (u *UI) askStillThere(left time.Duration) {
	secs := int((left + time.Second - 1) / time.Second)
	text := lang.X("idle.countdown", "This form will be cleared in {{.Secs}} seconds.", map[string]any{"Secs": secs})
	if u.still != nil {
		u.still.countdown.SetText(text)
		return
	}
	s := &stillThere{countdown: newWrapped(text, theme.SizeNameSubHeadingText, widget.MediumImportance)}
	s.stay = widget.NewButtonWithIcon(lang.X("idle.stay", "I'm still here"), theme.ConfirmIcon(), u.stayHere)
	s.stay.Importance = widget.HighImportance
	body := container.NewVBox(s.countdown, gap(16), sized(0, 76, s.stay))
	s.dialog = dialog.NewCustomWithoutButtons(lang.X("idle.title", "Still there?"), sized(460, 0, body), u.win)
	u.still = s
	s.dialog.Show()
}

// stayHere keeps the form for the visitor who answered.
func (u *UI) stayHere() {
	u.touch()
	u.dismissStillThere()
}

// dismissStillThere takes the question away, if it is showing.
func (u *UI) dismissStillThere() {
	if u.still == nil {
		return
	}
	u.still.dialog.Hide()
	u.still = nil
}
