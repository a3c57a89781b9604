package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The staff language is the language of this kiosk's incident reports and
// printed roster. Staff choose it here, among the kiosk's languages, each
// named in its own words; the store keeps it, so it outlives a restart and
// is what the scheduled reports and the command line read too. It has
// nothing to do with the language a visitor picks on the welcome screen,
// nor with the language the staff screens themselves are shown in.

// reportLanguage is the control for the staff language: a choice among
// the kiosk's languages, on the incident panel's Reports tab and on the
// roster beside Print, where what it governs is made. Its outcome goes to
// the screen's own status line.
type reportLanguage struct {
	u       *UI
	sel     *widget.Select
	status  func(msg string, failed bool)
	syncing bool // the selection is being set from the store, not by a tap
	box     fyne.CanvasObject
}

// newReportLanguage is the control, or nil when the kiosk has a single
// language and there is nothing to choose.
func (u *UI) newReportLanguage(status func(msg string, failed bool)) *reportLanguage {
	if len(u.cfg.Languages) < 2 {
		return nil
	}
	names := make([]string, len(u.cfg.Languages))
	for i, code := range u.cfg.Languages {
		names[i] = languageName(code)
	}
	r := &reportLanguage{u: u, status: status}
	r.sel = widget.NewSelect(names, func(name string) {
		if i := indexOf(names, name); i >= 0 && !r.syncing {
			r.choose(u.cfg.Languages[i])
		}
	})
	r.show()
	label := newText(lang.X("staff.reports.language", "Report language"), theme.SizeNameText, false, widget.MediumImportance)
	r.box = container.NewBorder(nil, nil, label, nil, r.sel)
	return r
}

// show selects the stored staff language.
func (r *reportLanguage) show() {
	r.syncing = true
	r.sel.SetSelectedIndex(indexOf(r.u.cfg.Languages, r.u.reportLanguage()))
	r.syncing = false
}

// choose makes code the language of the reports and the printed roster
// from now on.
func (r *reportLanguage) choose(code string) {
	u := r.u
	u.touch()
	if err := u.staffQueue.SetStaffLanguage(u.staffCtx(), code); err != nil {
		u.log.Info("staff language refused", "lang", code, "err", err)
		r.show()
		r.status(u.errorText(err), true)
		return
	}
	u.log.Info("staff language", "lang", code)
	r.status(lang.X("staff.reports.language.set", "Reports and the printed list are now in {{.Language}}.",
		map[string]any{"Language": languageName(code)}), false)
}

// reportLanguage is the language a roster export is written in now.
func (u *UI) reportLanguage() string {
	code, err := u.staffQueue.StaffLanguage(u.ctx)
	if err != nil {
		u.log.Warn("read staff language", "err", err)
		return u.cfg.Languages[0]
	}
	return code
}
