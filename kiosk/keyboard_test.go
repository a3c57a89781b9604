package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// tapKeys taps on-screen keys by what they type or their name
// ("{shift}"); "alt:ë" taps ë in the strip of alternates.
func tapKeys(t *testing.T, u *UI, keys ...string) {
	t.Helper()
	for _, id := range keys {
		b := u.keys.keys[id]
		if alt, ok := strings.CutPrefix(id, "alt:"); ok {
			b = u.keys.alternates[alt]
		}
		if b == nil || !u.keys.open {
			t.Fatalf("no key %q on the keyboard (open: %v)", id, u.keys.open)
		}
		test.Tap(b)
	}
}

// spell taps one key per character of s.
func spell(t *testing.T, u *UI, s string) {
	t.Helper()
	for _, r := range s {
		if r == ' ' {
			tapKeys(t, u, keySpace)
			continue
		}
		tapKeys(t, u, string(r))
	}
}

func wantKeyboard(t *testing.T, u *UI, open bool, target *keyEntry) {
	t.Helper()
	if u.keys.open != open || u.keys.panel.Visible() != open {
		t.Fatalf("keyboard open = %v (panel shown %v), want %v", u.keys.open, u.keys.panel.Visible(), open)
	}
	if open && u.keys.target != target {
		t.Fatalf("keyboard types into %p, want %p", u.keys.target, target)
	}
}

func storedVisit(t *testing.T, f *fixture, ticket string) queue.Visit {
	t.Helper()
	found, err := f.store.Find(f.ctx, ticket)
	if err != nil || len(found) != 1 {
		t.Fatalf("Find(%s) = %+v, %v; want one visit", ticket, found, err)
	}
	return found[0]
}

func TestKeyboardTypesAccentedNameIntoStore(t *testing.T) {
	for _, tc := range []struct {
		lang string
		keys []string // after "Zoë Nú"
		done string   // the Done key's label
	}{
		{"en", []string{"n", "alt:ñ", "e", "z"}, "Done"},
		{"es", []string{"ñ", "e", "z"}, "Listo"}, // ñ has its own key in Spanish
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			u.chooseLanguage(tc.lang)
			test.Tap(u.welcome.checkIn)
			wantKeyboard(t, u, true, u.form.name) // the form focuses the name after a tap
			if got := u.keys.keys[keyDone].Text; got != tc.done {
				t.Errorf("Done reads %q, want %q", got, tc.done)
			}

			// Each word of a name starts with a capital by itself.
			tapKeys(t, u, "z", "o", "e", "alt:ë", keySpace, "n", "u", "alt:ü", "alt:ú")
			tapKeys(t, u, tc.keys...)
			if got := u.form.name.Text; got != "Zoë Núñez" {
				t.Fatalf("name typed by keys = %q", got)
			}
			tapKeys(t, u, keyNext)
			wantKeyboard(t, u, true, u.form.host)
			tapKeys(t, u, "d", "r", ".", keySpace, "o", "alt:Ö")
			spell(t, u, "zal")
			tapKeys(t, u, keyBackspace, keyDone)
			wantKeyboard(t, u, false, nil)
			f.clock.Advance(doneGuard) // not Done's second tap
			test.Tap(serviceButton(t, u.form, "visit"))
			test.Tap(u.form.submit)
			if u.screen != screenTicket {
				t.Fatalf("screen %v after submit; form says %q %q", u.screen, u.form.nameMsg.Text, u.form.formMsg.Text)
			}
			v := storedVisit(t, f, "V-001")
			if v.Name != "Zoë Núñez" || v.Host != "Dr. Öza" {
				t.Errorf("stored name %q host %q, want %q and %q", v.Name, v.Host, "Zoë Núñez", "Dr. Öza")
			}
		})
	}
}

func TestKeyboardPhonePad(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	tapKeys(t, u, keyShift) // shift off: a name in lower case, if one wants it
	spell(t, u, "ana")
	test.Tap(u.form.phone)
	wantKeyboard(t, u, true, u.form.phone)
	if u.keys.keys["q"] != nil || u.keys.keys["+"] == nil {
		t.Fatal("the phone gets letters, or no +")
	}
	tapKeys(t, u, "+", "3", "4", keySpace, "6", "0", "0", keySpace, "1", "2", "3", keySpace, "4", "5", "6", "7", keyBackspace)
	if got := u.form.phone.Text; got != "+34 600 123 456" {
		t.Fatalf("phone typed = %q", got)
	}
	tapKeys(t, u, keyNext) // on to the invite code: letters again
	wantKeyboard(t, u, true, u.form.invite)
	if u.keys.keys["q"] == nil {
		t.Fatal("the invite code has no letters")
	}
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	v := storedVisit(t, f, "R-001")
	if want := (queue.CheckInForm{Phone: "+34 600 123 456"}).Normalize().Phone; v.Phone != want || v.Name != "ana" {
		t.Errorf("stored phone %q name %q, want %q and ana", v.Phone, v.Name, want)
	}
}

func TestKeyboardTicketPadChecksOut(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")
	f.checkIn(t, "Li Lei", "visit")
	test.Tap(u.welcome.checkOut)
	wantKeyboard(t, u, true, u.checkout.ticket)
	for _, prefix := range []string{"R-", "V-"} { // the configured services
		if u.keys.keys[prefix] == nil {
			t.Fatalf("no %s key on the ticket pad", prefix)
		}
	}
	if u.keys.keys["a"] != nil {
		t.Fatal("the ticket pad has letters")
	}
	tapKeys(t, u, "V-", "0", "0", "2", keyBackspace, "1")
	if got := u.checkout.ticket.Text; got != "V-001" {
		t.Fatalf("ticket typed = %q", got)
	}
	tapKeys(t, u, keyEnter) // as Enter: "is this you?"
	if !u.checkout.confirm.Visible() {
		t.Fatalf("no confirmation; message %q", u.checkout.message.Text)
	}
	wantKeyboard(t, u, false, nil) // its entry is gone from the screen
	test.Tap(u.checkout.yes)
	if v := storedVisit(t, f, "V-001"); v.LeftAt.IsZero() {
		t.Error("V-001 not checked out")
	}
	if v := storedVisit(t, f, "R-001"); !v.LeftAt.IsZero() {
		t.Error("R-001 checked out too")
	}
}

func TestKeyboardModes(t *testing.T) {
	for _, tc := range []struct {
		mode KeyboardMode
		// open after the screen focuses the name, after keys from a
		// physical keyboard, and after a tap on the host
		onFocus, afterKeys, onTap bool
	}{
		{"", true, false, true}, // auto
		{KeyboardAuto, true, false, true},
		{KeyboardOn, true, true, true},
		{KeyboardOff, false, false, false},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Keyboard = tc.mode })
			u := f.ui
			test.Tap(u.welcome.checkIn)
			wantKeyboard(t, u, tc.onFocus, u.form.name)
			test.Type(u.form.name, "Ana García") // a physical keyboard
			wantKeyboard(t, u, tc.afterKeys, u.form.name)
			u.win.Canvas().Focus(u.form.host) // Enter, or a scanner's Enter, moves on
			wantKeyboard(t, u, tc.afterKeys, u.form.host)
			test.Tap(u.form.host)
			wantKeyboard(t, u, tc.onTap, u.form.host)
			if tc.onTap {
				spell(t, u, "li")
			} else {
				test.Type(u.form.host, "li")
			}
			test.Tap(serviceButton(t, u.form, "registration"))
			test.Tap(u.form.submit)
			host := "li"
			if tc.onTap {
				host = "Li" // typed on the keys: a capital by itself
			}
			if v := storedVisit(t, f, "R-001"); v.Name != "Ana García" || v.Host != host {
				t.Errorf("stored %q / %q", v.Name, v.Host)
			}
		})
	}
}

func TestKeyboardClosesForScannerAndComesBackOnTap(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkOut)
	wantKeyboard(t, u, true, u.checkout.ticket)
	test.Type(u.checkout.ticket, "R-0") // a scanner or keyboard
	wantKeyboard(t, u, false, nil)
	test.Tap(u.checkout.ticket)
	wantKeyboard(t, u, true, u.checkout.ticket)
	tapKeys(t, u, "4", "2")
	if got := u.checkout.ticket.Text; got != "R-042" {
		t.Errorf("ticket = %q", got)
	}
	u.checkout.ticket.KeyDown(&fyne.KeyEvent{Name: fyne.KeyTab}) // a key that types nothing
	wantKeyboard(t, u, false, nil)
}

// onScreen is o's rectangle in window coordinates.
func onScreen(o fyne.CanvasObject) (top, bottom float32) {
	y := fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Y
	return y, y + o.Size().Height
}

// The keyboard never covers the entry being typed into, on a landscape
// and a portrait screen; on the visitor's forms the button that sends
// them stays in view above the keys too, so nobody has to close the
// keyboard (or find a scroll bar) to finish.
func TestKeyboardNeverCoversTheEntry(t *testing.T) {
	for _, size := range []fyne.Size{landscape, portrait} {
		t.Run(sizeName(size), func(t *testing.T) { keyboardCoversNothing(t, size) })
	}
}

func keyboardCoversNothing(t *testing.T, size fyne.Size) {
	f := newOutageFixture(t)
	u := f.ui
	u.Window().Resize(size)
	inView := func(name string, o fyne.CanvasObject) {
		t.Helper()
		top, bottom := onScreen(o)
		panelTop, _ := onScreen(u.keys.panel)
		viewTop, _ := onScreen(u.keys.scroll)
		if bottom > panelTop+0.5 || top < viewTop-0.5 {
			t.Errorf("%s at y %.0f–%.0f, out of the view %.0f–%.0f above the keyboard", name, top, bottom, viewTop, panelTop)
		}
	}
	check := func(name string, e *keyEntry, send fyne.CanvasObject) {
		t.Helper()
		test.Tap(e)
		wantKeyboard(t, u, true, e)
		if u.keys.panel.Size().Height < 5*keyHeight {
			t.Fatalf("%s: keyboard is %v", name, u.keys.panel.Size())
		}
		inView(name, e)
		if send != nil {
			inView(name+": the button that sends the form", send)
		}
		for id, k := range u.keys.keys {
			if s := k.Size(); s.Height < minTarget || s.Width < minTarget {
				t.Errorf("%s: key %q is %v", name, id, s)
			}
		}
	}
	test.Tap(u.welcome.checkIn)
	for _, e := range []struct {
		name string
		e    *keyEntry
	}{{"name", u.form.name}, {"host", u.form.host}, {"phone", u.form.phone}, {"invite", u.form.invite}} {
		check(e.name, e.e, u.form.submit)
	}
	tapKeys(t, u, keyDone)
	if u.keys.scroll.Offset.Y != 0 {
		t.Errorf("closed, the screen stays scrolled by %.0f", u.keys.scroll.Offset.Y)
	}
	test.Tap(u.form.back)
	test.Tap(u.welcome.checkOut)
	check("check-out", u.checkout.ticket, u.checkout.submit)
	test.Tap(u.checkout.back)
	f.unlock(t)
	check("find", u.staff.findEntry, nil)
	test.Tap(u.staff.walkIn)
	check("walk-in phone", u.form.phone, u.form.submit)
	test.Tap(u.form.back)
	s := openIncidentPanel(t, f)
	check("incident message", s.message, nil)
}

func TestKeyboardTypesStaffFindAndIncidentMessage(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	f.checkIn(t, "Zoë Núñez", "registration")
	f.unlock(t)
	test.Tap(u.staff.findEntry)
	spell(t, u, "nun")
	tapKeys(t, u, keyEnter)
	if len(u.staff.found) != 1 || u.staff.found[0].Name != "Zoë Núñez" {
		t.Fatalf("Find by keys found %+v", u.staff.found)
	}
	s := openIncidentPanel(t, f)
	test.Tap(s.message)
	spell(t, u, "back soon")
	tapKeys(t, u, keyEnter, "o", "k")
	if got := s.message.Text; got != "back soon\nok" {
		t.Errorf("message typed = %q", got)
	}
}

// Every entry on every screen is a keyEntry: a stock widget.Entry would
// not open the keyboard.
func TestEveryEntryOpensTheKeyboard(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	check := func(name string) {
		t.Helper()
		entries := 0
		walk(t, u.Window().Content(), func(o fyne.CanvasObject) {
			switch o.(type) {
			case *widget.Entry, *widget.SelectEntry:
				t.Errorf("%s: a %T does not open the on-screen keyboard; make it with UI.newEntry", name, o)
			case *keyEntry:
				entries++
			}
		})
		if entries == 0 && name != "welcome" && name != "roster" {
			t.Errorf("%s: no entries found; is the walk broken?", name)
		}
	}
	check("welcome")
	test.Tap(u.welcome.checkIn)
	check("check-in")
	test.Tap(u.form.back)
	test.Tap(u.welcome.checkOut)
	check("check-out")
	test.Tap(u.checkout.back)
	f.unlock(t)
	check("staff")
	u.showRoster()
	check("roster")
	u.showStaff()
	openIncidentPanel(t, f)
	check("incident")
}

// Each language's letters reach the characters of the names its visitors
// bring in one tap, or two (the letter, then its alternate), and every
// layout has the keys the keyboard needs.
func TestKeyboardLayoutsReachAccents(t *testing.T) {
	const needed = "ñßçãáéíóúüëöàèâêôõ'-."
	for code, l := range textLayouts {
		keys := map[string]bool{}
		for _, row := range l.Rows {
			for _, tok := range keysOf(row) {
				id, _ := splitWeight(tok)
				keys[id] = true
			}
		}
		for _, named := range []string{keyShift, keyBackspace, keySpace, keyEnter, keyNext, keyDone} {
			if !keys[named] {
				t.Errorf("%s: no %s key", code, named)
			}
		}
		for base := range l.Alternates {
			if !keys[base] {
				t.Errorf("%s: alternates of %q, which has no key", code, base)
			}
		}
		for _, r := range needed {
			ok := keys[string(r)]
			for base, alts := range l.Alternates {
				ok = ok || (keys[base] && strings.ContainsRune(alts, r))
			}
			if !ok {
				t.Errorf("%s: %q takes more than two taps", code, r)
			}
		}
	}
	// Every language has its own keyboard, its letters a tap each, laid
	// out as its visitors' keyboards at home are.
	own := map[string]struct{ letters, row string }{
		"en": {"", "q w e r t y"}, "es": {"ñ", "q w e r t y"}, "de": {"äöüß", "q w e r t z"},
		"fr": {"éèçà", "a z e r t y"}, "it": {"èìòàù", "q w e r t y"}, "pt": {"çãõé", "q w e r t y"},
	}
	for _, code := range translationCodes(t) {
		l, ok := textLayouts[code]
		if !ok {
			t.Errorf("no keyboard for %s", code)
			continue
		}
		if !strings.HasPrefix(l.Rows[1], own[code].row) {
			t.Errorf("%s: letters start %q, want %q", code, l.Rows[1], own[code].row)
		}
		for _, r := range own[code].letters {
			if !strings.Contains(" "+strings.Join(l.Rows, " ")+" ", " "+string(r)+" ") {
				t.Errorf("%s: no key of its own for %q", code, r)
			}
		}
	}
	for _, pad := range []keyLayout{padPhone, padTicket} {
		for _, row := range pad.Rows {
			for _, tok := range keysOf(row) {
				if id, _ := splitWeight(tok); strings.ContainsAny(id, "abcdefghijklmnopqrstuvwxyz") && !strings.HasPrefix(id, "{") {
					t.Errorf("a pad has the letter key %q", id)
				}
			}
		}
	}
}

// Names start each word with a capital by itself (after a space or a
// hyphen, and again once backspace empties the field); other entries, an
// invite code, do not.
func TestKeyboardCapitalisesNames(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	spell(t, u, "ana garcia-lopez")
	if got := u.form.name.Text; got != "Ana Garcia-Lopez" {
		t.Errorf("name typed = %q", got)
	}
	for range len("Ana Garcia-Lopez") {
		tapKeys(t, u, keyBackspace)
	}
	spell(t, u, "li")
	if got := u.form.name.Text; got != "Li" {
		t.Errorf("after emptying, name typed = %q", got)
	}
	test.Tap(u.form.invite)
	spell(t, u, "ab7")
	if got := u.form.invite.Text; got != "ab7" {
		t.Errorf("invite typed = %q", got)
	}
}

// The keyboard steps aside when the screen needs its room: a form sent
// with problems (their messages are under every field), a check-out that
// moved on to "Is this you?".
func TestKeyboardStepsAsideForMessages(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	spell(t, u, "ana")
	test.Tap(u.form.submit) // no service
	wantKeyboard(t, u, false, nil)
	if !u.form.serviceMsg.Visible() {
		t.Fatal("no message under the services")
	}
	test.Tap(u.form.name)
	wantKeyboard(t, u, true, u.form.name)
	// A reason chosen leaves the keyboard open: closing it would move
	// the form's buttons under the finger.
	test.Tap(serviceButton(t, u.form, "registration"))
	wantKeyboard(t, u, true, u.form.name)
	test.Tap(u.form.submit)
	test.Tap(u.ticket.done)

	test.Tap(u.welcome.checkOut)
	tapKeys(t, u, "R-", "0", "0", "1")
	test.Tap(u.checkout.submit)
	if !u.checkout.confirm.Visible() {
		t.Fatalf("no confirmation: %q", u.checkout.message.Text)
	}
	wantKeyboard(t, u, false, nil)
}
