package queue_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
)

func TestSnapshotOnlyWhenChangedKeepsTheLastFew(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	s := mustOpenStore(t, filepath.Join(dir, "kiosk.db"), c)
	ctx := context.Background()
	opts := queue.SnapshotOptions{Dirs: []string{filepath.Join(dir, "snap"), filepath.Join(dir, "second")}, Keep: 2}
	first, err := s.Snapshot(ctx, opts)
	if err != nil || first == "" {
		t.Fatalf("first snapshot = %q, %v", first, err)
	}
	c.Advance(time.Hour)
	if p, err := s.Snapshot(ctx, opts); err != nil || p != "" {
		t.Fatalf("snapshot with nothing changed = %q, %v; want none", p, err)
	}
	for i := range 3 {
		mustCheckIn(t, s, "Ada", "registration")
		c.Advance(time.Hour)
		p, err := s.Snapshot(ctx, opts)
		if err != nil || p == "" {
			t.Fatalf("snapshot %d after a check-in = %q, %v", i, p, err)
		}
	}
	for _, d := range opts.Dirs {
		got, _ := filepath.Glob(filepath.Join(d, "lobby-1-*.db"))
		if len(got) != 2 {
			t.Fatalf("%s keeps %v, want the last 2", d, got)
		}
		if _, err := os.Stat(first); err == nil {
			t.Fatalf("the oldest snapshot %s is still there", first)
		}
	}
}

func TestRecoverRebuildsFromSnapshotAndOutbox(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	s := mustOpenStore(t, path, c)
	ctx := context.Background()
	snapDir := filepath.Join(dir, "snap")
	before := mustCheckIn(t, s, "Ada Before", "registration")
	mustCheckIn(t, s, "Bo Before", "pharmacy")
	if _, err := s.Snapshot(ctx, queue.SnapshotOptions{Dirs: []string{snapDir}, Keep: 3}); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Minute)
	after := mustCheckIn(t, s, "Cy After", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"})
	called := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"})
	_, epochBefore := s.Identity()
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 42}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dbdamage.Table(path, "visits", 600, 7); err != nil {
		t.Fatal(err)
	}

	r, err := queue.Recover(ctx, path, queue.RecoverOptions{KioskID: "lobby-1", SnapshotDirs: []string{snapDir}, Now: c.Now})
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if r.Snapshot == "" || r.FromOutbox < 3 {
		t.Fatalf("recovery = %+v; want the snapshot and the outbox's visits", r)
	}
	if _, err := os.Stat(r.DamagedKept); err != nil {
		t.Fatalf("the damaged file is not kept: %v", err)
	}
	report, err := os.ReadFile(r.Report)
	// Every visit came back from the snapshot and the outbox: the
	// unreadable range is a note, not a loss staff are told of.
	if err != nil || !strings.Contains(string(report), "read elsewhere: table visits") || strings.Contains(string(report), "NOT RECOVERED") {
		t.Fatalf("report %s: %q, %v; want the unreadable visits noted as found elsewhere", r.Report, report, err)
	}

	s2 := mustOpenStore(t, path, c)
	if problems, err := s2.QuickCheck(ctx); err != nil {
		t.Fatalf("the recovered database: %q, %v", problems, err)
	}
	b, err := s2.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.WaitingCount() != 2 {
		t.Fatalf("waiting after recovery = %d, want 2 (Bo, Cy)", b.WaitingCount())
	}
	if v, err := s2.Visit(ctx, called.ID); err != nil || v.Status != queue.StatusCalled || v.Name != called.Name {
		t.Fatalf("the called visit after recovery = %+v, %v", v, err)
	}
	// The ticket key is kept: a printed QR code still verifies.
	for _, tk := range []queue.Ticket{before, after} {
		if _, verified, err := s2.FindForCheckOut(ctx, tk.Ref); err != nil || !verified {
			t.Fatalf("ticket %s after recovery: verified %v, %v", tk.Visit.Ticket, verified, err)
		}
	}
	if _, epoch := s2.Identity(); epoch == epochBefore {
		t.Fatal("the recovered database writes in the old epoch")
	}
	// What the centre sends is pulled afresh: the snapshot's copies of
	// it may be older than the damaged file's cursor.
	if cursor, continuing, err := s2.PullState(ctx); err != nil || cursor != 0 || continuing {
		t.Fatalf("pull state after recovery = %d, %v, %v; want from the start", cursor, continuing, err)
	}
	// Ticket numbers stay unique for the day.
	next := mustCheckIn(t, s2, "Dee", "registration")
	if next.Visit.Ticket == before.Visit.Ticket || next.Visit.Ticket == after.Visit.Ticket {
		t.Fatalf("a new check-in got ticket %s again", next.Visit.Ticket)
	}
}

func TestRecoverRefusesADatabaseInUse(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	mustCheckIn(t, s, "Ada", "registration")
	if _, err := queue.Recover(context.Background(), path, queue.RecoverOptions{KioskID: "lobby-1"}); err == nil {
		t.Fatal("recover ran while a store had the database open")
	}
	if _, err := s.Board(context.Background()); err != nil {
		t.Fatalf("the open store after a refused recovery: %v", err)
	}
}

func TestRecoverSkipsADamagedRangeAndKeepsTheRest(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	const n = 1500
	for i := range n {
		mustCheckIn(t, s, "Visitor With A Fairly Long Name Number "+strings.Repeat("x", i%40), "registration")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dbdamage.MiddleLeaf(path, "visits", 600, 9); err != nil {
		t.Fatal(err)
	}
	r, err := queue.Recover(context.Background(), path, queue.RecoverOptions{KioskID: "lobby-1", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	var read int
	for _, line := range r.Tables {
		if strings.HasPrefix(line, "visits: ") {
			fmt.Sscanf(line, "visits: %d rows", &read)
		}
	}
	if read < n*3/4 || read >= n {
		t.Fatalf("read %d of %d visits past one damaged page: %v", read, n, r.Tables)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "table visits: rows between rowid") || len(r.Lost) != 0 {
		t.Fatalf("the damaged range is not noted as found elsewhere: notes %q, lost %q", r.Notes, r.Lost)
	}
	s2 := mustOpenStore(t, path, c)
	b, err := s2.Board(context.Background())
	if err != nil || b.WaitingCount() != n {
		t.Fatalf("waiting after recovery = %d, %v; want all %d (the rest from the outbox)", b.WaitingCount(), err, n)
	}
}

// TestRecoverNamesTheVisitsNoCopyHeld: with the visits table and the
// outbox both damaged and no snapshot, the visits no copy held are named
// as lost by their numbers, from the event log.
func TestRecoverNamesTheVisitsNoCopyHeld(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	a := mustCheckIn(t, s, "Ana Lost", "registration")
	b := mustCheckIn(t, s, "Bo Lost", "pharmacy")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"visits", "outbox"} {
		if err := dbdamage.Table(path, table, 600, 7); err != nil {
			t.Fatal(err)
		}
	}
	r, err := queue.Recover(context.Background(), path, queue.RecoverOptions{KioskID: "lobby-1", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("2 visits the event log names are in no other copy (visit numbers %d, %d)", a.Visit.ID, b.Visit.ID)
	if !strings.Contains(strings.Join(r.Lost, "\n"), want) {
		t.Fatalf("lost %q; want %q", r.Lost, want)
	}
}
