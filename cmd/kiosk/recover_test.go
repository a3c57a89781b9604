package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/internal/dbdamage"
)

// TestDamagedDatabaseFromTheCommandLine damages the visits table of a
// kiosk with a snapshot and later check-ins: the commands say plainly
// that the database is damaged and change nothing; kiosk recover brings
// every visitor back from the snapshot and the outbox.
func TestDamagedDatabaseFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Before Snapshot", "--service", "registration")
	if out := mustRun(t, dir, "snapshot"); !strings.Contains(out, filepath.Join(dir, "snapshots")) {
		t.Fatalf("snapshot printed %q", out)
	}
	if out := mustRun(t, dir, "snapshot"); !strings.Contains(out, "nothing changed") {
		t.Fatalf("a second snapshot with nothing changed printed %q", out)
	}
	mustRun(t, dir, "checkin", "--name", "After Snapshot", "--service", "registration")
	if err := dbdamage.Table(filepath.Join(dir, "kiosk.db"), "visits", 600, 3); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"queue"}, {"checkin", "--name", "Into Damage", "--service", "registration"}} {
		_, err := run(t, dir, "", args...)
		if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "lobbyline-kiosk recover") {
			t.Fatalf("kiosk %s on a damaged database: %v; want it said plainly, with what to do", args[0], err)
		}
	}
	out := mustRun(t, dir, "recover")
	for _, want := range []string{"rebuilt from the snapshot", "read elsewhere: table visits", "visits taken from the outbox's copies: 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("recover printed no %q:\n%s", want, out)
		}
	}
	// The embedded centre never ran here: it holds nothing, and that is
	// no loss.
	if strings.Contains(out, "NOT RECOVERED") {
		t.Errorf("recover reported a loss where every visit came back:\n%s", out)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "kiosk.db.damaged-*"))
	if len(kept) != 1 {
		t.Fatalf("the damaged file is not kept: %v", kept)
	}
	q := mustRun(t, dir, "queue")
	if !strings.Contains(q, "Before Snapshot") || !strings.Contains(q, "After Snapshot") || strings.Contains(q, "Into Damage") {
		t.Fatalf("the queue after the recovery:\n%s", q)
	}
	if out := mustRun(t, dir, "checkin", "--name", "After Recovery", "--service", "registration"); strings.HasPrefix(out, "R-001") || strings.HasPrefix(out, "R-002") {
		t.Fatalf("a check-in after the recovery reused a ticket: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "kiosk.db")); err != nil {
		t.Fatal(err)
	}
}

func TestNotADatabaseFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kiosk.db"), []byte(strings.Repeat("not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, dir, "", "queue")
	if err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("kiosk queue on a file that is no database: %v", err)
	}
}
