package kiosk

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// recoveredFixture is a kiosk that recovered its database by itself an
// hour ago: the acknowledgement is audited in the store, as cmd/kiosk's
// is, and ends the notice.
func recoveredFixture(t *testing.T) (*fixture, *queue.AutoRecovery) {
	t.Helper()
	last := &queue.AutoRecovery{At: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), File: "1:2", Cause: "malformed",
		DamagedKept: "/var/lib/lobbyline/kiosk.db.damaged-20261123T080000Z", Report: "/var/lib/lobbyline/kiosk.db.recovery-20261123T080000Z.txt", Lost: 2}
	var f *fixture
	f = newFixture(t, func(c *Config) {
		c.Incident.Location = time.UTC
		c.SelfRecovery = &SelfRecovery{Last: last, Acknowledge: func(ctx context.Context) error {
			if err := f.store.Audit(ctx, "self_recovery_ack", "", last.DamagedKept); err != nil {
				return err
			}
			last.AckedAt, last.AckedBy = f.clock.Now(), "x"
			return nil
		}}
	})
	return f, last
}

// TestSelfRecoveryNoticeAcknowledged: staff mode shows the notice of a
// self-recovery — when, where the damaged file is, the report, how much
// was lost — reception reads it, a supervisor acknowledges it (audited
// under their name) and it goes.
func TestSelfRecoveryNoticeAcknowledged(t *testing.T) {
	f, last := recoveredFixture(t)
	f.signInAs(t, dario.Name, receptionPIN)
	s := f.ui.staff
	if s == nil || !s.recovered.Visible() {
		t.Fatal("staff mode shows no notice of the self-recovery")
	}
	test.Tap(s.recovered)
	text := overlayText(t, f.ui)
	for _, want := range []string{"recovered it by itself at 2026-11-23 08:00", last.DamagedKept, last.Report, "2 items could not be recovered", "A supervisor acknowledges"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice does not say %q:\n%s", want, text)
		}
	}
	if findButton(f.ui.Window().Canvas().Overlays().Top(), "Acknowledge") != nil {
		t.Fatal("reception may acknowledge the notice")
	}
	closeOverlay(f.ui)
	test.Tap(s.lock)
	f.unlock(t)
	s = f.ui.staff
	test.Tap(s.recovered)
	test.Tap(overlayButton(t, f.ui, "Acknowledge"))
	if !last.AckedAt.Equal(f.clock.Now()) || s.recovered.Visible() || !strings.Contains(s.status.Text, "acknowledged") {
		t.Fatalf("after the acknowledgement: acked %v, notice shown %v, status %q", last.AckedAt, s.recovered.Visible(), s.status.Text)
	}
	log, err := f.store.AuditLog(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range log {
		audited = audited || e.Action == "self_recovery_ack" && e.Name == carmen.Name
	}
	if !audited {
		t.Fatalf("the acknowledgement is not audited under the supervisor's name: %+v", log)
	}
	f.ui.showStaff()
	if f.ui.staff.recovered.Visible() {
		t.Fatal("the notice is back after the acknowledgement")
	}
}

// TestSelfRecoveryAtRunTimeSaysSo: the store says its database is
// damaged while the lobby runs; with self-recovery allowed the reception
// screen says the kiosk recovers it by itself, and with it held, why not.
func TestSelfRecoveryAtRunTimeSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name string
		held *queue.AutoRecovery
		want string
	}{
		{"allowed", nil, "recovering it by itself"},
		{"damaged again", &queue.AutoRecovery{At: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)}, "recovered its database by itself at 2026-11-23 07:00, and it is damaged again"},
		{"failed before", &queue.AutoRecovery{At: time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC), Failed: "no room"}, "tried to recover this database by itself at 2026-11-22 07:00, and that failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			f := newFixture(t, func(c *Config) {
				c.Incident.Location = time.UTC
				c.SelfRecovery = &SelfRecovery{Damaged: func() (bool, *queue.AutoRecovery) { calls++; return tc.held == nil, tc.held }}
			})
			damaged := damagedStoreAt(t, f.clock, filepath.Join(t.TempDir(), "kiosk.db"), "")
			_, err := damaged.Board(context.Background())
			f.ui.showBoard(f.ui.boardSeq.Add(1), queue.Board{}, err)
			f.ui.showBoard(f.ui.boardSeq.Add(1), queue.Board{}, err)
			text := screenText(f.ui)
			if calls != 1 || !strings.Contains(text, "Please check in at reception") || !strings.Contains(text, tc.want) {
				t.Fatalf("asked %d times; the screen:\n%s", calls, text)
			}
		})
	}
}

// TestSelfRecoveryNoticeWithNothingLost: a recovery that found every
// visit elsewhere does not tell staff "0 items could not be recovered".
func TestSelfRecoveryNoticeWithNothingLost(t *testing.T) {
	f, last := recoveredFixture(t)
	last.Lost = 0
	f.unlock(t)
	test.Tap(f.ui.staff.recovered)
	if text := overlayText(t, f.ui); strings.Contains(text, "could not be recovered") || !strings.Contains(text, last.Report) {
		t.Fatalf("the notice of a recovery that lost nothing:\n%s", text)
	}
}

// TestRecoveredVisitsMarkedForStaff: in staff mode's waiting list a visit
// a recovery put back says so, and one from the snapshot (which may have
// missed what happened to it since) asks staff to check it.
func TestRecoveredVisitsMarkedForStaff(t *testing.T) {
	f := newFixture(t)
	fromSnapshot := f.checkIn(t, "Ana García", "registration")
	fromOutbox := f.checkIn(t, "Bo Li", "visit")
	f.checkIn(t, "Chloé Martin", "registration")
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(f.store.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// As a recovery leaves them (queue.Recover sets origin).
	for id, origin := range map[int64]queue.Origin{fromSnapshot.Visit.ID: queue.OriginSnapshot, fromOutbox.Visit.ID: queue.OriginOutbox} {
		if _, err := db.Exec("UPDATE visits SET origin = ? WHERE id = ?", string(origin), id); err != nil {
			t.Fatal(err)
		}
	}
	f.unlock(t)
	f.ui.staff.update(f.board(t))
	var lines []string
	for i := range f.ui.staff.queue.Length() {
		row := newVisitRow()
		f.ui.staff.queue.UpdateItem(i, row)
		lines = append(lines, texts(row)...)
	}
	rows := strings.Join(lines, "\n")
	for _, want := range []string{"recovered from an older copy: check it", "when a desk opens · recovered\n"} {
		if !strings.Contains(rows+"\n", want) {
			t.Errorf("the waiting list does not say %q:\n%s", want, rows)
		}
	}
	if n := strings.Count(rows, "recovered"); n != 2 {
		t.Errorf("%d rows say recovered, want 2 (Chloé was not):\n%s", n, rows)
	}
}
