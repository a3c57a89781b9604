package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// selfRecoverKiosk is a kiosk in dir whose lobby may open (central off,
// a PIN of its own), with self_recover as on says, a visitor in a
// snapshot and one after it (in the outbox only once the visits table
// is damaged). It returns the config's path.
func selfRecoverKiosk(t *testing.T, dir string, on bool) string {
	t.Helper()
	text := strings.Replace(withPIN(defaultConfig), `central = "embedded"`, `central = "off"`, 1)
	if on {
		text = strings.Replace(text, "self_recover = false", "self_recover = true", 1)
	}
	cfg := writeFile(t, dir, "kiosk.toml", text)
	mustRun(t, dir, "--config", cfg, "checkin", "--name", "Before Snapshot", "--service", "registration")
	mustRun(t, dir, "--config", cfg, "snapshot")
	mustRun(t, dir, "--config", cfg, "checkin", "--name", "After Snapshot", "--service", "registration")
	return cfg
}

// quitApp is Fyne's test app that tells when the kiosk quits it.
type quitApp struct {
	fyne.App
	once *sync.Once
	quit chan struct{}
}

func (a quitApp) Quit() { a.once.Do(func() { close(a.quit) }) }

// kioskRun is the kiosk (no command) in dir, in a Fyne test app: during
// returns what its window showed once up; during, if set, runs while
// the window is up.
type kioskRun struct {
	m      *Main
	app    quitApp
	shown  string
	window fyne.Window
	logged bytes.Buffer
}

func newKioskRun(t *testing.T, dir, cfg string, during func(*kioskRun)) *kioskRun {
	t.Helper()
	k := &kioskRun{m: NewMain()}
	k.app = quitApp{App: test.NewTempApp(t), once: &sync.Once{}, quit: make(chan struct{})}
	k.m.Stdout, k.m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	k.m.Logger = slogTo(&k.logged)
	k.m.newApp = func() fyne.App { return k.app }
	k.m.runWindow = func(w fyne.Window) {
		w.Show()
		k.window, k.shown = w, windowText(w)
		if during != nil {
			during(k)
		}
	}
	if err := k.m.ParseFlags([]string{"--config", cfg, "--db", filepath.Join(dir, "kiosk.db")}); err != nil {
		t.Fatal(err)
	}
	return k
}

// run runs the kiosk until its window closes, and closes it.
func (k *kioskRun) run() error {
	err := k.m.Run(context.Background())
	return errors.Join(err, k.m.Close())
}

// windowText is every text the window shows, one per line.
func windowText(w fyne.Window) string {
	var b strings.Builder
	for _, o := range test.LaidOutObjects(w.Content()) {
		if t, ok := o.(*canvas.Text); ok && t.Visible() && t.Text != "" {
			b.WriteString(t.Text + "\n")
		}
	}
	return b.String()
}

func kept(t *testing.T, dir string) []string {
	t.Helper()
	k, err := filepath.Glob(filepath.Join(dir, "kiosk.db"+queue.Damaged+"*[0-9]Z"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSelfRecoveryAtStart: a kiosk whose database is damaged at start,
// with self_recover on, opens its lobby on a recovered database with no
// person: the visitor from the snapshot and the one from the outbox are
// there and the damaged file is kept. Damaged again soon after, it does
// not recover again: the reception screen says why.
func TestSelfRecoveryAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := selfRecoverKiosk(t, dir, true)
	if err := dbdamage.Table(filepath.Join(dir, "kiosk.db"), "visits", 600, 3); err != nil {
		t.Fatal(err)
	}
	k := newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatalf("the kiosk on a damaged database: %v\n%s", err, k.logged.String())
	}
	if !strings.Contains(k.shown, "Before S.") || !strings.Contains(k.shown, "After S.") || strings.Contains(k.shown, "For staff") {
		t.Fatalf("after the self-recovery the window shows:\n%s\nlog:\n%s", k.shown, k.logged.String())
	}
	if len(kept(t, dir)) != 1 {
		t.Fatalf("the damaged file is not kept: %v", kept(t, dir))
	}
	q := mustRun(t, dir, "--config", cfg, "queue")
	if !strings.Contains(q, "Before Snapshot") || !strings.Contains(q, "After Snapshot") {
		t.Fatalf("the queue after the self-recovery:\n%s", q)
	}
	rec, ok, err := queue.LoadAutoRecovery(filepath.Join(dir, "kiosk.db"))
	if err != nil || !ok || !rec.Pending() || rec.DamagedKept != kept(t, dir)[0] || rec.Lost != 0 || !strings.Contains(rec.Report, ".recovery-") {
		t.Fatalf("the record of the recovery: %+v, %v, %v", rec, ok, err)
	}
	if out, _ := run(t, dir, "", "--config", cfg, "check-config"); !strings.Contains(out, "self-recovery: on") || !strings.Contains(out, "not yet acknowledged") {
		t.Fatalf("check-config says nothing of self-recovery:\n%s", out)
	}

	// Damaged again within the day: no second recovery, no loop.
	if err := dbdamage.Table(filepath.Join(dir, "kiosk.db"), "visits", 600, 4); err != nil {
		t.Fatal(err)
	}
	k = newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Please check in at reception", "damaged again", "does not recover it by itself again"} {
		if !strings.Contains(k.shown, want) {
			t.Errorf("damaged again soon after: the screen does not say %q:\n%s", want, k.shown)
		}
	}
	if len(kept(t, dir)) != 1 || !strings.Contains(k.logged.String(), "does not recover it by itself") {
		t.Fatalf("damaged again: kept %v; log:\n%s", kept(t, dir), k.logged.String())
	}
}

// TestSelfRecoveryOff: with self_recover off (the default) a damaged
// database waits for a person, as before.
func TestSelfRecoveryOff(t *testing.T) {
	dir := t.TempDir()
	cfg := selfRecoverKiosk(t, dir, false)
	if err := dbdamage.Table(filepath.Join(dir, "kiosk.db"), "visits", 600, 3); err != nil {
		t.Fatal(err)
	}
	k := newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.shown, "Please check in at reception") || !strings.Contains(k.shown, "lobbyline-kiosk recover") || strings.Contains(k.shown, "by itself") {
		t.Fatalf("self-recovery off, a damaged database:\n%s", k.shown)
	}
	if _, err := os.Stat(queue.AutoRecoveryPath(filepath.Join(dir, "kiosk.db"))); !errors.Is(err, os.ErrNotExist) || len(kept(t, dir)) != 0 {
		t.Fatalf("self-recovery off recovered: %v, %v", err, kept(t, dir))
	}
	if out, _ := run(t, dir, "", "--config", cfg, "check-config"); !strings.Contains(out, "self-recovery: off") {
		t.Fatalf("check-config:\n%s", out)
	}
}

// TestSelfRecoveryOfAFileThatIsNoDatabase: a store that does not open at
// all is rebuilt from the snapshot by the kiosk itself; a file whose
// self-recovery failed before is not tried again, and the reception
// screen says so.
func TestSelfRecoveryOfAFileThatIsNoDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := selfRecoverKiosk(t, dir, true)
	db := filepath.Join(dir, "kiosk.db")
	junk := []byte(strings.Repeat("not a database ", 400))
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(db + suffix)
	}
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.shown, "Check in") || !strings.Contains(mustRun(t, dir, "--config", cfg, "queue"), "Before Snapshot") {
		t.Fatalf("after the self-recovery of a file that is no database:\n%s\n%s", k.shown, k.logged.String())
	}

	// A file the kiosk already tried to recover by itself, and failed
	// (two days ago): not again; the screen says so.
	dir = t.TempDir()
	cfg = selfRecoverKiosk(t, dir, true)
	db = filepath.Join(dir, "kiosk.db")
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := queue.FileID(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := queue.SaveAutoRecovery(db, queue.AutoRecovery{At: time.Now().Add(-48 * time.Hour), File: id, Failed: "no room"}); err != nil {
		t.Fatal(err)
	}
	k = newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(db); err != nil || !bytes.Equal(got, junk) || len(kept(t, dir)) != 0 {
		t.Fatalf("a file whose self-recovery failed before was recovered again: %v, %v", err, kept(t, dir))
	}
	if !strings.Contains(k.shown, "tried to recover this database by itself") || !strings.Contains(k.shown, "Please check in at reception") {
		t.Fatalf("after a failed self-recovery:\n%s", k.shown)
	}
}

// TestSelfRecoveryAtRunTime: the store finds damage while the lobby
// runs (the daily check); the window closes, the kiosk recovers the
// database and starts again on it.
func TestSelfRecoveryAtRunTime(t *testing.T) {
	dir := t.TempDir()
	cfg := selfRecoverKiosk(t, dir, true)
	db := filepath.Join(dir, "kiosk.db")
	var during string
	k := newKioskRun(t, dir, cfg, func(k *kioskRun) {
		if err := dbdamage.Table(db, "visits", 600, 3); err != nil {
			t.Error(err)
			return
		}
		// Another process's write: the store's connections drop the
		// pages they hold and read the damaged ones.
		other, err := sql.Open("sqlite", sqldb.SQLiteDSN(db))
		if err == nil {
			_, err = other.Exec("INSERT INTO meta (key, value) VALUES ('test_touch', '1')")
			err = errors.Join(err, other.Close())
		}
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := k.m.store.QuickCheck(context.Background()); !errors.Is(err, queue.ErrDamaged) {
			t.Errorf("the daily check of the damaged database: %v", err)
			return
		}
		select { // the lobby's next refresh reads the damaged store
		case <-k.app.quit:
		case <-time.After(30 * time.Second):
			t.Error("the kiosk did not close to recover its database")
		}
	})
	if err := k.run(); !errors.Is(err, errRestart) {
		t.Fatalf("the kiosk after damage at run time: %v\n%s", err, k.logged.String())
	}
	during = windowText(k.window) // its refresh has stopped: the screen it closed on
	if !strings.Contains(during, "recovering it by itself") {
		t.Errorf("while it closes to recover, the screen says:\n%s", during)
	}
	if len(kept(t, dir)) != 1 {
		t.Fatalf("no recovery: %v\n%s", kept(t, dir), k.logged.String())
	}
	k = newKioskRun(t, dir, cfg, nil) // what main's restart does
	if err := k.run(); err != nil || !strings.Contains(k.shown, "Check in") {
		t.Fatalf("started again: %v\n%s", err, k.shown)
	}
	if q := mustRun(t, dir, "--config", cfg, "queue"); !strings.Contains(q, "After Snapshot") {
		t.Fatalf("the queue after the recovery at run time:\n%s", q)
	}
}

// TestSelfRecoveryAcknowledged: a supervisor's acknowledgement is
// audited under their name and ends the notice; reception's is refused.
func TestSelfRecoveryAcknowledged(t *testing.T) {
	dir := t.TempDir()
	cfg := selfRecoverKiosk(t, dir, true)
	db := filepath.Join(dir, "kiosk.db")
	if err := dbdamage.Table(db, "visits", 600, 3); err != nil {
		t.Fatal(err)
	}
	if err := newKioskRun(t, dir, cfg, nil).run(); err != nil {
		t.Fatal(err)
	}
	m := NewMain()
	m.Logger = slogTo(&bytes.Buffer{})
	if err := m.ParseFlags([]string{"--config", cfg, "--db", db}); err != nil {
		t.Fatal(err)
	}
	if err := m.openStore(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sr := m.selfRecoveryUI(nil)
	if sr == nil || sr.Last == nil || !sr.Last.Pending() {
		t.Fatalf("no notice for staff: %+v", sr)
	}
	reception := queue.WithActor(context.Background(), queue.Actor{Name: "Dario", Role: queue.RoleReception, Source: queue.AuditTouch})
	if err := sr.Acknowledge(reception); err == nil {
		t.Fatal("reception acknowledged the notice")
	}
	carmen := queue.WithActor(context.Background(), queue.Actor{Name: "Carmen", Role: queue.RoleSupervisor, Source: queue.AuditTouch})
	if err := sr.Acknowledge(carmen); err != nil {
		t.Fatal(err)
	}
	rec, _, _ := queue.LoadAutoRecovery(db)
	if rec.Pending() || rec.AckedBy != "Carmen" || sr.Last.Pending() {
		t.Fatalf("after the acknowledgement: %+v", rec)
	}
	log, err := m.store.AuditLog(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		found = found || e.Action == "self_recovery_ack" && e.Name == "Carmen" && strings.Contains(e.Detail, rec.DamagedKept)
	}
	if !found {
		t.Fatalf("the acknowledgement is not audited: %+v", log)
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestSelfRecoveryFindingNothingKeepsReception: a file that is no
// database, with no snapshot to rebuild from, would recover into an empty
// database — an empty lobby as if all were well. The kiosk does not open
// that by itself: the damaged file is back in its place, the reception
// screen stays, and the record says why.
func TestSelfRecoveryFindingNothingKeepsReception(t *testing.T) {
	dir := t.TempDir()
	text := strings.Replace(withPIN(defaultConfig), `central = "embedded"`, `central = "off"`, 1)
	cfg := writeFile(t, dir, "kiosk.toml", strings.Replace(text, "self_recover = false", "self_recover = true", 1))
	db := filepath.Join(dir, "kiosk.db")
	junk := []byte(strings.Repeat("not a database ", 400))
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKioskRun(t, dir, cfg, nil)
	if err := k.run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.shown, "Please check in at reception") || strings.Contains(k.shown, "Check in\n") {
		t.Fatalf("a recovery that found nothing opened:\n%s", k.shown)
	}
	if got, err := os.ReadFile(db); err != nil || !bytes.Equal(got, junk) {
		t.Fatalf("the damaged file is not back in its place: %v", err)
	}
	rec, found, err := queue.LoadAutoRecovery(db)
	if err != nil || !found || !strings.Contains(rec.Failed, "nothing could be recovered") {
		t.Fatalf("record %+v, %v, %v; want a failure that says nothing could be recovered", rec, found, err)
	}
}
