package kiosk

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// openRoster unlocks staff mode and taps the header's On site button.
func (f *fixture) openRoster(t *testing.T) *rosterScreen {
	t.Helper()
	f.unlock(t)
	test.Tap(f.ui.staff.onSite)
	if f.ui.screen != screenRoster || f.ui.roster == nil {
		t.Fatalf("On site leads to screen %v", f.ui.screen)
	}
	return f.ui.roster
}

// rosterTickets lists the roster's rows, each the tickets of one person
// joined by +.
func rosterTickets(s *rosterScreen) string {
	var out []string
	for _, p := range s.people {
		out = append(out, strings.Join(p.Tickets(), "+"))
	}
	return strings.Join(out, " ")
}

// pickOnSite taps the row of the person who holds visit id.
func pickOnSite(t *testing.T, s *rosterScreen, id int64) {
	t.Helper()
	for i, p := range s.people {
		if slices.Contains(p.IDs(), id) {
			s.list.Select(i)
			if s.selected == nil || !slices.Contains(s.selected.IDs(), id) || s.checkOut.Disabled() {
				t.Fatalf("selecting row %d did not select visit %d", i, id)
			}
			return
		}
	}
	t.Fatalf("visit %d is not on the roster %s", id, rosterTickets(s))
}

func TestStaffCheckPeopleOutOfTheRoster(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Incident.Location = time.UTC })
	u := f.ui
	ana := f.checkIn(t, "Ana García", "registration")
	bo := f.checkIn(t, "Bo Li", "visit")
	eve := f.checkIn(t, "Eve Adams", "registration")
	gone := f.checkIn(t, "Gus Gone", "visit")
	if _, err := f.store.CheckOut(f.ctx, gone.Visit.Ticket, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}

	f.unlock(t)
	test.Tap(u.staff.openDesk)
	test.Tap(u.staff.callNext)
	test.Tap(u.staff.served) // Ana is served and still in the building

	test.Tap(u.staff.onSite)
	if u.screen != screenRoster {
		t.Fatalf("On site leads to screen %v", u.screen)
	}
	s := u.roster
	if got := rosterTickets(s); got != "R-001 V-001 R-002" {
		t.Fatalf("roster lists %q, want those checked in and not left, in order", got)
	}
	shown := screenText(u)
	for _, want := range []string{"3 people on site", "Tickets", "Checked in", "Tap a person in the list to check them out."} {
		if !strings.Contains(shown, want) {
			t.Errorf("roster screen lacks %q:\n%s", want, shown)
		}
	}
	if !s.checkOut.Disabled() {
		t.Error("Check out is enabled with nobody picked")
	}
	// Staff see full names, the host placeholder, the service and the time.
	row := newRosterRow(false, rosterWeights, nil)
	s.setRow(row, s.people[0])
	if got := strings.Join(texts(row), "|"); got != "R-001|Ana García|—|Registration|served|09:00" {
		t.Errorf("row of Ana: %q", got)
	}

	// The selection survives a refresh that moves its row: Bo checks out
	// at the kiosk, Eve moves up.
	pickOnSite(t, s, eve.Visit.ID)
	if v, err := f.store.CheckOut(f.ctx, "v1", queue.SourceKiosk); err != nil || v.ID != bo.Visit.ID {
		t.Fatalf("Bo checks out: %+v, %v", v, err)
	}
	s.reload()
	if got := rosterTickets(s); got != "R-001 R-002" || s.count.Text != "2 people on site" {
		t.Fatalf("after Bo left: roster %q, count %q", got, s.count.Text)
	}
	if s.selected == nil || s.selected.Visits[0].ID != eve.Visit.ID || !strings.HasPrefix(s.pick.Text, "R-002 · Eve Adams") {
		t.Fatalf("selection lost on refresh: %+v, %q", s.selected, s.pick.Text)
	}
	f.clock.Advance(5 * time.Minute)
	test.Tap(s.checkOut)
	if v := f.visit(t, eve.Visit.ID); !v.LeftAt.Equal(f.clock.Now()) || v.Status != queue.StatusCancelled || v.LeftProof != queue.ProofStaff {
		t.Fatalf("Eve after Check out: %+v, want left now, cancelled, as she was waiting, and checked out by staff", v)
	}
	if got := s.status.Text; got != "R-002 · Eve Adams checked out." || !s.status.Visible() {
		t.Errorf("status %q", got)
	}
	if got := rosterTickets(s); got != "R-001" || s.count.Text != "1 person on site" || s.selected != nil || !s.checkOut.Disabled() {
		t.Errorf("after checking Eve out: roster %q, count %q, selected %v", got, s.count.Text, s.selected)
	}

	// Someone checked out elsewhere while picked: staff are told, and the
	// list catches up.
	pickOnSite(t, s, ana.Visit.ID)
	if _, err := f.store.CheckOutVisit(f.ctx, ana.Visit.ID, "Desk 2", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	test.Tap(s.checkOut)
	if got := s.status.Text; got != "R-001 already checked out at 09:05." {
		t.Errorf("checking out twice: status %q", got)
	}
	if v := f.visit(t, ana.Visit.ID); v.Status != queue.StatusServed {
		t.Errorf("a served visitor who left is %s", v.Status)
	}
	if rosterTickets(s) != "" || s.count.Text != "Nobody is on site." {
		t.Errorf("roster %q, count %q, want nobody", rosterTickets(s), s.count.Text)
	}

	test.Tap(s.back)
	if u.screen != screenStaff {
		t.Errorf("Back leads to screen %v", u.screen)
	}
}

func TestRosterExportsCSVAndPrintList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports") // made on the first export
	f := newFixture(t, func(c *Config) {
		c.Incident.ExportDir = dir
		c.Incident.Location = time.FixedZone("CET", 3600)
	})
	if _, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: "=HYPERLINK(\"http://x\")", Host: "@SUM(1+1)", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: "Ana <b>García</b>", Host: "Dr. Ruiz", Service: "visit", Phone: "+34 600 123 456"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	s := f.openRoster(t)

	test.Tap(s.exportCSV)
	csvPath := filepath.Join(dir, "roster-20261123-1000.csv") // 09:00 UTC in the site's zone
	if got := s.status.Text; got != "Saved the list as CSV: "+csvPath {
		t.Errorf("status after Export CSV: %q", got)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		queue.RosterColumns,
		{"R-001", `'=HYPERLINK("http://x")`, "'@SUM(1+1)", "registration", "waiting", "2026-11-23 10:00", "", "1", "", ""},
		{"V-001", "Ana <b>García</b>", "Dr. Ruiz", "visit", "waiting", "2026-11-23 10:00", "'+34 600 123 456", "2", "", ""}, // + starts a formula to a spreadsheet: guarded too
	}
	if len(recs) != len(want) {
		t.Fatalf("CSV has %d records, want %d:\n%s", len(recs), len(want), data)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("CSV record %d = %q, want %q", i, recs[i], want[i])
		}
	}

	f.clock.Advance(2 * time.Minute)
	test.Tap(s.print)
	htmlPath := filepath.Join(dir, "roster-20261123-1002.html")
	if got := s.status.Text; got != "Saved the list to print: "+htmlPath {
		t.Errorf("status after Print list: %q", got)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h1>On site: Main lobby</h1>", "List made 2026-11-23 10:02 CET", "2 people on site",
		"Ana &lt;b&gt;García&lt;/b&gt;", "Visit a patient", "@media print",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("printed list lacks %q", want)
		}
	}
	if strings.Contains(string(page), "<b>") || strings.Contains(string(page), "600 123") {
		t.Error("printed list has unescaped markup or a phone number")
	}

	for _, p := range []string{csvPath, htmlPath} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s has mode %v, want 0640", p, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("export dir: %v, %v; want mode 0750", fi, err)
	}
}

func TestRosterWithoutExportDir(t *testing.T) {
	f := newFixture(t)
	s := f.openRoster(t)
	if s.exportCSV.Visible() || s.print.Visible() {
		t.Error("export buttons shown with no export folder")
	}
	shown := screenText(f.ui)
	if strings.Contains(shown, "Export CSV") || !strings.Contains(shown, "Export and print are not set up on this kiosk.") {
		t.Errorf("screen does not say exports are off:\n%s", shown)
	}
}

func TestRosterSaysWhenExportFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Incident.ExportDir = file })
	f.checkIn(t, "Ana García", "registration")
	s := f.openRoster(t)
	test.Tap(s.exportCSV)
	if got := s.status.Text; got != "Could not save the list in "+file+". Please tell IT." || s.status.Importance != widget.DangerImportance {
		t.Errorf("status %q, importance %v", got, s.status.Importance)
	}
}

func TestRosterLocksWhenIdle(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.openRoster(t)
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout))
	if u.screen != screenRoster {
		t.Fatalf("roster left after the visitor timeout: %v", u.screen)
	}
	u.idleCheck(f.clock.Now().Add(u.cfg.StaffIdleTimeout))
	if u.screen != screenWelcome || u.roster != nil {
		t.Fatalf("roster still up after the staff idle timeout: %v", u.screen)
	}
}

// One visitor with three tickets is one person on site, in one row, and
// leaves with all three.
func TestRosterCountsPeopleNotTickets(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Incident.Location = time.UTC })
	u := f.ui
	checkIn := func(name, service, phone string) queue.Ticket {
		t.Helper()
		tk, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: name, Service: service, Phone: phone}, queue.SourceKiosk)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	zoe := checkIn("Zoë O'Brien", "registration", "600 123 456")
	bo := checkIn("Bo Li", "registration", "")
	f.clock.Advance(time.Minute)
	checkIn("zoe obrien", "visit", "600123456")
	checkIn("ZOË O'BRIEN", "registration", "600-123-456")

	s := f.openRoster(t)
	u.Window().Resize(fyne.NewSize(1280, 800))
	if got := rosterTickets(s); got != "R-001+V-001+R-003 R-002" {
		t.Fatalf("roster rows %q, want Zoë's three tickets in one row", got)
	}
	if got := s.count.Text; got != "2 people on site (4 tickets)" {
		t.Errorf("count %q", got)
	}
	row := newRosterRow(false, rosterWeights, nil)
	s.setRow(row, s.people[0])
	if got := strings.Join(texts(row), "|"); got != "R-001 +2|Zoë O'Brien|—|Registration, Visit a patient|waiting|09:00" {
		t.Errorf("row of Zoë: %q", got)
	}

	pickOnSite(t, s, zoe.Visit.ID)
	if got := s.pick.Text; got != "R-001, V-001, R-003 · Zoë O'Brien · waiting, waiting, waiting" {
		t.Errorf("picked %q", got)
	}
	test.Tap(s.checkOut)
	if got := s.status.Text; got != "R-001, V-001, R-003 · Zoë O'Brien checked out." {
		t.Errorf("status %q", got)
	}
	roster, err := f.store.Roster(f.ctx)
	if err != nil || len(roster) != 1 || roster[0].ID != bo.Visit.ID {
		t.Fatalf("after Zoë left, the store's roster is %+v (%v), want Bo alone", roster, err)
	}
	if got := rosterTickets(s); got != "R-002" || s.count.Text != "1 person on site" {
		t.Errorf("after Zoë left: roster %q, count %q", got, s.count.Text)
	}

	// In Spanish too, people are counted with their tickets.
	if err := setLanguage("es"); err != nil {
		t.Fatal(err)
	}
	if got := peopleText(2, 4); got != "2 personas en el edificio (4 tiques)" {
		t.Errorf("Spanish count %q", got)
	}
	if got := peopleText(1, 3); got != "1 persona en el edificio (3 tiques)" {
		t.Errorf("Spanish count of one %q", got)
	}
}

// Today's check-outs fit the kiosk's landscape screen with the export
// buttons and the report language, and there is no Check out on a list
// of people who have left.
func TestRosterCheckedOutTodayFitsTheScreen(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Incident.ExportDir = t.TempDir() })
	u := f.ui
	ana := f.checkIn(t, "Ana Lopez", "visit")
	f.checkIn(t, "Ben Smith", "visit")
	s := f.openRoster(t)
	u.Window().Resize(landscape)
	pickOnSite(t, s, ana.Visit.ID)
	test.Tap(s.checkOut)
	if !shown(t, u, s.checkOut) {
		t.Fatal("no Check out on the list of people on site")
	}
	test.Tap(s.leftButton)
	if len(s.left) != 1 || !s.leftTable.Visible() {
		t.Fatalf("today's check-outs: %d shown %v", len(s.left), s.leftTable.Visible())
	}
	if shown(t, u, s.checkOut) {
		t.Error("Check out is shown on the list of people who have left")
	}
	assertFits(t, "roster: checked out today", u.Window().Content())
	assertWhole(t, "roster: checked out today", u.Window().Content(), allowedEllipses(t, "en"), nil)
	d := fyne.CurrentApp().Driver()
	for _, o := range []fyne.CanvasObject{s.back, s.title, s.count, s.exportCSV, s.print, s.language.sel, s.leftButton} {
		if right := d.AbsolutePositionForObject(o).X + o.Size().Width; right > landscape.Width {
			t.Errorf("%s ends at x=%.0f, beyond the screen's %.0f px", describe(o), right, landscape.Width)
		}
	}
}

// Nothing on the roster moves when a check-out's outcome replaces the
// hint, nor when the list switches to today's check-outs and back, in
// every language, on both screens.
func TestRosterNothingMovesWhenAMessageComes(t *testing.T) {
	if testing.Short() {
		t.Skip("every language")
	}
	for _, size := range []fyne.Size{landscape, portrait} {
		for _, code := range translationCodes(t) {
			t.Run(sizeName(size)+"/"+code, func(t *testing.T) {
				f := newFixture(t, func(c *Config) {
					c.Languages = translationCodes(t)
					c.Incident.ExportDir = t.TempDir()
				})
				u := f.ui
				ana := f.checkIn(t, "Ana Lopez", "visit")
				f.checkIn(t, "Ben Smith", "visit")
				u.chooseLanguage(code)
				s := f.openRoster(t)
				u.Window().Resize(size)
				pickOnSite(t, s, ana.Visit.ID)
				still := []fyne.CanvasObject{s.leftButton, s.onSite, s.list, s.checkOut}
				before := placesOf(u, still...)
				step := func(what string, objs ...fyne.CanvasObject) {
					t.Helper()
					got, want := placesOf(u, objs...), before[:len(objs)]
					if !slices.Equal(got, want) {
						t.Errorf("%s (%q): at %v, were at %v", what, s.status.Text, got, want)
					}
				}
				test.Tap(s.checkOut)
				if !strings.Contains(s.status.Text, "V-001") {
					t.Fatalf("after Check out: %q", s.status.Text)
				}
				step("checked out", still...)
				test.Tap(s.leftButton)
				step("today's check-outs", s.leftButton, s.leftTable)
				s.leftList.Select(0)
				step("a check-out picked", s.leftButton, s.leftTable)
				test.Tap(s.leftButton)
				step("back to the people on site", still...)
				s.setStatus(lang.X("roster.read.stale", "", map[string]any{"Time": "12:34:56"}), true)
				step("a failed read", still...)
			})
		}
	}
}
