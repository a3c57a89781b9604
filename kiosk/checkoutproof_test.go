package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// phoneOfAna is the phone Ana gives at check-in; its last four digits
// prove her check-out.
const phoneOfAna = "+34 600 12 78 45"

func (f *fixture) checkInWithPhone(t *testing.T, name, phone string) queue.Ticket {
	t.Helper()
	tk, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: name, Service: "registration", Phone: phone}, queue.SourceKiosk)
	if err != nil {
		t.Fatalf("check in %s: %v", name, err)
	}
	return tk
}

// typeTicket opens the check-out screen and types ticket on its on-screen
// keys, then taps Check out.
func typeTicket(t *testing.T, u *UI, ticket string) {
	t.Helper()
	test.Tap(u.welcome.checkOut)
	test.Tap(u.checkout.ticket)
	prefix, digits, _ := strings.Cut(ticket, "-")
	tapKeys(t, u, prefix+"-")
	for _, d := range digits {
		tapKeys(t, u, string(d))
	}
	test.Tap(u.checkout.submit)
}

// tapDigits taps the digits on the check-out's pad, then its Check out.
func tapDigits(t *testing.T, u *UI, digits string) {
	t.Helper()
	if u.Window().Canvas().Focused() != u.checkout.digits || !u.keys.open || u.keys.target != u.checkout.digits {
		test.Tap(u.checkout.digits)
	}
	for _, d := range digits {
		tapKeys(t, u, string(d))
	}
	if u.checkout.digits.Text != digits {
		t.Fatalf("the pad typed %q, want %q", u.checkout.digits.Text, digits)
	}
	test.Tap(u.checkout.prove)
}

// TestTypedCheckOutProvedByThePhonesDigits: with phone proof configured,
// a typed number of a visit with a phone asks for its last four digits
// on a digit pad; the right ones check the visitor out, proved "phone".
func TestTypedCheckOutProvedByThePhonesDigits(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkInWithPhone(t, "Ana García", phoneOfAna)

	typeTicket(t, u, "R-1")
	s := u.checkout
	if !s.confirm.Visible() || !s.proof.Visible() || s.yesBox.Visible() {
		t.Fatalf("a typed number with phone proof: confirm %v, digits asked %v, plain yes %v", s.confirm.Visible(), s.proof.Visible(), s.yesBox.Visible())
	}
	shown := screenText(u)
	for _, want := range []string{"Is this you?", "Ana G. · R-001", "type the last four digits of the phone number you gave", "Check out without the digits",
		"Without the digits, staff see your check-out as self-declared."} {
		if !strings.Contains(shown, want) {
			t.Errorf("the proof step lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, "600") || strings.Contains(shown, "7845") {
		t.Errorf("the screen shows the phone:\n%s", shown)
	}
	if !u.keys.open || u.keys.target != s.digits || u.keys.keys["a"] != nil || u.keys.keys["+"] != nil {
		t.Fatalf("the digit pad is not open for the digits (open %v)", u.keys.open)
	}
	tapDigits(t, u, "7845")

	v := f.visit(t, ana.Visit.ID)
	if v.LeftAt.IsZero() || v.LeftProof != queue.ProofPhone {
		t.Fatalf("after the right digits: %+v, want checked out with proof phone", v)
	}
	if !s.farewell.Visible() || !strings.Contains(screenText(u), "R-001 is checked out.") {
		t.Fatalf("no goodbye after the right digits:\n%s", screenText(u))
	}
}

// TestWrongDigitsNeverCheckOutAndLock: each wrong answer says so and how
// many tries are left, and checks nobody out; the third sends the visitor
// to reception, and the typed number is refused from then on, also from
// a new screen. The QR code still works.
func TestWrongDigitsNeverCheckOutAndLock(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkInWithPhone(t, "Ana García", phoneOfAna)
	stillIn := func() {
		t.Helper()
		if v := f.visit(t, ana.Visit.ID); !v.LeftAt.IsZero() {
			t.Fatalf("wrong digits checked Ana out: %+v", v)
		}
	}

	typeTicket(t, u, "R-1")
	s := u.checkout
	tapDigits(t, u, "12")
	if got := s.digitsMsg.Text; got != "Please type the last four digits of the phone number you gave." {
		t.Errorf("two digits: %q", got)
	}
	stillIn()
	for i, want := range []string{"These digits do not match. Tries left: 2.", "These digits do not match. Tries left: 1."} {
		tapDigits(t, u, "0000")
		stillIn()
		if !s.confirm.Visible() || !s.digitsMsg.Visible() || s.digitsMsg.Text != want {
			t.Fatalf("wrong answer %d: message %q (shown %v), want %q", i+1, s.digitsMsg.Text, s.digitsMsg.Visible(), want)
		}
		if s.digits.Text != "" {
			t.Errorf("the wrong digits stay in the entry: %q", s.digits.Text)
		}
		if shown := screenText(u); strings.Contains(shown, "7845") || strings.Contains(shown, "600") {
			t.Errorf("the answer tells of the phone:\n%s", shown)
		}
	}
	tapDigits(t, u, "4587")
	stillIn()
	if !s.form.Visible() || s.confirm.Visible() || s.message.Text != "Please ask at reception to check out R-001." {
		t.Fatalf("after the last wrong answer: form %v, message %q", s.form.Visible(), s.message.Text)
	}

	// A new screen, the same number: refused at once; going on without
	// the digits is no way round it.
	test.Tap(s.back)
	typeTicket(t, u, "R-1")
	if u.checkout.confirm.Visible() || u.checkout.message.Text != "Please ask at reception to check out R-001." {
		t.Fatalf("the typed number after the lock: confirm %v, message %q", u.checkout.confirm.Visible(), u.checkout.message.Text)
	}
	stillIn()

	// The ticket's QR code proves it: one step.
	test.Tap(u.checkout.back)
	test.Tap(u.welcome.checkOut)
	scan(t, u, ana.Ref)
	if v := f.visit(t, ana.Visit.ID); v.LeftAt.IsZero() || v.LeftProof != queue.ProofQR {
		t.Fatalf("scanned after the lock: %+v, want checked out with proof qr", v)
	}
}

// TestCheckOutWithoutTheDigitsIsSelfDeclared: the visitor without their
// phone goes on, and the staff's roster marks the check-out.
func TestCheckOutWithoutTheDigitsIsSelfDeclared(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkInWithPhone(t, "Ana García", phoneOfAna)
	f.checkIn(t, "Bo Li", "registration")

	typeTicket(t, u, "R-1")
	test.Tap(u.checkout.skip)
	if v := f.visit(t, ana.Visit.ID); v.LeftAt.IsZero() || v.LeftProof != queue.ProofSelf {
		t.Fatalf("without the digits: %+v, want checked out, self-declared", v)
	}
	if !u.checkout.farewell.Visible() {
		t.Fatal("no goodbye")
	}
	test.Tap(u.checkout.done)
	assertRosterMarksSelfDeclared(t, f, "R-001")
}

// TestTypedCheckOutWithoutPhoneProofIsSelfDeclared: where the site does
// not ask for phone proof, "yes, that is me" checks out self-declared,
// even for a visit with a phone, and the roster shows it so.
func TestTypedCheckOutWithoutPhoneProofIsSelfDeclared(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PhoneProof = false })
	u := f.ui
	ana := f.checkInWithPhone(t, "Ana García", phoneOfAna)

	typeTicket(t, u, "R-1")
	s := u.checkout
	if s.proof.Visible() || s.without.Visible() || !s.yesBox.Visible() {
		t.Fatalf("digits asked without phone proof: proof %v, yes %v", s.proof.Visible(), s.yesBox.Visible())
	}
	if strings.Contains(screenText(u), "digits") {
		t.Errorf("the screen speaks of digits without phone proof:\n%s", screenText(u))
	}
	test.Tap(s.yes)
	if v := f.visit(t, ana.Visit.ID); v.LeftAt.IsZero() || v.LeftProof != queue.ProofSelf {
		t.Fatalf("typed without phone proof: %+v, want self-declared", v)
	}
	test.Tap(s.done)
	assertRosterMarksSelfDeclared(t, f, "R-001")
}

// assertRosterMarksSelfDeclared unlocks staff, opens the roster and checks
// that its line counts ticket's check-out as self-declared and that the
// list of today's check-outs marks it.
func assertRosterMarksSelfDeclared(t *testing.T, f *fixture, ticket string) {
	t.Helper()
	s := f.openRoster(t)
	if got := s.leftLine.Text; got != "Checked out today: 1, of them 1 self-declared, without proof." || s.leftLine.Importance != widget.DangerImportance {
		t.Errorf("the roster's line: %q (importance %v)", got, s.leftLine.Importance)
	}
	test.Tap(s.leftButton)
	if !s.leftTable.Visible() || s.onSite.Visible() || s.title.Text != "Checked out today" || !s.checkOut.Disabled() ||
		!strings.HasPrefix(s.status.Text, "Everyone who checked out here today") {
		t.Fatalf("Checked out today: table %v, title %q, hint %q", s.leftTable.Visible(), s.title.Text, s.status.Text)
	}
	if len(s.left) != 1 || s.left[0].Ticket != ticket {
		t.Fatalf("today's check-outs %+v", s.left)
	}
	row := newRosterRow(false, leftWeights, nil)
	s.setLeftRow(row, s.left[0])
	proof := row.(*fyne.Container).Objects[5].(*widget.Label)
	if proof.Text != "Self-declared, no proof" || proof.Importance != widget.DangerImportance || !proof.TextStyle.Bold {
		t.Errorf("the proof cell: %q, importance %v, bold %v", proof.Text, proof.Importance, proof.TextStyle.Bold)
	}
	s.leftList.Select(0)
	if !strings.Contains(s.pick.Text, ticket+" · Ana García · checked out at 09:00 · Self-declared, no proof") {
		t.Errorf("the picked check-out: %q", s.pick.Text)
	}
	test.Tap(s.leftButton)
	if s.leftTable.Visible() || !s.onSite.Visible() || s.title.Text != "On site" || !strings.HasPrefix(s.status.Text, "Everyone who checked in here") {
		t.Errorf("back to who is on site: table %v, title %q, hint %q", s.leftTable.Visible(), s.title.Text, s.status.Text)
	}
}

// TestFormAsksOnlyWhatIsUsed: the check-in form shows a phone field only
// with phone proof and an invite code only with a centre
// (queue.AskedFields), and says what the optional fields are for.
func TestFormAsksOnlyWhatIsUsed(t *testing.T) {
	for _, tc := range []struct {
		name               string
		phoneProof, centre bool
		entries            string // the form's entries, in order
	}{
		{"nothing configured", false, false, "name host"},
		{"phone proof", true, false, "name host phone"},
		{"a centre", false, true, "name host invite"},
		{"both", true, true, "name host phone invite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.PhoneProof, c.Centre = tc.phoneProof, tc.centre })
			u := f.ui
			for _, form := range []struct {
				start    func()
				phoneWhy string
			}{
				{func() { test.Tap(u.welcome.checkIn) }, "If you check out by typing your ticket number, we ask for its last four digits."},
				// Staff's walk-in asks the same, about the visitor.
				{func() { f.unlock(t); test.Tap(u.staff.walkIn) }, "If they check out by typing their ticket number, the kiosk asks for this number's last four digits."},
			} {
				form.start()
				s := u.form
				names := map[*keyEntry]string{s.name: "name", s.host: "host", s.phone: "phone", s.invite: "invite"}
				var got []string
				for _, e := range u.keys.entries() {
					got = append(got, names[e])
				}
				if g := strings.Join(got, " "); g != tc.entries {
					t.Errorf("the form asks %q, want %q", g, tc.entries)
				}
				shown := screenText(u)
				has := func(text string, want bool) {
					t.Helper()
					if strings.Contains(shown, text) != want {
						t.Errorf("the form shows %q: %v, want %v:\n%s", text, !want, want, shown)
					}
				}
				has("Staff see it on the list of who is in the building.", true)
				has("Phone number", tc.phoneProof)
				has(form.phoneWhy, tc.phoneProof)
				has("Invite code", tc.centre)
				if !tc.phoneProof {
					// Enter in the host goes on to the reasons, not to a hidden phone.
					test.Tap(s.host)
					tapKeys(t, u, keyEnter)
					if u.Window().Canvas().Focused() == s.phone {
						t.Error("Enter in the host focuses the hidden phone field")
					}
				}
				test.Tap(s.back)
			}
		})
	}
}
