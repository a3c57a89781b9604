package kiosk

import (
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// In a lobby the kiosk is the only window of a kiosk compositor (cage),
// where Alt+F4, Ctrl+Q and the compositor's own close all reach the app as
// a request to close its window. A visitor must not get out that way, so
// the lobby window ignores them; staff quit from staff mode, behind the
// PIN.

// KeepOpen makes the window ignore requests to close it (they are logged);
// staff can still quit from staff mode. The kiosk calls it when it runs
// full screen, for the lobby; a window on a developer's desktop closes as
// usual.
func (u *UI) KeepOpen() {
	u.win.SetCloseIntercept(func() {
		u.log.Warn("request to close the kiosk window ignored: staff quit from staff mode")
	})
}

// newQuitButton is staff mode's way out of the app, for a supervisor.
func (u *UI) newQuitButton() *widget.Button {
	b := widget.NewButtonWithIcon(lang.X("staff.quit", "Quit"), theme.CancelIcon(), u.staffQuit)
	if !u.supervisor() {
		b.Hide()
	}
	return b
}

// staffQuit ends the app, whether or not the window is kept open. In a
// lobby session the session starts the kiosk again, so this is a restart
// there.
func (u *UI) staffQuit() {
	if !u.supervisor() {
		return
	}
	u.log.Info("staff quit the kiosk", "staff", u.staffName)
	if err := u.staffQueue.Audit(u.staffCtx(), "quit", "", ""); err != nil {
		u.log.Error("audit quit", "err", err)
	}
	u.app.Quit()
}
