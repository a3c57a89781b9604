package kiosk

import (
	"fmt"
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
)

// minTouch is the smallest touch target the kiosk offers, in either
// dimension (WCAG 2.5.5 asks 44 CSS px; Android and Material ask 48 dp).
const minTouch = 48

// smallTargets lists every visible object under o that takes a tap and is
// laid out smaller than minTouch in width or height.
func smallTargets(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	var out []string
	if _, ok := o.(fyne.Tappable); ok {
		if s := o.Size(); s.Width < minTouch || s.Height < minTouch {
			out = append(out, fmt.Sprintf("%s %v %q", reflect.TypeOf(o), s, label(o)))
		}
	}
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			out = append(out, smallTargets(child)...)
		}
	case *container.Scroll:
		out = append(out, smallTargets(c.Content)...)
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			out = append(out, smallTargets(child)...)
		}
	}
	return out
}

// label names a target for the failure message.
func label(o fyne.CanvasObject) string {
	if t := texts(o); len(t) > 0 {
		return t[0]
	}
	return ""
}

func TestEveryTouchTargetIsAtLeast48Pixels(t *testing.T) {
	f := newOutageFixture(t).fixture
	u := f.ui
	ana := f.checkIn(t, "Ana Pérez", "registration")
	bo, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: "Bo Li", Service: "registration", Phone: "600 123 456"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	screens := []struct {
		name string
		show func()
	}{
		{"welcome", u.showWelcome},
		{"check-in form", func() { test.Tap(u.welcome.checkIn) }},
		{"ticket", func() { u.showTicket(ana) }},
		{"check-out", u.startCheckOut},
		{"check-out: the phone's digits, with the digit pad", func() {
			u.startCheckOut()
			u.checkout.ticket.SetText(bo.Visit.Ticket)
			test.Tap(u.checkout.submit)
			test.Tap(u.checkout.digits)
		}},
		{"sign-in", u.showPIN},
		{"PIN pad", func() { f.tapName(t, carmen.Name) }},
		{"staff", func() { f.typePIN(t, testPIN) }},
		{"walk-in", u.showWalkIn},
		{"roster", u.showRoster},
		{"roster: checked out today", func() { u.showRoster(); test.Tap(u.roster.leftButton) }},
		{"incident panel", u.showIncident},
	}
	for _, s := range screens {
		s.show()
		for _, small := range smallTargets(u.Window().Content()) {
			t.Errorf("%s: %s is under %d px", s.name, small, minTouch)
		}
	}
}
