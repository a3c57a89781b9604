package queue_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestPruneRemovesOnlySyncedOldRows(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)

	// Day 0: three check-ins the centre accepted, a line of the
	// connectivity log, and an outage that was reported, with samples.
	for _, name := range []string{"Old One", "Old Two", "Old Three"} {
		mustCheckIn(t, s, name, "registration")
	}
	if err := s.LogConnectivity(ctx, queue.ConnectivityChange{At: c.Now(), State: "offline"}); err != nil {
		t.Fatal(err)
	}
	reported, _, err := s.OpenIncident(ctx, "centre down", queue.SeverityMinor, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddSample(ctx, reported.ID, queue.Sample{At: c.Now(), Waiting: 3, Backlog: 3}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if err := s.EndIncident(ctx, reported.ID, c.Now(), "back"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDrained(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReportIncident(ctx, reported.ID, nil); err != nil || !ok {
		t.Fatalf("report incident: %v, %v", ok, err)
	}
	if err := s.LogConnectivity(ctx, queue.ConnectivityChange{At: c.Now(), State: "online"}); err != nil {
		t.Fatal(err)
	}
	settleAll(t, s)
	// Day 1: a change the centre has not accepted, and an outage still
	// open, whose report needs what happened since it began.
	c.Advance(24 * time.Hour)
	unsent := mustCheckIn(t, s, "Unsent", "registration")
	open, _, err := s.OpenIncident(ctx, "centre down again", queue.SeverityMinor, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddSample(ctx, open.ID, queue.Sample{At: c.Now(), Waiting: 1, Backlog: 1}); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "foreign_keys(1)", "busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventsBefore := count(t, db, "SELECT count(*) FROM events")
	maxSeq := count(t, db, "SELECT max(seq) FROM outbox")

	// The append-only log refuses a deletion outside a prune.
	if _, err := db.Exec("DELETE FROM events WHERE id = 1"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("a plain delete of an event: %v; want refused", err)
	}
	if _, err := db.Exec("DELETE FROM outbox WHERE seq = 1"); err == nil {
		t.Fatal("a plain delete of an outbox row went through")
	}

	// 100 days on, prune what is older than 90 days: the open incident
	// holds the cut-off at its start, a day after the old rows.
	c.Advance(100 * 24 * time.Hour)
	p, err := s.Prune(ctx, c.Now().Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Cutoff.Equal(open.Start) {
		t.Errorf("cut-off %s; want the open incident's start %s", p.Cutoff, open.Start)
	}
	// Day 0 wrote three check-ins and the incident's summary, all
	// accepted (the unsent change is the newest, so none of them need stay
	// for the sequence); of its two connectivity lines the newer stays, as
	// the state the kiosk is in.
	if p.Outbox != 4 || p.Events != 4 || p.Connectivity != 1 || p.Samples != 1 {
		t.Errorf("pruned %+v; want 4 changes and their events, 1 connectivity line, 1 sample", p)
	}
	if got := count(t, db, "SELECT count(*) FROM events"); got != eventsBefore-4 {
		t.Errorf("%d events left; want %d", got, eventsBefore-4)
	}
	pending, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].Seq != int64(maxSeq) {
		t.Fatalf("pending after the prune = %+v, %v; want the unsent change", pending, err)
	}
	if n := count(t, db, "SELECT count(*) FROM events WHERE visit_id = ?", unsent.Visit.ID); n != 1 {
		t.Errorf("the unsent change's event: %d rows", n)
	}
	if got, err := s.Samples(ctx, open.ID); err != nil || len(got) != 1 {
		t.Errorf("the open incident's samples = %v, %v; want kept", got, err)
	}
	if got, err := s.Samples(ctx, reported.ID); err != nil || len(got) != 0 {
		t.Errorf("the reported incident's samples = %v, %v; want pruned", got, err)
	}
	// The visits themselves stay: reports and exports read them.
	if n := count(t, db, "SELECT count(*) FROM visits"); n != 4 {
		t.Errorf("%d visits; want 4", n)
	}
	// Nothing was numbered twice: the next change follows the newest.
	next := mustCheckIn(t, s, "After Prune", "registration")
	pending, _ = s.PendingOutbox(ctx, 10)
	if len(pending) != 2 || pending[1].Seq != int64(maxSeq)+1 {
		t.Errorf("outbox after a new change = %+v; want sequence %d", pending, maxSeq+1)
	}
	if next.Visit.Ticket == "" {
		t.Error("no ticket after the prune")
	}
	if ok, err := s.IntegrityCheck(ctx); err != nil || ok != "ok" {
		t.Errorf("integrity check = %q, %v", ok, err)
	}
}

func TestPruneKeepsTheNewestOutboxRowAndTheEstimatorsHistory(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	mustCheckIn(t, s, "A", "registration")
	mustCheckIn(t, s, "B", "registration")
	settleAll(t, s)
	c.Advance(10 * 24 * time.Hour)
	// A cut-off younger than the estimator's history is moved back.
	if p, err := s.Prune(ctx, c.Now()); err != nil || p.Outbox != 0 || p.Events != 0 {
		t.Fatalf("prune inside the estimator's history = %+v, %v; want nothing", p, err)
	}
	c.Advance(30 * 24 * time.Hour)
	p, err := s.Prune(ctx, c.Now())
	if err != nil || p.Outbox != 1 || p.Events != 1 {
		t.Fatalf("prune = %+v, %v; want all but the newest change", p, err)
	}
	s.Close()
	// The same sequence continues after a restart.
	s = mustOpenStore(t, path, c)
	mustCheckIn(t, s, "C", "registration")
	pending, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].Seq != 3 {
		t.Errorf("pending = %+v, %v; want sequence 3", pending, err)
	}
}
