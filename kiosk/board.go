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
type boardView struct {
	u       *UI
	serving *fyne.Container
	lines   *fyne.Container
	content fyne.CanvasObject
}

func newBoardView(u *UI) *boardView {
	v := &boardView{u: u, serving: container.NewVBox(), lines: container.NewVBox()}
	v.content = card(container.NewThemeOverride(container.NewVScroll(container.NewVBox(
		newText(lang.X("board.serving", "Now serving"), theme.SizeNameSubHeadingText, true, widget.HighImportance),
		v.serving,
		gap(8), widget.NewSeparator(), gap(8),
		newText(lang.X("board.next", "Next in line"), theme.SizeNameSubHeadingText, true, widget.HighImportance),
		v.lines,
	)), u.theme.dense()))
	return v
}

// update shows board b; it replaces the rows, which are few.
func (v *boardView) update(b queue.Board) {
	u := v.u
	var serving []fyne.CanvasObject
	for _, d := range b.Desks {
		if !d.Open || d.Serving == nil {
			continue
		}
		who := MaskName(d.Serving.Name, u.cfg.Privacy)
		desk := newText(d.Desk.Name, sizeNameTitle, true, widget.HighImportance)
		serving = append(serving, container.NewBorder(nil, nil,
			container.NewHBox(
				sized(180, 0, newText(d.Serving.Ticket, sizeNameTitle, true, widget.MediumImportance)),
				container.NewCenter(widget.NewIcon(theme.NavigateNextIcon())),
				desk,
			),
			nil,
			container.NewCenter(newText(who, theme.SizeNameText, false, widget.LowImportance)),
		))
	}
	if len(serving) == 0 {
		serving = append(serving, newText(lang.X("board.serving.none", "Nobody is being called yet."), theme.SizeNameText, false, widget.LowImportance))
	}
	v.serving.Objects = serving
	v.serving.Refresh()

	var lines []fyne.CanvasObject
	for _, l := range b.Lines {
		lines = append(lines, v.line(l))
	}
	v.lines.Objects = lines
	v.lines.Refresh()
}

func (v *boardView) line(l queue.Line) fyne.CanvasObject {
	u := v.u
	head := newText(l.Service.DisplayName(u.lang), theme.SizeNameText, true, widget.MediumImportance)
	head.Truncation = fyne.TextTruncateEllipsis
	var summary string
	switch {
	case l.OpenDesks == 0:
		summary = lang.X("board.line.closed", "{{.N}} waiting · no desk open yet", map[string]any{"N": len(l.Waiting)})
	case len(l.Waiting) == 0:
		summary = lang.X("board.line.empty", "Nobody waiting · check in now: {{.Wait}}", map[string]any{"Wait": waitText(l.NextEstimate)})
	default:
		summary = lang.X("board.line.summary", "{{.N}} waiting · check in now: {{.Wait}}",
			map[string]any{"N": len(l.Waiting), "Wait": waitText(l.NextEstimate)})
	}
	box := container.NewVBox(container.NewBorder(nil, nil, nil,
		newText(summary, theme.SizeNameCaptionText, false, widget.LowImportance), head))
	for i, w := range l.Waiting {
		if i == boardNext {
			break
		}
		box.Add(container.NewBorder(nil, nil,
			container.NewHBox(
				sized(110, 0, newText(w.Visit.Ticket, theme.SizeNameText, true, widget.HighImportance)),
				newText(MaskName(w.Visit.Name, u.cfg.Privacy), theme.SizeNameText, false, widget.MediumImportance),
			),
			newText(waitText(w.Estimate), theme.SizeNameText, false, widget.LowImportance),
		))
	}
	return container.NewVBox(box, gap(10))
}
