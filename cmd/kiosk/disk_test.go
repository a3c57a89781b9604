package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/queue/sqldb"
)

// On a full disk (a real 3 MB tmpfs, the kiosk stopped) staff still see
// who is waiting and in the building, and a command that must write says
// "the disk is full" with the path, never a SQLite code.
func TestFullDiskCommandLine(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a small file system for this test needs mount (as root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for _, werr := f.Write(make([]byte, 4096)); werr == nil; _, werr = f.Write(make([]byte, 4096)) {
	}
	f.Close()
	if out := mustRun(t, dir, "queue"); !strings.Contains(out, "Zoë") {
		t.Errorf("queue on a full disk:\n%s", out)
	}
	if out := mustRun(t, dir, "roster"); !strings.Contains(out, "Zoë") {
		t.Errorf("roster on a full disk:\n%s", out)
	}
	_, err = run(t, dir, "", "checkin", "--name", "Ana", "--service", "registration")
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if !strings.HasPrefix(msg, "the disk is full: "+filepath.Join(dir, "kiosk.db")) || strings.Contains(msg, "(13)") || strings.Contains(msg, "4874") {
		t.Errorf("checkin on a full disk said %q", msg)
	}
}

// The kiosk itself, started on a full disk with the kiosk stopped (no
// -shm), opens its database to read only, where the ordinary opening
// fails, and does not yet see room to write again; once the filler goes,
// it does (and would quit for the session to start it over).
func TestKioskStartsOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a small file system for this test needs mount (as root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for _, werr := f.Write(make([]byte, 4096)); werr == nil; _, werr = f.Write(make([]byte, 4096)) {
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(dir, "kiosk.db-shm")); err == nil {
		t.Fatal("the kiosk left its -shm: not the case under test")
	}
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", filepath.Join(dir, "kiosk.db")}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.openForCommand(context.Background()); err != nil {
		t.Fatalf("the kiosk on a full disk did not open: %v", err)
	}
	if !m.store.ReadOnly() || m.openedReadOnly != sqldb.FaultFull {
		t.Fatalf("opened read-only %v for %v, want read-only for the full disk", m.store.ReadOnly(), m.openedReadOnly)
	}
	if n, err := m.store.Waiting(context.Background()); err != nil || n != 1 {
		t.Errorf("waiting = %d, %v; want Zoë", n, err)
	}
	if m.roomAgain() {
		t.Error("room to write again on a full disk")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if !m.roomAgain() {
		t.Error("no room to write again once the filler went")
	}
}
