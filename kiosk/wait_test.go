package kiosk

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
)

func (f *fixture) apply(t *testing.T, cmd queue.Command) {
	t.Helper()
	if _, err := f.store.Apply(f.ctx, cmd); err != nil {
		t.Fatalf("%s: %v", cmd.Action, err)
	}
}

// boardWaits are the wait texts of the board's rows for the first line
// (registration).
func boardWaits(u *UI) []string {
	var out []string
	for _, r := range u.welcome.board.lines[0].next {
		if r.box.Visible() {
			out = append(out, r.wait.Text)
		}
	}
	return out
}

// Issue 11: while no desk is open, ticket and board say so instead of a
// range that cannot come true; once one opens, the ticket shown gives its
// wait, and each place in line has its own.
func TestNoDeskOpenIsSaidNotEstimated(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	if got := u.welcome.board.lines[0].summary.Text; got != "Nobody waiting · no desk open" {
		t.Errorf("empty board summary %q", got)
	}
	for _, name := range []string{"Ana", "Ben", "Cid", "Dan"} {
		f.checkIn(t, name, "registration")
	}
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Eva")
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("screen %v after Get my ticket", u.screen)
	}
	shown := screenText(u)
	for _, want := range []string{"You are number 5 in line.", "No desk is open for Registration right now — we will call you when one opens."} {
		if !strings.Contains(shown, want) {
			t.Errorf("ticket lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, " min") || strings.Contains(shown, "Estimated wait") {
		t.Errorf("ticket promises a wait with no desk open:\n%s", shown)
	}

	// A desk opens while the ticket is up: it now gives the wait.
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	u.reload()
	// 10 min per visitor, desk-2 free: Ana is next, Eva has 3 before her
	// turn: 40 min, 20–60.
	if got := u.ticket.wait.Text; got != "Estimated wait: about 20–60 min" {
		t.Errorf("ticket after a desk opened: %q", got)
	}

	test.Tap(u.ticket.done)
	f.apply(t, queue.Command{Action: queue.ActCloseDesk, Desk: "desk-2", Staff: "Marta"})
	u.reload()
	if got := u.welcome.board.lines[0].summary.Text; got != "5 waiting · no desk open" {
		t.Errorf("board summary %q", got)
	}
	for i, w := range boardWaits(u) {
		if w != "when a desk opens" {
			t.Errorf("board row %d: %q, want %q", i+1, w, "when a desk opens")
		}
	}

	// Open again, in Spanish: every place its own wait, the first next.
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	u.reload()
	want := []string{"any moment now", "about 5–15 min", "about 10–30 min", "about 15–45 min", "about 20–60 min"}
	if got := boardWaits(u); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("board rows %q, want %q", got, want)
	}
	u.switchLanguage("es")
	u.reload()
	if got := boardWaits(u); got[0] != "en cualquier momento" {
		t.Errorf("board rows in Spanish %q", got)
	}
	f.apply(t, queue.Command{Action: queue.ActCloseDesk, Desk: "desk-2", Staff: "Marta"})
	u.reload()
	if got := boardWaits(u); got[0] != "cuando abra un puesto" {
		t.Errorf("board rows in Spanish, no desk open: %q", got)
	}
}

// Issue 11: a visitor who had waited 19 minutes still read "about 2–8
// min". The board shows the wait still ahead, a minute at a time, and a
// wait past the top of its range is estimated again.
func TestBoardCountsDownAndEstimatesAgain(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	f.checkIn(t, "Ana", "registration")
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Marta"})
	ben := f.checkIn(t, "Ben", "registration") // first, the one desk busy: 10 min, 5–15
	u.showTicket(ben)

	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, "about 5–15 min"},
		{59 * time.Second, "about 5–15 min"},
		{4 * time.Minute, "about 1–15 min"}, // 1–11, the top rounded to 5 min
		{10 * time.Minute, "up to 5 min"},
		// Past 15 min without a call: a new estimate, not "any moment now".
		{16 * time.Minute, "about 4–15 min"},
		{19 * time.Minute, "about 1–15 min"},
	}
	var done time.Duration
	for _, st := range steps {
		f.clock.Advance(st.after - done)
		done = st.after
		u.reload()
		if got := u.ticket.wait.Text; got != "Estimated wait: "+st.want {
			t.Errorf("ticket after %v: %q, want %q", st.after, got, st.want)
		}
		test.Tap(u.ticket.done)
		if got := boardWaits(u); len(got) != 1 || got[0] != st.want {
			t.Errorf("board after %v: %q, want %q", st.after, got, st.want)
		}
		u.showTicket(ben)
	}

	// Called: the ticket says where to go, and no longer that we will call.
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Marta"})
	u.reload()
	shown := screenText(u)
	if !strings.Contains(shown, "It is your turn: please go to Desk 2.") || strings.Contains(shown, "Estimated wait") ||
		strings.Contains(shown, "Please take a seat") || strings.Contains(shown, "next in line") {
		t.Errorf("ticket once called:\n%s", shown)
	}
}
