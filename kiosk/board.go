package kiosk

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// The board lists a service's waiting tickets a page at a time, so that
// the fifth visitor in a long line sees their number too, and marks a
// desk's new call for a while, so that it is noticed.
//
// A page has as many tickets as let every line fit the board without
// scrolling, between boardMinRows and boardMaxRows: more on a portrait
// screen, fewer with more lines.
const (
	boardMinRows   = 3
	boardMaxRows   = 10
	boardPageFor   = 6 * time.Second  // how long a page shows: three refreshes
	boardCallFresh = 10 * time.Second // how long a new call stands out
)

// boardView is the lobby board: who is being served at which desk, and
// who is next in each line, with names masked as the config says.
//
// It is refreshed every two seconds, so it keeps its rows and only changes
// their text; the refresh also turns the pages of long lines and ends the
// highlight of a call, by the injected clock; rows are added the first time a board needs them and hidden
// while it does not. Its lists are dense (densePadding): nothing on it is
// a touch target.
type boardView struct {
	u       *UI
	body    *fyne.Container
	scroll  *container.Scroll // around body, in case not even boardMinRows fit
	serving *fyne.Container   // nobody, then the desks' boxes
	nobody  fyne.CanvasObject // "Nobody is being called yet."
	desks   []*deskRow
	next    *fyne.Container // the lines' boxes
	lines   []*lineRows
	content fyne.CanvasObject

	scrollAt time.Time // when the board last scrolled by itself (follow)
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
	v.scroll = container.NewVScroll(v.body)
	v.content = card(v.scroll)
	return v
}

// deskRow is a desk calling a ticket: "R-001 → Desk 1   Ana G.", on a
// highlight for boardCallFresh after the call.
type deskRow struct {
	ticket, desk, who *widget.Label
	highlight         *canvas.Rectangle
	fresh             bool // the highlight is on
	box               fyne.CanvasObject
}

func newDeskRow() *deskRow {
	r := &deskRow{
		ticket: newText("", sizeNameTitle, true, widget.MediumImportance),
		desk:   newText("", sizeNameTitle, true, widget.HighImportance),
		who:    newText("", theme.SizeNameText, false, widget.LowImportance),
	}
	r.highlight = canvas.NewRectangle(color.Transparent)
	r.highlight.CornerRadius = 10
	r.box = container.NewStack(r.highlight, container.NewBorder(nil, nil,
		denseHBox(
			sized(180, 0, denseLabel(r.ticket)),
			container.NewCenter(widget.NewIcon(theme.NavigateNextIcon())),
			denseLabel(r.desk),
		),
		nil,
		container.NewCenter(denseLabel(r.who)),
	))
	return r
}

// setFresh turns the highlight of a new call on or off.
func (r *deskRow) setFresh(fresh bool) {
	if r.fresh == fresh {
		return
	}
	r.fresh = fresh
	r.highlight.FillColor = color.Transparent
	r.ticket.Importance = widget.MediumImportance
	if fresh {
		r.highlight.FillColor = newKioskTheme().Color(colorNameCalled, theme.VariantLight)
		r.ticket.Importance = widget.HighImportance
	}
	r.highlight.Refresh()
	r.ticket.Refresh()
}

// lineRows is a service's line: its name and summary, and a page of the
// tickets waiting. A longer line turns its pages every
// boardPageFor and says which page shows: "page 2 of 3".
type lineRows struct {
	head, summary, pageOf *widget.Label
	pageBox               fyne.CanvasObject // pageOf, hidden while the line fits one page
	next                  [boardMaxRows]*waitingRow
	box                   *fyne.Container

	page   int       // the page showing, from 0
	pageAt time.Time // when it began to show
}

func newLineRows() *lineRows {
	l := &lineRows{
		head:    newText("", theme.SizeNameText, true, widget.MediumImportance),
		summary: newText("", theme.SizeNameCaptionText, false, widget.LowImportance),
		pageOf:  newText("", theme.SizeNameCaptionText, true, widget.MediumImportance),
	}
	l.pageBox = denseLabel(l.pageOf)
	l.pageBox.Hide()
	rows := denseVBox(container.New(&lineHeadLayout{}, denseLabel(l.head), denseHBox(denseLabel(l.summary), l.pageBox)))
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
	// The wait beside the name, or under it where both do not fit (a long
	// first name, larger text).
	r.box = container.New(&lineHeadLayout{},
		denseHBox(sized(110, 0, denseLabel(r.ticket)), denseLabel(r.name)),
		denseLabel(r.wait),
	)
	return r
}

// lineHeight is the row's height on one line. A row that wraps its wait
// under the name (larger text, a long first name) takes two; a page of
// such rows that does not fit scrolls by itself.
func (r *waitingRow) lineHeight() float32 {
	var h float32
	for _, o := range r.box.(*fyne.Container).Objects {
		h = max(h, o.MinSize().Height)
	}
	return h
}

// update shows board b in the rows there are, adding any that are missing.
func (v *boardView) update(b queue.Board) {
	u := v.u
	now := u.cfg.Now()
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
		r.setFresh(now.Sub(d.Serving.CalledAt) < boardCallFresh)
		moved = setVisible(r.box, true) || moved
		n++
	}
	for _, r := range v.desks[n:] {
		moved = setVisible(r.box, false) || moved
	}
	moved = setVisible(v.nobody, n == 0) || moved

	rows := v.pageRows(b)
	for i, l := range b.Lines {
		if i == len(v.lines) {
			v.lines = append(v.lines, newLineRows())
			v.next.Add(v.lines[i].box)
			moved = true
		}
		moved = v.lines[i].update(u, l, rows, now) || moved
	}
	for _, l := range v.lines[len(b.Lines):] {
		moved = setVisible(l.box, false) || moved
	}
	if moved {
		v.body.Refresh()
	}
	v.follow(now)
}

// follow scrolls a board that does not fit even with boardMinRows a page
// (many desks, many services, a short screen) by itself: on a screen
// further every boardPageFor, then back to the top, so that no line stays
// out of sight.
func (v *boardView) follow(now time.Time) {
	view := v.scroll.Size().Height
	over := v.body.MinSize().Height - view
	if view == 0 || over <= 0 {
		if v.scroll.Offset.Y != 0 {
			v.scroll.ScrollToTop()
		}
		v.scrollAt = now
		return
	}
	if v.scrollAt.IsZero() {
		v.scrollAt = now
	}
	if now.Sub(v.scrollAt) < boardPageFor {
		return
	}
	v.scrollAt = now
	y := min(v.scroll.Offset.Y+view*3/4, over)
	if v.scroll.Offset.Y >= over {
		y = 0
	}
	v.scroll.ScrollToOffset(fyne.NewPos(0, y))
}

// update shows line l as it is at now, turning its page when it is time,
// and reports whether a row was shown or hidden or a text that decides its
// width changed.
func (l *lineRows) update(u *UI, line queue.Line, rows int, now time.Time) bool {
	setText(l.head, line.Service.DisplayName(u.lang))
	var summary string
	switch {
	case line.OpenDesks == 0 && len(line.Waiting) == 0:
		summary = lang.X("board.line.closed.empty", "Nobody waiting · no desk open")
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

	pages := max(1, (len(line.Waiting)+rows-1)/rows)
	switch {
	case l.pageAt.IsZero() || pages == 1 || l.page >= pages:
		// A line that grows to two pages shows its first one in full.
		l.page, l.pageAt = 0, now
	case now.Sub(l.pageAt) >= boardPageFor:
		l.page, l.pageAt = (l.page+1)%pages, now
	}
	pageOf := ""
	if pages > 1 {
		pageOf = lang.X("board.page", "page {{.Page}} of {{.Pages}}", map[string]any{"Page": l.page + 1, "Pages": pages})
	}
	moved = resizeText(l.pageOf, pageOf) || moved
	moved = setVisible(l.pageBox, pages > 1) || moved

	waiting := line.Waiting[l.page*rows:]
	for i, r := range l.next {
		if i >= rows {
			moved = setVisible(r.box, false) || moved
			continue
		}
		if i >= len(waiting) {
			// The last page keeps a full page's height, so the lines
			// below do not jump as the pages turn.
			setText(r.ticket, "")
			setText(r.name, "")
			moved = resizeText(r.wait, "") || moved
			moved = setVisible(r.box, pages > 1) || moved
			continue
		}
		w := waiting[i]
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

// pageRows is how many tickets a page of a line shows with board b: as
// many as fit the board's height, as it was last laid out, with every
// line's page; the number is kept on the UI, so a rebuilt welcome screen
// starts with it.
func (v *boardView) pageRows(b queue.Board) int {
	u := v.u
	if u.boardRows == 0 {
		u.boardRows = boardMinRows
	}
	height := v.scroll.Size().Height
	if height == 0 || len(v.lines) == 0 {
		return u.boardRows // not laid out yet
	}
	step := v.lines[0].next[0].lineHeight() + densePadding
	shown := 0 // rows the body's height counts now
	for _, l := range v.lines {
		if !l.box.Visible() {
			continue
		}
		for _, r := range l.next {
			if r.box.Visible() {
				shown++
			}
		}
	}
	room := int((height - (v.body.MinSize().Height - float32(shown)*step)) / step)
	rows := boardMinRows
	for n := boardMaxRows; n > boardMinRows; n-- {
		need := 0
		for _, l := range b.Lines {
			if w := len(l.Waiting); w > n {
				need += n // a line with pages keeps a full page
			} else {
				need += w
			}
		}
		if need <= room {
			rows = n
			break
		}
	}
	u.boardRows = rows
	return rows
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

// lineHeadLayout puts a line's name and its summary ("3 waiting · about
// 5 min each"), or a ticket and its wait, on one row, the second at the
// right, where both fit, and the second under the first where they do
// not: neither is ever cut. Its minimum height is that of the arrangement
// it last chose.
type lineHeadLayout struct{ twoRows bool }

func (l *lineHeadLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	name, summary := objs[0].MinSize(), objs[1].MinSize()
	l.twoRows = name.Width+summary.Width > size.Width
	objs[0].Move(fyne.Position{})
	if !l.twoRows {
		objs[0].Resize(fyne.NewSize(size.Width-summary.Width, size.Height))
		objs[1].Move(fyne.NewPos(size.Width-summary.Width, (size.Height-summary.Height)/2))
		objs[1].Resize(summary)
		return
	}
	objs[0].Resize(fyne.NewSize(size.Width, name.Height))
	objs[1].Move(fyne.NewPos(size.Width-summary.Width, name.Height))
	objs[1].Resize(summary)
}

func (l *lineHeadLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	name, summary := objs[0].MinSize(), objs[1].MinSize()
	if l.twoRows {
		return fyne.NewSize(max(name.Width, summary.Width), name.Height+summary.Height)
	}
	return fyne.NewSize(max(name.Width, summary.Width), max(name.Height, summary.Height))
}
