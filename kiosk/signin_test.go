package kiosk

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer"
)

func auditLog(t *testing.T, f *fixture) []string {
	t.Helper()
	log, err := f.store.AuditLog(f.ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		out = append(out, strings.TrimSpace(e.Name+" "+e.Action+" "+e.Ticket))
	}
	return out
}

// Staff tap their name and type their own PIN; what they do is theirs,
// and a receptionist cannot do what is a supervisor's.
func TestReceptionSignsInByName(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ana := f.checkIn(t, "Ana Pérez", "registration")
	test.Tap(u.welcome.staff)
	var names []string
	for _, b := range u.signIn.names {
		names = append(names, b.Text)
	}
	if !slices.Equal(names, []string{"Carmen", "Dario"}) {
		t.Fatalf("names to tap: %q", names)
	}
	f.tapName(t, "Dario")
	if got := strings.Join(texts(u.pin.content), " | "); !strings.Contains(got, "Dario: enter your PIN.") {
		t.Errorf("PIN pad for Dario: %s", got)
	}
	f.typePIN(t, testPIN) // Carmen's: not Dario's
	if u.screen != screenPIN || u.pin.message.Text != "Wrong PIN. Tries left: 4." {
		t.Fatalf("another's PIN: screen %v, %q", u.screen, u.pin.message.Text)
	}
	f.typePIN(t, receptionPIN)
	if u.screen != screenStaff {
		t.Fatalf("Dario's PIN: screen %v, %q", u.screen, u.pin.message.Text)
	}
	s := u.staff
	if s.signedIn.Text != "Dario (reception)" {
		t.Errorf("signed in as %q", s.signedIn.Text)
	}
	for _, b := range []fyne.CanvasObject{u.newQuitButton()} {
		if b.Visible() {
			t.Error("reception sees Quit")
		}
	}
	test.Tap(s.openDesk)
	test.Tap(s.callNext)
	if d := f.board(t).Desks[0]; d.Staff != "Dario" || d.Serving == nil || d.Serving.ID != ana.Visit.ID {
		t.Fatalf("desk after Dario's call: %+v", d)
	}
	test.Tap(u.staff.lock)
	want := []string{"Dario sign_in_failed", "Dario sign_in", "Dario desk_open", "Dario call " + ana.Visit.Ticket, "Dario sign_out"}
	if got := auditLog(t, f); !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if u.account != nil || u.staffName != "" {
		t.Errorf("after Lock: account %v, name %q", u.account, u.staffName)
	}
}

// A drill is a supervisor's to start.
func TestReceptionCannotStartADrill(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	f.signInAs(t, "Dario", receptionPIN)
	test.Tap(u.staff.outage)
	if u.incident == nil || !u.incident.startDrill.Disabled() {
		t.Fatal("reception can start a drill")
	}
	u.startDrill() // even if it were tapped
	if _, open, _ := f.store.CurrentIncident(f.ctx); open {
		t.Fatal("reception started a drill")
	}
	test.Tap(u.incident.back)
	test.Tap(u.staff.lock)
	f.unlock(t)
	test.Tap(u.staff.outage)
	if u.incident.startDrill.Disabled() {
		t.Fatal("a supervisor cannot start a drill")
	}
	test.Tap(u.incident.startDrill)
	if in, open, _ := f.store.CurrentIncident(f.ctx); !open || !in.Drill {
		t.Fatal("the supervisor's drill did not start")
	}
	if got := strings.Join(auditLog(t, f.fixture), "\n"); !strings.Contains(got, "Carmen drill_start") {
		t.Errorf("audit log:\n%s", got)
	}
}

// One person's wrong PINs lock their account, not their colleagues'.
func TestLockoutIsPerAccount(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.openPIN(t, "Dario")
	for range queue.MaxPINFailures {
		f.typePIN(t, "000000")
	}
	if !strings.HasPrefix(u.pin.message.Text, "Too many wrong PINs") {
		t.Fatalf("after five wrong PINs: %q", u.pin.message.Text)
	}
	f.typePIN(t, receptionPIN)
	if u.screen != screenPIN {
		t.Fatal("a locked account signed in")
	}
	test.Tap(u.pin.cancel)
	f.tapName(t, "Carmen")
	f.typePIN(t, testPIN)
	if u.screen != screenStaff || u.staff.signedIn.Text != "Carmen (supervisor)" {
		t.Fatalf("Carmen while Dario is locked: screen %v", u.screen)
	}
	if !u.newQuitButton().Visible() {
		t.Error("a supervisor has no Quit")
	}
}

// A badge scanner types the badge's code and Enter: that stands for
// tapping the name, and the PIN is still asked.
func TestBadgeThenPIN(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	ctx := queue.WithActor(f.ctx, queue.Actor{Name: "IT", Source: queue.AuditCLI})
	a, err := f.store.StaffAccount(f.ctx, dario.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.BadgeHash, a.UpdatedAt = queue.HashBadge("HOSP-0042"), f.clock.Now().Add(time.Minute)
	if err := f.store.SaveStaffAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := u.win.Canvas()
	// Typed where no field has the focus, as a scanner does, before
	// sign-in: it goes nowhere.
	test.TypeOnCanvas(c, "HOSP-0042")
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if u.screen != screenWelcome {
		t.Fatalf("a scan on the welcome screen led to screen %v", u.screen)
	}
	test.Tap(u.welcome.staff)
	if f := c.Focused(); f != nil {
		t.Fatalf("%T has the focus on the sign-in screen: the keyboard would cover it", f)
	}
	scan := func(code string) {
		test.TypeOnCanvas(c, code)
		c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	scan("HOSP-0043")
	if u.screen != screenPIN || u.signIn.message.Text != "This badge is not known here. Tap your name instead." {
		t.Fatalf("unknown badge: screen %v, %q", u.screen, u.signIn.message.Text)
	}
	for _, s := range texts(u.signIn.content) {
		if strings.Contains(s, "HOSP") {
			t.Errorf("the badge's code is on the screen: %q", s)
		}
	}
	scan("HOSP-0042")
	if u.pin == nil || !strings.Contains(strings.Join(texts(u.pin.content), " "), "Dario: enter your PIN.") {
		t.Fatal("the badge did not lead to Dario's PIN")
	}
	f.typePIN(t, receptionPIN)
	if u.screen != screenStaff || u.account.ID != dario.ID {
		t.Fatalf("after the badge and PIN: screen %v", u.screen)
	}
}

// A kiosk that had one shared PIN before accounts: that PIN, now the
// set-up PIN, makes the first supervisor, and then opens nothing.
func TestSetupPINMakesTheFirstSupervisor(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.disableAccounts(t)
	test.Tap(u.welcome.staff)
	if u.pin == nil || !strings.Contains(strings.Join(texts(u.pin.content), " "), "set-up PIN") {
		t.Fatalf("no supervisor: screen %v", u.screen)
	}
	f.typePIN(t, "1111")
	if u.pin.message.Text != "Wrong PIN. Tries left: 4." {
		t.Fatalf("a wrong set-up PIN: %q", u.pin.message.Text)
	}
	f.typePIN(t, setupPIN)
	if u.first == nil || u.screen != screenSetup {
		t.Fatalf("the set-up PIN led to screen %v", u.screen)
	}
	test.Tap(u.first.next)
	if u.first.message.Text != "Please enter the staff member's name." {
		t.Errorf("no name: %q", u.first.message.Text)
	}
	test.Type(u.first.name, "Eva Lind")
	test.Tap(u.first.next)
	f.typePIN(t, "1234")
	if u.pin.message.Text != "A PIN has 6 to 12 digits." {
		t.Fatalf("a short PIN: %q", u.pin.message.Text)
	}
	f.typePIN(t, "20261205")
	f.typePIN(t, "20261206")
	if u.pin.message.Text != "The two PINs differ. Type the same PIN again." {
		t.Fatalf("PINs that differ: %q", u.pin.message.Text)
	}
	f.typePIN(t, "20261205")
	if u.screen != screenStaff || u.staff.signedIn.Text != "Eva Lind (supervisor)" {
		t.Fatalf("after the second PIN: screen %v", u.screen)
	}
	test.Tap(u.staff.lock)
	// The set-up PIN now signs nobody in, and Eva is on the list.
	test.Tap(u.welcome.staff)
	if u.signIn == nil || u.signIn.first != nil || len(u.signIn.names) != 1 || u.signIn.names[0].Text != "Eva Lind" {
		t.Fatalf("sign-in after the first supervisor: screen %v", u.screen)
	}
	if err := f.store.CheckSetupPIN(f.ctx, u.cfg.PINHash, setupPIN); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("the set-up PIN with a supervisor: %v", err)
	}
	got := strings.Join(auditLog(t, f), "\n")
	for _, want := range []string{"set-up PIN sign_in_failed", "set-up PIN sign_in", "set-up PIN account_add", "Eva Lind sign_in", "Eva Lind sign_out"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %q:\n%s", want, got)
		}
	}
}

// Enrolled into a site with no supervisor, a kiosk makes its first on
// the enrolment code's authority, with no way round it.
func TestEnrolmentAsksTheFirstSupervisor(t *testing.T) {
	var f *fixture
	enrol := func(ctx context.Context, url, code string) (SyncSource, OutageSource, error) {
		client, err := syncer.NewClient(url, "north", "token", &http.Client{Timeout: time.Second})
		if err != nil {
			return nil, nil, err
		}
		return syncer.New(f.store, client, syncer.Config{}), nil, nil
	}
	f = newFixture(t, func(c *Config) { c.Setup = &Setup{Centre: "http://127.0.0.1:9", Enrol: enrol}; c.PINHash = "" })
	u := f.ui
	f.disableAccounts(t)
	test.Type(u.setup.code, "ABCDE-FGHJK")
	test.Tap(u.setup.connect)
	f.settle(t)
	if u.first == nil || u.first.canLeave {
		t.Fatalf("after enrolment with no supervisor: screen %v, first %v", u.screen, u.first)
	}
	for _, s := range texts(u.first.content) {
		if s == "Back" {
			t.Error("the first supervisor's form has a way back")
		}
	}
	test.Type(u.first.name, "Eva Lind")
	test.Tap(u.first.next)
	f.typePIN(t, "20261205")
	f.typePIN(t, "20261205")
	if u.screen != screenStaff || !u.supervisor() {
		t.Fatalf("after the first supervisor: screen %v", u.screen)
	}
	if got := strings.Join(auditLog(t, f), "\n"); !strings.Contains(got, "enrolment code account_add") {
		t.Errorf("audit log:\n%s", got)
	}
}

// gatedQueue is the real store whose SignIn waits at a gate: a test holds
// a PIN's check open to see what the UI does meanwhile.
type gatedQueue struct {
	*queue.Store
	calls   atomic.Int32
	entered chan struct{} // one send for each SignIn begun
	release chan struct{} // closed: the checks go on
}

func gateSignIn(f *fixture) *gatedQueue {
	g := &gatedQueue{Store: f.store, entered: make(chan struct{}, 4), release: make(chan struct{})}
	f.ui.staffQueue = g
	return g
}

func (g *gatedQueue) SignIn(ctx context.Context, id, pin string) (queue.StaffAccount, error) {
	g.calls.Add(1)
	select {
	case g.entered <- struct{}{}:
	default: // nobody waits for it
	}
	select {
	case <-g.release:
	case <-time.After(30 * time.Second): // a check made on the UI goroutine would hang the test here
	}
	return g.Store.SignIn(ctx, id, pin)
}

// waitEntered waits until a SignIn has begun on the background goroutine.
func (g *gatedQueue) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no sign-in began")
	}
}

// A PIN is checked off the UI goroutine: while argon2id runs, the pad
// says so where its messages go, nothing moves, and a second Enter (or
// a digit, or Back) does nothing; then the answer shows.
func TestPINCheckLeavesTheScreenFree(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	g := gateSignIn(f)
	f.openPIN(t, carmen.Name)
	pad := u.pin
	d := fyne.CurrentApp().Driver()
	where := func() []fyne.Position {
		var out []fyne.Position
		for _, b := range append(pad.digits[:], pad.enter, pad.clear, pad.cancel) {
			out = append(out, d.AbsolutePositionForObject(b))
		}
		return out
	}
	before := where()
	for _, r := range testPIN {
		test.Tap(pad.digits[r-'0'])
	}
	test.Tap(pad.enter) // returns at once: the check is on another goroutine
	g.waitEntered(t)
	if u.screen != screenPIN || u.pin != pad {
		t.Fatalf("while the PIN is checked: screen %v", u.screen)
	}
	if !pad.message.Visible() || pad.message.Text != "Checking the PIN…" || pad.dots.Text != "" {
		t.Errorf("while the PIN is checked the pad shows %q, dots %q", pad.message.Text, pad.dots.Text)
	}
	if got := where(); !slices.Equal(got, before) {
		t.Errorf("the keys moved while the PIN is checked: %v, were %v", got, before)
	}
	if !pad.enter.Disabled() || !pad.digits[5].Disabled() || !pad.cancel.Disabled() {
		t.Error("the keys take taps while the PIN is checked")
	}
	test.Tap(pad.digits[5])
	test.Tap(pad.enter)
	test.Tap(pad.cancel)
	u.pinKey("7") // as if the keys were enabled
	u.pinEnter()
	if pad.pin != "" || pad.dots.Text != "" || u.screen != screenPIN || u.pin != pad {
		t.Errorf("taps while checking: typed %q, screen %v", pad.pin, u.screen)
	}
	if f.started != 1 || g.calls.Load() != 1 {
		t.Fatalf("a second Enter while checking: %d checks begun, %d sign-ins", f.started, g.calls.Load())
	}
	close(g.release)
	f.settleAll(t)
	if u.screen != screenStaff || u.account == nil || u.account.ID != carmen.ID {
		t.Fatalf("after the answer: screen %v", u.screen)
	}
	if got, want := auditLog(t, f), []string{"Carmen sign_in"}; !slices.Equal(got, want) {
		t.Errorf("audit log %q, want %q", got, want)
	}
}

// A wrong PIN, and the lock, show as they did when the check ran on the
// UI goroutine: the keys come back, the message is the store's.
func TestPINCheckShowsTheRefusal(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	g := gateSignIn(f)
	close(g.release)
	f.openPIN(t, dario.Name)
	for try := 1; try <= queue.MaxPINFailures; try++ {
		f.typePIN(t, "000000")
		if u.pin.checking || u.pin.enter.Disabled() || u.pin.digits[0].Disabled() {
			t.Fatalf("try %d: the keys stay held after the answer", try)
		}
		if try < queue.MaxPINFailures && u.pin.message.Text != fmt.Sprintf("Wrong PIN. Tries left: %d.", queue.MaxPINFailures-try) {
			t.Errorf("try %d: %q", try, u.pin.message.Text)
		}
		if u.pin.message.Importance != widget.DangerImportance {
			t.Errorf("try %d: the refusal is not shown as one", try)
		}
	}
	if got := u.pin.message.Text; got != "Too many wrong PINs. Try again in 0:30." {
		t.Fatalf("after %d wrong PINs: %q", queue.MaxPINFailures, got)
	}
	// Locked: Enter begins no check, and the store is not asked.
	started := f.started
	f.typePIN(t, receptionPIN)
	if f.started != started || int(g.calls.Load()) != queue.MaxPINFailures {
		t.Errorf("Enter on a locked pad began a check (%d begun, %d sign-ins)", f.started-started, g.calls.Load())
	}
	f.clock.Advance(queue.PINLockout)
	f.typePIN(t, receptionPIN)
	if u.screen != screenStaff || u.account.ID != dario.ID {
		t.Fatalf("the right PIN after the lock: screen %v, %q", u.screen, f.padMessage())
	}
}

// An answer that comes after the screen changed (the idle timeout went
// back to the welcome screen) opens nothing: a right PIN's sign-in,
// which the store counted, is closed in the audit; a wrong one still
// counts towards the lock.
func TestLatePINAnswerOpensNothing(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	g := gateSignIn(f)
	late := func(name, pin string) {
		t.Helper()
		f.openPIN(t, name)
		for _, r := range pin {
			test.Tap(u.pin.digits[r-'0'])
		}
		test.Tap(u.pin.enter)
		g.waitEntered(t)
		u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout))
		if u.screen != screenWelcome || u.pin != nil {
			t.Fatalf("idle while the PIN is checked: screen %v", u.screen)
		}
		g.release <- struct{}{}
		f.settleAll(t)
		if u.screen != screenWelcome || u.account != nil || u.staff != nil || u.staffName != "" {
			t.Fatalf("a late answer to %s's PIN: screen %v, account %v", name, u.screen, u.account)
		}
	}
	late(carmen.Name, testPIN)
	late(dario.Name, "000000")
	want := []string{"Carmen sign_in", "Carmen sign_out", "Dario sign_in_failed"}
	if got := auditLog(t, f); !slices.Equal(got, want) {
		t.Errorf("audit log %q, want %q", got, want)
	}
	log, err := f.store.AuditLog(f.ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if log[1].Account != carmen.ID || log[1].Detail == "" {
		t.Errorf("the late sign-in's end: %+v", log[1])
	}
	// Dario's wrong PIN counted: four tries are left.
	close(g.release)
	f.openPIN(t, dario.Name)
	f.typePIN(t, "000000")
	if got := u.pin.message.Text; got != "Wrong PIN. Tries left: 3." {
		t.Errorf("after a late wrong PIN and another: %q", got)
	}
	// And the kiosk signs in as before.
	f.typePIN(t, receptionPIN)
	if u.screen != screenStaff || u.account.ID != dario.ID {
		t.Fatalf("signing in after late answers: screen %v", u.screen)
	}
}

// The first supervisor's PIN is hashed, and signed in with, off the UI
// goroutine too; an answer after the screen changed leaves the account
// made (it is saved) and staff mode shut.
func TestLateFirstSupervisorOpensNothing(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.disableAccounts(t)
	g := gateSignIn(f)
	test.Tap(u.welcome.staff)
	f.typePIN(t, setupPIN)
	test.Type(u.first.name, "Eva Lind")
	test.Tap(u.first.next)
	f.typePIN(t, "20261205")
	for _, r := range "20261205" {
		test.Tap(u.pin.digits[r-'0'])
	}
	test.Tap(u.pin.enter)
	g.waitEntered(t) // hashed and saved; the sign-in waits
	if u.pin == nil || u.pin.message.Text != "Checking the PIN…" {
		t.Fatalf("while the new PIN is hashed: screen %v", u.screen)
	}
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout))
	close(g.release)
	f.settleAll(t)
	if u.screen != screenWelcome || u.account != nil {
		t.Fatalf("a late answer for the first supervisor: screen %v, account %v", u.screen, u.account)
	}
	if has, err := f.store.HasSupervisor(f.ctx); err != nil || !has {
		t.Fatalf("the first supervisor was not kept: %v %v", has, err)
	}
	got := strings.Join(auditLog(t, f), "\n")
	for _, want := range []string{"set-up PIN account_add", "Eva Lind sign_in", "Eva Lind sign_out"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %q:\n%s", want, got)
		}
	}
	test.Tap(u.welcome.staff)
	f.tapName(t, "Eva Lind")
	f.typePIN(t, "20261205")
	if u.screen != screenStaff || !u.supervisor() {
		t.Fatalf("Eva signing in after: screen %v, %q", u.screen, f.padMessage())
	}
}
