package kiosk

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
)

// placesOf is where each of objs is in the window, after a layout as a
// frame would do it.
func placesOf(u *UI, objs ...fyne.CanvasObject) []fyne.Position {
	u.Window().Content().Refresh()
	d := fyne.CurrentApp().Driver()
	out := make([]fyne.Position, len(objs))
	for i, o := range objs {
		out[i] = d.AbsolutePositionForObject(o)
	}
	return out
}

// shown says whether o is drawn in the window: it and everything around
// it visible.
func shown(t *testing.T, u *UI, o fyne.CanvasObject) bool {
	found := false
	walk(t, u.Window().Content(), func(c fyne.CanvasObject) { found = found || c == o })
	return found
}

// demoSupervisor is the name the demo signs in with: longer than
// Carmen, so the desk's state wraps sooner.
var demoSupervisor = queue.StaffAccount{ID: "st-demosup1", Name: "Demo supervisor", Role: queue.RoleSupervisor}

// After a visitor is served the desk is open and free, and says so; it
// does not claim that nobody was called.
func TestStaffDeskSaysItIsFreeAfterServing(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	s := u.staff
	test.Tap(s.openDesk)
	if got := s.serving.Text; got != "Desk 1 is open (Carmen) and free. Nobody is waiting for it." {
		t.Errorf("open, nobody waiting: %q", got)
	}
	f.checkIn(t, "Ana García", "registration")
	f.checkIn(t, "Bo Li", "registration")
	u.reload()
	if got := s.serving.Text; got != "Desk 1 is open (Carmen) and free: call the next visitor." {
		t.Errorf("open, two waiting: %q", got)
	}
	test.Tap(s.callNext)
	test.Tap(s.served)
	if got := s.serving.Text; got != "Desk 1 is open (Carmen) and free: call the next visitor." {
		t.Errorf("R-001 served, R-002 waiting: %q", got)
	}
	test.Tap(s.callNext)
	test.Tap(s.noShow)
	if got := s.serving.Text; got != "Desk 1 is open (Carmen) and free. Nobody is waiting for it." {
		t.Errorf("R-002 a no-show, nobody waiting: %q", got)
	}
	if got := s.status.Text; got != "R-002 marked as a no-show." {
		t.Errorf("status %q", got)
	}
}

// A desk that does not call from a line is not told to call while only
// that line has people waiting.
func TestStaffDeskCountsOnlyItsOwnLines(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	desk, other := testDesks[1], "visit" // Desk 2 calls from registration only
	if slices.Contains(desk.Services, other) {
		t.Fatalf("%s calls from %s", desk.Name, other)
	}
	f.checkIn(t, "Ana García", other)
	u.chooseDesk(desk.ID)
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActOpenDesk, Desk: desk.ID, Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	u.reload()
	if got := u.staff.serving.Text; !strings.HasSuffix(got, "Nobody is waiting for it.") {
		t.Errorf("%s does not call from %s, where Ana waits: %q", desk.Name, other, got)
	}
}

// The desk's buttons stay where they are whatever the line above them
// says, in every language, on both screens: closed, open and free, serving
// someone, free again.
func TestStaffDeskButtonsNeverMove(t *testing.T) {
	if testing.Short() {
		t.Skip("every language")
	}
	for _, size := range []fyne.Size{landscape, portrait} {
		for _, code := range translationCodes(t) {
			t.Run(sizeName(size)+"/"+code, func(t *testing.T) {
				f := newFixture(t, func(c *Config) { c.Languages = translationCodes(t) })
				addAccount(t, f.store, demoSupervisor, "246810", f.clock.Now())
				u := f.ui
				u.Window().Resize(size)
				u.chooseLanguage(code)
				f.signInAs(t, demoSupervisor.Name, "246810")
				s := u.staff
				u.Window().Resize(size)
				buttons := []fyne.CanvasObject{s.callNext, s.recall, s.served, s.noShow}
				before := placesOf(u, buttons...)
				step := func(what string) {
					t.Helper()
					if got := placesOf(u, buttons...); !slices.Equal(got, before) {
						t.Errorf("%s (%q): the desk's buttons are at %v, were at %v", what, s.serving.Text, got, before)
					}
				}
				test.Tap(s.openDesk)
				step("open, nobody waiting")
				f.checkIn(t, "Visitor Number 1", "registration")
				f.checkIn(t, "Visitor Number 2", "registration")
				u.reload()
				step("open, two waiting")
				test.Tap(s.callNext)
				step("serving")
				test.Tap(s.served)
				step("served")
				test.Tap(s.callNext)
				test.Tap(s.served)
				step("served, nobody waiting")
				s.findEntry.SetText(strings.Repeat("Bartholomew Featherstonehaugh ", 4))
				u.findVisits(s.findEntry.Text)
				step("a long result: " + s.status.Text)
			})
		}
	}
}

// Per-visit actions are live only while the selected visit's state
// allows them; a visit the desk called, served or marked a no-show does
// not become the selected one, and a visit that has left every list the
// screen shows is no longer selected.
func TestStaffVisitActionsFollowTheVisitsState(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	s := u.staff
	test.Tap(s.openDesk)
	ana := f.checkIn(t, "Ana García", "registration")
	bo := f.checkIn(t, "Bo Li", "registration")
	u.reload()
	live := func(what string, cancel, front, transfer bool, pick string) {
		t.Helper()
		if got := [3]bool{!s.cancel.Disabled(), !s.front.Disabled(), !s.transfer.Disabled()}; got != [3]bool{cancel, front, transfer} {
			t.Errorf("%s: cancel, move to front, transfer live %v, want %v", what, got, [3]bool{cancel, front, transfer})
		}
		if s.pick.Text != pick {
			t.Errorf("%s: %q, want %q", what, s.pick.Text, pick)
		}
	}
	nothing := "Tap a visit in the list, or find one, to act on it."

	// Served with nothing selected: still nothing selected.
	test.Tap(s.callNext)
	live("R-001 called", false, false, false, nothing)
	test.Tap(s.recall)
	live("R-001 called again", false, false, false, nothing)
	test.Tap(s.served)
	live("R-001 served", false, false, false, nothing)

	// Bo selected in line, then called: cancel and transfer still apply,
	// moving to the front of a line he has left does not.
	selectWaiting(t, s, bo.Visit.ID)
	live("R-002 waiting", true, true, true, "R-002 · Bo Li · waiting")
	test.Tap(s.callNext)
	live("R-002 called", true, false, true, "R-002 · Bo Li · called")
	test.Tap(s.recall)
	live("R-002 called again", true, false, true, "R-002 · Bo Li · called")
	test.Tap(s.front) // disabled: does nothing
	if v := f.visit(t, bo.Visit.ID); v.Priority || strings.Contains(s.status.Text, "cannot be done") {
		t.Errorf("move to front of a called visit: %+v, status %q", v, s.status.Text)
	}
	test.Tap(s.served)
	live("R-002 served", false, false, false, nothing)

	// Found, served: shown with its state, nothing to do to it.
	test.Type(s.findEntry, "garcia")
	test.Tap(s.find)
	if s.selected == nil || s.selected.ID != ana.Visit.ID {
		t.Fatalf("find garcia selected %+v", s.selected)
	}
	live("R-001 found, served", false, false, false, "R-001 · Ana García · served")
	u.reload() // the refresh tick keeps what Find found selected
	live("R-001 found, after a refresh", false, false, false, "R-001 · Ana García · served")

	// Cancelled from the queue: it leaves the line and the selection.
	test.Tap(s.toQueue)
	cy := f.checkIn(t, "Cy Young", "visit")
	u.reload()
	selectWaiting(t, s, cy.Visit.ID)
	test.Tap(s.cancel)
	if v := f.visit(t, cy.Visit.ID); v.Status != queue.StatusCancelled {
		t.Fatalf("cancel: %s is %s", v.Ticket, v.Status)
	}
	live("V-001 cancelled", false, false, false, nothing)
	if got := s.status.Text; got != "V-001 cancelled." {
		t.Errorf("status %q", got)
	}
}

// The screen enables an action on a visit in exactly the states in which
// the store takes it.
func TestStaffVisitActionsMatchTheStore(t *testing.T) {
	f := newFixture(t)
	apply := func(cmd queue.Command) (queue.Visit, error) { return f.store.Apply(f.ctx, cmd) }
	if _, err := apply(queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	// visitIn makes a visit in state st: checked in, then taken there.
	n := 0
	visitIn := func(st queue.Status) queue.Visit {
		t.Helper()
		n++
		tk := f.checkIn(t, fmt.Sprintf("Visitor %d", n), "registration")
		steps := map[queue.Status][]queue.Action{
			queue.StatusCalled:    {queue.ActCallNext},
			queue.StatusServed:    {queue.ActCallNext, queue.ActServe},
			queue.StatusNoShow:    {queue.ActCallNext, queue.ActNoShow},
			queue.StatusCancelled: {queue.ActCancel},
		}[st]
		for _, a := range steps {
			cmd := queue.Command{Action: a, Desk: "desk-1", Visit: tk.Visit.ID, Staff: "Carmen"}
			if _, err := apply(cmd); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		v := f.visit(t, tk.Visit.ID)
		if v.Status != st {
			t.Fatalf("made a visit %s, want %s", v.Status, st)
		}
		return v
	}
	for _, a := range []queue.Action{queue.ActCancel, queue.ActPrioritize, queue.ActTransfer} {
		for _, st := range []queue.Status{queue.StatusWaiting, queue.StatusCalled, queue.StatusServed, queue.StatusNoShow, queue.StatusCancelled} {
			v := visitIn(st)
			_, err := apply(queue.Command{Action: a, Visit: v.ID, Service: "visit", Staff: "Carmen"})
			if took := err == nil; took != canApply(a, &v) {
				t.Errorf("%s on a visit %s: the store took it %v (%v), the screen offers it %v", a, st, took, err, canApply(a, &v))
			}
			// Out of the line and off the desk, so that the next call
			// calls the next visit made.
			_, _ = apply(queue.Command{Action: queue.ActCancel, Visit: v.ID, Staff: "Carmen"})
		}
	}
}

// The walk-in form, filled in by staff, asks about the visitor, not the
// visitor themself, in every language.
func TestWalkInFormAsksAboutTheVisitor(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	test.Tap(u.staff.walkIn)
	got := screenText(u)
	for _, want := range []string{"Add a walk-in", "Visitor's name", "Whom are they visiting?", "Why are they here?",
		"If they check out by typing their ticket number, the kiosk asks for this number's last four digits."} {
		if !strings.Contains(got, want) {
			t.Errorf("the walk-in form lacks %q:\n%s", want, got)
		}
	}
	for _, code := range translationCodes(t) {
		if err := setLanguage(code); err != nil {
			t.Fatal(err)
		}
		staff, visitor := formQuestions(queue.SourceStaff), formQuestions(queue.SourceKiosk)
		for _, q := range [][2]string{{staff.name, visitor.name}, {staff.host, visitor.host}, {staff.service, visitor.service}, {staff.phoneWhy, visitor.phoneWhy}} {
			if q[0] == "" || q[0] == q[1] {
				t.Errorf("%s: staff are asked %q, as a visitor is", code, q[0])
			}
		}
		if staff.name == lang.X("form.name", "") {
			t.Errorf("%s: the walk-in form asks for %q", code, staff.name)
		}
		for key := range walkInErrors {
			e := &queue.Error{Key: key, Message: "(none)"}
			if w, v := u.formErrorText(queue.SourceStaff, e), u.formErrorText(queue.SourceKiosk, e); w == v || w == "" {
				t.Errorf("%s: %s reads %q to staff, as to a visitor", code, key, w)
			}
		}
	}
	if err := setLanguage("en"); err != nil {
		t.Fatal(err)
	}

	// Sent empty, the walk-in form says what is missing in staff's words.
	test.Tap(u.form.submit)
	if got := u.form.nameMsg.Text; got != "Please enter the visitor's name." {
		t.Errorf("the walk-in form's empty name: %q", got)
	}
	if got := u.form.serviceMsg.Text; got != "Please choose why they are here." {
		t.Errorf("the walk-in form's reason: %q", got)
	}
}

// Reception sees the waiting list in the order the desks will call it:
// Desk 1 serves both lines and calls the earliest visit across them, so
// V-001, R-001, V-002, not the lines one after the other.
func TestStaffWaitingListIsTheCallOrder(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	f.checkIn(t, "Ana García", "visit")
	f.checkIn(t, "Bo Li", "registration")
	f.checkIn(t, "Cid Ruiz", "visit")
	f.unlock(t)
	u.reload()
	var got []string
	for _, w := range u.staff.waiting {
		got = append(got, w.Visit.Ticket)
	}
	if want := []string{"V-001", "R-001", "V-002"}; !slices.Equal(got, want) {
		t.Errorf("the waiting list reads %v, want the call order %v", got, want)
	}
	v, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	if err != nil || v.Ticket != "V-001" {
		t.Errorf("Call next called %s (%v), not the list's first", v.Ticket, err)
	}
}
