package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"lobbyline/queue/sqldb"
)

// While a check-in cannot be saved (the store's local problem), the lobby
// offers none and sends visitors to reception in their language; when it
// can again, the offer is back without a restart.
func TestLobbySendsToReceptionWhileCheckInCannotBeSaved(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	if !u.welcome.checkIn.Visible() {
		t.Fatal("check-in not offered on a healthy kiosk")
	}
	f.store.RaiseLocalProblem(sqldb.FaultFull, "test: commit failed for space")
	if u.welcome.checkIn.Visible() {
		t.Error("check-in still offered while it cannot be saved")
	}
	if got := screenText(u); !strings.Contains(got, "Please check in at reception.") {
		t.Errorf("welcome screen does not send visitors to reception:\n%s", got)
	}
	test.Tap(u.welcome.checkIn) // a hidden button's tap, had it been reached
	if u.screen != screenWelcome {
		t.Error("a check-in form opened while check-in cannot be saved")
	}
	u.chooseLanguage("es")
	want := lang.X("welcome.unsaved", "")
	if !strings.Contains(screenText(u), want) || !strings.Contains(want, "recepción") {
		t.Errorf("in Spanish the screen does not say so (%q):\n%s", want, screenText(u))
	}
	f.store.ClearLocalProblem(sqldb.FaultFull)
	if !u.welcome.checkIn.Visible() || u.welcome.unsaved.Visible() {
		t.Error("check-in not offered again once it can be saved")
	}
}
