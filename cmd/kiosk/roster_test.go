package main

import (
	"strings"
	"testing"
)

// kiosk roster counts people: one visitor's three tickets are one person.
func TestRosterCommandCountsPeople(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Zoë O'Brien", "--service", "registration", "--phone", "600 123 456")
	mustRun(t, dir, "checkin", "--name", "Bo Li", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "zoe obrien", "--service", "visit", "--phone", "600123456")
	mustRun(t, dir, "checkin", "--name", "ZOË O'BRIEN", "--service", "registration", "--phone", "600-123-456")

	out := mustRun(t, dir, "roster")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || lines[0] != "2 on site (4 tickets)" || !strings.HasPrefix(lines[1], "PERSON") {
		t.Fatalf("roster:\n%s", out)
	}
	var rows []string
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		rows = append(rows, f[0]+":"+f[1])
	}
	if got := strings.Join(rows, " "); got != "1:R-001 1:V-001 1:R-003 2:R-002" {
		t.Errorf("rows (person:ticket) %s\n%s", got, out)
	}

	csv := mustRun(t, dir, "roster", "--csv")
	if !strings.HasPrefix(csv, "ticket,name,host,service,status,checked_in,phone,person\n") || !strings.Contains(csv, "R-003,ZOË O'BRIEN,,registration,waiting,") {
		t.Errorf("roster --csv:\n%s", csv)
	}
	if html := mustRun(t, dir, "roster", "--html"); !strings.Contains(html, "2 people on site (4 tickets)") {
		t.Errorf("roster --html:\n%.600s", html)
	}
}
