package queue_test

import (
	"context"
	"testing"
	"time"

	"lobbyline/queue"
)

// TestClockJumpsKeepTheLineInOrder moves the kiosk's clock by twelve hours
// both ways in the middle of the day, across midnight each time (a dead
// RTC battery, NTP after boot), while people check in: every ticket in the
// room stays unique, the line keeps the order people arrived in, the desk
// calls the first of them, and no wait or estimate goes below zero.
func TestClockJumpsKeepTheLineInOrder(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	c.Advance(5 * time.Hour) // 14:00
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	var order []string
	seen := map[string]string{}
	checkIn := func(name string) {
		t.Helper()
		tk := mustCheckIn(t, s, name, "registration")
		if other, dup := seen[tk.Visit.Ticket]; dup {
			t.Fatalf("%s got ticket %s at %s; %s holds it and is still waiting", name, tk.Visit.Ticket, c.Now().Format("Jan 2 15:04"), other)
		}
		seen[tk.Visit.Ticket] = name
		order = append(order, name)
		if tk.Position != len(order) {
			t.Errorf("%s checked in %d. and was told place %d", name, len(order), tk.Position)
		}
		if e := tk.Estimate; e.Wait < 0 || e.Low < 0 || e.High < 0 {
			t.Errorf("%s was told a negative wait: %+v", name, e)
		}
	}
	checkIn("Ana")            // 14:00 on the 23rd: R-001 of the 23rd
	c.Advance(12 * time.Hour) // 02:00 on the 24th: a new day's sequence, but R-001 is in the room
	checkIn("Ben")
	c.Advance(-24 * time.Hour) // 02:00 on the 23rd: the 23rd's sequence again, R-002 is Ben's
	checkIn("Cy")
	c.Advance(12 * time.Hour) // 14:00 on the 23rd, right again
	checkIn("Di")
	c.Advance(-12 * time.Hour)
	checkIn("Eva")

	for _, jump := range []time.Duration{0, 12 * time.Hour, -24 * time.Hour, 12 * time.Hour} {
		c.Advance(jump)
		b, err := s.Board(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w := b.Lines[0].Waiting
		if len(w) != len(order) {
			t.Fatalf("at %s: %d in line, want %d", c.Now().Format("Jan 2 15:04"), len(w), len(order))
		}
		for i, x := range w {
			if x.Visit.Name != order[i] || x.Position != i+1 {
				t.Errorf("at %s: place %d is %s (position %d), want %s", c.Now().Format("Jan 2 15:04"), i+1, x.Visit.Name, x.Position, order[i])
			}
			if e := x.Estimate; e.Wait < 0 || e.Low < 0 || e.High < 0 {
				t.Errorf("at %s: %s's estimate is negative: %+v", c.Now().Format("Jan 2 15:04"), x.Visit.Name, e)
			}
		}
		if e := b.Lines[0].NextEstimate; e.Wait < 0 || e.Low < 0 || e.High < 0 {
			t.Errorf("at %s: the estimate for the next one is negative: %+v", c.Now().Format("Jan 2 15:04"), e)
		}
	}
	v := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	if v.Name != "Ana" {
		t.Fatalf("the desk called %s first, want Ana, who came first", v.Name)
	}
}

// TestClockSetBackDoesNotLockStaffOutForHours: a PIN lock that began
// before the clock was set back twelve hours ends at most an hour from
// then (the longest lock), not twelve hours later.
func TestClockSetBackDoesNotLockStaffOutForHours(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	ana := account(t, "st-ana00001", "Ana", queue.RoleReception, "135790", c.Now())
	pullStaff(t, s, 1, false, ana)
	for range queue.MaxPINFailures {
		_ = signInErr(s, ana.ID, "000000")
	}
	if code := queue.ErrorCode(signInErr(s, ana.ID, "135790")); code != queue.ELocked {
		t.Fatalf("right PIN while locked: %s", code)
	}
	c.Advance(-12 * time.Hour)
	if code := queue.ErrorCode(signInErr(s, ana.ID, "135790")); code != queue.ELocked {
		t.Fatalf("right PIN just after the clock was set back: %s; the lock still holds", code)
	}
	c.Advance(time.Hour)
	if _, err := s.SignIn(ctx, ana.ID, "135790"); err != nil {
		t.Fatalf("an hour after the clock was set back 12 h, the right PIN: %v", err)
	}
}

// TestClockSetBackInAnIncidentReport: an incident that began before the
// clock was set back twelve hours and ended after reports no negative
// length, and the waits of those who checked in during it none either.
func TestClockSetBackInAnIncidentReport(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	in, _, err := s.OpenIncident(ctx, "central unreachable", queue.SeverityMinor, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Minute)
	mustCheckIn(t, s, "Ana", "registration")
	c.Advance(-12 * time.Hour)
	if err := s.EndIncident(ctx, in.ID, c.Now(), "the problem is over"); err != nil {
		t.Fatal(err)
	}
	r, err := s.IncidentReport(ctx, in.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Duration < 0 || r.DrainTime < 0 {
		t.Errorf("incident of %v, drained in %v", r.Duration, r.DrainTime)
	}
	for _, w := range r.Waits {
		if w.Wait < 0 {
			t.Errorf("%s waited %v", w.Ticket, w.Wait)
		}
	}
}

// TestClockSetBackWaitsStillCountDown: after the clock is set back twelve
// hours, the board's waits count down again from the next call, instead
// of standing still until the clock reaches the check-in times it gave
// before.
func TestClockSetBackWaitsStillCountDown(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c) // registration: 10 min per visitor
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Ana", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Ben", "registration")
	mustCheckIn(t, s, "Cy", "registration")
	c.Advance(-12 * time.Hour)
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"}) // Ben
	high := func() time.Duration {
		t.Helper()
		b, err := s.Board(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w := b.Lines[0].Waiting
		if len(w) != 1 || w[0].Visit.Name != "Cy" {
			t.Fatalf("line %+v, want Cy alone", w)
		}
		return w[0].Estimate.High
	}
	at := high()
	c.Advance(4 * time.Minute)
	if later := high(); later != at-4*time.Minute {
		t.Fatalf("Cy's wait reads up to %v at the call and %v four minutes on; want it counting down", at, later)
	}
}
