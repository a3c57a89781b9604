package kiosk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lobbyline/queue/jobs"
)

// Staff choose German for the reports in staff mode; a visitor then
// switches the welcome screen to Spanish. The printed roster and the
// incident report are German all the same, and the choice is the store's.
func TestReportsFollowTheStaffLanguageNotTheVisitors(t *testing.T) {
	exports, reports := t.TempDir(), t.TempDir()
	f := newFixture(t, func(c *Config) {
		c.Languages = []string{"en", "es", "de"}
		c.Incident.ExportDir = exports
		c.Incident.Location = time.UTC
	})
	u := f.ui
	// As cmd/kiosk wires it: the jobs' writer, which reads the staff
	// language from the store when it writes.
	u.cfg.Incident.WriteReport = func(ctx context.Context, id int64) ([]string, error) {
		return jobs.WriteReport(ctx, f.store, jobs.Config{ReportDir: reports, Location: time.UTC}, id)
	}
	f.checkIn(t, "Ana García", "registration")
	drill, err := f.store.StartDrill(f.ctx, 15*time.Minute, false, "IT")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Minute)
	if err := f.store.EndIncident(f.ctx, drill.ID, f.clock.Now(), "stopped by IT"); err != nil {
		t.Fatal(err)
	}

	f.unlock(t)
	u.showIncident()
	if u.incident.language == nil {
		t.Fatal("no report language on the incident panel")
	}
	sel := u.incident.language.sel
	if sel.Selected != "English" {
		t.Fatalf("report language before any choice: %q, want English (the kiosk's first)", sel.Selected)
	}
	if want := []string{"English", "Español", "Deutsch"}; strings.Join(sel.Options, ",") != strings.Join(want, ",") {
		t.Errorf("report languages offered: %q, want %q", sel.Options, want)
	}
	sel.SetSelected("Deutsch") // what tapping Deutsch in its list does
	if got := u.incident.status.Text; got != "Reports and the printed list are now in Deutsch." {
		t.Errorf("status after choosing German: %q", got)
	}
	u.showStaff()
	if code, err := f.store.StaffLanguage(f.ctx); err != nil || code != "de" {
		t.Fatalf("stored staff language: %q, %v", code, err)
	}
	if u.lang != "en" {
		t.Errorf("the staff screen switched to %s; only the reports should", u.lang)
	}

	// A visitor reads the kiosk in Spanish.
	test.Tap(u.staff.lock)
	test.Tap(u.welcome.languages["es"])
	if u.lang != "es" || u.welcome.checkIn.Text != "Registrarme" {
		t.Fatalf("the welcome screen did not switch to Spanish: %q", u.welcome.checkIn.Text)
	}

	// Staff, on the Spanish screen, print the roster and write the report.
	f.unlock(t)
	test.Tap(u.staff.onSite)
	if u.roster.language == nil || u.roster.language.sel.Selected != "Deutsch" {
		t.Errorf("the roster's report language after the visitor's switch: %+v", u.roster.language)
	}
	test.Tap(u.roster.print)
	page := readOnly(t, filepath.Join(exports, "roster-20261123-0905.html"))
	for _, want := range []string{`<html lang="de">`, "<h1>Im Haus: Main lobby</h1>", "1 Person im Haus", "Gezählt am Sammelplatz", "wartend"} {
		if !strings.Contains(page, want) {
			t.Errorf("printed roster lacks %q", want)
		}
	}
	for _, bad := range []string{"En el edificio", "On site", "esperando", "waiting"} {
		if strings.Contains(page, bad) {
			t.Errorf("printed roster has %q: not German", bad)
		}
	}

	test.Tap(u.roster.back)
	u.showIncident()
	s := u.incident
	if len(s.reports) != 1 {
		t.Fatalf("%d reports listed", len(s.reports))
	}
	test.Tap(s.reports[0])
	md := readOnly(t, filepath.Join(reports, "incident-1.md"))
	if !strings.HasPrefix(md, "# Übungsbericht: ") || !strings.Contains(md, "## Zusammenfassung") {
		t.Errorf("written report is not German:\n%.300s", md)
	}
	if strings.Contains(md, "Informe") || strings.Contains(md, "Report made") {
		t.Errorf("written report is Spanish or English:\n%.300s", md)
	}
}

func readOnly(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
