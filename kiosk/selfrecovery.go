package kiosk

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// This file is what the screens say of the kiosk recovering a damaged
// database by itself (issue 15 §3, [jobs] self_recover): on the
// reception screen, why it did not (it tried already and failed, or the
// database is damaged again soon after it recovered it); in staff mode,
// after it did, a notice — when, where the damaged file is kept, the
// report, how much was not recovered — until a supervisor acknowledges
// it.

// SelfRecovery is the kiosk's self-recovery as the screens see it. The
// recovery itself is cmd/kiosk's: the UI only says what it did.
type SelfRecovery struct {
	// Last is the last automatic recovery, if any: staff mode shows it
	// while it is Pending.
	Last *queue.AutoRecovery
	// Acknowledge records that ctx's actor, a supervisor, has read the
	// notice (audited); then the notice goes.
	Acknowledge func(ctx context.Context) error
	// Held, when set, is the automatic recovery that keeps the kiosk
	// from recovering its damaged database by itself again.
	Held *queue.AutoRecovery
	// Damaged is called on the UI goroutine when the store first says
	// its database is damaged while the kiosk runs: recovering is true
	// when the kiosk closes now to recover by itself; else held says why
	// it does not (nil: self-recovery cannot run, the log says why).
	Damaged func() (recovering bool, held *queue.AutoRecovery)
}

// selfRecoveryHeld is the reception screen's sentence on why the kiosk
// does not recover its damaged database by itself; "" for none.
func (u *UI) selfRecoveryHeld() string {
	sr := u.cfg.SelfRecovery
	if sr == nil || sr.Held == nil || u.selfRecovering {
		return ""
	}
	at := map[string]any{"Time": sr.Held.At.In(u.location()).Format("2006-01-02 15:04")}
	if sr.Held.Failed != "" {
		return lang.X("reception.staff.selffailed", "The kiosk tried to recover this database by itself at {{.Time}}, and that failed: it does not try again by itself. The cause is in the kiosk's log.", at)
	}
	return lang.X("reception.staff.selfagain", "The kiosk recovered its database by itself at {{.Time}}, and it is damaged again: the disk may be failing, so the kiosk does not recover it by itself again.", at)
}

// recoveryPending says staff mode has a self-recovery notice to show.
func (u *UI) recoveryPending() bool {
	sr := u.cfg.SelfRecovery
	return sr != nil && sr.Last != nil && sr.Last.Pending()
}

// updateRecovered shows the staff header's notice of a self-recovery
// while no supervisor has acknowledged it.
func (s *staffScreen) updateRecovered() {
	if s.u.recoveryPending() {
		s.recovered.Show()
	} else {
		s.recovered.Hide()
	}
}

// recoveryLines are the notice's sentences.
func (u *UI) recoveryLines(r queue.AutoRecovery) []string {
	lines := []string{
		lang.X("recovered.when", "The kiosk found its database damaged and recovered it by itself at {{.Time}}.",
			map[string]any{"Time": r.At.In(u.location()).Format("2006-01-02 15:04")}),
		lang.X("recovered.kept", "The damaged file is kept as {{.Path}}.", map[string]any{"Path": r.DamagedKept}),
		lang.X("recovered.report", "What was and was not recovered is listed in {{.Path}}.", map[string]any{"Path": r.Report}),
	}
	if r.Lost > 0 { // none: the report says what was read elsewhere
		lines = append(lines, lang.XN("recovered.lost", "{{.Count}} items could not be recovered.", r.Lost, map[string]any{"Count": r.Lost}))
	}
	return lines
}

// showRecovered opens the self-recovery notice; a supervisor
// acknowledges it there.
func (u *UI) showRecovered() {
	u.touch()
	if !u.recoveryPending() {
		return
	}
	var rows []fyne.CanvasObject
	for _, l := range u.recoveryLines(*u.cfg.SelfRecovery.Last) {
		rows = append(rows, newWrapped(l, theme.SizeNameText, widget.MediumImportance))
	}
	var d dialog.Dialog
	var content fyne.CanvasObject = container.NewVScroll(container.NewVBox(rows...))
	if u.supervisor() {
		ack := widget.NewButtonWithIcon(lang.X("recovered.ack", "Acknowledge"), theme.ConfirmIcon(), func() { u.ackRecovered(d) })
		ack.Importance = widget.HighImportance
		content = container.NewBorder(nil, ack, nil, nil, content)
	} else {
		content = container.NewBorder(nil, newWrapped(lang.X("recovered.supervisor", "A supervisor acknowledges this notice."),
			theme.SizeNameText, widget.WarningImportance), nil, nil, content)
	}
	d = dialog.NewCustom(lang.X("recovered.title", "Database recovered"), lang.X("dialog.close", "Close"), content, u.win)
	d.Resize(fyne.NewSize(min(900, u.win.Canvas().Size().Width-40), min(560, u.win.Canvas().Size().Height-40)))
	u.recoveredDialog = d
	d.Show()
}

// ackRecovered records the signed-in supervisor's acknowledgement of the
// notice, and takes it away.
func (u *UI) ackRecovered(d dialog.Dialog) {
	u.touch()
	sr := u.cfg.SelfRecovery
	if !u.supervisor() || sr == nil || sr.Acknowledge == nil {
		return
	}
	if err := sr.Acknowledge(u.staffCtx()); err != nil {
		u.log.Error("acknowledge the automatic recovery", "err", err)
		if u.staff != nil {
			u.staff.setStatus(lang.X("recovered.ack.failed", "Could not record the acknowledgement. Please tell IT."), true)
		}
		return
	}
	d.Hide()
	u.recoveredDialog = nil
	if u.staff != nil {
		u.staff.updateRecovered()
		u.staff.setStatus(lang.X("recovered.acked", "The notice is acknowledged."), false)
	}
}
