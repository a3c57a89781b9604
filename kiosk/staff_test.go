package kiosk

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

func TestPINLocksAfterFiveWrongTries(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.staff)
	if u.screen != screenPIN || u.signIn == nil {
		t.Fatalf("Staff leads to screen %v, want sign-in", u.screen)
	}
	f.tapName(t, carmen.Name)
	test.Tap(u.pin.digits[1])
	test.Tap(u.pin.digits[2])
	if u.pin.dots.Text != "● ● " || strings.ContainsAny(u.pin.dots.Text, "12") {
		t.Errorf("PIN shown as %q, want dots only", u.pin.dots.Text)
	}
	test.Tap(u.pin.clear)
	for try := 1; try <= 4; try++ {
		f.typePIN(t, "111111")
		want := []string{"", "4", "3", "2", "1"}[try]
		if got := u.pin.message.Text; got != "Wrong PIN. Tries left: "+want+"." {
			t.Errorf("try %d: message %q", try, got)
		}
	}
	f.typePIN(t, "111111")
	if got := u.pin.message.Text; got != "Too many wrong PINs. Try again in 0:30." {
		t.Fatalf("fifth wrong PIN: message %q", got)
	}
	f.typePIN(t, testPIN)
	if u.screen != screenPIN || !strings.HasPrefix(u.pin.message.Text, "Too many wrong PINs") {
		t.Fatalf("the right PIN unlocked a locked kiosk: screen %v, %q", u.screen, u.pin.message.Text)
	}
	f.clock.Advance(queue.PINLockout)
	f.typePIN(t, testPIN)
	if u.screen != screenStaff {
		t.Fatalf("right PIN after the lockout: screen %v, message %q", u.screen, u.pin.message.Text)
	}
}

// The keys never move under a finger when a message appears, and the lock
// message stays, counting down, until the lock ends.
func TestPINPadStaysStillAndTheLockCountsDown(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.openPIN(t, carmen.Name)
	d := fyne.CurrentApp().Driver()
	where := func() []fyne.Position {
		var out []fyne.Position
		for _, b := range append(u.pin.digits[:], u.pin.enter, u.pin.clear) {
			out = append(out, d.AbsolutePositionForObject(b))
		}
		return out
	}
	before := where()
	for range queue.MaxPINFailures {
		f.typePIN(t, "111111")
		if got := where(); !slices.Equal(got, before) {
			t.Fatalf("with %q showing the keys moved: %v, were %v", u.pin.message.Text, got, before)
		}
	}
	locked := u.pin.message.Text
	if locked != "Too many wrong PINs. Try again in 0:30." {
		t.Fatalf("lock message %q", locked)
	}
	test.Tap(u.pin.digits[7]) // a tap during the lock types nothing and keeps the message
	if u.pin.message.Text != locked || !u.pin.message.Visible() || u.pin.pin != "" {
		t.Fatalf("after a tap the lock message reads %q, PIN %q", u.pin.message.Text, u.pin.pin)
	}
	f.clock.Advance(18 * time.Second)
	u.tick(f.ctx)()
	if got := u.pin.message.Text; got != "Too many wrong PINs. Try again in 0:12." {
		t.Fatalf("18 s later: %q", got)
	}
	f.clock.Advance(12 * time.Second)
	u.tick(f.ctx)()
	if u.pin.message.Visible() {
		t.Fatalf("the lock is over, but the message still reads %q", u.pin.message.Text)
	}
	if got := where(); !slices.Equal(got, before) {
		t.Fatalf("the keys moved: %v, were %v", got, before)
	}
}

func TestStaffRunsTheQueue(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	s := u.staff

	// At a closed desk only opening it is live; with nobody waiting a
	// call is refused with the store's message and changes nothing.
	for name, b := range map[string]*widget.Button{"call next": s.callNext, "recall": s.recall, "served": s.served, "no-show": s.noShow, "close desk": s.closeDesk} {
		if !b.Disabled() {
			t.Errorf("%s looks live at a closed desk", name)
		}
	}
	if s.openDesk.Disabled() {
		t.Error("open desk is disabled")
	}
	test.Tap(s.openDesk)
	if d := f.board(t).Desks[0]; !d.Open || d.Staff != "Carmen" {
		t.Fatalf("after Open desk: %+v", d)
	}
	before := f.board(t)
	test.Tap(s.callNext)
	if got := s.status.Text; got != "Nobody is waiting for Desk 1." {
		t.Errorf("call next with nobody waiting: status %q", got)
	}
	if after := f.board(t); after.Desks[0].Serving != nil || after.WaitingCount() != before.WaitingCount() {
		t.Errorf("a refused call changed the queue: %+v", after)
	}
	if s.callNext.Disabled() || !s.served.Disabled() || !s.noShow.Disabled() || !s.recall.Disabled() {
		t.Errorf("open desk, nobody called: call next disabled %v, served/no-show/recall disabled %v/%v/%v",
			s.callNext.Disabled(), s.served.Disabled(), s.noShow.Disabled(), s.recall.Disabled())
	}

	ana := f.checkIn(t, "Ana García", "registration")
	bo := f.checkIn(t, "Bo Li", "registration")
	cy := f.checkIn(t, "Cy Young", "visit")
	dee := f.checkIn(t, "Dee Dee", "registration")
	u.reload()
	if len(s.waiting) != 4 {
		t.Fatalf("staff queue lists %d visits, want 4", len(s.waiting))
	}

	test.Tap(s.callNext)
	if d := f.board(t).Desks[0]; d.Serving == nil || d.Serving.ID != ana.Visit.ID {
		t.Fatalf("call next: desk serves %+v, want %s", d.Serving, ana.Visit.Ticket)
	}
	if !strings.Contains(s.serving.Text, "R-001") || s.status.Text != "Calling R-001 to Desk 1." {
		t.Errorf("after call next: %q / %q", s.serving.Text, s.status.Text)
	}
	test.Tap(s.recall)
	if v := f.visit(t, ana.Visit.ID); v.Recalls != 1 {
		t.Errorf("recall: recalls = %d", v.Recalls)
	}
	test.Tap(s.served)
	if v := f.visit(t, ana.Visit.ID); v.Status != queue.StatusServed {
		t.Errorf("served: %s is %s", v.Ticket, v.Status)
	}

	test.Tap(s.callNext)
	test.Tap(s.noShow)
	if v := f.visit(t, bo.Visit.ID); v.Status != queue.StatusNoShow {
		t.Errorf("no-show: %s is %s", v.Ticket, v.Status)
	}

	// Transfer Dee to the visit line, then move her in front of Cy.
	selectWaiting(t, s, dee.Visit.ID)
	s.transfer.SetSelected("Visit a patient")
	if v := f.visit(t, dee.Visit.ID); v.Service != "visit" || v.Status != queue.StatusWaiting {
		t.Fatalf("transfer: %+v", v)
	}
	selectWaiting(t, s, dee.Visit.ID)
	test.Tap(s.front)
	if l := f.board(t).Lines[1]; len(l.Waiting) != 2 || l.Waiting[0].Visit.ID != dee.Visit.ID {
		t.Fatalf("move to front: visit line is %+v", l.Waiting)
	}
	// Transferring to the line it is already in is refused.
	s.transfer.SetSelected("Visit a patient")
	if !strings.Contains(s.status.Text, "is already in Visit a patient") {
		t.Errorf("transfer to the same line: status %q", s.status.Text)
	}

	selectWaiting(t, s, cy.Visit.ID)
	test.Tap(s.cancel)
	if v := f.visit(t, cy.Visit.ID); v.Status != queue.StatusCancelled {
		t.Errorf("cancel: %s is %s", v.Ticket, v.Status)
	}
	// Cancelled, it has left the line: nothing is selected to cancel again.
	if s.selected != nil || !s.cancel.Disabled() || !s.front.Disabled() || !s.transfer.Disabled() {
		t.Errorf("after cancelling: selected %+v, cancel/front/transfer disabled %v/%v/%v",
			s.selected, s.cancel.Disabled(), s.front.Disabled(), s.transfer.Disabled())
	}

	// A walk-in goes through the same form and lands in the line.
	test.Tap(s.walkIn)
	if u.screen != screenWalkIn {
		t.Fatalf("Add walk-in leads to screen %v", u.screen)
	}
	test.Type(u.form.name, "Walk In")
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	if u.screen != screenStaff || !strings.HasPrefix(u.staff.status.Text, "Added R-004 for Walk In") {
		t.Fatalf("after the walk-in: screen %v, status %q", u.screen, u.staff.status.Text)
	}
	s = u.staff
	if found, _ := f.store.Find(f.ctx, "walk in"); len(found) != 1 || found[0].Source != queue.SourceStaff {
		t.Errorf("walk-in stored as %+v", found)
	}

	// Find by accent-free name, then by the ticket's QR reference.
	test.Type(s.findEntry, "garcia")
	test.Tap(s.find)
	if len(s.found) != 1 || s.found[0].ID != ana.Visit.ID || s.selected == nil || s.selected.ID != ana.Visit.ID {
		t.Fatalf("find garcia: %+v", s.found)
	}
	s.findEntry.SetText(dee.Ref)
	test.Tap(s.find)
	if len(s.found) != 1 || s.found[0].ID != dee.Visit.ID {
		t.Fatalf("find by QR reference: %+v", s.found)
	}
	test.Tap(s.cancel) // acts on the found visit
	if v := f.visit(t, dee.Visit.ID); v.Status != queue.StatusCancelled {
		t.Errorf("cancel found visit: %s is %s", v.Ticket, v.Status)
	}

	test.Tap(s.lock)
	if u.screen != screenWelcome {
		t.Errorf("Lock leads to screen %v", u.screen)
	}
}

func TestStaffModeLocksWhenIdle(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.unlock(t)
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout)) // the visitor timeout does not apply
	if u.screen != screenStaff {
		t.Fatalf("staff screen left after the visitor timeout: %v", u.screen)
	}
	u.idleCheck(f.clock.Now().Add(u.cfg.StaffIdleTimeout))
	if u.screen != screenWelcome {
		t.Fatalf("staff screen still up after the staff idle timeout: %v", u.screen)
	}
}

func selectWaiting(t *testing.T, s *staffScreen, id int64) {
	t.Helper()
	for i, w := range s.waiting {
		if w.Visit.ID == id {
			s.queue.Select(i)
			if s.selected == nil || s.selected.ID != id {
				t.Fatalf("selecting row %d did not select visit %d", i, id)
			}
			return
		}
	}
	t.Fatalf("visit %d is not in the staff queue", id)
}

// Find forgives case, accents and punctuation, and shows every match in
// the queue's place, each one there to be picked and acted on.
func TestStaffFindShowsEveryMatch(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	zoe := f.checkIn(t, "Zoë O'Brien", "registration")
	ng := f.checkIn(t, "Zoe Ng", "visit")
	f.checkIn(t, "Ana García", "registration")
	f.unlock(t)
	u.Window().Resize(fyne.NewSize(1280, 800)) // the kiosk's screen
	s := u.staff

	test.Type(s.findEntry, "zoe obrien")
	test.Tap(s.find)
	if len(s.found) != 1 || s.found[0].ID != zoe.Visit.ID || s.selected == nil || s.selected.ID != zoe.Visit.ID {
		t.Fatalf("find zoe obrien: found %+v, selected %+v", s.found, s.selected)
	}

	s.findEntry.SetText("zoe")
	test.Tap(s.find)
	if len(s.found) != 2 || s.status.Text != "Found 2." {
		t.Fatalf("find zoe: found %d, status %q", len(s.found), s.status.Text)
	}
	if s.selected != nil && s.selected.ID != zoe.Visit.ID {
		t.Fatalf("find zoe picked %+v by itself", s.selected)
	}
	if !s.results.Visible() || s.queue.Visible() || !s.toQueue.Visible() {
		t.Fatalf("matches shown %v, queue shown %v, back shown %v: want the matches in the queue's place",
			s.results.Visible(), s.queue.Visible(), s.toQueue.Visible())
	}
	if row := newVisitRow().MinSize().Height; s.results.Size().Height < 2*row {
		t.Fatalf("the matches get %.0f px, less than two rows of %.0f px", s.results.Size().Height, row)
	}
	if got := s.title.Text + " " + s.count.Text; got != "Found for “zoe” (2)" {
		t.Errorf("heading %q", got)
	}
	// Each match is there to pick; the second is acted on.
	for i, v := range s.found {
		s.results.Select(i)
		if s.selected == nil || s.selected.ID != v.ID || !strings.HasPrefix(s.pick.Text, v.Ticket+" · "+v.Name) {
			t.Fatalf("picking match %d: selected %+v, %q", i, s.selected, s.pick.Text)
		}
	}
	if s.selected.ID != zoe.Visit.ID { // newest first: Zoe Ng, then Zoë O'Brien
		t.Fatalf("the second match is %+v", s.selected)
	}
	test.Tap(s.cancel)
	if v := f.visit(t, zoe.Visit.ID); v.Status != queue.StatusCancelled {
		t.Fatalf("cancel the picked match: %s is %s", v.Ticket, v.Status)
	}
	if v := f.visit(t, ng.Visit.ID); v.Status != queue.StatusWaiting {
		t.Fatalf("the other match changed: %s is %s", v.Ticket, v.Status)
	}
	if s.found[1].Status != queue.StatusCancelled {
		t.Errorf("the match's row still says %s", s.found[1].Status)
	}

	test.Tap(s.toQueue)
	if s.results.Visible() || !s.queue.Visible() || s.toQueue.Visible() || s.title.Text != "Waiting" || s.count.Text != "(2)" {
		t.Errorf("back to the queue: matches %v, queue %v, heading %q %q", s.results.Visible(), s.queue.Visible(), s.title.Text, s.count.Text)
	}

	// Nothing found leaves the queue where it is.
	s.findEntry.SetText("nobody")
	test.Tap(s.find)
	if s.results.Visible() || !strings.HasPrefix(s.status.Text, "Nothing found") {
		t.Errorf("find nobody: matches shown %v, status %q", s.results.Visible(), s.status.Text)
	}
}

// While no desk serves a line, staff are not shown a wait that cannot
// come true either; once a desk opens, the estimate is back.
func TestStaffListSaysWhenNoDeskIsOpen(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")
	f.unlock(t)
	u.tick(f.ctx)()
	row := func() string {
		o := newVisitRow()
		u.staff.queue.UpdateItem(0, o)
		return strings.Join(texts(o), " ")
	}
	if got := row(); !strings.Contains(got, "when a desk opens") || strings.Contains(got, "min ·") {
		t.Fatalf("no desk open: the row reads %q", got)
	}
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Sam"}); err != nil {
		t.Fatal(err)
	}
	u.tick(f.ctx)()
	if got := row(); strings.Contains(got, "when a desk opens") {
		t.Fatalf("desk open: the row still reads %q", got)
	}
}
