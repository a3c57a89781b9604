package kiosk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/queue/sqldb"
	"lobbyline/syncer/outage"
)

// withDisk gives f's UI a real disk monitor on its store, whose own files
// are a reports folder and the database's own folder (so that the
// database, its WAL and shared memory sit among files it may offer), and
// returns the files it made there, oldest first.
func withDisk(t *testing.T, f *fixture) (*diskwatch.Watch, []string) {
	t.Helper()
	reports := filepath.Join(t.TempDir(), "reports")
	if err := os.Mkdir(reports, 0o700); err != nil {
		t.Fatal(err)
	}
	dbDir := filepath.Dir(f.store.Path())
	w := diskwatch.New(f.store, nil, nil)
	w.SetOwnDirs(diskwatch.OwnDir{Dir: reports, Kind: diskwatch.KindReport}, diskwatch.OwnDir{Dir: dbDir, Kind: diskwatch.KindExport})
	var made []string
	for i, p := range []string{filepath.Join(reports, "incident-1.html"), filepath.Join(reports, "incident-2.html"), filepath.Join(dbDir, "roster-2026-11-23.csv")} {
		if err := os.WriteFile(p, make([]byte, 3000*(i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 20+i, 9, 0, 0, 0, time.UTC)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		made = append(made, p)
	}
	if err := w.Check(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.ui.cfg.Disk = w
	f.ui.diskStatus = w.Status()
	return w, made
}

// overlayText is every text of the top dialog.
func overlayText(t *testing.T, u *UI) string {
	var out []string
	walk(t, u.Window().Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o.Text)
		case *widget.Check:
			out = append(out, o.Text)
		case *widget.Button:
			out = append(out, o.Text)
		}
	})
	return strings.Join(out, "\n")
}

// overlayButton is the top dialog's button labelled text.
func overlayButton(t *testing.T, u *UI, text string) *widget.Button {
	var b *widget.Button
	walk(t, u.Window().Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if w, ok := o.(*widget.Button); ok && w.Text == text && b == nil {
			b = w
		}
	})
	if b == nil {
		t.Fatalf("no %q button in:\n%s", text, overlayText(t, u))
	}
	return b
}

func checks(t *testing.T, o fyne.CanvasObject) []*widget.Check {
	var out []*widget.Check
	walk(t, o, func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok {
			out = append(out, c)
		}
	})
	return out
}

func closeOverlay(u *UI) {
	if o := u.Window().Canvas().Overlays().Top(); o != nil {
		o.Hide()
		u.Window().Canvas().Overlays().Remove(o)
	}
}

// Staff mode says the disk is full, what is free and what fits, and a
// supervisor deletes the kiosk's own old files from it, after a
// confirmation, audited by name; never the database; reception only sees
// them.
func TestDiskPanel(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	_, made := withDisk(t, f)
	f.unlock(t)
	if u.staff.disk.Visible() {
		t.Errorf("the disk badge shows on a disk with room: %q", u.staff.disk.Text)
	}
	u.showDisk()
	got := overlayText(t, u)
	for _, want := range []string{"The disk has room.", "more check-ins fit.", "incident-1.html", "roster-2026-11-23.csv"} {
		if !strings.Contains(got, want) {
			t.Errorf("disk panel lacks %q:\n%s", want, got)
		}
	}
	for _, never := range []string{filepath.Base(f.store.Path()), "-wal", "-shm"} {
		if strings.Contains(got, never) {
			t.Errorf("disk panel offers %q:\n%s", never, got)
		}
	}
	closeOverlay(u)

	f.store.RaiseLocalProblem(sqldb.FaultFull, "test: a commit failed for space")
	if !u.staff.disk.Visible() || u.staff.disk.Text != "Disk full" {
		t.Errorf("the disk badge says %q (shown %v), want Disk full", u.staff.disk.Text, u.staff.disk.Visible())
	}
	test.Tap(u.staff.disk)
	got = overlayText(t, u)
	if !strings.Contains(got, "The disk is full: this kiosk cannot save check-ins") || !strings.Contains(got, "Free: ") {
		t.Errorf("disk panel on a full disk:\n%s", got)
	}
	if strings.Contains(got, "more check-ins fit") {
		t.Errorf("the panel says check-ins fit while none can be saved:\n%s", got)
	}
	boxes := checks(t, u.Window().Canvas().Overlays().Top())
	if len(boxes) != len(made) {
		t.Fatalf("%d files to tick, want %d", len(boxes), len(made))
	}
	del := overlayButton(t, u, "Delete the files ticked")
	if !del.Disabled() {
		t.Fatal("no Delete button, or one live before a file is ticked")
	}
	boxes[0].SetChecked(true) // the oldest: incident-1.html
	test.Tap(del)
	if !strings.Contains(overlayText(t, u), "Delete 1 file (3 KB)? It cannot be brought back.") {
		t.Fatalf("no confirmation:\n%s", overlayText(t, u))
	}
	if _, err := os.Stat(made[0]); err != nil {
		t.Fatal("deleted before the supervisor confirmed")
	}
	test.Tap(overlayButton(t, u, "Delete"))
	if _, err := os.Stat(made[0]); !os.IsNotExist(err) {
		t.Errorf("the ticked file is still there (%v)", err)
	}
	for _, p := range append(made[1:], f.store.Path()) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s went too: %v", p, err)
		}
	}
	if !strings.Contains(u.staff.status.Text, "Deleted 1 file: 3 KB freed.") {
		t.Errorf("staff status = %q", u.staff.status.Text)
	}
	log, err := f.store.AuditLog(f.ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range log {
		if e.Action == "delete_files" && e.Name == carmen.Name && strings.Contains(e.Detail, "incident-1.html") {
			audited = true
		}
	}
	if !audited {
		t.Errorf("the deletion is not in the audit under %s: %+v", carmen.Name, log)
	}
	closeOverlay(u)

	// The monitor deletes only what it lists.
	if _, _, err := u.cfg.Disk.RemoveOwn([]string{f.store.Path()}); err == nil {
		t.Error("RemoveOwn took the database")
	}

	u.lockStaff()
	f.signInAs(t, "Dario", receptionPIN)
	u.showDisk()
	if got := overlayText(t, u); !strings.Contains(got, "A supervisor may delete them.") || len(checks(t, u.Window().Canvas().Overlays().Top())) != 0 {
		t.Errorf("reception's disk panel:\n%s", got)
	}
	closeOverlay(u)

	f.store.ClearLocalProblem(sqldb.FaultFull)
	if u.staff.disk.Visible() {
		t.Error("the disk badge stays once the problem is over")
	}
}

// Every sentence of the lobby's banner is true in each disk state: while
// the disk is only low, check-in works and is saved; while it is full or
// read-only (a check-in cannot be saved), nothing says it works, that the
// centre will get it, or that the kiosk is back to normal, in any
// language.
func TestBannerTrueInEachDiskState(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 10, 0, 0, time.UTC)
	in := &queue.Incident{ID: 1, Severity: queue.SeverityMinor}
	for _, code := range translationCodes(t) {
		if err := setLanguage(code); err != nil {
			t.Fatal(err)
		}
		works := lang.X("banner.central.works", "")
		waits := lang.X("banner.central.waits", "")
		for _, cause := range []outage.Cause{outage.CauseUnreachable, outage.CauseDisk} {
			o := outage.Outage{Incident: in, Severity: queue.SeverityMinor, Cause: cause, Since: now.Add(-10 * time.Minute), Updated: now}
			low, ok := bannerFor(o, now, code, time.UTC)
			if !ok || low.Works != works {
				t.Errorf("%s, %s, the disk low: works = %q, want %q", code, cause, low.Works, works)
			}
			full, ok := unsavedLines(low, ok, cause)
			if !ok || full.Works == works || full.Waits == waits || strings.Contains(full.Title+full.Since, works) {
				t.Errorf("%s, %s, a check-in cannot be saved: %+v", code, cause, full)
			}
		}
		back, ok := bannerFor(outage.Outage{Recovered: now, RecoveredFrom: outage.CauseDisk}, now, code, time.UTC)
		if !ok || !back.Recovery {
			t.Fatalf("%s: no recovery banner: %+v", code, back)
		}
		if _, ok := unsavedLines(back, ok, outage.CauseNone); ok {
			t.Errorf("%s: \"back to normal\" while a check-in cannot be saved", code)
		}
	}
	if err := setLanguage("en"); err != nil {
		t.Fatal(err)
	}

	// On the screen, during a real outage of the centre.
	f := newOutageFixture(t)
	u := f.ui
	f.startOutage(t)
	u.showWelcome()
	if got := bannerText(u); !strings.Contains(got, "Check-in works and your place in line is saved.") {
		t.Fatalf("outage banner:\n%s", got)
	}
	for _, fault := range []sqldb.Fault{sqldb.FaultFull, sqldb.FaultReadOnly} {
		f.store.RaiseLocalProblem(fault, "test")
		got := bannerText(u)
		if strings.Contains(got, "Check-in works") || strings.Contains(got, "gets your check-in") || !strings.Contains(got, "Our central system is unavailable") {
			t.Errorf("banner with %s:\n%s", fault, got)
		}
		if !strings.Contains(screenText(u), "Please check in at reception.") {
			t.Errorf("welcome with %s does not send visitors to reception", fault)
		}
		f.store.ClearLocalProblem()
	}
	if got := bannerText(u); !strings.Contains(got, "Check-in works and your place in line is saved.") {
		t.Errorf("once the disk has room, the banner lacks what works:\n%s", got)
	}
}
