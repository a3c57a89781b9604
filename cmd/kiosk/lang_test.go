package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/queue"
)

// setStaffLanguage stores code as the staff language of the kiosk in dir,
// as staff mode does.
func setStaffLanguage(t *testing.T, dir, code string) {
	t.Helper()
	s, err := queue.Open(context.Background(), filepath.Join(dir, "kiosk.db"), DefaultConfig().storeOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetStaffLanguage(context.Background(), code); err != nil {
		t.Fatal(err)
	}
}

// kiosk report and kiosk roster --html write in the staff language
// chosen on the kiosk; --lang overrides it.
func TestReportAndRosterFollowTheStaffLanguage(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Ana García", "--service", "registration")
	mustRun(t, dir, "drill", "start", "--minutes", "10", "--by", "IT")
	mustRun(t, dir, "drill", "stop")

	firstLine := func(out string) string {
		t.Helper()
		paths := strings.Fields(out)
		if len(paths) != 3 {
			t.Fatalf("report printed %q", out)
		}
		b, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return line
	}
	reports := filepath.Join(dir, "reports")
	if got := firstLine(mustRun(t, dir, "report", "--dir", reports, "1")); !strings.HasPrefix(got, "# Drill report: ") {
		t.Errorf("report before any choice: %q, want English (the config's first language)", got)
	}
	if html := mustRun(t, dir, "roster", "--html"); !strings.Contains(html, `<html lang="en">`) {
		t.Errorf("roster before any choice is not English:\n%.300s", html)
	}

	setStaffLanguage(t, dir, "de")
	if got := firstLine(mustRun(t, dir, "report", "--dir", reports, "1")); !strings.HasPrefix(got, "# Übungsbericht: ") {
		t.Errorf("report with German chosen: %q", got)
	}
	if html := mustRun(t, dir, "roster", "--html"); !strings.Contains(html, `<html lang="de">`) || !strings.Contains(html, "1 Person im Haus") {
		t.Errorf("roster with German chosen:\n%.600s", html)
	}

	if got := firstLine(mustRun(t, dir, "report", "--dir", reports, "--lang", "it", "1")); !strings.HasPrefix(got, "# Rapporto sull'esercitazione: ") {
		t.Errorf("report --lang it: %q", got)
	}
	if html := mustRun(t, dir, "roster", "--html", "--lang", "es"); !strings.Contains(html, "1 persona en el edificio") {
		t.Errorf("roster --html --lang es:\n%.600s", html)
	}
	for _, args := range [][]string{{"report", "--lang", "nl", "1"}, {"roster", "--html", "--lang", "nl"}} {
		if _, err := run(t, dir, "", args...); err == nil || !strings.Contains(err.Error(), `"nl"`) {
			t.Errorf("kiosk %s: %v", strings.Join(args, " "), err)
		}
	}
}
