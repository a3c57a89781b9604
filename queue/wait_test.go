package queue_test

import (
	"context"
	"testing"
	"time"

	"lobbyline/queue"
)

// TestWaitsBeforeHistory is issue 11: five people checked in for
// Registration before any history were all told the same range. Without
// history each place waits its own turn: (people ahead + 1) × the time per
// visitor ÷ the desks open.
func TestWaitsBeforeHistory(t *testing.T) {
	c := newClock()
	opts := testOptions(c)
	opts.Services[0].TimePerVisitor = 4 * time.Minute // registration; DefaultWait 10m is the older key, overridden
	s, err := queue.Open(context.Background(), t.TempDir()+"/kiosk.db", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	var tickets []queue.Ticket
	for _, name := range []string{"Ana", "Ben", "Cid", "Dan", "Eva"} {
		tickets = append(tickets, mustCheckIn(t, s, name, "registration"))
	}
	for i, tk := range tickets {
		if tk.OpenDesks != 0 {
			t.Errorf("%s: %d open desks at check-in, want 0", tk.Visit.Ticket, tk.OpenDesks)
		}
		// No desk open is taken as one for the figure, which the screens
		// do not show while no desk is open.
		if want := time.Duration(i+1) * 4 * time.Minute; tk.Estimate.Wait != want {
			t.Errorf("%s (place %d): estimate %v, want %v", tk.Visit.Ticket, i+1, tk.Estimate.Wait, want)
		}
	}

	// Two desks open, both free: the first two are next; the others wait
	// for a turn at one of them.
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Luis"})
	b, err := s.Board(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	line := b.Lines[0]
	if line.Service.ID != "registration" || line.OpenDesks != 2 || line.FreeDesks != 2 {
		t.Fatalf("line %s: %d open, %d free; want registration, 2, 2", line.Service.ID, line.OpenDesks, line.FreeDesks)
	}
	want := []time.Duration{0, 0, 2 * time.Minute, 4 * time.Minute, 6 * time.Minute}
	for i, w := range line.Waiting {
		if w.Estimate.Wait != want[i] {
			t.Errorf("place %d: %v, want %v", w.Position, w.Estimate.Wait, want[i])
		}
	}

	// Both desks call: Cid is now first, behind two busy desks.
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Luis"})
	tk := mustCheckIn(t, s, "Fay", "registration")
	if tk.OpenDesks != 2 || tk.Position != 4 || tk.Estimate.Wait != 8*time.Minute {
		t.Errorf("Fay: place %d, %d desks, %v; want place 4, 2 desks, 8m", tk.Position, tk.OpenDesks, tk.Estimate.Wait)
	}
}

// TestWaitsCountDown: the board's estimates for those already waiting are
// what remains, and a wait past the top of its range is estimated again.
func TestWaitsCountDown(t *testing.T) {
	c := newClock()
	s := mustOpenStore(t, "", c) // registration: 10 min per visitor
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Ana", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Ben", "registration") // first, desk busy: 10 min (5–15)

	wait := func() time.Duration {
		t.Helper()
		b, err := s.Board(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return b.Lines[0].Waiting[0].Estimate.High
	}
	steps := []struct {
		after time.Duration
		high  time.Duration
	}{
		{0, 15 * time.Minute},
		{4 * time.Minute, 11 * time.Minute},
		{10 * time.Minute, 5 * time.Minute},
		{16 * time.Minute, 14 * time.Minute}, // past 15 min: estimated again at 15
	}
	var done time.Duration
	for _, st := range steps {
		c.Advance(st.after - done)
		done = st.after
		if got := wait(); got != st.high {
			t.Errorf("after %v: top of range %v, want %v", st.after, got, st.high)
		}
	}
}

// With no desk open no estimate is shown, so none is logged for an
// incident report to score.
func TestNoEstimateLoggedWithNoDeskOpen(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	in, _, err := s.OpenIncident(ctx, "centre unreachable", queue.SeverityMinor, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	mustCheckIn(t, s, "Ana", "registration") // no desk open
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	bo := mustCheckIn(t, s, "Bo", "registration")
	c.Advance(5 * time.Minute)
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	c.Advance(5 * time.Minute)
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	r, err := s.IncidentReport(ctx, in.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.CheckIns != 2 || len(r.Waits) != 1 || r.Waits[0].Ticket != bo.Visit.Ticket || r.Waits[0].Estimate != bo.Estimate.Wait {
		t.Fatalf("check-ins %d, waits scored %+v; want 2 and Bo's alone, estimate %v", r.CheckIns, r.Waits, bo.Estimate.Wait)
	}
}
