package queue

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// pastVisits is how much history the check-in benchmark starts with.
const pastVisits = 1_000_000

// BenchmarkCheckIn measures what a visitor waits for: CheckIn, from the
// tap to a committed ticket with position and estimate, on a database that
// already holds a million past visits with their events and outbox rows.
// Compare with BenchmarkRawInsert, run in the same invocation.
func BenchmarkCheckIn(b *testing.B) {
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
	// Reopen, as a kiosk with this history would start.
	if s, err = Open(ctx, path, opts); err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	form := CheckInForm{Name: "Zoë Nguyễn", Service: "registration", Phone: "+34 600 123 456"}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := s.CheckIn(ctx, form, SourceKiosk); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// BenchmarkRawInsert is the floor: one single-row INSERT per transaction
// with the same pragmas and durability (WAL, synchronous=FULL).
func BenchmarkRawInsert(b *testing.B) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(b.TempDir(), "raw.db")))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE raw (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TEXT NOT NULL) STRICT"); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO raw (name, at) VALUES (?, ?)", "Zoë Nguyễn", formatTime(start))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// seedHistory writes n served visits spread over past days, each with its
// check-in event and a synced outbox row, in one transaction.
func seedHistory(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	err := inTx(ctx, db, func(tx *sql.Tx) error {
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
