package queue_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// walSize is the size of the database's WAL file, 0 when it has none.
func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// waitWALEmpty waits for the store's own checkpointer to truncate the WAL,
// failing after within.
func waitWALEmpty(t *testing.T, path string, within time.Duration, why string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for walSize(t, path) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the WAL still holds %d bytes after %s", why, walSize(t, path), within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A long reader (a quick check, a snapshot, an export to a slow disk)
// holds the WAL only while it reads: once it ends, the kiosk truncates the
// WAL by itself, with nothing more written to wake the checkpointer, and
// check-ins go on meanwhile.
func TestLongReaderHoldsTheWALOnlyWhileItReads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, newClock())
	for i := range 10 {
		mustCheckIn(t, s, "Ana "+string(rune('A'+i)), "registration")
	}
	waitWALEmpty(t, path, 20*time.Second, "idle with no reader")

	other, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "busy_timeout(10000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reader, err := other.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback() //nolint:errcheck // committed below; a no-op then
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM visits").Scan(&n); err != nil {
		t.Fatal(err)
	}

	for i := range 10 {
		mustCheckIn(t, s, "Bo "+string(rune('A'+i)), "pharmacy")
	}
	// The checkpointer tries to truncate once idle (after 1 s, again
	// after 3 s), and fails while the reader holds its snapshot. A visitor
	// checking in meanwhile does not wait for it: a truncating checkpoint
	// that waited for the reader (up to the 10 s busy timeout) would hold
	// writers back all that time.
	time.Sleep(3 * time.Second)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.CheckIn(cctx, queue.CheckInForm{Name: "Chloé", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatalf("a check-in while a reader holds the WAL: %v", err)
	}
	time.Sleep(2 * time.Second)
	if walSize(t, path) == 0 {
		t.Fatal("the WAL was truncated under a reader that still needs it")
	}

	if err := reader.Commit(); err != nil {
		t.Fatal(err)
	}
	// Nothing is written from here on: the checkpointer tries again by
	// itself.
	waitWALEmpty(t, path, 45*time.Second, "after the reader ended, with nothing written since")
}

// An export reads the day first and writes it after, so a destination
// that takes its time (here a pipe nobody reads yet) does not hold the WAL.
func TestExportToASlowDestinationDoesNotHoldTheWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, newClock())
	// More than the CSV writer's 4 KB buffer, so the export blocks while
	// it still has rows to write.
	for i := range 120 {
		mustCheckIn(t, s, fmt.Sprintf("Dario Rossi-Bianchi %03d", i), "registration")
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := s.ExportDay(ctx, "2026-11-23", pw)
		pw.CloseWithError(err)
		done <- err
	}()
	// Its first byte: the export has read the day and is now blocked
	// writing the rest to the pipe. The lobby goes on.
	first := make([]byte, 1)
	if _, err := io.ReadFull(pr, first); err != nil {
		t.Fatal(err)
	}
	mustCheckIn(t, s, "Eva", "pharmacy")
	waitWALEmpty(t, path, 20*time.Second, "while an export waits on its destination")

	rest, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	out := append(first, rest...)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The export is the day as it was when it read it: a header and 30.
	if lines := bytes.Count(out, []byte("\n")); lines != 121 {
		t.Fatalf("export has %d lines, want 121:\n%s", lines, out)
	}
}
