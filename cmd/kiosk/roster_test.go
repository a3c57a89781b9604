package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/queue"
)

// kiosk roster counts people: one visitor's three tickets are one person.
func TestRosterCommandCountsPeople(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Zoë O'Brien", "--service", "registration", "--phone", "600 123 456")
	mustRun(t, dir, "checkin", "--name", "Bo Li", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "zoe obrien", "--service", "visit", "--phone", "600123456")
	mustRun(t, dir, "checkin", "--name", "ZOË O'BRIEN", "--service", "registration", "--phone", "600-123-456")

	out := mustRun(t, dir, "roster")
	onSite, left, _ := strings.Cut(out, "\n\n")
	if strings.TrimSpace(left) != "0 checked out today" {
		t.Errorf("roster, checked out today:\n%s", left)
	}
	lines := strings.Split(strings.TrimSpace(onSite), "\n")
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
	if !strings.HasPrefix(csv, "ticket,name,host,service,status,checked_in,phone,person,checked_out,proof\n") || !strings.Contains(csv, "R-003,ZOË O'BRIEN,,registration,waiting,") {
		t.Errorf("roster --csv:\n%s", csv)
	}
	if html := mustRun(t, dir, "roster", "--html"); !strings.Contains(html, "2 people on site (4 tickets)") {
		t.Errorf("roster --html:\n%.600s", html)
	}
}

// kiosk roster lists today's check-outs after who is on site, with the
// proof of each; a self-declared one stands out in every format.
func TestRosterCommandShowsCheckOutProofs(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Ana", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "Bo", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "Cy", "--service", "registration")
	mustRun(t, dir, "checkout", "R-001") // staff, at the command line
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", filepath.Join(dir, "kiosk.db")}); err != nil {
		t.Fatal(err)
	}
	if err := m.openStore(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.store.CheckOutVisit(context.Background(), 2, queue.SourceKiosk, queue.ProofSelf); err != nil {
		t.Fatal(err)
	}
	m.Close()

	out := mustRun(t, dir, "roster")
	for _, want := range []string{"1 on site", "2 checked out today, 1 SELF-DECLARED (no proof: may still be in the building)", "PROOF"} {
		if !strings.Contains(out, want) {
			t.Errorf("roster lacks %q:\n%s", want, out)
		}
	}
	for ticket, proof := range map[string]string{"R-001": "staff", "R-002": "SELF-DECLARED"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == ticket && f[len(f)-1] == proof {
				found = true
			}
		}
		if !found {
			t.Errorf("roster lacks %s with proof %s:\n%s", ticket, proof, out)
		}
	}

	var roster struct {
		OnSite     []struct{ Name string } `json:"on_site"`
		CheckedOut []struct {
			Ticket, Proof string
		} `json:"checked_out"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, dir, "roster", "--json")), &roster); err != nil {
		t.Fatal(err)
	}
	if len(roster.OnSite) != 1 || len(roster.CheckedOut) != 2 || roster.CheckedOut[0].Proof != "staff" || roster.CheckedOut[1].Proof != "self" {
		t.Errorf("roster --json: %+v", roster)
	}

	csv := mustRun(t, dir, "roster", "--csv")
	if !strings.HasPrefix(csv, "ticket,name,host,service,status,checked_in,phone,person,checked_out,proof\n") || !strings.Contains(csv, ",self\n") {
		t.Errorf("roster --csv:\n%s", csv)
	}
	if html := mustRun(t, dir, "roster", "--html"); !strings.Contains(html, `<tr class="self">`) || !strings.Contains(html, "self-declared, no proof") {
		t.Errorf("roster --html:\n%.2000s", html)
	}
}
