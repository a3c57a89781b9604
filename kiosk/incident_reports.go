package kiosk

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// recentIncidents is how many past incidents the panel lists for reports.
const recentIncidents = 5

// newReports is the card listing recent incidents with their reports.
func (s *incidentScreen) newReports() fyne.CanvasObject {
	s.reportRows = container.NewVBox()
	parts := []fyne.CanvasObject{incidentHeading(lang.X("incident.reports.recent", "Recent incidents")), s.reportRows}
	// The language the reports are written in, chosen where they are.
	if r := s.u.newReportLanguage(s.setStatus); r != nil {
		s.language = r
		parts = append(parts, widget.NewSeparator(), r.box)
	}
	return card(parts...)
}

// showReports lists the recent incidents, reading them again when an
// incident started or ended.
func (s *incidentScreen) showReports(o outage.Outage) {
	var open int64
	if o.Incident != nil {
		open = o.Incident.ID
	}
	if open == s.reportsFor {
		return
	}
	u := s.u
	list, err := u.incidentLog.Incidents(u.ctx, recentIncidents)
	if err != nil {
		u.log.Warn("read incidents", "err", err)
		return
	}
	s.reportsFor, s.moved = open, true
	s.reportRows.RemoveAll()
	s.reportIDs, s.reports = s.reportIDs[:0], s.reports[:0]
	if len(list) == 0 {
		s.reportRows.Add(newWrapped(lang.X("incident.reports.none", "No incidents yet."), theme.SizeNameText, widget.LowImportance))
	}
	for _, in := range list {
		kind := lang.X("incident.kind.outage", "Outage")
		if in.Drill {
			kind = lang.X("incident.kind.drill", "Drill")
		}
		length := lang.X("incident.going_on", "going on")
		if !in.Open() {
			length = spanText(in.End.Sub(in.Start))
		}
		line := newText(kind+" · "+u.rosterTime(in.Start), theme.SizeNameText, true, widget.MediumImportance)
		detail := newText(length, theme.SizeNameCaptionText, false, widget.LowImportance)
		if !in.Drill && in.Peak != queue.SeverityNone {
			detail.SetText(length + " · " + severityText(in.Peak))
		}
		id := in.ID
		write := widget.NewButtonWithIcon(lang.X("incident.report.write", "Write report"), theme.DocumentSaveIcon(), func() { u.writeReport(id) })
		if u.cfg.Incident.WriteReport == nil {
			write.Hide()
		}
		s.reportIDs, s.reports = append(s.reportIDs, id), append(s.reports, write)
		s.reportRows.Add(container.NewBorder(nil, nil, nil, write, denseVBox(tight(line), tight(detail))))
	}
}

// writeReport writes incident id's report files and lists them.
func (u *UI) writeReport(id int64) {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Incident.WriteReport == nil {
		return
	}
	paths, err := u.cfg.Incident.WriteReport(u.ctx, id)
	if err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) {
			s.setStatus(u.errorText(err), true)
			return
		}
		u.log.Error("write incident report", "incident", id, "err", err)
		s.setStatus(lang.X("incident.report.failed", "The report could not be written. IT can find why in the kiosk's log."), true)
		return
	}
	rows := []fyne.CanvasObject{newWrapped(lang.X("incident.report.files", "The report is in these files:"), theme.SizeNameText, widget.MediumImportance)}
	for _, p := range paths {
		rows = append(rows, newWrapped(p, theme.SizeNameCaptionText, widget.MediumImportance))
	}
	s.reportFiles = container.NewVBox(rows...)
	d := dialog.NewCustom(lang.X("incident.report.title", "Report written"), lang.X("dialog.close", "Close"),
		container.NewVScroll(s.reportFiles), u.win)
	d.Resize(fyne.NewSize(760, 420))
	s.reportDialog = d
	d.Show()
	s.setStatus(lang.XN("incident.report.done", "Report written: {{.N}} files.", len(paths), map[string]any{"N": len(paths)}), false)
}
