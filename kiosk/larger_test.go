package kiosk

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
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
	var bg *cardBackground
	walk(t, u.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*cardBackground); ok && bg == nil {
			bg = b
		}
	})
	if bg == nil {
		t.Fatal("no card on the welcome screen")
	}
	if got := test.WidgetRenderer(bg).(*cardRenderer).rect.StrokeColor; got != highContrast[theme.ColorNameSeparator] {
		t.Errorf("a card's border is %v with high contrast, want %v", got, highContrast[theme.ColorNameSeparator])
	}
	fitsScreen(t, u, "welcome, larger")
	// Every screen a visitor sees, in every language and both shapes:
	// nothing cut, nothing squeezed, nothing past the screen.
	for _, size := range []fyne.Size{landscape, portrait} {
		for _, code := range translationCodes(t) {
			look := func(screen string) {
				t.Helper()
				u.Window().Resize(size)
				name := fmt.Sprintf("%s %s, larger (%s)", code, screen, sizeName(size))
				assertFits(t, name, u.Window().Content())
				assertWhole(t, name, u.Window().Content(), allowedEllipses(t, code), nil)
				if m := u.Window().Content().MinSize(); m.Width > size.Width || m.Height > size.Height {
					t.Errorf("%s needs %v", name, m)
				}
			}
			u.switchLanguage(code)
			u.showWelcome()
			look("welcome")
			checkInAtKiosk(t, u, "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
			look("ticket")
			test.Tap(u.ticket.done)
			u.startCheckIn()
			look("check-in form")
			u.startCheckOut()
			look("check-out")
			u.showWelcome()
		}
	}
	u.Window().Resize(kioskScreen)

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
