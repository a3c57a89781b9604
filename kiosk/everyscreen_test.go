package kiosk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// TestEveryScreenInEveryLanguage puts up every screen of the kiosk, the
// visitor's and the staff's, in every language on a landscape and a
// portrait screen, and fails where a text is cut (an ellipsis, or a label
// narrower than its text) or a widget is given less than its minimum
// size, where it would be clipped or overlap its neighbour.
func TestEveryScreenInEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("72 screens")
	}
	for _, size := range []fyne.Size{landscape, portrait} {
		for _, code := range translationCodes(t) {
			t.Run(sizeName(size)+"/"+code, func(t *testing.T) { everyScreen(t, size, code) })
		}
	}
}

func everyScreen(t *testing.T, size fyne.Size, code string) {
	// With an export folder: the roster's export buttons and the report
	// language are on screen.
	f := newOutageFixture(t, func(c *Config) {
		c.Languages = translationCodes(t)
		c.Incident.ExportDir = t.TempDir()
	})
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Jon"})
	for i := range 12 {
		f.checkIn(t, fmt.Sprintf("Visitor Number %d", i+1), testServices[i%2].ID)
	}
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	leaving := f.checkIn(t, "Ana García", "registration")
	proving := f.checkInWithPhone(t, "Bo Li", "600 123 456")
	var names []string // the roster may cut a name: a tap on its row shows it whole
	for i := range 12 {
		names = append(names, fmt.Sprintf("Visitor Number %d", i+1))
	}
	names = append(names, "Ana García", "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
	u.reload()
	own := allowedEllipses(t, code)
	var people []string // names the screen may cut
	look := func(screen string) {
		t.Helper()
		u.Window().Resize(size)
		c := u.Window().Content()
		assertFits(t, screen, c)
		assertWhole(t, screen, c, own, people)
		if o := u.Window().Canvas().Overlays().Top(); o != nil {
			sizeDialogTitle(t, o)
			assertFits(t, screen+" (dialog)", o)
			assertWhole(t, screen+" (dialog)", o, own, nil)
		}
	}
	closeDialog := func() {
		if o := u.Window().Canvas().Overlays().Top(); o != nil {
			o.Hide()
			u.Window().Canvas().Overlays().Remove(o)
		}
	}

	u.chooseLanguage(code)
	look("welcome")

	// Larger text with the keyboard open: the form and check-out above it.
	test.Tap(u.welcome.larger)
	test.Tap(u.welcome.checkIn)
	look("check-in with the keyboard, larger text")
	test.Tap(u.form.back)
	test.Tap(u.welcome.checkOut)
	look("check-out with the keyboard, larger text")
	test.Tap(u.checkout.back)
	test.Tap(u.welcome.larger)

	test.Tap(u.welcome.checkIn)
	look("check-in with the keyboard")
	tapKeys(t, u, keyDone)
	f.advance(doneGuard) // not Done's second tap
	test.Type(u.form.phone, "12")
	test.Tap(u.form.submit)
	look("check-in with its messages")
	u.askStillThere(15 * time.Second)
	look("still there?")
	u.stayHere()
	closeDialog()
	u.form.phone.SetText("")
	u.form.name.SetText("Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("no ticket: %q %q", u.form.nameMsg.Text, u.form.formMsg.Text)
	}
	look("ticket")
	test.Tap(u.ticket.done)

	test.Tap(u.welcome.checkOut)
	look("check-out with the keyboard")
	u.checkout.ticket.SetText(leaving.Visit.Ticket)
	test.Tap(u.checkout.submit)
	look("check-out: is this you?")
	test.Tap(u.checkout.yes)
	look("check-out: goodbye")
	u.showWelcome()

	// A typed number with phone proof: the digits, wrong ones, and the
	// visitor sent to reception.
	test.Tap(u.welcome.checkOut)
	u.checkout.ticket.SetText(proving.Visit.Ticket)
	test.Tap(u.checkout.submit)
	look("check-out: the phone's digits")
	for i := range queue.MaxPhoneTries {
		u.checkout.digits.SetText("0000")
		test.Tap(u.checkout.prove)
		if i == 0 {
			look("check-out: wrong digits")
		}
	}
	if !u.checkout.form.Visible() || u.checkout.message.Text == "" {
		t.Fatalf("not sent to reception after %d wrong answers", queue.MaxPhoneTries)
	}
	look("check-out: ask at reception")
	u.showWelcome()

	test.Tap(u.welcome.staff)
	look("staff sign-in")
	f.tapName(t, carmen.Name)
	look("PIN pad")
	for _, r := range "000000" {
		test.Tap(u.pin.digits[r-'0'])
	}
	test.Tap(u.pin.enter)
	if u.pin.message.Text != checkingText() {
		t.Errorf("the pad while the PIN is checked: %q", u.pin.message.Text)
	}
	look("PIN pad while the PIN is checked") // its answer is shown at settleAll
	f.settleAll(t)
	look("PIN pad after a wrong PIN")
	test.Tap(u.pin.cancel)
	test.Tap(u.signIn.back)

	f.unlock(t)
	look("staff")
	test.Tap(u.staff.walkIn)
	look("walk-in")
	test.Tap(u.form.back)
	u.showRoster()
	people = names
	look("roster")
	test.Tap(u.roster.leftButton)
	look("roster: checked out today")
	u.roster.leftList.Select(0)
	look("roster: a check-out picked")
	people = nil
	u.showStaff()
	u.showSyncDetails()
	look("sync details")
	closeDialog()
	u.showAlerts()
	look("alerts")
	closeDialog()
	withDisk(t, f.fixture)
	f.store.RaiseLocalProblem(sqldb.FaultFull, "test: a commit failed for space")
	// The kiosk recovered its database by itself: the notice's button
	// beside the disk's, its longest paths.
	u.cfg.SelfRecovery = &SelfRecovery{Last: &queue.AutoRecovery{At: f.clock.Now().Add(-time.Hour), Lost: 12,
		DamagedKept: "/var/lib/lobbyline/lobby-1.db.damaged-20261123T080000Z", Report: "/var/lib/lobbyline/lobby-1.db.recovery-20261123T080000Z.txt"},
		Acknowledge: func(context.Context) error { return nil }}
	u.showStaff()
	look("staff, the disk full")
	u.showDisk()
	look("disk panel, the disk full")
	checks(t, u.Window().Canvas().Overlays().Top())[0].SetChecked(true)
	test.Tap(overlayButton(t, u, lang.X("disk.delete", "")))
	look("disk panel: delete?")
	closeDialog()
	closeDialog()
	f.store.RaiseLocalProblem(sqldb.FaultReadOnly, "test: remounted read-only")
	u.showDisk()
	look("disk panel, the disk read-only")
	closeDialog()
	u.showRecovered()
	look("self-recovery notice")
	closeDialog()
	f.store.ClearLocalProblem()
	u.lockStaff()
	f.signInAs(t, "Dario", receptionPIN)
	look("staff, as reception")
	u.showRecovered()
	look("self-recovery notice, as reception")
	closeDialog()
	u.cfg.SelfRecovery = nil

	// The incident panel with no incident: a message up, then a drill
	// with that message still read in the lobby, then a practice message
	// published during the drill beside it, then alone; the same in a
	// drill shown to visitors. Its timeline records names: a long one.
	u.lockStaff()
	long := queue.StaffAccount{ID: "st-maria0001", Name: "Maria da Conceição Albuquerque", Role: queue.RoleSupervisor}
	addAccount(t, f.store, long, testPIN, f.clock.Now())
	f.signInAs(t, long.Name, testPIN)
	s := openIncidentPanel(t, f)
	look("incident, none")
	test.Tap(s.templates[0])
	look("incident, a template chosen")
	test.Tap(s.publish)
	look("incident, a message up")
	test.Tap(s.startDrill)
	look("incident, a drill with a message up")
	test.Tap(s.templates[0])
	test.Tap(s.publish)
	look("incident, a practice message during a drill")
	test.Tap(s.takeDown)
	look("incident, a practice message alone during a drill")
	test.Tap(s.stopDrill)
	// A drill visitors are shown: the lobby's message, then practice.
	test.Tap(s.templates[0])
	test.Tap(s.publish)
	s.drillBanner.SetChecked(true)
	test.Tap(s.startDrill)
	look("incident, a drill shown to visitors with a message up")
	test.Tap(s.templates[0])
	test.Tap(s.publish)
	look("incident, a practice message during a drill shown to visitors")
	test.Tap(s.stopDrill)
	s.drillBanner.SetChecked(false)
	test.Tap(s.back)

	f.startOutage(t)
	s = openIncidentPanel(t, f)
	for i := range s.tabs.Items {
		s.tabs.SelectIndex(i)
		look("incident, tab " + s.tabs.Items[i].Text)
	}
	s.tabs.SelectIndex(0)
	test.Tap(s.templates[0])
	test.Tap(s.publish)
	look("incident, a message up during an outage")
	u.lockStaff()
	u.chooseLanguage(code)
	look("welcome during an outage")
	test.Tap(u.welcome.checkIn)
	u.form.name.SetText("Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
	test.Tap(serviceButton(t, u.form, "visit"))
	test.Tap(u.form.submit)
	look("ticket during an outage")

	u.showWelcome()
	f.disableAccounts(t)
	long.Disabled = true
	addAccount(t, f.store, long, testPIN, f.clock.Now().Add(time.Second))
	test.Tap(u.welcome.staff)
	look("set-up PIN")
	f.typePIN(t, setupPIN)
	look("first supervisor")
	test.Type(u.first.name, "Eva Lind")
	test.Tap(u.first.next)
	look("first supervisor's PIN")
}

// allowedEllipses are the texts of language code that end in an ellipsis
// of their own ("Transfer to…").
func allowedEllipses(t *testing.T, code string) map[string]bool {
	t.Helper()
	data, err := assets.Translations.ReadFile("translations/" + code + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	for _, v := range m {
		if s, isString := v.(string); isString && strings.HasSuffix(s, "…") {
			ok[s] = true
		}
	}
	return ok
}

// assertWhole fails for every text under o that is shown cut: drawn with
// an ellipsis its translation does not have, or a truncating label laid
// out narrower than its text. Only the names in people may be cut.
func assertWhole(t *testing.T, screen string, o fyne.CanvasObject, own map[string]bool, people []string) {
	t.Helper()
	person := func(text string) bool {
		for _, p := range people {
			if strings.HasPrefix(p, strings.TrimSuffix(text, "…")) {
				return true
			}
		}
		return false
	}
	walk(t, o, func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *canvas.Text:
			if strings.Contains(o.Text, "…") && !own[o.Text] && !person(o.Text) {
				t.Errorf("%s: %q is cut", screen, o.Text)
			}
		case *keyEntry:
			// A placeholder says what to type: it must be read whole.
			if o.Text != "" || o.PlaceHolder == "" || o.MultiLine {
				return
			}
			th := o.Theme()
			need := fyne.MeasureText(o.PlaceHolder, th.Size(theme.SizeNameText), o.TextStyle).Width +
				2*th.Size(theme.SizeNameInnerPadding) + 2*th.Size(theme.SizeNameInputBorder)
			if need > o.Size().Width-0.5 {
				t.Errorf("%s: the hint %q is cut: it needs %.0f px, has %.0f", screen, o.PlaceHolder, need, o.Size().Width)
			}
		case *widget.Label:
			if o.Truncation == fyne.TextTruncateOff || o.Wrapping != fyne.TextWrapOff || o.Text == "" || person(o.Text) {
				return
			}
			need := fyne.MeasureText(o.Text, o.Theme().Size(o.SizeName), o.TextStyle).Width + 2*o.Theme().Size("innerPadding")
			if need > o.Size().Width-0.5 { // a text exactly as wide as its room is cut too
				t.Errorf("%s: %q is cut: it needs %.0f px, has %.0f", screen, o.Text, need, o.Size().Width)
			}
		}
	})
}

// sizeDialogTitle gives a Fyne dialog's title its minimum size, as the
// GL driver draws it: Fyne's dialog layout moves the title but never sizes
// it (fyne v2.8.1 dialog/base.go), which the test driver would report as
// a label squeezed to nothing.
func sizeDialogTitle(t *testing.T, o fyne.CanvasObject) {
	walk(t, o, func(o fyne.CanvasObject) {
		if c, ok := o.(*fyne.Container); ok && len(c.Objects) == 5 {
			if l, ok := c.Objects[4].(*widget.Label); ok && l.Size().IsZero() {
				l.Resize(l.MinSize())
			}
		}
	})
}
