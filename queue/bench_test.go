package queue

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lobbyline/queue/sqldb"
)

// pastVisits is how much history the check-in benchmark starts with.
const pastVisits = 1_000_000

// benchLine is how many visitors wait while the benchmark checks in more: a
// busy lobby, not a queue that only ever grows.
const benchLine = 100

// BenchmarkCheckIn measures what a visitor waits for: CheckIn, from the
// tap to a committed ticket with position and estimate, on a database that
// already holds a million past visits with their events and outbox rows,
// while a desk keeps the line at benchLine people by calling the next one
// (untimed).
//
// Next to each check-in it times the floor: one single-row INSERT per
// transaction into a table in a second database on the same disk, with the
// same pragmas and durability (WAL, synchronous=FULL). Interleaving the two
// gives both the same disk weather, which on a virtual disk drifts by tens
// of per cent within a minute. p99-ratio is check-in p99 over raw p99.
func BenchmarkCheckIn(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	opts := Options{
		KioskID:  "bench",
		Services: []Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	}
	s, err := Open(ctx, filepath.Join(dir, "kiosk.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	seedHistory(b, s.db, pastVisits)
	s.Close()
	// Reopen, as a kiosk with this history would start.
	if s, err = Open(ctx, filepath.Join(dir, "kiosk.db"), opts); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Apply(ctx, Command{Action: ActOpenDesk, Desk: "desk-1", Staff: "Bench"}); err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", sqldb.SQLiteDSN(filepath.Join(dir, "raw.db"), pragmas...))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, "CREATE TABLE raw (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TEXT NOT NULL) STRICT"); err != nil {
		b.Fatal(err)
	}

	form := CheckInForm{Name: "Zoë Nguyễn", Service: "registration", Phone: "+34 600 123 456"}
	var checkIns, inserts []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := s.CheckIn(ctx, form, SourceKiosk); err != nil {
			b.Fatal(err)
		}
		checkIns = append(checkIns, time.Since(start))

		b.StopTimer()
		start = time.Now()
		err := sqldb.InTx(ctx, raw, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO raw (name, at) VALUES (?, ?)", form.Name, sqldb.FormatTime(start))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		inserts = append(inserts, time.Since(start))
		if len(checkIns) > benchLine {
			if _, err := s.Apply(ctx, Command{Action: ActCallNext, Desk: "desk-1"}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	if len(checkIns) == 0 {
		return
	}
	cp50, cp99 := percentiles(checkIns)
	rp50, rp99 := percentiles(inserts)
	b.ReportMetric(cp50, "p50-µs")
	b.ReportMetric(cp99, "p99-µs")
	b.ReportMetric(rp50, "raw-p50-µs")
	b.ReportMetric(rp99, "raw-p99-µs")
	b.ReportMetric(cp99/rp99, "p99-ratio")
}

// percentiles returns the median and 99th percentile of lat in µs.
func percentiles(lat []time.Duration) (p50, p99 float64) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	return pct(0.50), pct(0.99)
}

// seedHistory writes n served visits spread over past days, each with its
// check-in event and a synced outbox row, in one transaction.
func seedHistory(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	err := sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
		stmts := []string{
			`INSERT INTO visits (ticket, day, service_id, name, status, rank, source, checked_in_at, called_at, done_at)
			 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			 SELECT printf('R-%03d', i % 1000), date('2020-01-01', '+' || (i / 1000) || ' days'), 'registration',
			        'Visitor ' || i, 'served', i, 'kiosk',
			        strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', '+' || (i / 1000) || ' days', '+' || (i % 1000) || ' minutes'),
			        strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', '+' || (i / 1000) || ' days', '+' || (i % 1000 + 9) || ' minutes'),
			        strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', '+' || (i / 1000) || ' days', '+' || (i % 1000 + 14) || ' minutes')
			 FROM n`,
			`INSERT INTO events (at, kind, visit_id, service) SELECT checked_in_at, 'check_in', id, service_id FROM visits`,
			`INSERT INTO outbox (epoch, event_id, kind, payload, created_at, state) SELECT 1, id, kind, '{}', at, 'done' FROM events`,
		}
		for i, q := range stmts {
			args := []any{}
			if i == 0 {
				args = append(args, n)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed %d visits: %v", n, err)
	}
	// Start from a checkpointed file, as a kiosk that has been running is,
	// rather than charging the seed's WAL to the first check-ins.
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d past visits in %s", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkQuickCheck measures the database check the kiosk runs before
// the lobby offers check-in, daily, and when SQLite reports damage
// (Store.QuickCheck): PRAGMA quick_check over a database of a million
// past visits with their events and outbox rows, as BenchmarkCheckIn
// seeds it. The file's size is reported beside the time.
func BenchmarkQuickCheck(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "kiosk.db")
	opts := Options{
		KioskID:  "bench",
		Services: []Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	}
	s, err := Open(ctx, path, opts)
	if err != nil {
		b.Fatal(err)
	}
	seedHistory(b, s.db, pastVisits)
	s.Close()
	if s, err = Open(ctx, path, opts); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if problems, err := s.QuickCheck(ctx); err != nil || len(problems) > 0 {
			b.Fatal(problems, err)
		}
	}
	var pages, size int64
	if err := s.db.QueryRowContext(ctx, "SELECT (SELECT page_count FROM pragma_page_count), (SELECT page_size FROM pragma_page_size)").Scan(&pages, &size); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(pages*size)/(1<<20), "MiB")
}
