package kiosk

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/bcrypt"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
)

// damagedStoreAt is a store on a database whose visits table was damaged
// after three visitors checked in (600 random bytes over its root page),
// opened with no check, as the kiosk did before issue 15; snapDir, if
// not "", got a snapshot before the damage.
func damagedStoreAt(t *testing.T, clk *clock, path, snapDir string) *queue.Store {
	t.Helper()
	opts := queue.Options{KioskID: "test-kiosk", Services: testServices, Desks: testDesks, Now: clk.Now, Location: time.UTC}
	s, err := queue.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ada", "Bo", "Cy"} {
		if _, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: n, Service: "registration"}, queue.SourceKiosk); err != nil {
			t.Fatal(err)
		}
	}
	if snapDir != "" {
		if _, err := s.Snapshot(context.Background(), queue.SnapshotOptions{Dirs: []string{snapDir}, Keep: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dbdamage.Table(path, "visits", 600, 15); err != nil {
		t.Fatal(err)
	}
	s, err = queue.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDamagedDatabaseSendsVisitorsToReception(t *testing.T) {
	a := test.NewTempApp(t)
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	store := damagedStoreAt(t, clk, filepath.Join(t.TempDir(), "kiosk.db"), "")
	if _, err := store.QuickCheck(context.Background()); err == nil {
		t.Fatal("the check before the lobby found no damage")
	}
	u := newUI(a, store, Config{Languages: []string{"en", "es"}, Now: clk.Now}, nil)
	t.Cleanup(func() { u.Close(); u.Window().Close() })
	text := screenText(u)
	for _, want := range []string{"Please check in at reception", "database is damaged", "lobbyline-kiosk recover"} {
		if !strings.Contains(text, want) {
			t.Errorf("the lobby of a damaged database does not say %q:\n%s", want, text)
		}
	}
	if u.welcome != nil || strings.Contains(text, "Check in here") || strings.Contains(text, "waiting") {
		t.Fatalf("the lobby of a damaged database offers check-in or shows a queue:\n%s", text)
	}
	// The refresh keeps it there, and so does another language.
	u.tick(context.Background())()
	u.chooseLanguage("es")
	if u.reception == nil || !strings.Contains(screenText(u), "recepción") {
		t.Fatalf("after a refresh and a language switch:\n%s", screenText(u))
	}
}

func TestDamageAtRunTimeTakesTheBoardAway(t *testing.T) {
	f := newFixture(t)
	f.checkIn(t, "Visitor One", "registration")
	f.unlock(t)
	if f.ui.screen != screenStaff {
		t.Fatal("not in staff mode")
	}
	// The next refresh reads a damaged database (another store's real
	// error, as the board read returns it).
	damaged := damagedStoreAt(t, f.clock, filepath.Join(t.TempDir(), "kiosk.db"), "")
	_, err := damaged.Board(context.Background())
	if queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("board of the damaged store: %v", err)
	}
	f.ui.showBoard(f.ui.boardSeq.Add(1), queue.Board{}, err)
	text := screenText(f.ui)
	if f.ui.account != nil || f.ui.screen != screenWelcome || !strings.Contains(text, "database is damaged") {
		t.Fatalf("after damage at run time: screen %v, signed in %v:\n%s", f.ui.screen, f.ui.account != nil, text)
	}
	if strings.Contains(text, "Visitor One") || strings.Contains(text, "R-001") {
		t.Fatalf("the last board is still shown:\n%s", text)
	}
}

func TestCheckInMeetingDamageGoesToReception(t *testing.T) {
	f := newFixture(t)
	damaged := damagedStoreAt(t, f.clock, filepath.Join(t.TempDir(), "kiosk.db"), "")
	_, err := damaged.CheckIn(context.Background(), queue.CheckInForm{Name: "Dee", Service: "registration"}, queue.SourceKiosk)
	if queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("check-in into the damaged store: %v", err)
	}
	f.ui.startCheckIn()
	msg := f.ui.errorText(err) // what the form shows for a refused check-in
	if !strings.Contains(msg, "reception") || f.ui.reception == nil || f.ui.form != nil {
		t.Fatalf("a check-in refused for damage: %q, reception screen %v", msg, f.ui.reception != nil)
	}
}

// noStoreUI is the kiosk whose database cannot be opened, with recovery
// from a real damaged database and snapshot.
func noStoreUI(t *testing.T, pinHash string) (*UI, *clock, chan func(), *bool, string) {
	t.Helper()
	a := test.NewTempApp(t)
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	path, snaps := filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "snapshots")
	damagedStoreAt(t, clk, path, snaps).Close()
	restarted := false
	ns := NoStore{
		Recover: func(ctx context.Context) (string, error) {
			r, err := queue.Recover(ctx, path, queue.RecoverOptions{KioskID: "test-kiosk", SnapshotDirs: []string{snaps}, Now: clk.Now})
			return r.Report, err
		},
		Restart: func() { restarted = true },
	}
	u := NewWithoutStore(a, Config{Languages: []string{"en", "es"}, Now: clk.Now, PINHash: pinHash}, ns, nil)
	shows := make(chan func(), 1)
	u.background = func(work func(context.Context) func()) {
		go func() { shows <- work(context.Background()) }()
	}
	t.Cleanup(func() { u.Close(); u.Window().Close() })
	return u, clk, shows, &restarted, path
}

func TestNoStoreScreenRecoversWithTheSetupPIN(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte(setupPIN), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, clk, shows, restarted, path := noStoreUI(t, string(hash))
	s := u.reception
	if s == nil || s.pin == nil || !strings.Contains(screenText(u), "Please check in at reception") {
		t.Fatalf("the screen without a database:\n%s", screenText(u))
	}
	answer := func(what string) {
		t.Helper()
		select {
		case show := <-shows:
			show()
		case <-time.After(30 * time.Second):
			t.Fatal(what + " did not finish")
		}
	}
	for range recoveryTries {
		test.Type(s.pin, "0000")
		test.Tap(s.recover)
		// The PIN is checked off the UI goroutine; meanwhile the screen
		// says so and takes no second try.
		if s.message.Text != "Checking the PIN…" || !s.recover.Disabled() || !s.pin.Disabled() {
			t.Fatalf("while the PIN is checked: %q, button disabled %v", s.message.Text, s.recover.Disabled())
		}
		answer("the PIN's check")
	}
	if !strings.Contains(s.message.Text, "not the set-up PIN") {
		t.Fatalf("after wrong PINs: %q", s.message.Text)
	}
	test.Type(s.pin, setupPIN)
	test.Tap(s.recover)
	if !strings.Contains(s.message.Text, "Too many wrong PINs") {
		t.Fatalf("the right PIN during the lock: %q", s.message.Text)
	}
	clk.Advance(recoveryLock)
	test.Type(s.pin, setupPIN)
	test.Tap(s.recover)
	answer("the PIN's check")
	if s.message.Text != "Recovering the database…" || !s.recover.Disabled() {
		t.Fatalf("during the recovery: %q, button disabled %v", s.message.Text, s.recover.Disabled())
	}
	answer("the recovery")
	if !s.open.Visible() || !strings.Contains(s.message.Text, path+".recovery-") {
		t.Fatalf("after the recovery: %q, open button %v", s.message.Text, s.open.Visible())
	}
	// In another language the screen still offers to open the kiosk,
	// not to recover again.
	u.chooseLanguage("es")
	t.Cleanup(func() { u.chooseLanguage("en") })
	if s = u.reception; !s.open.Visible() || s.recover.Visible() || s.pin.Visible() || !strings.Contains(s.message.Text, path+".recovery-") {
		t.Fatalf("after the recovery, in Spanish: %q, open button %v, recover button %v", s.message.Text, s.open.Visible(), s.recover.Visible())
	}
	test.Tap(s.open)
	if !*restarted {
		t.Fatal("Open the kiosk did not restart it")
	}
}

func TestNoStoreScreenWithoutSetupPINTellsIT(t *testing.T) {
	u, _, _, _, _ := noStoreUI(t, "")
	text := screenText(u)
	if u.reception.pin != nil || !strings.Contains(text, "IT: run lobbyline-kiosk recover") {
		t.Fatalf("without a set-up PIN the screen must tell IT what to run:\n%s", text)
	}
}

// TestReceptionScreensInEveryLanguage puts up the reception screens in
// every language on a landscape and a portrait screen, as
// TestEveryScreenInEveryLanguage does the others.
func TestReceptionScreensInEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("24 screens")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(setupPIN), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []fyne.Size{landscape, portrait} {
		for _, code := range translationCodes(t) {
			t.Run(sizeName(size)+"/"+code, func(t *testing.T) {
				look := func(u *UI, screen string) {
					t.Helper()
					u.Window().Resize(size)
					assertFits(t, screen, u.Window().Content())
					assertWhole(t, screen, u.Window().Content(), allowedEllipses(t, code), nil)
				}
				u, _, shows, _, _ := noStoreUI(t, string(hash))
				u.cfg.Languages = translationCodes(t)
				u.chooseLanguage(code)
				look(u, "no database, recovery with the set-up PIN")
				u.reception.pin.SetText("0000")
				u.startRecovery()
				look(u, "checking the set-up PIN")
				(<-shows)()
				look(u, "wrong set-up PIN")
				u.reception.pin.SetText(setupPIN)
				u.startRecovery()
				(<-shows)()
				look(u, "recovering")
				(<-shows)()
				look(u, "recovered")
				u2, _, _, _, _ := noStoreUI(t, "")
				u2.cfg.Languages = translationCodes(t)
				u2.chooseLanguage(code)
				look(u2, "no database, no set-up PIN")
				u2.noStore, u2.damaged = nil, true
				u2.showWelcome()
				look(u2, "damaged database")
				u2.selfRecovering = true
				u2.showWelcome()
				look(u2, "damaged database, recovering by itself")
				u2.selfRecovering = false
				u2.cfg.SelfRecovery = &SelfRecovery{Held: &queue.AutoRecovery{At: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}}
				u2.showWelcome()
				look(u2, "damaged again after a self-recovery")
				u2.cfg.SelfRecovery.Held.Failed = "no room"
				u2.showWelcome()
				look(u2, "a self-recovery failed")
				u.cfg.SelfRecovery = u2.cfg.SelfRecovery
				u.showWelcome()
				look(u, "no database, recovery with the set-up PIN, a self-recovery failed")
			})
		}
	}
}

// The set-up PIN's check goes on while the screen is rebuilt in another
// language: the new screen holds its button and says so, and a wrong PIN
// still counts.
func TestNoStoreScreenKeepsTheCheckAcrossALanguage(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte(setupPIN), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, _, shows, _, _ := noStoreUI(t, string(hash))
	t.Cleanup(func() { _ = setLanguage("en") })
	for try := 1; try <= recoveryTries; try++ {
		test.Type(u.reception.pin, "0000")
		test.Tap(u.reception.recover)
		code := []string{"es", "en"}[try%2]
		u.chooseLanguage(code)
		s := u.reception
		if !s.recover.Disabled() || !s.pin.Disabled() || s.message.Text != checkingText() {
			t.Fatalf("try %d, rebuilt in %s while checking: %q, button disabled %v", try, code, s.message.Text, s.recover.Disabled())
		}
		u.startRecovery() // a tap the disabled button would not pass on
		(<-shows)()
		select {
		case <-shows:
			t.Fatal("two checks of one PIN")
		default:
		}
		if s.recover.Disabled() || s.message.Text != lang.X("reception.pin.wrong", "") {
			t.Fatalf("try %d, after the answer: %q", try, s.message.Text)
		}
	}
	test.Type(u.reception.pin, setupPIN)
	test.Tap(u.reception.recover)
	if !strings.Contains(u.reception.message.Text, "Too many wrong PINs") {
		t.Fatalf("the right PIN after %d wrong ones across languages: %q", recoveryTries, u.reception.message.Text)
	}
}
