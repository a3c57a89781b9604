package kiosk

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// positions is where each of objs is in the window, from the first: the
// keyboard, opening for the field at fault, may scroll them all together.
// Every container is laid out again first, as a frame would.
func positions(u *UI, objs ...fyne.CanvasObject) []fyne.Position {
	d := fyne.CurrentApp().Driver()
	u.Window().Content().Refresh()
	out := make([]fyne.Position, len(objs))
	for i, o := range objs {
		out[i] = d.AbsolutePositionForObject(o).Subtract(d.AbsolutePositionForObject(objs[0]))
	}
	return out
}

// TestCheckInShowsEveryProblemAtOnce: a form with three problems shows
// three messages after one tap, each under its field, and no field moves
// when they appear or go.
func TestCheckInShowsEveryProblemAtOnce(t *testing.T) {
	// Typed on a physical keyboard: the on-screen one, which would close
	// at the first key and give the form back its full height, stays shut.
	f := newFixture(t, func(c *Config) { c.Keyboard = KeyboardOff })
	u := f.ui
	u.Window().Resize(fyne.NewSize(1280, 800))
	test.Tap(u.welcome.checkIn)
	s := u.form
	fields := []fyne.CanvasObject{s.title, s.name, s.host, s.phone, s.invite, s.services[0], s.services[1], s.submit}
	before := positions(u, fields...)

	// No name, no reason, and a phone number too short.
	test.Type(s.phone, "12")
	test.Tap(s.submit)
	if u.screen != screenCheckIn {
		t.Fatalf("screen %v after a form with three problems", u.screen)
	}
	shown := map[string]*widget.Label{"name": s.nameMsg, "phone": s.phoneMsg, "service": s.serviceMsg}
	for field, l := range shown {
		if !l.Visible() || l.Text == "" {
			t.Errorf("no message under %s", field)
		}
	}
	for field, l := range map[string]*widget.Label{"host": s.hostMsg, "invite": s.inviteMsg, "form": s.formMsg} {
		if l.Visible() {
			t.Errorf("message under %s: %q", field, l.Text)
		}
	}
	if got := positions(u, fields...); !samePositions(got, before) {
		t.Fatalf("fields moved when the messages appeared:\nbefore %v\nafter  %v", before, got)
	}

	// Fixing them one by one takes the messages away; nothing moves.
	test.Type(s.name, "Ana García")
	test.Tap(serviceButton(t, s, "registration"))
	test.Type(s.phone, "3456")
	if s.serviceMsg.Visible() {
		t.Errorf("service message stays after choosing: %q", s.serviceMsg.Text)
	}
	if got := positions(u, fields...); !samePositions(got, before) {
		t.Fatalf("fields moved when the messages went:\nbefore %v\nafter  %v", before, got)
	}
	test.Tap(s.submit)
	if u.screen != screenTicket {
		t.Fatalf("screen %v after fixing the form; messages %q %q %q", u.screen, s.nameMsg.Text, s.phoneMsg.Text, s.serviceMsg.Text)
	}
}

func samePositions(a, b []fyne.Position) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestCheckOutMessageMovesNothing: the message under the ticket entry
// has its room kept; the button below it stays where the finger is.
func TestCheckOutMessageMovesNothing(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Keyboard = KeyboardOff }) // typed on a physical keyboard
	u := f.ui
	u.Window().Resize(fyne.NewSize(1280, 800))
	test.Tap(u.welcome.checkOut)
	s := u.checkout
	before := positions(u, s.ticket, s.submit, s.back)
	test.Type(s.ticket, "Z-999")
	test.Tap(s.submit)
	if !s.message.Visible() || s.message.Text == "" {
		t.Fatal("no message for a ticket that does not exist")
	}
	if got := positions(u, s.ticket, s.submit, s.back); !samePositions(got, before) {
		t.Fatalf("the check-out form moved when its message appeared:\nbefore %v\nafter  %v", before, got)
	}
}
