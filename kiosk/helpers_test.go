package kiosk

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/crypto/bcrypt"

	"lobbyline/queue"
	"lobbyline/queue/pinhash"
)

// Every test UI has two staff accounts: Carmen, a supervisor, whose PIN
// is testPIN, and Dario at reception, whose PIN is receptionPIN. Their
// hashes use argon2id's lowest cost here so the PIN tests stay fast
// (sign-in reads the cost from the hash). setupPIN is the set-up PIN of
// the config's pin_hash, which makes the first supervisor of a kiosk
// without one.
const (
	testPIN      = "135790"
	receptionPIN = "246813"
	setupPIN     = "2580"
)

var cheapPIN = pinhash.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

var (
	carmen = queue.StaffAccount{ID: "st-carmen01", Name: "Carmen", Role: queue.RoleSupervisor}
	dario  = queue.StaffAccount{ID: "st-dario001", Name: "Dario", Role: queue.RoleReception}
)

// addAccount gives store account a with PIN pin, as if pulled from the
// centre.
func addAccount(t testing.TB, store *queue.Store, a queue.StaffAccount, pin string, at time.Time) queue.StaffAccount {
	t.Helper()
	h, err := pinhash.HashWith(pin, cheapPIN)
	if err != nil {
		t.Fatal(err)
	}
	a.PINHash, a.UpdatedAt = h, at
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ApplyStaffRecords(context.Background(), []queue.RemoteRecord{{Entity: queue.EntityStaff, Key: a.ID, Version: 1, Data: data}}); err != nil {
		t.Fatal(err)
	}
	return a
}

// disableAccounts switches Carmen's and Dario's accounts off, as the
// centre would: a kiosk with no account to sign in with.
func (f *fixture) disableAccounts(t testing.TB) {
	t.Helper()
	for _, a := range []queue.StaffAccount{carmen, dario} {
		a.Disabled = true
		pin := map[string]string{carmen.ID: testPIN, dario.ID: receptionPIN}[a.ID]
		addAccount(t, f.store, a, pin, f.clock.Now().Add(time.Second))
	}
}

// clock is a settable time source shared by the store and the UI.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testServices = []queue.Service{
	{ID: "registration", Prefix: "R", Name: "Registration", Names: map[string]string{"es": "Registro"}, DefaultWait: 10 * time.Minute},
	{ID: "visit", Prefix: "V", Name: "Visit a patient", Names: map[string]string{"es": "Visitar a un paciente"}, DefaultWait: 5 * time.Minute},
}

var testDesks = []queue.Desk{
	{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
	{ID: "desk-2", Name: "Desk 2", Services: []string{"registration"}},
}

// mustOpenStore opens a real store in a temporary directory, offering
// languages (none: English alone).
func mustOpenStore(tb testing.TB, clk *clock, languages ...string) *queue.Store {
	tb.Helper()
	s, err := queue.Open(context.Background(), filepath.Join(tb.TempDir(), "kiosk.db"), queue.Options{
		KioskID: "test-kiosk", Services: testServices, Desks: testDesks, Languages: languages,
		FallbackWait: 10 * time.Minute, Now: clk.Now, Location: time.UTC,
	})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

type fixture struct {
	ui    *UI
	store *queue.Store
	clock *clock
	ctx   context.Context
	shows chan func() // what background work has to show, for settle
	// started counts the background work begun, settled what settle
	// showed of it: both on the test's goroutine, which stands for the
	// UI's.
	started, settled int
}

// settle waits for the UI's background work (an enrolment, a PIN's
// check) and shows its outcome on the test's goroutine, as the UI
// goroutine would. The timeout only turns a hang into a failure.
func (f *fixture) settle(t testing.TB) {
	t.Helper()
	select {
	case show := <-f.shows:
		f.settled++
		if show != nil {
			show()
		}
	case <-time.After(30 * time.Second):
		t.Fatal("background work did not finish")
	}
}

// settleAll settles every piece of background work begun so far, and
// any that their outcomes begin.
func (f *fixture) settleAll(t testing.TB) {
	t.Helper()
	for f.settled < f.started {
		f.settle(t)
	}
}

// newFixture builds a UI on a test app, without the background refresh.
func newFixture(t testing.TB, change ...func(*Config)) *fixture {
	t.Helper()
	a := test.NewTempApp(t)
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	hash, err := bcrypt.GenerateFromPassword([]byte(setupPIN), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// Phone proof and a centre: the form asks every field it can (the
	// tests of what it leaves out turn them off).
	cfg := Config{
		KioskName: "Main lobby", Languages: []string{"en", "es"},
		IdleTimeout: time.Minute, StaffIdleTimeout: 5 * time.Minute,
		Privacy: PrivacyInitial, PINHash: string(hash), Now: clk.Now,
		PhoneProof: true, Centre: true,
	}
	for _, c := range change {
		c(&cfg)
	}
	store := mustOpenStore(t, clk, cfg.Languages...) // the store offers what the kiosk does
	addAccount(t, store, carmen, testPIN, clk.Now())
	addAccount(t, store, dario, receptionPIN, clk.Now())
	u := newUI(a, store, cfg, nil)
	f := &fixture{ui: u, store: store, clock: clk, ctx: context.Background(), shows: make(chan func(), 1)}
	u.background = func(work func(context.Context) func()) {
		f.started++
		go func() { f.shows <- work(context.Background()) }()
	}
	t.Cleanup(func() {
		u.Close()
		u.Window().Close()
		if err := setLanguage("en"); err != nil {
			t.Error(err)
		}
	})
	return f
}

func (f *fixture) checkIn(t testing.TB, name, service string) queue.Ticket {
	t.Helper()
	tk, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: name, Service: service}, queue.SourceKiosk)
	if err != nil {
		t.Fatalf("check in %s: %v", name, err)
	}
	return tk
}

func (f *fixture) board(t *testing.T) queue.Board {
	t.Helper()
	b, err := f.store.Board(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) visit(t *testing.T, id int64) queue.Visit {
	t.Helper()
	v, err := f.store.Visit(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// unlock signs Carmen in by tapping, and expects the staff screen.
func (f *fixture) unlock(t *testing.T) {
	t.Helper()
	f.signInAs(t, carmen.Name, testPIN)
}

// signInAs taps Staff, then name, then types pin, and expects the staff
// screen.
func (f *fixture) signInAs(t *testing.T, name, pin string) {
	t.Helper()
	f.openPIN(t, name)
	f.typePIN(t, pin)
	if f.ui.screen != screenStaff {
		t.Fatalf("screen = %v after the right PIN, want staff; pad %q", f.ui.screen, f.padMessage())
	}
}

// openPIN taps Staff and then name, for the PIN pad.
func (f *fixture) openPIN(t testing.TB, name string) {
	t.Helper()
	test.Tap(f.ui.welcome.staff)
	f.tapName(t, name)
}

// tapName taps name on the sign-in screen.
func (f *fixture) tapName(t testing.TB, name string) {
	t.Helper()
	if f.ui.signIn == nil {
		t.Fatalf("no sign-in screen: screen %v", f.ui.screen)
	}
	for _, b := range f.ui.signIn.names {
		if b.Text == name {
			test.Tap(b)
			if f.ui.screen != screenPIN || f.ui.pin == nil {
				t.Fatalf("tapping %s led to screen %v", name, f.ui.screen)
			}
			return
		}
	}
	t.Fatalf("no %q to tap on the sign-in screen", name)
}

// typePIN taps pin's digits and Enter on the pad, and waits for the
// answer if Enter began a check (not on a locked pad, nor for the first
// of a new PIN's two).
func (f *fixture) typePIN(t testing.TB, pin string) {
	t.Helper()
	for _, r := range pin {
		test.Tap(f.ui.pin.digits[r-'0'])
	}
	test.Tap(f.ui.pin.enter)
	f.settleAll(t)
}

// padMessage is the PIN pad's message, if the pad is up.
func (f *fixture) padMessage() string {
	if f.ui.pin == nil {
		return "(no pad)"
	}
	return f.ui.pin.message.Text
}

// texts is every visible text under o: labels, buttons and canvas text.
func texts(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	switch o := o.(type) {
	case *fyne.Container:
		var out []string
		for _, c := range o.Objects {
			out = append(out, texts(c)...)
		}
		return out
	case *container.Scroll:
		return texts(o.Content)
	case *widget.Label:
		return []string{o.Text}
	case *widget.Button:
		return []string{o.Text}
	case *largeButton:
		return []string{o.Text}
	case *canvas.Text:
		return []string{o.Text}
	}
	return nil
}

func screenText(u *UI) string { return strings.Join(texts(u.Window().Content()), "\n") }

func serviceButton(t *testing.T, s *checkInScreen, id string) *widget.Button {
	t.Helper()
	for i, sid := range s.serviceIDs {
		if sid == id {
			return s.services[i]
		}
	}
	t.Fatalf("no service button %s", id)
	return nil
}
