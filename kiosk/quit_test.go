package kiosk

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// quitSpy counts the app's Quit calls; the test app's Quit does nothing.
type quitSpy struct {
	fyne.App
	quits int
}

func (a *quitSpy) Quit() { a.quits++ }

// closeSpy keeps the close intercept the UI sets, so a test can make the
// request the compositor would.
type closeSpy struct {
	fyne.Window
	intercept func()
}

func (w *closeSpy) SetCloseIntercept(f func()) { w.intercept = f; w.Window.SetCloseIntercept(f) }

// TestLobbyWindowOnlyQuitsFromStaffMode: a close request (Alt+F4, Ctrl+Q
// under cage) is ignored; staff mode's Quit, behind the PIN, quits.
func TestLobbyWindowOnlyQuitsFromStaffMode(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	app := &quitSpy{App: u.app}
	win := &closeSpy{Window: u.win}
	u.app, u.win = app, win
	u.KeepOpen()
	if win.intercept == nil {
		t.Fatal("KeepOpen set no close intercept: a close request would close the lobby window")
	}
	win.intercept()
	if app.quits != 0 || u.screen != screenWelcome {
		t.Fatalf("a close request quit the app (%d) or left the welcome screen (%v)", app.quits, u.screen)
	}
	if b := findButton(u.Window().Content(), "Quit"); b != nil {
		t.Fatal("the welcome screen offers Quit")
	}
	f.unlock(t)
	b := findButton(u.Window().Content(), "Quit")
	if b == nil {
		t.Fatal("staff mode has no Quit button")
	}
	test.Tap(b)
	if app.quits != 1 {
		t.Fatalf("staff mode's Quit called Quit %d times, want 1", app.quits)
	}
}

// findButton is the visible button labelled text under o, or nil.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if o == nil || !o.Visible() {
		return nil
	}
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case *container.Scroll:
		return findButton(o.Content, text)
	case *widget.Button:
		if o.Text == text {
			return o
		}
	}
	return nil
}
