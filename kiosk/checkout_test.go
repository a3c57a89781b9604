package kiosk

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
)

// scan types s into whatever has the focus and presses Enter, as a USB
// barcode scanner does.
func scan(t *testing.T, u *UI, s string) {
	t.Helper()
	focused := u.Window().Canvas().Focused()
	if focused == nil {
		t.Fatalf("nothing has the focus: a scan of %q would be lost", s)
	}
	test.Type(focused, s)
	focused.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func TestVisitorChecksOutByTicketNumber(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkIn(t, "Ana María García", "registration")
	u.reload()

	test.Tap(u.welcome.checkOut)
	if u.screen != screenCheckOut {
		t.Fatalf("Leaving? Check out leads to screen %v", u.screen)
	}
	if !strings.Contains(screenText(u), "Your ticket number, like R-042") {
		t.Errorf("check-out screen does not say what to type:\n%s", screenText(u))
	}
	test.Type(u.checkout.ticket, "r1") // as loosely as a visitor types it
	test.Tap(u.checkout.submit)
	// A typed number is confirmed first, showing what the board would.
	if !u.checkout.confirm.Visible() || !strings.Contains(u.checkout.question.Text, "Ana G. · R-001 · Registration · checked in at 09:00") {
		t.Fatalf("no confirmation for a typed number: %q", u.checkout.question.Text)
	}
	if v := f.visit(t, ana.Visit.ID); !v.LeftAt.IsZero() {
		t.Fatal("checked out before the visitor confirmed")
	}
	test.Tap(u.checkout.yes)

	v := f.visit(t, ana.Visit.ID)
	if v.LeftAt.IsZero() || v.Status != queue.StatusCancelled || v.LeftProof != queue.ProofSelf {
		t.Fatalf("after checking out while waiting: %+v, want left, cancelled and self-declared (no phone to prove it)", v)
	}
	if u.screen != screenCheckOut || !u.checkout.farewell.Visible() || u.checkout.form.Visible() {
		t.Fatalf("after checking out: screen %v, goodbye shown %v", u.screen, u.checkout.farewell.Visible())
	}
	shown := screenText(u)
	for _, want := range []string{"Thank you for visiting, Ana G.", "R-001 is checked out.", "You are no longer in line."} {
		if !strings.Contains(shown, want) {
			t.Errorf("goodbye lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, "García") || strings.Contains(shown, "María") {
		t.Errorf("goodbye shows more of the name than the lobby board:\n%s", shown)
	}
	if b := f.board(t); b.WaitingCount() != 0 {
		t.Errorf("R-001 still in line after checking out: %d waiting", b.WaitingCount())
	}

	test.Tap(u.checkout.done)
	if u.screen != screenWelcome || u.checkout != nil {
		t.Fatalf("Done leads to screen %v", u.screen)
	}
	if strings.Contains(screenText(u), "R-001") {
		t.Error("the board on welcome still lists R-001")
	}
}

func TestVisitorChecksOutByScanningTicket(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Privacy = PrivacyTicket })
	u := f.ui
	bo := f.checkIn(t, "Bo Li", "visit")
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActServe, Desk: "desk-1", Visit: bo.Visit.ID, Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}

	test.Tap(u.welcome.checkOut)
	if u.Window().Canvas().Focused() != u.checkout.ticket {
		t.Fatal("the ticket entry is not focused: a scanner's keys would go nowhere")
	}
	scan(t, u, bo.Ref)

	v := f.visit(t, bo.Visit.ID)
	if v.LeftAt.IsZero() || v.Status != queue.StatusServed || v.LeftProof != queue.ProofQR {
		t.Fatalf("after scanning the ticket of a served visit: %+v, want left, still served, proved by the QR code", v)
	}
	shown := screenText(u)
	if !strings.Contains(shown, "Thank you for visiting.") || strings.Contains(shown, "Bo") {
		t.Errorf("with ticket-only privacy the goodbye must not name the visitor:\n%s", shown)
	}
	if strings.Contains(shown, "no longer in line") {
		t.Errorf("a served visitor is told they left the line:\n%s", shown)
	}
	if u.checkout.ticket.Text != "" {
		t.Errorf("the scanned reference stays in the entry: %q", u.checkout.ticket.Text)
	}
}

func TestCheckOutSaysWhatIsWrong(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkIn(t, "Ana García", "registration")
	forged := ana.Ref[:len(ana.Ref)-2] + "xx"

	test.Tap(u.welcome.checkOut)
	s := u.checkout
	for _, tc := range []struct{ typed, want string }{
		{"", "Please type your ticket number, like R-042, or scan your ticket."},
		{"R-099", "We cannot find this ticket. Please check the number, or ask at reception."},
		{forged, "We cannot find this ticket. Please check the number, or ask at reception."},
		{"hello", "We cannot find this ticket. Please check the number, or ask at reception."},
	} {
		scan(t, u, tc.typed) // a scan replaces what the last try left in the entry
		if s.ticket.Text != tc.typed {
			t.Errorf("entry holds %q after typing %q over the last try", s.ticket.Text, tc.typed)
		}
		if u.screen != screenCheckOut || s.farewell.Visible() {
			t.Fatalf("%q: left the form", tc.typed)
		}
		if !s.message.Visible() || s.message.Text != tc.want {
			t.Errorf("%q: message %q (shown %v), want %q", tc.typed, s.message.Text, s.message.Visible(), tc.want)
		}
	}
	if v := f.visit(t, ana.Visit.ID); !v.LeftAt.IsZero() || v.Status != queue.StatusWaiting {
		t.Fatalf("a refused check-out changed the visit: %+v", v)
	}
	// Typing again clears the message.
	test.Type(s.ticket, "R")
	if s.message.Visible() {
		t.Errorf("message still shown while typing: %q", s.message.Text)
	}

	// Checking out twice: the second time says when the first was.
	s.ticket.SetText("R-001")
	test.Tap(s.submit)
	test.Tap(s.yes)
	if !s.farewell.Visible() {
		t.Fatalf("R-001 not checked out: %q", s.message.Text)
	}
	test.Tap(s.done)
	f.clock.Advance(90 * time.Second)
	test.Tap(u.welcome.checkOut)
	scan(t, u, ana.Ref)
	if got := u.checkout.message.Text; got != "R-001 already checked out at 09:00." {
		t.Errorf("checking out twice: message %q", got)
	}
	if v := f.visit(t, ana.Visit.ID); !v.LeftAt.Equal(f.clock.Now().Add(-90 * time.Second)) {
		t.Errorf("second check-out moved the time left to %v", v.LeftAt)
	}

	test.Tap(u.checkout.back)
	if u.screen != screenWelcome {
		t.Errorf("Back leads to screen %v", u.screen)
	}
}

func TestCheckOutReturnsToWelcomeWhenIdle(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")

	// Half-typed: the number is discarded.
	test.Tap(u.welcome.checkOut)
	test.Type(u.checkout.ticket, "R-0")
	typed := f.clock.Now()
	u.idleCheck(typed.Add(u.cfg.IdleTimeout - 1))
	if u.screen != screenCheckOut {
		t.Fatalf("left check-out before the idle timeout: %v", u.screen)
	}
	u.idleCheck(typed.Add(u.cfg.IdleTimeout))
	if u.screen != screenCheckOut || u.still == nil {
		t.Fatalf("at the idle timeout: screen %v, asked %v; want \"Still there?\"", u.screen, u.still != nil)
	}
	u.idleCheck(typed.Add(u.cfg.IdleTimeout + stillThereFor))
	if u.screen != screenWelcome || u.checkout != nil {
		t.Fatalf("after the idle timeout: screen %v", u.screen)
	}

	// The goodbye, left on screen, goes too.
	test.Tap(u.welcome.checkOut)
	scan(t, u, "r1")
	test.Tap(u.checkout.yes)
	if !u.checkout.farewell.Visible() {
		t.Fatalf("not checked out: %q", u.checkout.message.Text)
	}
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout))
	if u.screen != screenWelcome {
		t.Fatalf("goodbye still up after the idle timeout: %v", u.screen)
	}
	if strings.Contains(screenText(u), "Thank you") {
		t.Error("the goodbye is still on screen")
	}
}

func TestCheckOutInSpanish(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")
	test.Tap(u.welcome.languages["es"])
	test.Tap(u.welcome.checkOut)
	scan(t, u, "R-404")
	if got := u.checkout.message.Text; got != "No encontramos este tique. Compruebe el número o pregunte en recepción." {
		t.Errorf("store message in Spanish = %q", got)
	}
}

// TestATypoDoesNotCheckOutSomeoneElse: a visitor who types another
// ticket's number sees that it is not theirs and says no; nothing changes.
func TestATypoDoesNotCheckOutSomeoneElse(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")
	bo := f.checkIn(t, "Bo Li", "registration")
	test.Tap(u.welcome.checkOut)
	test.Type(u.checkout.ticket, "R-002") // Ana meant R-001
	test.Tap(u.checkout.submit)
	if !strings.Contains(u.checkout.question.Text, "Bo L.") {
		t.Fatalf("the confirmation does not show whose ticket it is: %q", u.checkout.question.Text)
	}
	test.Tap(u.checkout.no)
	if v := f.visit(t, bo.Visit.ID); !v.LeftAt.IsZero() || v.Status != queue.StatusWaiting {
		t.Fatalf("a typo checked out or cancelled someone else: %+v", v)
	}
	if !u.checkout.form.Visible() || u.checkout.message.Text == "" {
		t.Fatalf("after \"no\": form %v, message %q", u.checkout.form.Visible(), u.checkout.message.Text)
	}
}
