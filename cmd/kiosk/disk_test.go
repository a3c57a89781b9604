package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
