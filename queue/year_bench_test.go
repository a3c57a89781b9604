package queue_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// BenchmarkYearOfALobby runs a busy lobby for a year through the store's
// own API on an injected clock: 300 visits a day from 08:00 to 18:00 at
// two desks, each called and served (one in twenty a no-show, one in ten
// checked out at the desk), the outbox accepted by the centre every 30
// changes, two connectivity lines a day, an hour-long outage with a
// sample a minute once a month, the nightly purge of personal data (30
// days) and the close of day.
//
// In "kept" nothing is pruned until the year is over: it reports the
// database's size then, prunes what is older than 90 days once, and
// reports what the data then takes (live pages) and the size of a copy
// made with VACUUM INTO (the file `kiosk backup` writes). In "daily" the
// prune job's work (90 days) runs every night, as on a kiosk with the
// default jobs.prune_days, and it reports the file's size at the end of
// the year: SQLite reuses the freed pages, so that is the size the file
// levels off at.
//
// Run each once, on tmpfs, as each change is a durable commit (the two
// side by side take about eight minutes on two cores):
//
//	TMPDIR=/dev/shm go test ./queue -run '^$' -bench 'YearOfALobby/kept' -benchtime 1x -timeout 1h
//	TMPDIR=/dev/shm go test ./queue -run '^$' -bench 'YearOfALobby/daily' -benchtime 1x -timeout 1h
//
// LOBBYLINE_BENCH_DAYS shortens the year for a quick look.
func BenchmarkYearOfALobby(b *testing.B) {
	days := 365
	if v := os.Getenv("LOBBYLINE_BENCH_DAYS"); v != "" {
		var err error
		if days, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for _, daily := range []bool{false, true} {
		name := "kept"
		if daily {
			name = "daily"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				yearOfALobby(b, days, daily)
			}
		})
	}
}

type benchClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *benchClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *benchClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// lobby is the busy lobby the size benchmarks run, one day at a time,
// through the store's own API on an injected clock.
type lobby struct {
	b       testing.TB
	ctx     context.Context
	s       *queue.Store
	clk     *benchClock
	start   time.Time
	changes int
	visitor int
}

func newLobby(b testing.TB, path string) *lobby {
	ctx := context.Background()
	clk := &benchClock{t: time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC)}
	s, err := queue.Open(ctx, path, queue.Options{
		KioskID:  "lobby-1",
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}, {ID: "pharmacy", Prefix: "P", Name: "Pharmacy"}},
		Desks: []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "pharmacy"}},
			{ID: "desk-2", Name: "Desk 2", Services: []string{"registration", "pharmacy"}}},
		Now: clk.Now, Location: time.UTC,
	})
	if err != nil {
		b.Fatal(err)
	}
	return &lobby{b: b, ctx: ctx, s: s, clk: clk, start: clk.Now().Truncate(24 * time.Hour)}
}

func (l *lobby) must(err error) {
	l.b.Helper()
	if err != nil {
		l.b.Fatal(err)
	}
}

// sync settles the outbox as the centre would accept it.
func (l *lobby) sync() {
	pending, err := l.s.PendingOutbox(l.ctx, 1000)
	l.must(err)
	answers := make([]queue.Settlement, len(pending))
	for i, e := range pending {
		answers[i] = queue.Settlement{Seq: e.Seq}
	}
	l.must(l.s.SettleOutbox(l.ctx, answers))
}

func (l *lobby) change() {
	if l.changes++; l.changes%30 == 0 {
		l.sync()
	}
}

// day runs day d of the lobby (300 visits), its close, the nightly purge
// (30 days) and, with daily, the nightly prune (90 days).
func (l *lobby) day(d int, daily bool) {
	ctx, s, clk, must, change := l.ctx, l.s, l.clk, l.must, l.change
	day := l.start.AddDate(0, 0, d)
	clk.Set(day.Add(7*time.Hour + 55*time.Minute))
	for _, desk := range []string{"desk-1", "desk-2"} {
		_, err := s.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: desk, Staff: "Ana"})
		must(err)
		change()
	}
	must(s.LogConnectivity(ctx, queue.ConnectivityChange{At: clk.Now(), State: "online"}))
	for i := range 300 {
		at := day.Add(8*time.Hour + time.Duration(i)*2*time.Minute)
		clk.Set(at)
		l.visitor++
		svc := "registration"
		if i%3 == 0 {
			svc = "pharmacy"
		}
		_, err := s.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("Visitor %d", l.visitor), Host: "Dr Ruiz", Phone: "+44 20 7946 0000", Service: svc}, queue.SourceKiosk)
		must(err)
		change()
		// A desk serves whoever it has and calls the next, a minute on.
		clk.Set(at.Add(time.Minute))
		desk := "desk-1"
		if i%2 == 1 {
			desk = "desk-2"
		}
		v, err := s.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: desk, Staff: "Ana"})
		if err == nil {
			change()
			switch {
			case i%20 == 0:
				_, err = s.Apply(ctx, queue.Command{Action: queue.ActNoShow, Visit: v.ID, Staff: "Ana"})
				must(err)
				change()
			case i%10 == 0:
				_, err = s.CheckOutVisit(ctx, v.ID, "Ana", queue.ProofStaff)
				must(err)
				change()
			}
		}
	}
	if d%30 == 15 { // an hour-long outage, sampled every minute
		at := day.Add(12 * time.Hour)
		in, _, err := s.OpenIncident(ctx, "centre unreachable", queue.SeverityMinor, at)
		must(err)
		for m := range 60 {
			must(s.AddSample(ctx, in.ID, queue.Sample{At: at.Add(time.Duration(m) * time.Minute), Waiting: 5, Backlog: m}))
		}
		must(s.EndIncident(ctx, in.ID, at.Add(time.Hour), "back"))
		l.sync()
		_, err = s.MarkDrained(ctx, at.Add(time.Hour+time.Minute))
		must(err)
		clk.Set(day.Add(18*time.Hour + 30*time.Minute))
		_, err = s.ReportIncident(ctx, in.ID, nil)
		must(err)
	}
	clk.Set(day.Add(18*time.Hour + 5*time.Minute))
	board, err := s.Board(ctx)
	must(err)
	for _, d := range board.Desks {
		if d.Serving != nil {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActServe, Visit: d.Serving.ID, Staff: "Ana"})
			must(err)
			change()
		}
	}
	for _, desk := range []string{"desk-1", "desk-2"} {
		_, err := s.Apply(ctx, queue.Command{Action: queue.ActCloseDesk, Desk: desk, Staff: "Ana"})
		must(err)
		change()
	}
	must(s.LogConnectivity(ctx, queue.ConnectivityChange{At: clk.Now(), State: "offline", Detail: "network down for the night"}))
	l.sync()
	clk.Set(day.Add(23*time.Hour + 55*time.Minute))
	_, err = s.CloseDay(ctx)
	must(err)
	l.sync()
	clk.Set(day.Add(27*time.Hour + 15*time.Minute))
	_, err = s.Purge(ctx, clk.Now().Add(-30*24*time.Hour))
	must(err)
	if daily {
		clk.Set(day.Add(27*time.Hour + 45*time.Minute))
		_, err = s.Prune(ctx, clk.Now().Add(-90*24*time.Hour))
		must(err)
	}
}

func yearOfALobby(b *testing.B, days int, daily bool) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "kiosk.db")
	l := newLobby(b, path)
	s, clk, must := l.s, l.clk, l.must
	defer s.Close()
	for d := range days {
		l.day(d, daily)
	}

	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "busy_timeout(10000)"))
	must(err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	must(err)
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	fileSize := func() int64 {
		st, err := os.Stat(path)
		must(err)
		return st.Size()
	}
	live := func() int64 {
		var pages, free, size int64
		must(db.QueryRowContext(ctx, "SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)").Scan(&pages, &free, &size))
		return (pages - free) * size
	}
	rows := func() string {
		var ev, ob, cl, sm, vi int
		must(db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox), (SELECT count(*) FROM connectivity_log),
			(SELECT count(*) FROM incident_samples), (SELECT count(*) FROM visits)`).Scan(&ev, &ob, &cl, &sm, &vi))
		return fmt.Sprintf("visits %d, events %d, outbox %d, connectivity %d, samples %d", vi, ev, ob, cl, sm)
	}
	before := fileSize()
	b.Logf("after %d days: file %.1f MB, live %.1f MB; %s", days, mb(before), mb(live()), rows())
	if daily {
		b.ReportMetric(mb(before), "MB-file")
		b.ReportMetric(mb(live()), "MB-live")
		return
	}
	p, err := s.Prune(ctx, clk.Now().Add(-90*24*time.Hour))
	must(err)
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	must(err)
	after := live()
	copyPath := filepath.Join(filepath.Dir(path), "backup.db")
	must(s.Backup(ctx, copyPath, false))
	st, err := os.Stat(copyPath)
	must(err)
	b.Logf("pruned %+v: file %.1f MB, live %.1f MB, backup (VACUUM INTO) %.1f MB; %s", p, mb(fileSize()), mb(after), mb(st.Size()), rows())
	b.ReportMetric(mb(before), "MB-before-prune")
	b.ReportMetric(mb(after), "MB-live-after-prune")
	b.ReportMetric(mb(st.Size()), "MB-vacuumed-after-prune")
}

// BenchmarkBytesPerVisit measures what a visit costs the disk, for
// queue.BytesPerCheckIn and the reserve's size: the lobby of
// BenchmarkYearOfALobby runs a first day, then four more (1,200 visits,
// each checked in, called and served or checked out, its events and
// outbox rows settled by the centre as a sync does), and it reports the
// pages in use added per 1,000 visits ("B-per-1000-visits"). Then the
// purge of personal data and the prune of accepted changes run on
// everything, and it reports what the same visits take after
// ("B-per-1000-visits-purged"): the level a lobby settles at under its
// retention. Last, check-ins one by one, each alone in the WAL (as at a
// lobby's pace, where the checkpointer copies the WAL back a second after
// each): the WAL's bytes for one check-in ("B-WAL-per-check-in").
//
//	TMPDIR=/dev/shm go test ./queue -run '^$' -bench BytesPerVisit -benchtime 1x
func BenchmarkBytesPerVisit(b *testing.B) {
	for b.Loop() {
		bytesPerVisit(b)
	}
}

func bytesPerVisit(b *testing.B) {
	const days = 4
	path := filepath.Join(b.TempDir(), "kiosk.db")
	l := newLobby(b, path)
	defer l.s.Close()
	ctx, s, must := l.ctx, l.s, l.must
	live := func() int64 {
		b.Helper()
		must(s.Checkpoint(ctx))
		db, err := sql.Open("sqlite", sqldb.SQLiteReadDSN(path, false))
		must(err)
		defer db.Close()
		var pages, free, size int64
		must(db.QueryRowContext(ctx, "SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)").Scan(&pages, &free, &size))
		return (pages - free) * size
	}
	l.day(0, false)
	before := live()
	for d := 1; d <= days; d++ {
		l.day(d, false)
	}
	after := live()
	visits := int64(days * 300)
	perK := (after - before) * 1000 / visits
	// Everything's retention ends: personal data purged, accepted changes
	// pruned, as they are 30 and 90 days on.
	l.clk.Set(l.clk.Now().AddDate(0, 0, 1))
	_, err := s.Purge(ctx, l.clk.Now())
	must(err)
	_, err = s.Prune(ctx, l.clk.Now())
	must(err)
	purged := live()
	perKPurged := (purged - before) * 1000 / visits

	const n = 100
	var wal int64
	for i := range n {
		must(s.Checkpoint(ctx))
		_, err := s.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("Walk-in %d", i), Host: "Dr Ruiz", Phone: "+44 20 7946 0000", Service: "registration"}, queue.SourceKiosk)
		must(err)
		st, err := os.Stat(path + "-wal")
		must(err)
		wal += st.Size()
	}
	b.Logf("%d visits: %d bytes in use per 1,000 visits; after the purge and prune %d; WAL per check-in %d bytes", visits, perK, perKPurged, wal/n)
	b.ReportMetric(float64(perK), "B-per-1000-visits")
	b.ReportMetric(float64(perKPurged), "B-per-1000-visits-purged")
	b.ReportMetric(float64(wal/n), "B-WAL-per-check-in")
}
