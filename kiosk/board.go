package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// boardNext is how many waiting tickets the board lists per service.
const boardNext = 3

// boardView is the lobby board: who is being served at which desk, and
// who is next in each line, with names masked as the config says.
//
// It is refreshed every two seconds, so it keeps its rows and only changes
// their text; rows are added the first time a board needs them and hidden
// while it does not. Its lists are dense (densePadding): nothing on it is
// a touch target.
type boardView struct {
	u       *UI
	body    *fyne.Container
	serving *fyne.Container   // nobody, then the desks' boxes
	nobody  fyne.CanvasObject // "Nobody is being called yet."
	desks   []*deskRow
	next    *fyne.Container // the lines' boxes
	lines   []*lineRows
	content fyne.CanvasObject
}

func newBoardView(u *UI) *boardView {
	v := &boardView{u: u}
	v.nobody = denseLabel(newText(lang.X("board.serving.none", "Nobody is being called yet."), theme.SizeNameText, false, widget.LowImportance))
	v.serving = denseVBox(v.nobody)
	v.next = denseVBox()
	v.body = denseVBox(
		denseLabel(newText(lang.X("board.serving", "Now serving"), theme.SizeNameSubHeadingText, true, widget.HighImportance)),
		v.serving,
		gap(8), widget.NewSeparator(), gap(8),
		denseLabel(newText(lang.X("board.next", "Next in line"), theme.SizeNameSubHeadingText, true, widget.HighImportance)),
		v.next,
	)
	v.content = card(container.NewVScroll(v.body))
	return v
}

// deskRow is a desk calling a ticket: "R-001 → Desk 1   Ana G.".
type deskRow struct {
	ticket, desk, who *widget.Label
	box               fyne.CanvasObject
}

func newDeskRow() *deskRow {
	r := &deskRow{
		ticket: newText("", sizeNameTitle, true, widget.MediumImportance),
		desk:   newText("", sizeNameTitle, true, widget.HighImportance),
		who:    newText("", theme.SizeNameText, false, widget.LowImportance),
	}
	r.box = container.NewBorder(nil, nil,
		denseHBox(
			sized(180, 0, denseLabel(r.ticket)),
			container.NewCenter(widget.NewIcon(theme.NavigateNextIcon())),
			denseLabel(r.desk),
		),
		nil,
		container.NewCenter(denseLabel(r.who)),
	)
	return r
}

// lineRows is a service's line: its name and summary, and the first
// boardNext tickets waiting.
type lineRows struct {
	head, summary *widget.Label
	next          [boardNext]*waitingRow
	box           *fyne.Container
}

func newLineRows() *lineRows {
	l := &lineRows{
		head:    newText("", theme.SizeNameText, true, widget.MediumImportance),
		summary: newText("", theme.SizeNameCaptionText, false, widget.LowImportance),
	}
	l.head.Truncation = fyne.TextTruncateEllipsis
	rows := denseVBox(container.NewBorder(nil, nil, nil, denseLabel(l.summary), denseLabel(l.head)))
	for i := range l.next {
		l.next[i] = newWaitingRow()
		rows.Add(l.next[i].box)
	}
	l.box = denseVBox(rows, gap(10))
	return l
}

// waitingRow is one ticket in a line: "R-002  Ana G.   about 5–10 min".
type waitingRow struct {
	ticket, name, wait *widget.Label
	box                fyne.CanvasObject
}

func newWaitingRow() *waitingRow {
	r := &waitingRow{
		ticket: newText("", theme.SizeNameText, true, widget.HighImportance),
		name:   newText("", theme.SizeNameText, false, widget.MediumImportance),
		wait:   newText("", theme.SizeNameText, false, widget.LowImportance),
	}
	r.box = container.NewBorder(nil, nil,
		denseHBox(sized(110, 0, denseLabel(r.ticket)), denseLabel(r.name)),
		denseLabel(r.wait),
	)
	return r
}

// update shows board b in the rows there are, adding any that are missing.
func (v *boardView) update(b queue.Board) {
	u := v.u
	moved := false // a row was added, shown or hidden: the boxes must be laid out again
	n := 0
	for _, d := range b.Desks {
		if !d.Open || d.Serving == nil {
			continue
		}
		if n == len(v.desks) {
			v.desks = append(v.desks, newDeskRow())
			v.serving.Add(v.desks[n].box)
			moved = true
		}
		r := v.desks[n]
		setText(r.ticket, d.Serving.Ticket)
		setText(r.desk, d.Desk.Name)
		setText(r.who, MaskName(d.Serving.Name, u.cfg.Privacy))
		moved = setVisible(r.box, true) || moved
		n++
	}
	for _, r := range v.desks[n:] {
		moved = setVisible(r.box, false) || moved
	}
	moved = setVisible(v.nobody, n == 0) || moved

	for i, l := range b.Lines {
		if i == len(v.lines) {
			v.lines = append(v.lines, newLineRows())
			v.next.Add(v.lines[i].box)
			moved = true
		}
		moved = v.lines[i].update(u, l) || moved
	}
	for _, l := range v.lines[len(b.Lines):] {
		moved = setVisible(l.box, false) || moved
	}
	if moved {
		v.body.Refresh()
	}
}

// update shows line l and reports whether a row was shown or hidden or a
// text that decides its width changed.
func (l *lineRows) update(u *UI, line queue.Line) bool {
	setText(l.head, line.Service.DisplayName(u.lang))
	var summary string
	switch {
	case line.OpenDesks == 0:
		summary = lang.X("board.line.closed", "{{.N}} waiting · no desk open", map[string]any{"N": len(line.Waiting)})
	case len(line.Waiting) == 0:
		summary = lang.X("board.line.empty", "Nobody waiting · check in now: {{.Wait}}", map[string]any{"Wait": waitText(line.NextEstimate)})
	default:
		summary = lang.X("board.line.summary", "{{.N}} waiting · check in now: {{.Wait}}",
			map[string]any{"N": len(line.Waiting), "Wait": waitText(line.NextEstimate)})
	}
	moved := resizeText(l.summary, summary)
	moved = setVisible(l.box, true) || moved
	for i, r := range l.next {
		if i >= len(line.Waiting) {
			moved = setVisible(r.box, false) || moved
			continue
		}
		w := line.Waiting[i]
		setText(r.ticket, w.Visit.Ticket)
		setText(r.name, MaskName(w.Visit.Name, u.cfg.Privacy))
		wait := waitText(w.Estimate)
		if line.OpenDesks == 0 {
			wait = lang.X("board.wait.closed", "when a desk opens")
		}
		moved = resizeText(r.wait, wait) || moved
		moved = setVisible(r.box, true) || moved
	}
	return moved
}

// resizeText is setText for a label a border layout sizes to its text (a
// line's summary, a row's wait): it reports a change, so that the board is
// laid out again and a longer text is not cut. Waits change every minute
// as they count down.
func resizeText(l *widget.Label, s string) bool {
	if l.Text == s {
		return false
	}
	l.SetText(s)
	return true
}
