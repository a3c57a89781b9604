package queue_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// schemaFixtures are rows a kiosk of each schema version held, written
// after that version's migration with the columns it had. Each version's
// rows stay in the databases of all later ones.
var schemaFixtures = map[string]string{
	"migrations/0001_init.sql": `
		INSERT INTO meta (key, value) VALUES ('kiosk_id', 'lobby-1'), ('ticket_secret', '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'), ('epoch', '42');
		INSERT INTO services (id, prefix, name, position) VALUES ('registration', 'R', 'Registration', 0);
		INSERT INTO desks (id, name, position) VALUES ('desk-1', 'Desk 1', 0);
		INSERT INTO desk_services (desk_id, service_id) VALUES ('desk-1', 'registration');
		INSERT INTO counters (day, prefix, last) VALUES ('2026-11-01', 'R', 1);
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at)
			VALUES (1, 'R-001', '2026-11-01', 'registration', 'Version One', 'waiting', 1, 'kiosk', '2026-11-01T09:00:00.000Z');
		INSERT INTO events (id, at, kind, visit_id, service) VALUES (1, '2026-11-01T09:00:00.000Z', 'check_in', 1, 'registration');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, state, reason)
			VALUES (1, 42, 1, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:00:00.000Z', 'pending', '');`,
	"migrations/0002_sync.sql": `
		UPDATE counters SET last = 2;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite)
			VALUES (2, 'R-002', '2026-11-01', 'registration', 'Version Two', 'waiting', 2, 'kiosk', '2026-11-01T09:01:00.000Z', 'ABC-123');
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (2, '2026-11-01T09:01:00.000Z', 'check_in', 2, 'registration', '001793523660000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (2, 42, 2, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:01:00.000Z', '001793523660000.000000');
		INSERT INTO remote (entity, key, version, data) VALUES ('prereg', 'ABC-123', 1, '{"code":"ABC-123","name":"Version Two"}');
		INSERT INTO alerts (key, kind, visit_id, message, created_at) VALUES ('local/1', 'watch', 2, 'Watch-list hit', '2026-11-01T09:01:00.000Z');
		INSERT INTO connectivity_log (at, state) VALUES ('2026-11-01T09:02:00.000Z', 'offline');`,
	"migrations/0003_incidents.sql": `
		UPDATE counters SET last = 3;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite)
			VALUES (3, 'R-003', '2026-11-01', 'registration', 'Version Three', 'waiting', 3, 'kiosk', '2026-11-01T09:03:00.000Z', '');
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (3, '2026-11-01T09:03:00.000Z', 'check_in', 3, 'registration', '001793523780000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (3, 42, 3, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:03:00.000Z', '001793523780000.000000');
		INSERT INTO incidents (id, cause, severity, peak, started_at) VALUES (1, 'centre unreachable', 1, 1, '2026-11-01T09:02:00.000Z');
		INSERT INTO incident_samples (incident_id, at, waiting, backlog) VALUES (1, '2026-11-01T09:02:00.000Z', 2, 2), (1, '2026-11-01T09:03:00.000Z', 3, 3);`,
	// What a kiosk held before issue 13 §2: the watch-list in plain text,
	// another kiosk's alert, another kiosk's visit with its phone.
	"migrations/0004_prune.sql": `
		UPDATE counters SET last = 4;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite, epoch)
			VALUES (4, 'R-004', '2026-11-01', 'registration', 'Version Four', 'waiting', 4, 'kiosk', '2026-11-01T09:04:00.000Z', '', 42);
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (4, '2026-11-01T09:04:00.000Z', 'check_in', 4, 'registration', '001793523840000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (4, 42, 4, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:04:00.000Z', '001793523840000.000000');
		INSERT INTO remote (entity, key, version, data) VALUES
			('watch', 'w1', 2, '{"name":"Plain Watched","born":"1970-01-02","id_card":"X1234567","action":"flag","note":"Plain Note"}'),
			('alert', 'watch/lobby-2/7/1', 3, '{"kind":"watch","kiosk":"lobby-2","epoch":7,"visit":1,"ticket":"R-001","message":"Other Kiosk Alert"}'),
			('alert', 'duplicate/lobby-1/42/4', 4, '{"kind":"duplicate","kiosk":"lobby-1","epoch":42,"visit":4,"ticket":"R-004","message":"Own Alert"}'),
			('visit', 'lobby-2/7/1', 5, '{"kiosk":"lobby-2","hlc":"","visit":{"ID":1,"Ticket":"R-001","Name":"Other Visitor","Host":"Other Host","Phone":"+34 600 111 222","Status":"waiting"}}'),
			('visit', 'lobby-1/42/4', 6, '{"kiosk":"lobby-1","hlc":"","visit":{"ID":4,"Ticket":"R-004","Name":"Version Four","Phone":"+34 600 333 444","Status":"waiting"}}');`,
	// The shared PIN's failure count, which named accounts replace; and
	// check-outs before their proofs were recorded, the day before: by the
	// close of day, by a visitor at the kiosk, by staff.
	"migrations/0005_sealed_watch.sql": `
		UPDATE counters SET last = 5;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite, epoch)
			VALUES (5, 'R-005', '2026-11-01', 'registration', 'Version Five', 'waiting', 5, 'kiosk', '2026-11-01T09:05:00.000Z', '', 42);
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (5, '2026-11-01T09:05:00.000Z', 'check_in', 5, 'registration', '001793523900000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (5, 42, 5, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:05:00.000Z', '001793523900000.000000');
		INSERT INTO meta (key, value) VALUES ('pin_failures', '3'), ('pin_locked_until', '');
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, done_at, left_at, left_by, epoch) VALUES
			(101, 'R-001', '2026-10-31', 'registration', 'Closed Out', 'cancelled', 1, 'kiosk', '2026-10-31T09:00:00.000Z', '2026-10-31T23:55:00.000Z', '2026-10-31T23:55:00.000Z', 'end of day', 42),
			(102, 'R-002', '2026-10-31', 'registration', 'Typed Out', 'served', 2, 'kiosk', '2026-10-31T09:01:00.000Z', '2026-10-31T09:30:00.000Z', '2026-10-31T10:00:00.000Z', 'kiosk', 42),
			(103, 'R-003', '2026-10-31', 'registration', 'Staff Out', 'served', 3, 'kiosk', '2026-10-31T09:02:00.000Z', '2026-10-31T09:40:00.000Z', '2026-10-31T11:00:00.000Z', 'Marta', 42);`,
	// A staff account pulled from the centre, and an audit entry.
	"migrations/0006_staff.sql": `
		UPDATE counters SET last = 6;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite, epoch)
			VALUES (6, 'R-006', '2026-11-01', 'registration', 'Version Six', 'waiting', 6, 'kiosk', '2026-11-01T09:06:00.000Z', '', 42);
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (6, '2026-11-01T09:06:00.000Z', 'check_in', 6, 'registration', '001793523960000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (6, 42, 6, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:06:00.000Z', '001793523960000.000000');
		INSERT INTO staff_accounts (id, name, role, pin_hash, updated_at)
			VALUES ('st-eva00001', 'Eva Lind', 'supervisor', '$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Vv8I2p4tQz1w7m6bXo0eJ1FwY2Jq0m3HcOQzE4Hk1bA', '2026-11-01T08:30:00.000Z');
		INSERT INTO audit (at, source, account, name, role, action) VALUES ('2026-11-01T08:31:00.000Z', 'touch', 'st-eva00001', 'Eva Lind', 'supervisor', 'sign_in');`,
	// A visitor who typed the wrong last four digits once.
	"migrations/0007_checkout_proof.sql": `
		UPDATE counters SET last = 7;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite, epoch, phone_tries)
			VALUES (7, 'R-007', '2026-11-01', 'registration', 'Version Seven', 'waiting', 7, 'kiosk', '2026-11-01T09:07:00.000Z', '', 42, 1);
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (7, '2026-11-01T09:07:00.000Z', 'check_in', 7, 'registration', '001793524020000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (7, 42, 7, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:07:00.000Z', '001793524020000.000000');`,
	"migrations/0008_visit_origin.sql": `
		UPDATE counters SET last = 8;
		INSERT INTO visits (id, ticket, day, service_id, name, status, rank, source, checked_in_at, invite, epoch, origin)
			VALUES (8, 'R-008', '2026-11-01', 'registration', 'Version Eight', 'waiting', 8, 'kiosk', '2026-11-01T09:08:00.000Z', '', 42, 'centre');
		INSERT INTO events (id, at, kind, visit_id, service, hlc) VALUES (8, '2026-11-01T09:08:00.000Z', 'check_in', 8, 'registration', '001793524080000.000000');
		INSERT INTO outbox (seq, epoch, event_id, kind, payload, created_at, hlc)
			VALUES (8, 42, 8, 'check_in', '{"kiosk":"lobby-1","epoch":42,"kind":"check_in"}', '2026-11-01T09:08:00.000Z', '001793524080000.000000');`,
}

// TestUpgradesFromEveryEarlierSchema builds a kiosk database at every
// earlier schema version from the migration files as they are (each
// migration is never edited once released), with rows written at each,
// and opens it with this version: the rows are all there, and the kiosk
// goes on where it stopped.
func TestUpgradesFromEveryEarlierSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) < 2 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	for n := 1; n < len(files); n++ {
		version := strings.TrimSuffix(filepath.Base(files[n-1]), ".sql")
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "kiosk.db")
			db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "foreign_keys(1)"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT"); err != nil {
				t.Fatal(err)
			}
			for _, f := range files[:n] {
				name := "migrations/" + filepath.Base(f)
				body, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				fixture, ok := schemaFixtures[name]
				if !ok {
					t.Fatalf("no fixture rows for %s: add them to schemaFixtures", name)
				}
				for _, q := range []string{string(body), fixture} {
					if _, err := db.Exec(q); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				if _, err := db.Exec("INSERT INTO migrations (name, applied_at) VALUES (?, '2026-11-01T08:00:00.000Z')", name); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			now := time.Date(2026, 11, 1, 9, 10, 0, 0, time.UTC)
			s, err := queue.Open(ctx, path, releaseOptions(now))
			if err != nil {
				t.Fatalf("open a %s database: %v", version, err)
			}
			defer s.Close()
			if _, epoch := s.Identity(); epoch != 42 {
				t.Errorf("epoch %d after the upgrade; want 42, kept", epoch)
			}
			want := []string{"R-001 Version One", "R-002 Version Two", "R-003 Version Three", "R-004 Version Four", "R-005 Version Five", "R-006 Version Six", "R-007 Version Seven", "R-008 Version Eight"}[:n]
			b, err := s.Board(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var waiting []string
			for _, l := range b.Lines {
				for _, w := range l.Waiting {
					waiting = append(waiting, w.Visit.Ticket+" "+w.Visit.Name)
					if w.Visit.Epoch != 42 {
						t.Errorf("%s's epoch %d after the upgrade; want the database's, 42", w.Visit.Name, w.Visit.Epoch)
					}
				}
			}
			if got := strings.Join(waiting, ", "); got != strings.Join(want, ", ") {
				t.Errorf("waiting: %s; want %s", got, strings.Join(want, ", "))
			}
			pending, err := s.PendingOutbox(ctx, 10)
			if err != nil || len(pending) != n {
				t.Fatalf("pending outbox = %d, %v; want %d", len(pending), err, n)
			}
			if n >= 2 {
				if _, ok, err := s.Invite(ctx, "ABC-123"); err != nil || !ok {
					t.Errorf("the pulled invitation: %v, %v", ok, err)
				}
				if alerts, err := s.Alerts(ctx, true); err != nil || len(alerts) != 1 {
					t.Errorf("alerts = %+v, %v; want the one", alerts, err)
				}
				if log, err := s.ConnectivityLog(ctx, time.Time{}); err != nil || len(log) != 1 {
					t.Errorf("connectivity log = %+v, %v; want the one line", log, err)
				}
			}
			if n >= 3 {
				if samples, err := s.Samples(ctx, 1); err != nil || len(samples) != 2 {
					t.Errorf("incident samples = %+v, %v; want 2", samples, err)
				}
				if in, ok, err := s.CurrentIncident(ctx); err != nil || !ok || in.ID != 1 {
					t.Errorf("the open incident = %+v, %v, %v", in, ok, err)
				}
			}
			if n >= 4 {
				checkDropped(t, s, path)
			}
			if n >= 5 {
				// What left_by tells of the proof: the close, staff; a
				// visitor's own check-out is unknown.
				for id, want := range map[int64]queue.Proof{101: queue.ProofClose, 102: "", 103: queue.ProofStaff} {
					if v, err := s.Visit(ctx, id); err != nil || v.LeftProof != want {
						t.Errorf("visit %d's proof after the upgrade %q, %v; want %q", id, v.LeftProof, err, want)
					}
				}
			}
			// The kiosk goes on where it stopped: the next ticket of the day,
			// the next sequence number, the same epoch.
			tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: "After Upgrade", Service: "registration"}, queue.SourceKiosk)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("R-%03d", n+1); tk.Visit.Ticket != want {
				t.Errorf("ticket after the upgrade %s; want %s", tk.Visit.Ticket, want)
			}
			next, _ := s.PendingOutbox(ctx, 10)
			if last := next[len(next)-1]; last.Seq != int64(n+1) || last.Epoch != 42 {
				t.Errorf("the new change is %d/%d; want 42/%d", last.Epoch, last.Seq, n+1)
			}
			if n == 5 {
				// The shared PIN's count is gone: lockout is per account.
				if err := s.CheckSetupPIN(ctx, mustHashPIN(t, "2580"), "2580"); err != nil {
					t.Errorf("the set-up PIN after the upgrade: %v", err)
				}
			}
			if n >= 6 {
				accounts, err := s.StaffAccounts(ctx, false)
				if err != nil || len(accounts) != 1 || accounts[0].Name != "Eva Lind" {
					t.Errorf("staff accounts after the upgrade: %+v, %v", accounts, err)
				}
				if log, err := s.AuditLog(ctx, time.Time{}, time.Time{}); err != nil || len(log) != 1 {
					t.Errorf("audit log after the upgrade: %+v, %v", log, err)
				}
			}
			// The prune's gate came with the upgrade; nothing is old enough.
			if p, err := s.Prune(ctx, now); err != nil || p.Events != 0 {
				t.Errorf("prune after the upgrade = %+v, %v", p, err)
			}
			if ok, err := s.IntegrityCheck(ctx); err != nil || ok != "ok" {
				t.Errorf("integrity check = %q, %v", ok, err)
			}
		})
	}
}

// checkDropped checks what the upgrade to 0005 left of what a kiosk
// should not hold: no plain-text watch-list, no other kiosk's alert, no
// other kiosk's phone numbers; its own alert and visit stay whole. The
// file itself, vacuumed, no longer holds the text either.
func checkDropped(t *testing.T, s *queue.Store, path string) {
	t.Helper()
	checkKeptOnly(t, s, "duplicate/lobby-1/42/4")
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, gone := range []string{"Plain Watched", "X1234567", "Plain Note", "Other Kiosk Alert", "+34 600 111 222", "Other Host"} {
			if bytes.Contains(b, []byte(gone)) {
				t.Errorf("%s still holds %q after the upgrade", filepath.Base(f), gone)
			}
		}
	}
}

func mustHashPIN(t testing.TB, pin string) string {
	t.Helper()
	h, err := queue.HashPIN(pin)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
