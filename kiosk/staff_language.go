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
// nor with the language the staff screen itself is shown in.

// newReportLanguage is the staff screen's choice of the report language,
// or nil when the kiosk has a single language and there is nothing to
// choose.
func (s *staffScreen) newReportLanguage() fyne.CanvasObject {
	u := s.u
	if len(u.cfg.Languages) < 2 {
		return nil
	}
	names := make([]string, len(u.cfg.Languages))
	for i, code := range u.cfg.Languages {
		names[i] = languageName(code)
	}
	s.reportLang = widget.NewSelect(names, func(name string) {
		if s.syncing {
			return
		}
		if i := indexOf(names, name); i >= 0 {
			u.chooseReportLanguage(u.cfg.Languages[i])
		}
	})
	s.showReportLanguage()
	label := newText(lang.X("staff.reports.language", "Report language"), theme.SizeNameText, false, widget.MediumImportance)
	return container.NewBorder(nil, nil, label, nil, s.reportLang)
}

// showReportLanguage selects the stored staff language.
func (s *staffScreen) showReportLanguage() {
	u := s.u
	code, err := u.staffQueue.StaffLanguage(u.ctx)
	if err != nil {
		u.log.Warn("read staff language", "err", err)
		code = u.cfg.Languages[0]
	}
	s.syncing = true
	s.reportLang.SetSelectedIndex(indexOf(u.cfg.Languages, code))
	s.syncing = false
}

// chooseReportLanguage makes code the language of the reports and the
// printed roster from now on.
func (u *UI) chooseReportLanguage(code string) {
	u.touch()
	s := u.staff
	if s == nil {
		return
	}
	if err := u.staffQueue.SetStaffLanguage(u.ctx, code); err != nil {
		u.log.Info("staff language refused", "lang", code, "err", err)
		s.showReportLanguage()
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("staff language", "lang", code)
	s.setStatus(lang.X("staff.reports.language.set", "Reports and the printed list are now in {{.Language}}.",
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
