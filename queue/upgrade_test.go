package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// copyRelease copies a kiosk database made by the landed release 17e7641
// (three check-ins, a desk opened and a visitor called, synced; then one
// more check-in left in the outbox) to a path with the characters a
// connection string trips on.
func copyRelease(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "release", "kiosk-17e7641.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lobby #1?.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func releaseOptions(now time.Time) queue.Options {
	return queue.Options{
		KioskID:  "lobby-1",
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration", DefaultWait: 10 * time.Minute}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
		Now:      func() time.Time { return now },
		Location: time.UTC,
	}
}

func TestOpensADatabaseOfTheLandedRelease(t *testing.T) {
	ctx := context.Background()
	path := copyRelease(t)
	now := time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC)
	s, err := queue.Open(ctx, path, releaseOptions(now))
	if err != nil {
		t.Fatalf("open the release's database: %v", err)
	}
	defer s.Close()

	b, err := s.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var waiting []string
	for _, l := range b.Lines {
		for _, w := range l.Waiting {
			waiting = append(waiting, w.Visit.Ticket+" "+w.Visit.Name)
		}
	}
	if got, want := strings.Join(waiting, ", "), "R-002 John Smith, R-003 Ana Pérez, R-004 Late Comer"; got != want {
		t.Errorf("waiting after the upgrade: %s; want %s", got, want)
	}
	pending, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].Kind != queue.KindCheckIn {
		t.Fatalf("pending outbox = %+v, %v; want the one unsent check-in", pending, err)
	}
	// It goes on numbering where the release stopped, in the same epoch.
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: "After Upgrade", Service: "registration"}, queue.SourceKiosk)
	if err != nil || tk.Visit.Ticket != "R-005" {
		t.Fatalf("check-in after the upgrade = %q, %v; want R-005", tk.Visit.Ticket, err)
	}
	if next, _ := s.PendingOutbox(ctx, 10); len(next) != 2 || next[1].Epoch != pending[0].Epoch || next[1].Seq != pending[0].Seq+1 {
		t.Errorf("outbox after the upgrade = %+v; want the same epoch, the next sequence number", next)
	}
	if ok, err := s.IntegrityCheck(ctx); err != nil || ok != "ok" {
		t.Errorf("integrity check = %q, %v", ok, err)
	}
}

func TestRefusesADatabaseOfANewerVersion(t *testing.T) {
	ctx := context.Background()
	path := copyRelease(t)
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO migrations (name, applied_at) VALUES ('migrations/9999_from_the_future.sql', '2027-01-01T00:00:00.000Z')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := queue.Open(ctx, path, releaseOptions(time.Now()))
	if err == nil {
		s.Close()
		t.Fatal("opened a database a newer version had upgraded")
	}
	if !errors.Is(err, sqldb.ErrSchemaNewer) || !strings.Contains(err.Error(), "9999_from_the_future.sql") {
		t.Errorf("error = %v; want ErrSchemaNewer naming the unknown migration", err)
	}
}

func TestRestoreRefusesABackupOfANewerVersion(t *testing.T) {
	ctx := context.Background()
	backup := copyRelease(t)
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(backup))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO migrations (name, applied_at) VALUES ('migrations/9999_from_the_future.sql', '2027-01-01T00:00:00.000Z')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dst := filepath.Join(t.TempDir(), "kiosk.db")
	err = queue.Restore(ctx, backup, dst, queue.RestoreOptions{KioskID: "lobby-1"})
	if !errors.Is(err, sqldb.ErrSchemaNewer) {
		t.Fatalf("restore of a newer version's backup: %v; want ErrSchemaNewer", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("the refused restore left a database behind")
	}
	if err := queue.Restore(ctx, filepath.Join(t.TempDir(), "none.db"), dst, queue.RestoreOptions{KioskID: "lobby-1"}); err == nil {
		t.Error("restored from a file that is not there")
	}
}
