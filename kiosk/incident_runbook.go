package kiosk

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// newRunbook is the checklist, a tick button per step.
func (s *incidentScreen) newRunbook() fyne.CanvasObject {
	u := s.u
	s.noRunbook = newWrapped(lang.X("incident.runbook.idle", "The runbook is for an incident; none is going on."),
		theme.SizeNameText, widget.LowImportance)
	rows := []fyne.CanvasObject{s.noRunbook}
	if len(u.cfg.Incident.Runbook) == 0 {
		s.noRunbook.SetText(lang.X("incident.runbook.none", "No runbook is set up for this kiosk."))
	}
	for i, step := range u.cfg.Incident.Runbook {
		tick := widget.NewButtonWithIcon(lang.X("incident.step.tick", "Done"), theme.CheckButtonIcon(), func() { u.tickStep(i) })
		done := newText("", theme.SizeNameText, true, widget.SuccessImportance)
		done.Hide()
		text := newWrapped(fmt.Sprintf("%d. %s", i+1, step), theme.SizeNameText, widget.MediumImportance)
		row := container.NewBorder(nil, nil, nil, container.NewCenter(container.NewStack(tick, done)), text)
		row.Hide()
		s.steps, s.ticked, s.stepRows = append(s.steps, tick), append(s.ticked, done), append(s.stepRows, row)
		rows = append(rows, row)
	}
	return card(rows...)
}

// showRunbook shows the steps during an incident, which are ticked, by
// whom and when, and counts them on the tab.
func (s *incidentScreen) showRunbook(o outage.Outage) {
	open := o.Incident != nil && len(s.steps) > 0
	s.show(s.noRunbook, !open)
	title := lang.X("incident.runbook", "Runbook")
	if !open {
		for _, r := range s.stepRows {
			s.show(r, false)
		}
		s.setTabTitle(s.runbookTab, title)
		return
	}
	if s.ticksFor != o.Incident.ID || !s.ticksAt.Equal(o.Updated) {
		s.readTicks(o.Incident.ID)
		s.ticksAt = o.Updated
	}
	n := 0
	for i := range s.steps {
		e, done := s.ticks[i]
		if done {
			n++
			s.set(s.ticked[i], lang.X("incident.step.done", "✓ {{.At}} · {{.By}}", map[string]any{
				"At": e.At.In(s.u.location()).Format("15:04"), "By": runbookName(e.Actor)}))
		}
		s.show(s.ticked[i], done)
		s.show(s.steps[i], !done)
		s.show(s.stepRows[i], true)
	}
	s.setTabTitle(s.runbookTab, lang.X("incident.runbook.count", "Runbook {{.Done}}/{{.Steps}}", map[string]any{"Done": n, "Steps": len(s.steps)}))
}

// setTabTitle renames a tab, redrawing the tabs only if it changed.
func (s *incidentScreen) setTabTitle(t *container.TabItem, title string) {
	if t.Text != title {
		t.Text = title
		s.tabs.Refresh()
	}
}

// readTicks reads incident id's ticked steps from its timeline.
func (s *incidentScreen) readTicks(id int64) {
	tl, err := s.u.incidentLog.Timeline(s.u.ctx, id)
	if err != nil {
		s.u.log.Warn("read incident timeline", "incident", id, "err", err)
		return
	}
	s.ticks, s.ticksFor = map[int]queue.TimelineEntry{}, id
	for _, e := range tl {
		if e.Kind == queue.TimelineStep {
			s.ticks[e.Step] = e
		}
	}
}

// runbookName keeps a name short enough for a runbook row.
func runbookName(n string) string {
	const max = 16
	if r := []rune(n); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return n
}

// tickStep records that runbook step i is done.
func (u *UI) tickStep(i int) {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil || i < 0 || i >= len(u.cfg.Incident.Runbook) {
		return
	}
	in := s.outage.Incident
	if in == nil {
		s.setStatus(lang.X("incident.over", "There is no incident going on."), true)
		return
	}
	err := u.incidentLog.TickStep(u.staffCtx(), in.ID, i, u.cfg.Incident.Runbook[i], u.staffOrDefault())
	s.ticksFor = 0 // read again, whoever ticked it
	s.showRunbook(s.outage)
	s.relayout()
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	s.setStatus(lang.X("incident.step.ticked", "Step {{.N}} done.", map[string]any{"N": i + 1}), false)
}
