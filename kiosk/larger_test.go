package kiosk

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// A visitor can ask for larger text and high contrast on the welcome
// screen; every visitor screen still fits, and the next visitor starts
// with the usual text.
func TestLargerTextForOneVisitor(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	u.Window().Resize(kioskScreen)
	normal := u.app.Settings().Theme().Size(theme.SizeNameText)
	test.Tap(u.welcome.larger)
	th := u.app.Settings().Theme()
	if got := th.Size(theme.SizeNameText); got != normal*largerScale {
		t.Fatalf("text %v after Larger text, want %v", got, normal*largerScale)
	}
	if got := th.Color(theme.ColorNameForeground, theme.VariantLight); got != highContrast[theme.ColorNameForeground] {
		t.Errorf("foreground %v, want the high-contrast one", got)
	}
	if u.welcome.larger.Importance != widget.HighImportance {
		t.Error("the button does not show that larger text is on")
	}
	fitsScreen(t, u, "welcome, larger")
	for _, code := range translationCodes(t) {
		u.switchLanguage(code)
		checkInAtKiosk(t, u, "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
		fitsScreen(t, u, code+" ticket, larger")
		test.Tap(u.ticket.done)
		u.startCheckIn()
		fitsScreen(t, u, code+" check-in form, larger")
		u.showWelcome()
	}

	// Tapped again, it is off; on again, the idle timeout takes it back.
	test.Tap(u.welcome.larger)
	if u.theme.larger {
		t.Fatal("a second tap left larger text on")
	}
	test.Tap(u.welcome.larger)
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout + time.Second))
	if u.theme.larger || u.app.Settings().Theme().Size(theme.SizeNameText) != normal {
		t.Fatal("the next visitor inherits larger text")
	}
}
