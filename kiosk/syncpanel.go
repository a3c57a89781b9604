package kiosk

import (
	"encoding/json"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer"
)

// syncText is the staff badge's line for a connectivity status, and how
// loudly to show it. During a drill the kiosk holds its changes on
// purpose: that is what it says, not an outage's "offline since".
func syncText(st syncer.Status, now time.Time, drill bool) (string, widget.Importance) {
	args := map[string]any{
		"Since":   st.Since.Local().Format("15:04"),
		"Backlog": st.Backlog,
		"Skew":    roundSkew(st.Skew),
	}
	var text string
	imp := widget.SuccessImportance
	switch st.State {
	case syncer.Online:
		text = lang.X("sync.online", "Online")
		// What waits for the centre's upgrade is not being sent.
		if sending := st.Backlog - st.AwaitingCentre; sending > 0 {
			text = lang.X("sync.online.sending", "Online · sending {{.Backlog}}", map[string]any{"Backlog": sending})
		}
	case syncer.Degraded:
		text = lang.X("sync.degraded", "Sync trouble since {{.Since}} · {{.Backlog}} to send", args)
		imp = widget.WarningImportance
	case syncer.Unenrolled:
		text = lang.X("sync.unenrolled", "This kiosk is no longer enrolled")
		imp = widget.DangerImportance
	case syncer.KioskOutdated:
		text = lang.X("sync.outdated", "This kiosk needs an update")
		imp = widget.DangerImportance
	case syncer.CentreOutdated:
		text = lang.X("sync.centre_outdated", "The centre needs an update")
		imp = widget.DangerImportance
	default:
		text = lang.X("sync.offline", "Offline since {{.Since}} · {{.Backlog}} waiting to sync", args)
		imp = widget.DangerImportance
		if drill {
			text = lang.X("sync.drill", "Drill: changes held here · {{.Backlog}} waiting to sync", args)
			imp = widget.WarningImportance
		}
	}
	if st.AwaitingCentre > 0 {
		text += " · " + lang.XN("sync.awaiting", "{{.Count}} wait for the centre's update", st.AwaitingCentre, map[string]any{"Count": st.AwaitingCentre})
		if imp == widget.SuccessImportance {
			imp = widget.WarningImportance
		}
	}
	if st.Rejected > 0 {
		text += " · " + lang.XN("sync.attention", "{{.Count}} need attention", st.Rejected, map[string]any{"Count": st.Rejected})
		if imp == widget.SuccessImportance {
			imp = widget.WarningImportance
		}
	}
	if st.ClockSkewed() {
		text += " · " + lang.X("sync.skew", "clock off by {{.Skew}}", args)
		if imp == widget.SuccessImportance {
			imp = widget.WarningImportance
		}
	}
	return text, imp
}

// kindName is a kind of change as staff read it.
func kindName(kind string) string {
	switch kind {
	case queue.KindCheckIn:
		return lang.X("kind.check_in", "check-in")
	case queue.KindCall:
		return lang.X("kind.call", "call to a desk")
	case queue.KindRecall:
		return lang.X("kind.recall", "call again")
	case queue.KindServe:
		return lang.X("kind.serve", "served")
	case queue.KindNoShow:
		return lang.X("kind.no_show", "no-show")
	case queue.KindCancel:
		return lang.X("kind.cancel", "cancelled visit")
	case queue.KindPrioritize:
		return lang.X("kind.prioritize", "moved to the front")
	case queue.KindTransfer:
		return lang.X("kind.transfer", "transfer")
	case queue.KindDeskOpen:
		return lang.X("kind.desk_open", "desk opened")
	case queue.KindDeskClose:
		return lang.X("kind.desk_close", "desk closed")
	case queue.KindCheckOut:
		return lang.X("kind.check_out", "check-out")
	case queue.KindIncident:
		return lang.X("kind.incident", "incident report")
	}
	return kind
}

// roundSkew renders a clock offset to the minute: "+24h0m", "-6m".
func roundSkew(d time.Duration) string {
	d = d.Round(time.Minute)
	s := d.String()
	if d > 0 {
		s = "+" + s
	}
	if len(s) > 2 && s[len(s)-2:] == "0s" {
		s = s[:len(s)-2]
	}
	return s
}

// spanText is a length of time for staff: "less than a minute",
// "12 min", "3 h 05 min".
func spanText(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return lang.X("span.under_minute", "less than a minute")
	case m < 120:
		return lang.X("waited.min", "{{.Min}} min", map[string]any{"Min": m})
	}
	return lang.X("span.hours", "{{.Hours}} h {{.Min}} min", map[string]any{"Hours": m / 60, "Min": fmt.Sprintf("%02d", m%60)})
}

// showSync records a status from the syncer and updates the staff badge.
func (u *UI) showSync(st syncer.Status) {
	u.syncStatus = st
	if u.staff != nil {
		u.staff.updateSync(st, u.cfg.Now())
	}
	if u.incident != nil {
		u.incident.update(u.outage) // the backlog waiting to sync
	}
}

// newSyncBadge is the staff header's sync button: state at a glance,
// details on a tap. Without a syncer it says sync is off.
func (u *UI) newSyncBadge() *widget.Button {
	b := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), u.showSyncDetails)
	if u.cfg.Sync == nil {
		b.SetText(lang.X("sync.off", "Sync off"))
		b.Importance = widget.LowImportance
		b.Disable()
	}
	return b
}

// showSyncDetails opens the sync panel: what the kiosk holds that the
// centre has not, changes the centre refused, how old the centre's data
// is, the site's queue at the other kiosks, and the recent log.
func (u *UI) showSyncDetails() {
	u.touch()
	if u.cfg.Sync == nil {
		return
	}
	st := u.syncStatus
	now := u.cfg.Now()
	line, _ := syncText(st, now, u.outage.Drill())
	rows := []fyne.CanvasObject{newWrapped(line, theme.SizeNameSubHeadingText, widget.MediumImportance)}
	add := func(key, fallback string, args map[string]any) {
		rows = append(rows, newWrapped(lang.X(key, fallback, args), theme.SizeNameText, widget.MediumImportance))
	}
	addCount := func(key, fallback string, n int, args map[string]any) {
		rows = append(rows, newWrapped(lang.XN(key, fallback, n, args), theme.SizeNameText, widget.MediumImportance))
	}
	switch st.State {
	case syncer.Unenrolled:
		add("sync.unenrolled.help", "The centre no longer accepts this kiosk. Check-in and the queue keep working and nothing is lost; call IT to enrol it again.", nil)
	case syncer.KioskOutdated:
		add("sync.outdated.help", "The centre no longer accepts this kiosk's version. Check-in and the queue keep working and nothing is lost; ask IT to update this kiosk.", nil)
	case syncer.CentreOutdated:
		add("sync.centre_outdated.help", "The centre runs a version older than this kiosk's. Check-in and the queue keep working and nothing is lost; ask IT to update the centre.", nil)
	}
	if st.AwaitingCentre > 0 {
		addCount("sync.awaiting.help", "{{.Count}} changes wait until the centre is updated: it does not take this kind of change yet ({{.Kind}}). They are kept on this kiosk and sent in order once it does.",
			st.AwaitingCentre, map[string]any{"Count": st.AwaitingCentre, "Kind": kindName(st.AwaitingKind)})
	}
	if st.LastError != "" && st.State != syncer.Online {
		add("sync.error", "Last problem: {{.Error}}", map[string]any{"Error": st.LastError})
	}
	if st.LastSuccess.IsZero() {
		add("sync.never", "Never synced since the kiosk started.", nil)
	} else {
		add("sync.last", "Last sync: {{.Ago}} ago.", map[string]any{"Ago": spanText(now.Sub(st.LastSuccess))})
	}
	if st.Backlog > 0 {
		addCount("sync.oldest", "{{.Backlog}} changes wait for the centre; the oldest is {{.Age}} old.",
			st.Backlog, map[string]any{"Backlog": st.Backlog, "Age": spanText(now.Sub(st.Oldest))})
	}
	if st.ClockSkewed() {
		add("sync.skew.help", "This kiosk's clock is {{.Skew}} off the centre's. Tickets and the queue are fine; ask IT to fix the clock.",
			map[string]any{"Skew": roundSkew(st.Skew)})
	}
	if pulled, err := u.syncRecords.PulledAt(u.ctx); err == nil {
		if pulled.IsZero() {
			add("sync.pulled.never", "The watch-list and pre-registrations have never been received from the centre.", nil)
		} else if st.State != syncer.Online {
			add("sync.pulled", "The watch-list and pre-registrations are from {{.Ago}} ago.", map[string]any{"Ago": spanText(now.Sub(pulled))})
		}
	}
	if v := u.syncRecords.ConfigVersion(); v > 0 {
		add("sync.config", "Site configuration: the centre's, version {{.Version}}.", map[string]any{"Version": v})
		if u.siteSettings != nil && u.settingsVersion != v {
			// Services and desks are in use; the screens' settings wait
			// for the welcome screen (offerSettings).
			add("sync.config.pending", "The languages, timeouts and incident settings of version {{.Version}} apply after Lock, on the welcome screen.", map[string]any{"Version": v})
		}
	} else {
		add("sync.config.file", "Site configuration: this kiosk's own file (the centre has sent none).", nil)
	}
	if elsewhere := u.siteWaiting(); len(elsewhere) > 0 {
		rows = append(rows, widget.NewSeparator(), newText(lang.X("sync.site", "Waiting at the site's other kiosks"), theme.SizeNameText, true, widget.MediumImportance))
		for _, v := range elsewhere {
			rows = append(rows, newText(fmt.Sprintf("%s  %s  (%s)", v.Visit.Ticket, v.Visit.Name, v.Kiosk), theme.SizeNameText, false, widget.MediumImportance))
		}
	}
	rejected, err := u.syncRecords.RejectedOutbox(u.ctx, 50)
	if err != nil {
		u.log.Warn("read rejected changes", "err", err)
	}
	if len(rejected) > 0 {
		rows = append(rows, widget.NewSeparator(), newText(lang.X("sync.rejected", "Needs attention: the centre refused these changes"), theme.SizeNameText, true, widget.DangerImportance))
		if !u.supervisor() {
			rows = append(rows, newWrapped(lang.X("sync.retry.supervisor", "A supervisor can send them again."), theme.SizeNameCaptionText, widget.LowImportance))
		}
		for _, e := range rejected {
			seq := e.Seq
			retry := widget.NewButton(lang.X("sync.retry", "Send again"), func() { u.retryRejected(seq) })
			enable(retry, u.supervisor())
			rows = append(rows, container.NewBorder(nil, nil, nil, retry,
				newWrapped(fmt.Sprintf("%s · %s · %s", e.CreatedAt.Local().Format("15:04"), e.Kind, e.Reason), theme.SizeNameCaptionText, widget.MediumImportance)))
		}
	}
	d := dialog.NewCustom(lang.X("sync.title", "Sync with the centre"), lang.X("dialog.close", "Close"),
		container.NewVScroll(container.NewVBox(rows...)), u.win)
	d.Resize(fyne.NewSize(760, 560))
	u.syncDialog = d
	d.Show()
}

// siteWaiting lists visits waiting at the site's other kiosks, as last
// pulled from the centre.
func (u *UI) siteWaiting() []queue.SiteVisit {
	recs, err := u.syncRecords.Remote(u.ctx, queue.EntityVisit)
	if err != nil {
		u.log.Warn("read site visits", "err", err)
		return nil
	}
	self, _ := u.syncRecords.Identity()
	var out []queue.SiteVisit
	for _, r := range recs {
		var sv queue.SiteVisit
		if json.Unmarshal(r.Data, &sv) != nil || sv.Visit.Status != queue.StatusWaiting || sv.Kiosk == self {
			continue
		}
		out = append(out, sv)
	}
	return out
}

func (u *UI) retryRejected(seq int64) {
	if !u.supervisor() {
		return
	}
	u.touch()
	if err := u.syncRecords.RetryRejected(u.staffCtx(), seq); err != nil {
		u.staffError(err)
		return
	}
	if u.syncDialog != nil {
		u.syncDialog.Hide()
	}
	u.showSyncDetails()
}

// showAlerts opens the staff alerts: watch-list hits, the same person at
// two kiosks, cancelled invitations. Visitors never see these.
func (u *UI) showAlerts() {
	u.touch()
	alerts, err := u.syncRecords.Alerts(u.ctx, true)
	if err != nil {
		u.staffError(err)
		return
	}
	rows := []fyne.CanvasObject{}
	if len(alerts) == 0 {
		rows = append(rows, newWrapped(lang.X("alerts.none", "No alerts."), theme.SizeNameText, widget.MediumImportance))
	}
	for _, a := range alerts {
		id := a.ID
		done := widget.NewButtonWithIcon(lang.X("alerts.done", "Dealt with"), theme.ConfirmIcon(), func() { u.ackAlert(id) })
		rows = append(rows, container.NewBorder(nil, nil, nil, done,
			newWrapped(a.At.Local().Format("15:04")+" · "+a.Message, theme.SizeNameText, widget.MediumImportance)))
	}
	d := dialog.NewCustom(lang.X("alerts.title", "Alerts for staff"), lang.X("dialog.close", "Close"),
		container.NewVScroll(container.NewVBox(rows...)), u.win)
	d.Resize(fyne.NewSize(760, 520))
	u.alertsDialog = d
	d.Show()
}

func (u *UI) ackAlert(id int64) {
	u.touch()
	who := u.staffName
	if who == "" {
		who = lang.X("alerts.staff", "staff")
	}
	if err := u.syncRecords.AckAlert(u.staffCtx(), id, who); err != nil {
		u.staffError(err)
	}
	if u.alertsDialog != nil {
		u.alertsDialog.Hide()
	}
	u.refreshAlerts()
	u.showAlerts()
}

// refreshAlerts counts open alerts for the staff header.
func (u *UI) refreshAlerts() {
	alerts, err := u.syncRecords.Alerts(u.ctx, true)
	if err != nil {
		u.log.Warn("read alerts", "err", err)
		return
	}
	u.openAlerts = len(alerts)
	if u.staff != nil {
		u.staff.updateAlerts(u.openAlerts)
	}
}

// staffError shows a refused action on the staff screen.
func (u *UI) staffError(err error) {
	if u.staff != nil {
		u.staff.setStatus(u.errorText(err), true)
	}
}

// updateSync shows a connectivity status on the badge.
func (s *staffScreen) updateSync(st syncer.Status, now time.Time) {
	if s.u.cfg.Sync == nil {
		return
	}
	text, imp := syncText(st, now, s.u.outage.Drill())
	s.sync.SetText(text)
	s.sync.Importance = imp
	s.sync.Refresh()
}

// updateAlerts shows how many alerts wait for staff.
func (s *staffScreen) updateAlerts(n int) {
	s.alerts.SetText(lang.X("alerts.button", "Alerts: {{.Count}}", map[string]any{"Count": n}))
	s.alerts.Importance = widget.LowImportance
	if n > 0 {
		s.alerts.Importance = widget.DangerImportance
	}
	s.alerts.Refresh()
}
