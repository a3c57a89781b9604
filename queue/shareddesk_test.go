package queue_test

import (
	"cmp"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/estimate"
)

// openSharedStore opens a store whose services all take 4 min per visitor
// (no history), with desks.
func openSharedStore(t *testing.T, c *clock, desks ...queue.Desk) *queue.Store {
	t.Helper()
	return openTimedStore(t, c, nil, desks...)
}

// openTimedStore is openSharedStore with times per visitor by service
// (4 min for one not named).
func openTimedStore(t *testing.T, c *clock, times map[string]time.Duration, desks ...queue.Desk) *queue.Store {
	t.Helper()
	opts := testOptions(c)
	for i, svc := range opts.Services {
		opts.Services[i].TimePerVisitor = cmp.Or(times[svc.ID], 4*time.Minute)
	}
	opts.Desks = desks
	s, err := queue.Open(context.Background(), t.TempDir()+"/kiosk.db", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// place is a waiting visit as the board shows it.
type place struct {
	queue.Waiting
	line queue.Line
}

func boardPlaces(t *testing.T, s *queue.Store) (queue.Board, map[string]place) {
	t.Helper()
	b, err := s.Board(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]place)
	for _, l := range b.Lines {
		for _, w := range l.Waiting {
			out[w.Visit.Ticket] = place{w, l}
		}
	}
	return b, out
}

func lineOf(t *testing.T, b queue.Board, service string) queue.Line {
	t.Helper()
	for _, l := range b.Lines {
		if l.Service.ID == service {
			return l
		}
	}
	t.Fatalf("no line %s", service)
	return queue.Line{}
}

func callNext(t *testing.T, s *queue.Store, desk string) queue.Visit {
	t.Helper()
	return mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: desk, Staff: "Marta"})
}

// The tester's walk: Desk 1 serves Visit a patient and Registration; V-001,
// V-002, V-003 and then R-001 check in. The desk will call the three
// patient visitors first, so R-001 is fourth, not next; as they are called
// R-001 moves up and is never told a longer wait than before; and every
// place the board shows agrees with the order the desk calls in.
func TestSharedDeskCountsEveryoneItCallsFirst(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"visit", "registration"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"pharmacy"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	for _, name := range []string{"Ana", "Ben", "Cid"} {
		mustCheckIn(t, s, name, "visit")
	}
	r1 := mustCheckIn(t, s, "Rita", "registration")
	// One desk, free: V-001 goes at once; R-001 waits for three turns.
	if r1.Visit.Ticket != "R-001" || r1.Position != 4 || r1.OpenDesks != 1 || r1.Estimate.Wait != 12*time.Minute {
		t.Errorf("%s: place %d, %d desks, %v; want R-001, place 4, 1 desk, 12m", r1.Visit.Ticket, r1.Position, r1.OpenDesks, r1.Estimate.Wait)
	}
	b, places := boardPlaces(t, s)
	if p := places["R-001"]; p.Position != 4 || p.Estimate != r1.Estimate {
		t.Errorf("board R-001: place %d, %+v; the ticket said place 4, %+v", p.Position, p.Estimate, r1.Estimate)
	}
	// Someone joining either line now comes after all four.
	for _, svc := range []string{"visit", "registration"} {
		if got := lineOf(t, b, svc).NextEstimate.Wait; got != 16*time.Minute {
			t.Errorf("%s: check in now %v, want 16m (after four at one desk, one of them at once)", svc, got)
		}
	}
	v4 := mustCheckIn(t, s, "Dan", "visit")
	if v4.Position != 5 {
		t.Errorf("V-004 is told place %d; R-001 is ahead of them at the desk, so 5", v4.Position)
	}

	before := places["R-001"].Estimate
	wantOrder := []string{"V-001", "V-002", "V-003", "R-001", "V-004"}
	for i, want := range wantOrder {
		c.Advance(time.Minute)
		if v := callNext(t, s, "desk-1"); v.Ticket != want {
			t.Fatalf("call %d: desk called %s, want %s", i+1, v.Ticket, want)
		}
		b, places := boardPlaces(t, s)
		// Every place is the order Desk 1 calls in, across both lines,
		// and a later place is never told a shorter wait.
		var last estimate.Range
		for k, ticket := range wantOrder[i+1:] {
			p := places[ticket]
			if p.Position != k+1 {
				t.Errorf("after calling %s: %s at place %d, want %d", want, ticket, p.Position, k+1)
			}
			if p.Estimate.Wait < last.Wait || p.Estimate.High < last.High {
				t.Errorf("after calling %s: %s told %v (to %v), less than the place ahead (%v, to %v)",
					want, ticket, p.Estimate.Wait, p.Estimate.High, last.Wait, last.High)
			}
			last = p.Estimate
		}
		for _, svc := range []string{"visit", "registration"} {
			if next := lineOf(t, b, svc).NextEstimate; next.Wait < last.Wait {
				t.Errorf("after calling %s: %s check in now %v, less than the last in line (%v)", want, svc, next.Wait, last.Wait)
			}
		}
		if p, ok := places["R-001"]; ok {
			if p.Estimate.Wait > before.Wait || p.Estimate.High > before.High {
				t.Errorf("after calling %s: R-001 told %v (to %v), more than before (%v, to %v)",
					want, p.Estimate.Wait, p.Estimate.High, before.Wait, before.High)
			}
			before = p.Estimate
		}
	}
}

// Desk 1 serves Registration and Visit a patient, Desk 2 patient visitors
// only. Desk 2 takes its share of the patient visitors, so R-001's wait
// counts the ones Desk 1 calls, not all of them; its place is its turn
// among everyone the two desks call: fourth.
func TestDeskServingOneOfTwoServices(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"visit"}},
		queue.Desk{ID: "desk-3", Name: "Desk 3", Services: []string{"pharmacy"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Luis"})
	var tickets []queue.Ticket
	for _, name := range []string{"Ana", "Ben", "Cid"} {
		tickets = append(tickets, mustCheckIn(t, s, name, "visit"))
	}
	tickets = append(tickets, mustCheckIn(t, s, "Rita", "registration"))
	// Both desks free: Desk 1 takes V-001 and Desk 2 V-002 at once; then
	// Desk 1 V-003 (Desk 2 is as quick, 2 min for the pair); then Desk 1
	// R-001, after two of its own calls, one at once: 8 min, and fourth of
	// the two desks' calls.
	want := []struct {
		ticket   string
		position int
		wait     time.Duration
	}{
		{"V-001", 1, 0},
		{"V-002", 2, 0},
		{"V-003", 3, 2 * time.Minute},
		{"R-001", 4, 8 * time.Minute},
	}
	b, places := boardPlaces(t, s)
	for i, w := range want {
		tk, p := tickets[i], places[w.ticket]
		if tk.Visit.Ticket != w.ticket || tk.Position != w.position || tk.Estimate.Wait != w.wait {
			t.Errorf("ticket %s: place %d, %v; want %s, place %d, %v", tk.Visit.Ticket, tk.Position, tk.Estimate.Wait, w.ticket, w.position, w.wait)
		}
		if p.Position != w.position || p.Estimate.Wait != w.wait {
			t.Errorf("board %s: place %d, %v; want place %d, %v", w.ticket, p.Position, p.Estimate.Wait, w.position, w.wait)
		}
	}
	if l := lineOf(t, b, "visit"); l.OpenDesks != 2 || l.FreeDesks != 2 || l.NextEstimate.Wait != 4*time.Minute {
		t.Errorf("visit: %d open, %d free, check in now %v; want 2, 2, 4m", l.OpenDesks, l.FreeDesks, l.NextEstimate.Wait)
	}
	if l := lineOf(t, b, "registration"); l.OpenDesks != 1 || l.FreeDesks != 1 || l.NextEstimate.Wait != 12*time.Minute {
		t.Errorf("registration: %d open, %d free, check in now %v; want 1, 1, 12m", l.OpenDesks, l.FreeDesks, l.NextEstimate.Wait)
	}
	// What the board said is what the desks do, freeing in turn.
	for _, step := range []struct{ desk, ticket string }{
		{"desk-1", "V-001"}, {"desk-2", "V-002"}, {"desk-1", "V-003"}, {"desk-1", "R-001"},
	} {
		if v := callNext(t, s, step.desk); v.Ticket != step.ticket {
			t.Fatalf("%s called %s, want %s", step.desk, v.Ticket, step.ticket)
		}
	}
}

// A free desk takes the first it can serve at once: a patient visitor
// behind a Registration visitor is "any moment now" when a patients-only
// desk is free, while the Registration visitor ahead waits for the busy
// shared desk.
func TestFreeDeskTakesAtOnce(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"visit"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Zoe", "registration")
	callNext(t, s, "desk-1") // Desk 1 busy with R-001
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Luis"})
	r := mustCheckIn(t, s, "Rita", "registration")
	v := mustCheckIn(t, s, "Ana", "visit")
	if r.Position != 1 || r.Estimate.Wait != 4*time.Minute {
		t.Errorf("%s: place %d, %v; want first at the busy Desk 1, 4m", r.Visit.Ticket, r.Position, r.Estimate.Wait)
	}
	if v.Position != 1 || v.Estimate.Wait != 0 || v.Estimate.High != 0 {
		t.Errorf("%s: place %d, %+v; want next for the free Desk 2, any moment now", v.Visit.Ticket, v.Position, v.Estimate)
	}
	// Desk 2, free, calls V-001 at once: R-002 is now second in the
	// order the two desks call in, and its wait is the same.
	_, places := boardPlaces(t, s)
	if p := places[r.Visit.Ticket]; p.Position != 2 || p.Estimate != r.Estimate {
		t.Errorf("board %s: place %d, %+v; want 2, after V-001, and the ticket's %+v", r.Visit.Ticket, p.Position, p.Estimate, r.Estimate)
	}
	if p := places[v.Visit.Ticket]; p.Position != 1 || p.Estimate != v.Estimate {
		t.Errorf("board %s: place %d, %+v; ticket said 1, %+v", v.Visit.Ticket, p.Position, p.Estimate, v.Estimate)
	}
	if got := callNext(t, s, "desk-2"); got.ID != v.Visit.ID {
		t.Errorf("the free Desk 2 called %s, want %s", got.Ticket, v.Visit.Ticket)
	}
}

// A line no open desk serves keeps its own order and says so (OpenDesks
// 0), whatever the shared desks of other lines do.
func TestNoDeskOpenForAService(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"pharmacy", "visit"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustCheckIn(t, s, "Ana", "visit")
	mustCheckIn(t, s, "Ben", "visit")
	var ps []queue.Ticket
	for _, name := range []string{"Pia", "Pol"} {
		ps = append(ps, mustCheckIn(t, s, name, "pharmacy"))
	}
	b, places := boardPlaces(t, s)
	l := lineOf(t, b, "pharmacy")
	if l.OpenDesks != 0 || l.FreeDesks != 0 {
		t.Errorf("pharmacy: %d open, %d free; want none", l.OpenDesks, l.FreeDesks)
	}
	for i, tk := range ps {
		p := places[tk.Visit.Ticket]
		if tk.OpenDesks != 0 || tk.Position != i+1 || p.Position != i+1 {
			t.Errorf("%s: ticket place %d with %d desks, board place %d; want place %d, no desk", tk.Visit.Ticket, tk.Position, tk.OpenDesks, p.Position, i+1)
		}
	}
	// Desk 2 opens: the pharmacy visitors now wait behind the patient
	// visitors Desk 2 may call first.
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Luis"})
	_, places = boardPlaces(t, s)
	// Free desks in desk order: Desk 1 takes V-001, Desk 2 V-002; then
	// Desk 1 has nobody, Desk 2 P-001, then P-002: the third and fourth
	// calls of the two linked desks.
	for ticket, want := range map[string]int{"V-001": 1, "V-002": 2, "P-001": 3, "P-002": 4} {
		if got := places[ticket].Position; got != want {
			t.Errorf("after Desk 2 opened: %s at place %d, want %d", ticket, got, want)
		}
	}
}

// When each desk serves one service, nothing changes: every line is its
// own, places are places in it, and a ticket counts its own line. Desks 1
// and 2 both serve Registration alone.
func TestSingleServiceDesksUnchanged(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"registration"}},
		queue.Desk{ID: "desk-3", Name: "Desk 3", Services: []string{"visit"}},
		queue.Desk{ID: "desk-4", Name: "Desk 4", Services: []string{"pharmacy"}})
	for _, d := range []string{"desk-1", "desk-2", "desk-3"} {
		mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: d, Staff: "Marta"})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	services := []string{"registration", "visit", "pharmacy"}
	desks := []string{"desk-1", "desk-2", "desk-3"}
	for step := range 60 {
		c.Advance(time.Duration(rng.IntN(120)) * time.Second)
		if rng.IntN(3) > 0 {
			svc := services[rng.IntN(len(services))]
			b, _ := boardPlaces(t, s)
			inLine := len(lineOf(t, b, svc).Waiting)
			tk := mustCheckIn(t, s, "Ana", svc)
			if tk.Position != inLine+1 {
				t.Fatalf("step %d: %s is told place %d with %d in its line", step, tk.Visit.Ticket, tk.Position, inLine)
			}
		} else if _, err := s.Apply(context.Background(), queue.Command{Action: queue.ActCallNext, Desk: desks[rng.IntN(len(desks))], Staff: "Marta"}); err != nil && queue.ErrorCode(err) != queue.EConflict {
			t.Fatal(err)
		}
		b, _ := boardPlaces(t, s)
		for _, l := range b.Lines {
			for i, w := range l.Waiting {
				if w.Position != i+1 {
					t.Fatalf("step %d: %s at place %d of its own line, told %d", step, w.Visit.Ticket, i+1, w.Position)
				}
			}
		}
	}
}

// The places the board shows are the order the desks call in: with desks
// serving overlapping sets of services, some open, some busy, everyone's
// place is one more than the calls made before theirs by the desks linked
// to theirs through shared services, when the desks free in turn (the free
// ones first) and call as Call next does; and along those calls nobody is
// told a shorter wait than someone called before them.
func TestPlacesAreTheCallOrder(t *testing.T) {
	desks := []queue.Desk{
		{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
		{ID: "desk-2", Name: "Desk 2", Services: []string{"visit"}},
		{ID: "desk-3", Name: "Desk 3", Services: []string{"pharmacy", "registration"}},
		{ID: "desk-4", Name: "Desk 4", Services: []string{"pharmacy"}},
	}
	services := []string{"registration", "visit", "pharmacy"}
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 7))
		c := newClock()
		s := openSharedStore(t, c, desks...)
		var open []queue.Desk
		for _, d := range desks {
			if rng.IntN(3) > 0 {
				open = append(open, d)
				mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: d.ID, Staff: "Marta"})
			}
		}
		checkIn := func(n int) {
			for range n {
				c.Advance(time.Duration(rng.IntN(90)) * time.Second)
				tk := mustCheckIn(t, s, "Ana", services[rng.IntN(len(services))])
				// The ticket counts as the board does (check-in reads
				// a lone line's count, the board plays out every call).
				if _, places := boardPlaces(t, s); places[tk.Visit.Ticket].Position != tk.Position ||
					places[tk.Visit.Ticket].Estimate != tk.Estimate || places[tk.Visit.Ticket].line.OpenDesks != tk.OpenDesks {
					t.Errorf("seed %d: ticket %s says place %d, %+v, %d desks; the board %+v", seed, tk.Visit.Ticket, tk.Position, tk.Estimate, tk.OpenDesks, places[tk.Visit.Ticket])
				}
			}
		}
		checkIn(4)
		for _, d := range open { // some desks are busy
			if rng.IntN(2) == 0 {
				_, _ = s.Apply(context.Background(), queue.Command{Action: queue.ActCallNext, Desk: d.ID, Staff: "Marta"})
			}
		}
		checkIn(12)
		b, places := boardPlaces(t, s)
		busy := map[string]bool{}
		for _, d := range b.Desks {
			busy[d.Desk.ID] = d.Serving != nil
		}

		// The open desks' groups: services linked by a desk serving both.
		group := map[string]string{}
		var find func(string) string
		find = func(svc string) string {
			if g, ok := group[svc]; ok && g != svc {
				return find(g)
			}
			return svc
		}
		for _, d := range open {
			for _, svc := range d.Services {
				if a, b := find(d.Services[0]), find(svc); a != b {
					group[b] = a
				}
			}
		}
		called := map[string]int{}          // group → calls so far
		told := map[string]estimate.Range{} // group → the wait told to the last called
		turn := func(d queue.Desk) bool {
			v, err := s.Apply(context.Background(), queue.Command{Action: queue.ActCallNext, Desk: d.ID, Staff: "Marta"})
			if queue.ErrorCode(err) == queue.EConflict {
				return false
			}
			if err != nil {
				t.Fatal(err)
			}
			g, p := find(v.Service), places[v.Ticket]
			if p.Position != called[g]+1 {
				t.Errorf("seed %d: %s told place %d, called after %d by its desks", seed, v.Ticket, p.Position, called[g])
			}
			if last := told[g]; p.Estimate.Wait < last.Wait || p.Estimate.Low < last.Low || p.Estimate.High < last.High {
				t.Errorf("seed %d: %s told %+v, less than %+v told to someone called before", seed, v.Ticket, p.Estimate, last)
			}
			delete(places, v.Ticket)
			called[g]++
			told[g] = p.Estimate
			return true
		}
		for _, d := range open {
			if !busy[d.ID] {
				turn(d)
			}
		}
		for moved := true; moved; {
			moved = false
			for _, d := range open {
				if turn(d) {
					moved = true
				}
			}
		}
		// Whoever is left has no open desk, and keeps their place in
		// their own line.
		for ticket, p := range places {
			if p.line.OpenDesks != 0 {
				t.Errorf("seed %d: %s never called, though %d desks serve it", seed, ticket, p.line.OpenDesks)
			}
		}
	}
}

// With no history yet, the patient visitors a shared desk calls before a
// Registration visitor count at a patient visit's time (2 min), not at
// Registration's (6 min): R-001 behind three of them at a free desk is
// told 6 min (3–9), what the desk will take, on the ticket and the board.
func TestSharedDeskCountsOtherLinesAtTheirOwnTime(t *testing.T) {
	c := newClock()
	s := openTimedStore(t, c, map[string]time.Duration{"registration": 6 * time.Minute, "visit": 2 * time.Minute},
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"visit", "registration"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	for _, name := range []string{"Ana", "Ben", "Cid"} {
		mustCheckIn(t, s, name, "visit")
	}
	tk, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: "Rita", Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Position != 4 || tk.Estimate.Wait != 6*time.Minute {
		t.Errorf("R-001's ticket: place %d, %v; want place 4, 6m (two patient visits after the first, and the one at the desk, 2 min each)", tk.Position, tk.Estimate.Wait)
	}
	b, places := boardPlaces(t, s)
	if r := places["R-001"]; r.Position != 4 || r.Estimate.Wait != 6*time.Minute {
		t.Errorf("R-001 on the board: place %d, %v; want 4, 6m", r.Position, r.Estimate.Wait)
	}
	// Someone joining Registration now: three patient visits and R-001
	// ahead, 3 min a call on average, the first at the free desk.
	if got := lineOf(t, b, "registration").NextEstimate.Wait; got != 12*time.Minute {
		t.Errorf("Registration, check in now: %v, want 12m", got)
	}
}

// The tester's layout: Desk 1 serves Registration and Visit a patient,
// Desk 2 Pharmacy, Registration and Visit a patient, V-001,
// V-002 and then P-001 check in. Desk 2 calls P-001 only
// when nobody of the other two lines is left, so P-001 is seventh, not
// fourth; every place is a turn in the two desks' one order, waits never
// go down along it, and so it stays as the desks call.
func TestLinkedDesksCallInOneOrder(t *testing.T) {
	c := newClock()
	s := openSharedStore(t, c,
		queue.Desk{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
		queue.Desk{ID: "desk-2", Name: "Desk 2", Services: []string{"pharmacy", "registration", "visit"}})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Luis"})
	tickets := map[string]queue.Ticket{}
	for _, svc := range []string{"registration", "registration", "visit", "registration", "registration", "visit", "pharmacy"} {
		b, _ := boardPlaces(t, s)
		next := lineOf(t, b, svc).NextEstimate
		tk := mustCheckIn(t, s, "Ana", svc)
		if tk.Estimate != next {
			t.Errorf("%s: the board said %+v for checking in now, the ticket says %+v", tk.Visit.Ticket, next, tk.Estimate)
		}
		tickets[tk.Visit.Ticket] = tk
	}
	want := []string{"R-001", "R-002", "V-001", "R-003", "R-004", "V-002", "P-001"}
	if p := tickets["P-001"]; p.Position != 7 {
		t.Errorf("P-001's ticket: place %d, want 7 (Desk 2 calls it after everyone else)", p.Position)
	}
	check := func(when string, order []string) {
		t.Helper()
		_, places := boardPlaces(t, s)
		var last estimate.Range
		for k, ticket := range order {
			p := places[ticket]
			if p.Position != k+1 {
				t.Errorf("%s: %s at place %d, want %d", when, ticket, p.Position, k+1)
			}
			if p.Estimate.Wait < last.Wait || p.Estimate.Low < last.Low || p.Estimate.High < last.High {
				t.Errorf("%s: %s (place %d) told %+v, less than the place before (%+v)", when, ticket, k+1, p.Estimate, last)
			}
			last = p.Estimate
		}
	}
	check("before any call", want)
	_, places := boardPlaces(t, s)
	if p := places["P-001"]; p.Position != tickets["P-001"].Position || p.Estimate != tickets["P-001"].Estimate {
		t.Errorf("board P-001: place %d, %+v; the ticket said %d, %+v", p.Position, p.Estimate, tickets["P-001"].Position, tickets["P-001"].Estimate)
	}
	if r4, v2, p1 := places["R-004"].Estimate, places["V-002"].Estimate, places["P-001"].Estimate; p1.Wait < v2.Wait || v2.Wait < r4.Wait || p1.High < v2.High || v2.High < r4.High {
		t.Errorf("places 5, 6, 7 told %+v, %+v, %+v: a later place is told less", r4, v2, p1)
	}
	for i, desk := range []string{"desk-1", "desk-2", "desk-1", "desk-2", "desk-1", "desk-2", "desk-2"} {
		c.Advance(time.Minute)
		if v := callNext(t, s, desk); v.Ticket != want[i] {
			t.Fatalf("call %d: %s called %s, want %s", i+1, desk, v.Ticket, want[i])
		}
		check("after calling "+want[i], want[i+1:])
	}
}
