package syncer_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

const drainSize = 10_000

// BenchmarkDrain measures what the first benchmark asks: a kiosk
// that was offline with 10,000 mutations syncs into a centre on
// PostgreSQL, over HTTP on loopback, in batches of 500; next to it, a raw
// COPY of the same 10,000 rows into a table shaped like the centre's
// mutations table. Reports drain-s, copy-s and their ratio.
func BenchmarkDrain(b *testing.B) {
	ctx := context.Background()
	template := filepath.Join(b.TempDir(), "template.db")
	seedBacklog(b, template, drainSize)

	var drain, copyTime time.Duration
	for b.Loop() {
		b.StopTimer()
		dsn := centretest.DSN(b, "postgres")
		central := centretest.Open(b, dsn, nil)
		if err := central.AddSite(ctx, "north", "North"); err != nil {
			b.Fatal(err)
		}
		token, err := central.Enroll(ctx, "north", "bench", "Bench", centretest.IT)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
		path := filepath.Join(b.TempDir(), "kiosk.db")
		copyFile(b, template, path)
		store, err := queue.Open(ctx, path, benchKioskOptions())
		if err != nil {
			b.Fatal(err)
		}
		client, err := syncer.NewClient(srv.URL, "north", token, &http.Client{})
		if err != nil {
			b.Fatal(err)
		}
		sy := syncer.New(store, client, syncer.Config{AttemptTimeout: 5 * time.Minute})
		b.StartTimer()

		start := time.Now()
		if err := sy.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		drain += time.Since(start)

		b.StopTimer()
		if st := sy.Status(); st.Backlog != 0 || st.Rejected != 0 {
			b.Fatalf("after the drain: %+v", st)
		}
		var n int
		if err := central.DB().QueryRowContext(ctx, "SELECT count(*) FROM mutations WHERE status = 'applied'").Scan(&n); err != nil || n != drainSize {
			b.Fatalf("centre applied %d of %d (%v)", n, drainSize, err)
		}
		copyTime += rawCopy(b, dsn, central)
		store.Close()
		srv.Close()
		central.Close()
		b.StartTimer()
	}
	b.ReportMetric(drain.Seconds()/float64(b.N), "drain-s")
	b.ReportMetric(copyTime.Seconds()/float64(b.N), "copy-s")
	b.ReportMetric(float64(drain)/float64(copyTime), "drain/copy")
}

func benchKioskOptions() queue.Options {
	return queue.Options{
		KioskID:  "bench",
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	}
}

// seedBacklog makes a kiosk database holding n pending mutations: real
// check-ins, and a call (which also serves the one before) after every
// second.
func seedBacklog(b *testing.B, path string, n int) {
	b.Helper()
	ctx := context.Background()
	store, err := queue.Open(ctx, path, benchKioskOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); err != nil {
		b.Fatal(err)
	}
	pending := 1
	for i := 1; ; i++ {
		if i%50 == 0 || pending > n-10 { // counting the outbox is not free
			backlog, err := store.Backlog(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if pending = backlog.Pending; pending >= n {
				return
			}
		}
		pending++
		if i%3 == 0 && pending < n-10 { // a call also serves: two mutations
			_, err = store.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1"})
		} else {
			_, err = store.CheckIn(ctx, queue.CheckInForm{Name: "Zoë Nguyễn", Service: "registration"}, queue.SourceKiosk)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// rawCopy times COPY of the centre's applied mutations into a table of
// the same shape: the floor for getting those rows into PostgreSQL.
func rawCopy(b *testing.B, dsn string, central centretest.Centre) time.Duration {
	b.Helper()
	ctx := context.Background()
	rows, err := central.DB().QueryContext(ctx, `SELECT kiosk_id, epoch, seq, site_id, kind, kiosk_at, hlc, received_at, status, reason, payload FROM mutations`)
	if err != nil {
		b.Fatal(err)
	}
	var data [][]any
	for rows.Next() {
		var (
			kiosk, site, kind, at, hlc, recv, status, reason, payload string
			epoch, seq                                                int64
		)
		if err := rows.Scan(&kiosk, &epoch, &seq, &site, &kind, &at, &hlc, &recv, &status, &reason, &payload); err != nil {
			b.Fatal(err)
		}
		data = append(data, []any{kiosk, epoch, seq, site, kind, at, hlc, recv, status, reason, payload})
	}
	rows.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE copy_floor (LIKE mutations INCLUDING ALL)"); err != nil {
		b.Fatal(err)
	}
	cols := []string{"kiosk_id", "epoch", "seq", "site_id", "kind", "kiosk_at", "hlc", "received_at", "status", "reason", "payload"}
	start := time.Now()
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"copy_floor"}, cols, pgx.CopyFromRows(data))
	took := time.Since(start)
	if err != nil || n != int64(len(data)) {
		b.Fatalf("copy: %d rows, %v", n, err)
	}
	return took
}
