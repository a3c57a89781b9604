package kiosk

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// placeMap is where objects are in the window, by name.
type placeMap map[string]fyne.Position

func where(objs map[string]fyne.CanvasObject) placeMap {
	d := fyne.CurrentApp().Driver()
	p := placeMap{}
	for name, o := range objs {
		if o.Visible() {
			p[name] = d.AbsolutePositionForObject(o)
		}
	}
	return p
}

// moved fails for every object of before that is gone or elsewhere now.
func moved(t *testing.T, step string, before placeMap, objs map[string]fyne.CanvasObject) {
	t.Helper()
	now := where(objs)
	for name, was := range before {
		if is, ok := now[name]; !ok || is != was {
			t.Errorf("%s: %s moved from %v to %v (shown: %v)", step, name, was, is, ok)
		}
	}
}

// formTargets are what a visitor taps on the check-in form.
func formTargets(s *checkInScreen) map[string]fyne.CanvasObject {
	objs := map[string]fyne.CanvasObject{"submit": s.submit, "back": s.back, "name": s.name, "host": s.host, "phone": s.phone, "invite": s.invite}
	for i, b := range s.services {
		objs["service "+s.serviceIDs[i]] = b
	}
	return objs
}

// inViewAboveKeys fails unless o is whole in the window's view above the
// open keyboard, the screen not scrolled.
func inViewAboveKeys(t *testing.T, u *UI, name string, o fyne.CanvasObject) {
	t.Helper()
	top, bottom := onScreen(o)
	panelTop, _ := onScreen(u.keys.panel)
	viewTop, _ := onScreen(u.keys.scroll)
	if !o.Visible() || top < viewTop-0.5 || bottom > panelTop+0.5 {
		t.Errorf("%s at y %.0f–%.0f (shown %v), out of the view %.0f–%.0f above the keyboard", name, top, bottom, o.Visible(), viewTop, panelTop)
	}
}

// Typing a name, choosing a reason and tapping where "Get my ticket" is
// gets the ticket: nothing on the form moves under the finger while the
// visitor works on it, whichever field or reason they tap, until Done.
func TestCheckInFormNothingMovesUnderTheFinger(t *testing.T) {
	for _, size := range []fyne.Size{landscape, portrait} {
		t.Run(sizeName(size), func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			u.Window().Resize(size)
			test.Tap(u.welcome.checkIn)
			u.Window().Resize(size)
			spell(t, u, "ana lopez")
			targets := formTargets(u.form)
			before := where(targets)
			for _, id := range u.form.serviceIDs {
				test.Tap(serviceButton(t, u.form, id))
				moved(t, "after tapping "+id, before, targets)
				wantKeyboard(t, u, true, u.form.name)
				if u.win.Canvas().Focused() != u.form.name {
					t.Errorf("after tapping %s the keys type into the name, which shows no focus", id)
				}
			}
			// A field in view, tapped, stays where it is; one out of view
			// comes into view, the fields' column alone moves.
			for _, e := range []*keyEntry{u.form.name, u.form.host, u.form.phone, u.form.invite} {
				if !u.keys.inView(e) {
					continue
				}
				test.Tap(e)
				moved(t, "after tapping a field in view", before, targets)
				wantKeyboard(t, u, true, e)
			}
			fixed := map[string]fyne.CanvasObject{"submit": u.form.submit, "back": u.form.back, "invite": u.form.invite}
			for i, b := range u.form.services {
				fixed[u.form.serviceIDs[i]] = b
			}
			stay := where(fixed)
			u.win.Canvas().Focus(u.form.name)
			tapKeys(t, u, keyNext)
			wantKeyboard(t, u, true, u.form.host)
			spell(t, u, "li")
			tapKeys(t, u, keyEnter) // on to the phone: its pad, the same height
			wantKeyboard(t, u, true, u.form.phone)
			test.Tap(serviceButton(t, u.form, "visit"))
			moved(t, "after Next, Enter and a reason", stay, fixed)
			test.Tap(u.form.submit)
			if u.screen != screenTicket {
				t.Fatalf("no ticket: %q %q", u.form.serviceMsg.Text, u.form.formMsg.Text)
			}
			if v := storedVisit(t, f, "V-001"); v.Name != "Ana Lopez" || v.Host != "Li" {
				t.Errorf("stored %q / %q", v.Name, v.Host)
			}
		})
	}
}

// The strip of accented letters has its row kept: the form above the
// keyboard does not move when it fills after a letter.
func TestAlternatesMoveNothing(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	u.Window().Resize(landscape)
	test.Tap(u.welcome.checkIn)
	targets := formTargets(u.form)
	targets["keyboard"] = u.keys.panel
	before := where(targets)
	d := fyne.CurrentApp().Driver()
	q := d.AbsolutePositionForObject(u.keys.keys["q"])
	tapKeys(t, u, "z", "o", "e")
	if len(u.keys.alternates) == 0 {
		t.Fatal("no alternates after e")
	}
	moved(t, "after e", before, targets)
	if now := d.AbsolutePositionForObject(u.keys.keys["q"]); now != q {
		t.Errorf("the key q moved from %v to %v", q, now)
	}
}

// On the check-out screen, with the number pad open, the heading and Back
// are in view, with the entry and Check out, in both shapes, with and
// without larger text.
func TestCheckOutKeepsBackAndHeadingAboveThePad(t *testing.T) {
	for _, larger := range []bool{false, true} {
		for _, size := range []fyne.Size{landscape, portrait} {
			t.Run(fmt.Sprintf("%s larger %v", sizeName(size), larger), func(t *testing.T) {
				f := newFixture(t)
				u := f.ui
				u.Window().Resize(size)
				if larger {
					test.Tap(u.welcome.larger)
				}
				test.Tap(u.welcome.checkOut)
				u.Window().Resize(size)
				wantKeyboard(t, u, true, u.checkout.ticket)
				s := u.checkout
				for name, o := range map[string]fyne.CanvasObject{"heading": s.title, "Back": s.back, "entry": s.ticket, "Check out": s.submit} {
					inViewAboveKeys(t, u, name, o)
				}
				if off := u.keys.scroll.Offset.Y; off != 0 {
					t.Errorf("the screen is scrolled by %.0f", off)
				}
			})
		}
	}
}

// With larger text and the keyboard open, the check-in form shows the
// field typed into, every reason and Get my ticket above the keys.
func TestCheckInFormWithLargerTextAndKeyboard(t *testing.T) {
	for _, size := range []fyne.Size{landscape, portrait} {
		t.Run(sizeName(size), func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			// The fixture's services and a third, as the demo has.
			svcs := append(append([]queue.Service(nil), testServices...),
				queue.Service{ID: "pharmacy", Prefix: "P", Name: "Pharmacy pick-up", DefaultWait: 5 * time.Minute})
			desks := []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit", "pharmacy"}}}
			if ok, err := f.store.ApplySiteConfig(f.ctx, 2, svcs, desks, nil); err != nil || !ok {
				t.Fatalf("apply a third service: %v, %v", ok, err)
			}
			u.Window().Resize(size)
			test.Tap(u.welcome.larger)
			test.Tap(u.welcome.checkIn)
			u.Window().Resize(size)
			wantKeyboard(t, u, true, u.form.name)
			if len(u.form.services) != 3 {
				t.Fatalf("%d services on the form, want 3", len(u.form.services))
			}
			inViewAboveKeys(t, u, "name", u.form.name)
			inViewAboveKeys(t, u, "Get my ticket", u.form.submit)
			for i, b := range u.form.services {
				inViewAboveKeys(t, u, u.form.serviceIDs[i], b)
			}
		})
	}
}

// A name longer than its field is clipped inside the field's border.
func TestLongNameStaysInsideTheField(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	u.Window().Resize(landscape)
	test.Tap(u.welcome.checkIn)
	spell(t, u, "bartholomew featherstonehaugh wolfeschlegelsteinhausen bergerdorff von altenburg")
	e := u.form.name
	b := e.Theme().Size(theme.SizeNameInputBorder)
	found := false
	for _, o := range test.WidgetRenderer(e).Objects() {
		s, ok := o.(*container.Scroll)
		if !ok || !s.Visible() {
			continue
		}
		found = true
		p, sz := s.Position(), s.Size()
		if p.X < b || p.Y < b || p.X+sz.Width > e.Size().Width-b+0.01 || p.Y+sz.Height > e.Size().Height-b+0.01 {
			t.Errorf("the text's scroll at %v size %v is over the border of a %v entry (border %v)", p, sz, e.Size(), b)
		}
	}
	if !found {
		t.Fatal("no scroll in the entry: has Fyne's Entry changed?")
	}
}

// A staff notice on the welcome screen takes room from the board: the
// welcome's sentences stay, and no button a visitor taps moves.
func TestWelcomeNoticeMovesNothing(t *testing.T) {
	for _, size := range []fyne.Size{landscape, portrait} {
		t.Run(sizeName(size), func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			u.Window().Resize(size)
			w := u.welcome
			targets := map[string]fyne.CanvasObject{"check in": w.checkIn, "check out": w.checkOut, "larger": w.larger, "staff": w.staff, "place": w.place, "intro": w.intro}
			for code, b := range w.languages {
				targets[code] = b
			}
			before := where(targets)
			if len(before) != len(targets) {
				t.Fatalf("only %d of %d shown before the notice", len(before), len(targets))
			}
			u.showOutage(outage.Outage{Message: &queue.LobbyMessage{Texts: map[string]string{"en": "The café on the ground floor is closed today; please use the one on the first floor."}}})
			u.Window().Resize(size)
			if !w.banner.content.Visible() {
				t.Fatal("no notice")
			}
			moved(t, "with the notice", before, targets)
			if !w.intro.Visible() || !w.place.Visible() {
				t.Error("the welcome's own words gave way to the notice")
			}
			assertFits(t, "welcome with a notice", u.Window().Content())
		})
	}
}

// Done closes the keyboard, and the button that sends the form lands
// where Done was: a double tap on Done does not send the form; a tap a
// moment later does. The same on the check-out screen.
func TestDoubleTapOnDoneSendsNothing(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	u.Window().Resize(landscape)
	test.Tap(u.welcome.checkIn)
	spell(t, u, "ana lopez")
	test.Tap(serviceButton(t, u.form, "visit"))
	tapKeys(t, u, keyDone)
	test.Tap(u.form.submit) // the second tap of a double tap on Done
	if u.screen != screenCheckIn {
		t.Fatalf("a double tap on Done sent the form: screen %v", u.screen)
	}
	f.clock.Advance(doneGuard)
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("Get my ticket after Done: no ticket: %q %q", u.form.serviceMsg.Text, u.form.formMsg.Text)
	}

	u.showWelcome()
	test.Tap(u.welcome.checkOut)
	u.checkout.ticket.SetText("V-001") // as the pad's keys would; test.Type is a physical keyboard, which closes it
	tapKeys(t, u, keyDone)
	test.Tap(u.checkout.submit)
	if u.checkout.pending != nil || !u.checkout.form.Visible() {
		t.Fatalf("a double tap on Done looked the ticket up: %q", u.checkout.message.Text)
	}
	f.clock.Advance(doneGuard)
	test.Tap(u.checkout.submit)
	if u.checkout.pending == nil || u.checkout.pending.Ticket != "V-001" {
		t.Fatalf("Check out after Done: %q, asks about %+v", u.checkout.message.Text, u.checkout.pending)
	}
}

// A visitor changing language finds Check in, Check out and the other
// languages where they were: the welcome's sentence has the same room in
// every language.
func TestWelcomeLanguagesMoveNothing(t *testing.T) {
	for _, size := range []fyne.Size{landscape, portrait} {
		t.Run(sizeName(size), func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Languages = translationCodes(t) })
			u := f.ui
			t.Cleanup(func() { u.chooseLanguage("en") })
			u.Window().Resize(size)
			targets := func() map[string]fyne.CanvasObject {
				w := u.welcome
				objs := map[string]fyne.CanvasObject{"check in": w.checkIn, "check out": w.checkOut}
				for code, b := range w.languages {
					objs[code] = b
				}
				return objs
			}
			before := where(targets())
			for _, code := range translationCodes(t) {
				test.Tap(u.welcome.languages[code])
				u.Window().Resize(size)
				moved(t, "in "+code, before, targets())
			}
		})
	}
}
