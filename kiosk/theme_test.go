package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// minTarget is the smallest height of anything a visitor or staff member
// taps, in px.
const minTarget = 48

// TestScreensUseOneThemeAndLargeTargets walks every screen: none may
// scope a theme of its own (container.ThemeOverride: Fyne 2.8 parses the
// fonts again for each scope and keeps them for good), and every button,
// entry and select is a touch target of at least minTarget.
func TestScreensUseOneThemeAndLargeTargets(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	f.checkIn(t, "Ana García", "registration")
	f.checkIn(t, "李雷", "visit")
	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	u.reload()

	check := func(name string) {
		t.Helper()
		targets := 0
		walk(t, u.Window().Content(), func(o fyne.CanvasObject) {
			switch o.(type) {
			case *container.ThemeOverride:
				t.Errorf("%s: has a theme override", name)
			case *widget.Button, *largeButton, *widget.Entry, *keyEntry, *keyButton, *widget.Select:
				targets++
				if h := o.Size().Height; h < minTarget {
					t.Errorf("%s: %T %q is %.0f px high, want at least %d", name, o, texts(o), h, minTarget)
				}
			}
		})
		if targets == 0 {
			t.Errorf("%s: no touch targets found; is the walk broken?", name)
		}
	}
	check("welcome")
	test.Tap(u.welcome.checkIn)
	check("check-in")
	test.Type(u.form.name, "Zoë Müller")
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	check("ticket")
	test.Tap(u.ticket.done)
	test.Tap(u.welcome.staff)
	check("sign-in")
	f.tapName(t, carmen.Name)
	check("PIN")
	f.typePIN(t, testPIN)
	check("staff")
	if h := newVisitRow().MinSize().Height; h < minTarget {
		t.Errorf("a row of the staff lists is %.0f px high, want at least %d", h, minTarget)
	}
	test.Tap(u.staff.walkIn)
	check("walk-in")
}

// walk calls fn for o and every visible object under it, the objects
// that widgets draw with included.
func walk(t *testing.T, o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			walk(t, c, fn)
		}
	case fyne.Widget:
		for _, c := range test.TempWidgetRenderer(t, o).Objects() {
			walk(t, c, fn)
		}
	}
}

func TestLargeButtonHasLargeText(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(newKioskTheme())
	stock := widget.NewButton("Check in", nil)
	large := newLargeButton("Check in", sizeNameLarge, nil)
	th := newKioskTheme()
	grew := th.Size(sizeNameLarge) - th.Size(theme.SizeNameText)
	if s, l := stock.MinSize(), large.MinSize(); l.Height < s.Height+grew || l.Width <= s.Width {
		t.Errorf("large button is %v, stock button %v: the label did not grow by %.0f pt", l, s, grew)
	}
	tapped := false
	large.OnTapped = func() { tapped = true }
	test.Tap(large)
	if !tapped {
		t.Error("tapping the large button did not call OnTapped")
	}
}

// TestBoardUpdatesRowsInPlace: the board keeps its rows from one refresh
// to the next and only changes their text, showing and hiding what it
// needs.
func TestBoardUpdatesRowsInPlace(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	board := u.welcome.board
	ana := f.checkIn(t, "Ana García", "registration")
	f.checkIn(t, "Bo Li", "registration")
	for _, a := range []queue.Action{queue.ActOpenDesk, queue.ActCallNext} {
		if _, err := f.store.Apply(f.ctx, queue.Command{Action: a, Desk: "desk-1", Staff: "Carmen"}); err != nil {
			t.Fatal(err)
		}
	}
	u.reload()
	shown := screenText(u)
	for _, want := range []string{"R-001", "Desk 1", "Ana G.", "R-002", "Bo L."} {
		if !strings.Contains(shown, want) {
			t.Errorf("board lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, "Nobody is being called yet.") {
		t.Errorf("board says nobody is called while Desk 1 calls R-001:\n%s", shown)
	}
	desk, line := board.desks[0], board.lines[0]
	if got, want := board.serving.MinSize().Height, desk.box.MinSize().Height; got != want {
		t.Errorf("with one desk calling, the serving part is %.0f px high, want %.0f", got, want)
	}

	if _, err := f.store.Apply(f.ctx, queue.Command{Action: queue.ActServe, Desk: "desk-1", Visit: ana.Visit.ID, Staff: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	u.reload()
	shown = screenText(u)
	if strings.Contains(shown, "R-001") || !strings.Contains(shown, "Nobody is being called yet.") {
		t.Errorf("after R-001 was served the board shows:\n%s", shown)
	}
	if len(board.desks) != 1 || board.desks[0] != desk || len(board.lines) != 2 || board.lines[0] != line {
		t.Error("the board made new rows for a board that needs no more than it had")
	}
	if u.welcome.board != board {
		t.Error("the welcome screen was rebuilt by a refresh")
	}
	// Hidden rows take no room.
	if got, want := board.serving.MinSize().Height, board.nobody.MinSize().Height; got != want {
		t.Errorf("with nobody called, the serving part is %.0f px high, want %.0f", got, want)
	}
}
