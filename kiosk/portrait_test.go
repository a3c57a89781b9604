package kiosk

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lobbyline/queue"
)

var (
	portrait  = fyne.NewSize(1080, 1920)
	landscape = fyne.NewSize(1280, 800)
)

// Issue 11: on a portrait screen the welcome part and the board were
// squeezed side by side. They follow the window's shape, both ways.
func TestWelcomeFollowsTheScreensShape(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	pad := theme.Padding()
	for _, size := range []fyne.Size{portrait, landscape, portrait} {
		u.win.Resize(size)
		body := u.welcome.body
		lead, board := body.Objects[0], body.Objects[1]
		all := body.Size()
		if size == portrait {
			if lead.Position() != (fyne.Position{}) || lead.Size().Width != all.Width {
				t.Errorf("%v: welcome part at %v, %v; want across the top, %v wide", size, lead.Position(), lead.Size(), all.Width)
			}
			if want := lead.Size().Height + pad; board.Position() != fyne.NewPos(0, want) {
				t.Errorf("%v: board at %v, want below the welcome part at (0, %v)", size, board.Position(), want)
			}
			if want := fyne.NewSize(all.Width, all.Height-lead.Size().Height-pad); board.Size() != want {
				t.Errorf("%v: board %v, want the rest: %v", size, board.Size(), want)
			}
			if board.Size().Height < all.Height/2 {
				t.Errorf("%v: board %v high of %v: want most of the height", size, board.Size().Height, all.Height)
			}
		} else {
			if lead.Position() != (fyne.Position{}) || lead.Size().Height != all.Height {
				t.Errorf("%v: welcome part at %v, %v; want the left column, %v high", size, lead.Position(), lead.Size(), all.Height)
			}
			half := (all.Width - pad) / 2
			if board.Position() != fyne.NewPos(half+pad, 0) || board.Size() != fyne.NewSize(all.Width-half-pad, all.Height) {
				t.Errorf("%v: board at %v, %v; want the right half of %v", size, board.Position(), board.Size(), all)
			}
		}
		// The board's card fills its part but for the staff button below it.
		card := u.welcome.board.content
		if card.Size().Width != board.Size().Width || card.Size().Height < board.Size().Height-100 {
			t.Errorf("%v: board card %v in its part %v", size, card.Size(), board.Size())
		}
	}
}

// Issue 11: the board listed the first three of each line, so the fourth
// visitor never saw their number. A long line turns its pages with the
// refresh, and every number shows, each for a page's time; a page is as
// long as fits, longer on a portrait screen.
func TestBoardPagesThroughALongLine(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	var want []string
	for i := range 12 {
		want = append(want, f.checkIn(t, fmt.Sprintf("Visitor %d", i+1), "registration").Visit.Ticket)
	}
	f.checkIn(t, "Zoë", "visit") // a short line beside it has no pages
	u.reload()
	landscapeRows := u.boardRows
	u.win.Resize(portrait)
	u.reload()
	if u.boardRows <= landscapeRows {
		t.Errorf("a page has %d rows in portrait, %d in landscape: want more in portrait", u.boardRows, landscapeRows)
	}
	if u.welcome.board.body.MinSize().Height > u.welcome.board.scroll.Size().Height {
		t.Errorf("portrait: the board's lines need %v, more than its %v", u.welcome.board.body.MinSize().Height, u.welcome.board.scroll.Size().Height)
	}
	portraitRows := u.boardRows
	u.win.Resize(landscape)
	u.reload()
	if u.boardRows != landscapeRows || u.welcome.board.body.MinSize().Height > u.welcome.board.scroll.Size().Height {
		t.Errorf("landscape again: %d rows, want %d; lines need %v of %v", u.boardRows, landscapeRows,
			u.welcome.board.body.MinSize().Height, u.welcome.board.scroll.Size().Height)
	}
	rows := u.boardRows
	n := (12 + rows - 1) / rows
	t.Logf("a page has %d rows in landscape, %d in portrait", landscapeRows, portraitRows)
	if n < 2 {
		t.Fatalf("%d rows a page: 12 visitors fit one page", rows)
	}

	seen := map[string]int{} // ticket → refreshes it was shown on
	var pages []string
	for range 3*n + 1 { // every page for its time, then the first again
		l := u.welcome.board.lines[0]
		shown := 0
		for _, r := range l.next {
			if r.box.Visible() {
				shown++
			}
			if r.box.Visible() && r.ticket.Text != "" {
				seen[r.ticket.Text]++
			}
		}
		if shown != rows {
			t.Errorf("%d rows show on %q, want a full page of %d always", shown, l.pageOf.Text, rows)
		}
		if !l.pageBox.Visible() {
			t.Errorf("the page number of a line of 12 is hidden")
		}
		if len(pages) == 0 || pages[len(pages)-1] != l.pageOf.Text {
			pages = append(pages, l.pageOf.Text)
		}
		if other := u.welcome.board.lines[1]; other.pageBox.Visible() {
			t.Errorf("a line of one shows %q", other.pageOf.Text)
		}
		f.clock.Advance(refreshInterval)
		u.tick(f.ctx)()
	}
	for _, tk := range want {
		if k := seen[tk]; k < 3 {
			t.Errorf("ticket %s shown on %d refreshes, want at least 3 (a page's time)", tk, k)
		}
	}
	var wantPages []string
	for i := range n {
		wantPages = append(wantPages, fmt.Sprintf("page %d of %d", i+1, n))
	}
	wantPages = append(wantPages, wantPages[0])
	if !slices.Equal(pages, wantPages) {
		t.Errorf("pages %q, want %q", pages, wantPages)
	}

	// The line shrinks to one page: the page number goes, the empty rows too.
	for range 12 - rows {
		f.apply(t, queue.Command{Action: queue.ActCancel, Visit: mustFind(t, f, want[0]).ID, Staff: "Marta"})
		want = want[1:]
	}
	u.reload()
	l := u.welcome.board.lines[0]
	var shown []string
	for _, r := range l.next {
		if r.box.Visible() {
			shown = append(shown, r.ticket.Text)
		}
	}
	if l.pageBox.Visible() || !slices.Equal(shown, want) {
		t.Errorf("a line of one page: page %q (visible %v), rows %q; want no page and %q", l.pageOf.Text, l.pageBox.Visible(), shown, want)
	}
}

func mustFind(t *testing.T, f *fixture, ticket string) queue.Visit {
	t.Helper()
	vs, err := f.store.Find(f.ctx, ticket)
	if err != nil || len(vs) == 0 {
		t.Fatalf("find %s: %v, %d found", ticket, err, len(vs))
	}
	return vs[0]
}

// A desk's new call stands out in "Now serving" for boardCallFresh, then
// looks like the others.
func TestNewCallStandsOutForAWhile(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	ana := f.checkIn(t, "Ana", "registration").Visit.Ticket
	ben := f.checkIn(t, "Ben", "registration").Visit.Ticket
	call := func() {
		f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Marta"})
	}
	check := func(when, ticket string, fresh bool) {
		t.Helper()
		r := u.welcome.board.desks[0]
		highlighted := r.highlight.FillColor != color.Transparent
		if r.ticket.Text != ticket || r.fresh != fresh || highlighted != fresh {
			t.Errorf("%s: row %q, fresh %v, highlighted %v; want %q, fresh %v", when, r.ticket.Text, r.fresh, highlighted, ticket, fresh)
		}
	}
	call()
	u.tick(f.ctx)()
	check("just called", ana, true)
	for range 4 {
		f.clock.Advance(refreshInterval)
		u.tick(f.ctx)()
	}
	check("8 s after the call", ana, true)
	f.clock.Advance(refreshInterval)
	u.tick(f.ctx)()
	check("10 s after the call", ana, false)

	// The next call stands out again, on the rebuilt welcome screen too.
	call()
	u.reload()
	u.showWelcome()
	check("the next call", ben, true)
	f.clock.Advance(boardCallFresh)
	u.tick(f.ctx)()
	check("the next call, 10 s on", ben, false)
}

// The welcome, staff, roster and incident screens fit a portrait and a
// landscape screen:
// nothing on them is given less than its minimum size, where it would be
// cut or overlap its neighbour. The board is busy, the language switch
// full.
func TestScreensFitBothShapes(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Languages = []string{"en", "es", "fr", "de", "pt", "it"} })
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Jon"})
	for i := range 14 {
		f.checkIn(t, fmt.Sprintf("Visitor Number %d", i+1), testServices[i%2].ID)
	}
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Jon"})
	u.reload()

	for _, size := range []fyne.Size{landscape, portrait} {
		u.showWelcome()
		u.win.Resize(size)
		assertFits(t, "welcome "+sizeName(size), u.win.Content())
		f.unlock(t)
		u.win.Resize(size)
		assertFits(t, "staff "+sizeName(size), u.win.Content())
		u.showRoster()
		assertFits(t, "roster "+sizeName(size), u.win.Content())
		u.showIncident()
		assertFits(t, "incident "+sizeName(size), u.win.Content())
		u.lockStaff()
	}
}

func sizeName(s fyne.Size) string { return fmt.Sprintf("%.0f×%.0f", s.Width, s.Height) }

// assertFits fails for every visible object under o that was laid out
// smaller than its minimum size.
//
// It first lets the layout settle as the GL driver does before every
// frame (EnsureMinSize): a wrapped text learns how many lines it needs
// only once it has its width, and its box is laid out again then. The
// test driver lays out once; two refreshes of the whole tree do the same.
func assertFits(t *testing.T, screen string, o fyne.CanvasObject) {
	t.Helper()
	o.Refresh()
	o.Refresh()
	var walk func(o fyne.CanvasObject, path string)
	walk = func(o fyne.CanvasObject, path string) {
		if o == nil || !o.Visible() {
			return
		}
		path += "/" + strings.TrimPrefix(fmt.Sprintf("%T", o), "*")
		min, size := o.MinSize(), o.Size()
		// Borders and lines (a list's separators, a select's underline)
		// are 1×1 at least and may be laid out at nothing.
		decoration := min.Width <= 1 || min.Height <= 1
		if !decoration && (min.Width > size.Width+0.5 || min.Height > size.Height+0.5) {
			t.Errorf("%s: %s%s is %v, less than its minimum %v", screen, path, describe(o), size, min)
		}
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, path)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c, path)
			}
		}
	}
	walk(o, "")
}

// describe is the text of o, if it has one, for a failure message.
func describe(o fyne.CanvasObject) string {
	if s := texts(o); len(s) > 0 {
		return fmt.Sprintf(" %q", strings.Join(s, " "))
	}
	return ""
}

// A board that does not fit even with the shortest pages scrolls by
// itself, a page's time at each stop, and comes back to the top.
func TestBoardScrollsWhatDoesNotFit(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	f.apply(t, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Jon"})
	for i := range 16 {
		f.checkIn(t, fmt.Sprintf("Visitor %d", i+1), testServices[i%2].ID)
	}
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	f.apply(t, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Jon"})
	u.win.Resize(fyne.NewSize(1280, 560))
	u.reload()
	v := u.welcome.board
	if v.body.MinSize().Height <= v.scroll.Size().Height {
		t.Fatalf("the board fits (%v of %v): nothing to scroll", v.body.MinSize().Height, v.scroll.Size().Height)
	}
	var offsets []float32
	for range 12 {
		if len(offsets) == 0 || offsets[len(offsets)-1] != v.scroll.Offset.Y {
			offsets = append(offsets, v.scroll.Offset.Y)
		}
		f.clock.Advance(refreshInterval)
		u.tick(f.ctx)()
	}
	bottom := v.body.MinSize().Height - v.scroll.Size().Height
	if len(offsets) < 3 || offsets[0] != 0 || !slices.Contains(offsets, bottom) || offsets[len(offsets)-1] != 0 {
		t.Errorf("scrolled to %v; want from the top to the bottom (%v) and back", offsets, bottom)
	}

	// With room again, it stays at the top.
	u.win.Resize(portrait)
	u.reload()
	if v.scroll.Offset.Y != 0 {
		t.Errorf("portrait: scrolled to %v", v.scroll.Offset.Y)
	}
}

// On a tall screen the ticket's lines stay together: the place in line
// and the wait follow the number, not a screen's height below it.
func TestTicketKeepsItsLinesTogether(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	for _, size := range []fyne.Size{landscape, portrait} {
		u.Window().Resize(size)
		checkInAtKiosk(t, u, "Ana Lopez")
		_, numberBottom := onScreen(u.ticket.number)
		waitTop, _ := onScreen(u.ticket.wait)
		if gap := waitTop - numberBottom; gap > 250 {
			t.Errorf("%s: the wait is %.0f px below the ticket number", sizeName(size), gap)
		}
		test.Tap(u.ticket.done)
	}
}

// The welcome screen, what a lobby shows all day, also fits a 1280×720
// panel in every language, with and without the outage banner.
func TestWelcomeFitsA720pPanel(t *testing.T) {
	f := newOutageFixture(t, func(c *Config) { c.Languages = translationCodes(t) })
	u := f.ui
	panel := fyne.NewSize(1280, 720)
	look := func(what string) {
		t.Helper()
		for _, code := range translationCodes(t) {
			u.chooseLanguage(code)
			u.Window().Resize(panel)
			if m := u.Window().Content().MinSize(); m.Height > panel.Height || m.Width > panel.Width {
				t.Errorf("%s welcome%s needs %v", code, what, m)
			}
			assertFits(t, code+" welcome"+what+" at 1280×720", u.Window().Content())
		}
	}
	look("")
	f.startOutage(t)
	look(" with the outage banner")
}
