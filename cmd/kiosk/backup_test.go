package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/queue"
)

func TestBackupAndRestore(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Before Backup", "--service", "registration")
	file := filepath.Join(dir, "backup.db")
	if out := mustRun(t, dir, "backup", file); !strings.Contains(out, "backed up") {
		t.Fatalf("backup printed %q", out)
	}
	if _, err := run(t, dir, "", "backup", file); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a backup over an existing file: %v; want a refusal naming --force", err)
	}
	mustRun(t, dir, "backup", "--force", file)
	mustRun(t, dir, "checkin", "--name", "After Backup", "--service", "registration")

	// Refused while a process has the database open.
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", filepath.Join(dir, "kiosk.db"), "queue"}); err != nil {
		t.Fatal(err)
	}
	if err := m.openStore(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, "", "restore", file); !errors.Is(err, queue.ErrInUse) {
		t.Errorf("restore while the kiosk runs: %v; want ErrInUse", err)
	}
	m.Close()

	if out := mustRun(t, dir, "restore", file); !strings.Contains(out, "restored") {
		t.Fatalf("restore printed %q", out)
	}
	out := mustRun(t, dir, "queue")
	if !strings.Contains(out, "Before Backup") || strings.Contains(out, "After Backup") {
		t.Errorf("after the restore the queue is:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "kiosk.db"+queue.BeforeRestore)); err != nil {
		t.Errorf("the replaced database is not kept: %v", err)
	}
	if _, err := run(t, dir, "", "restore", file); err == nil || !strings.Contains(err.Error(), queue.BeforeRestore) {
		t.Errorf("a second restore over the kept copy: %v; want a refusal", err)
	}

	// On a new machine, with no database (nor directory) yet.
	fresh := filepath.Join(t.TempDir(), "new", "kiosk.db")
	if _, err := run(t, dir, "", "--db", fresh, "restore", file); err != nil {
		t.Fatalf("restore on a new machine: %v", err)
	}
	if _, err := os.Stat(fresh + queue.BeforeRestore); err == nil {
		t.Error("a restore with nothing to replace kept a copy of nothing")
	}

	// A backup of another kiosk is refused.
	other := t.TempDir()
	mustRun(t, other, "checkin", "--name", "Elsewhere", "--service", "registration")
	config := filepath.Join(other, "lobby-2.toml")
	if err := os.WriteFile(config, []byte(strings.Replace(defaultConfig, `"lobby-1"`, `"lobby-2"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, other, "", "--config", config, "restore", "--force", file); !errors.Is(err, queue.ErrOtherKiosk) {
		t.Errorf("restoring kiosk lobby-1's backup on lobby-2: %v; want ErrOtherKiosk", err)
	}
}

// TestRestoredKioskSyncsWithTheEmbeddedCentre backs up, syncs newer
// changes, puts the backup back (by the command, and by a plain copy)
// and syncs more: nothing is left waiting or refused.
func TestRestoredKioskSyncsWithTheEmbeddedCentre(t *testing.T) {
	for _, byHand := range []bool{false, true} {
		dir := t.TempDir()
		mustRun(t, dir, "checkin", "--name", "Before", "--service", "registration")
		mustRun(t, dir, "sync")
		file := filepath.Join(t.TempDir(), "backup.db")
		mustRun(t, dir, "backup", file)
		mustRun(t, dir, "checkin", "--name", "Lost Branch", "--service", "registration")
		mustRun(t, dir, "sync")
		if byHand {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "kiosk.db"), data, 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			mustRun(t, dir, "restore", file)
		}
		mustRun(t, dir, "checkin", "--name", "After", "--service", "registration")
		out := mustRun(t, dir, "sync")
		if !strings.Contains(out, "backlog: 0\nneeds attention: 0\n") {
			t.Errorf("by hand %v: sync after the restore printed:\n%s", byHand, out)
		}
		if got := strings.Contains(out, "new epoch"); got != byHand {
			t.Errorf("by hand %v: the sync says of a new epoch: %v\n%s", byHand, got, out)
		}
	}
}
