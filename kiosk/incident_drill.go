package kiosk

import (
	"fmt"
	"time"

	"lobbyline/syncer/outage"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// drillLengths are the drill lengths staff pick from; defaultDrill is
// picked when the panel opens.
var drillLengths = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

const defaultDrill = 15 * time.Minute

// newDrill is the card to start a drill.
func (s *incidentScreen) newDrill() fyne.CanvasObject {
	u := s.u
	lengths := container.NewGridWithColumns(len(drillLengths))
	for _, d := range drillLengths {
		b := widget.NewButton(fmt.Sprint(int(d/time.Minute)), func() { s.chooseDrillLength(d) })
		s.lengths = append(s.lengths, b)
		lengths.Add(b)
	}
	s.drillBanner = widget.NewCheck(lang.X("incident.drill.banner", "Visitors see the drill banner"), func(bool) { u.touch() })
	s.drillBanner.SetChecked(u.cfg.Incident.DrillBanner)
	s.startDrill = widget.NewButtonWithIcon(lang.X("incident.drill.start", "Start drill"), theme.MediaPlayIcon(), u.startDrill)
	s.startDrill.Importance = widget.WarningImportance
	s.chooseDrillLength(s.drillLength)
	help := lang.X("incident.drill.help", "Practise an outage: the kiosk holds its changes as if the centre were down.")
	if !u.supervisor() {
		// A drill is the supervisor's to start; anyone may stop one.
		help = lang.X("incident.drill.supervisor", "Practise an outage: a supervisor starts drills.")
		for _, b := range s.lengths {
			b.Disable()
		}
		s.drillBanner.Disable()
		s.startDrill.Disable()
	}
	s.drillCard = card(
		incidentHeading(lang.X("incident.drill", "Drill")),
		tight(newWrapped(help, theme.SizeNameCaptionText, widget.LowImportance)),
		container.NewBorder(nil, nil, newText(lang.X("incident.drill.minutes", "Minutes"), theme.SizeNameText, false, widget.MediumImportance), nil, lengths),
		s.drillBanner, s.startDrill)
	return s.drillCard
}

// showDrill offers a drill when all is well, and its end during one.
func (s *incidentScreen) showDrill(o outage.Outage) {
	s.show(s.drillCard, o.Incident == nil)
	s.show(s.stopDrill, o.Drill())
}

func (s *incidentScreen) chooseDrillLength(d time.Duration) {
	s.u.touch()
	s.drillLength = d
	for i, b := range s.lengths {
		imp := widget.MediumImportance
		if drillLengths[i] == d {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
}

// startDrill starts a drill of the chosen length.
func (u *UI) startDrill() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil || !u.supervisor() {
		return
	}
	in, err := u.cfg.Outage.StartDrill(u.staffCtx(), s.drillLength, s.drillBanner.Checked, u.staffOrDefault())
	u.showOutage(u.cfg.Outage.Outage())
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("drill started from the panel", "id", in.ID, "until", in.DrillUntil)
	s.setStatus(lang.X("incident.drill.started", "Drill started. It ends at {{.Until}}.", map[string]any{"Until": u.incidentClock(in.DrillUntil)}), false)
}

// stopDrill ends the running drill now.
func (u *UI) stopDrill() {
	u.touch()
	s := u.incident
	if s == nil || u.cfg.Outage == nil {
		return
	}
	err := u.cfg.Outage.StopDrill(u.staffCtx(), u.staffOrDefault())
	u.showOutage(u.cfg.Outage.Outage())
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	s.setStatus(lang.X("incident.drill.stopped", "Drill stopped. The kiosk sends what it held."), false)
}
