package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowProblem opens the kiosk's window where the lobby cannot open at all
// (its database cannot be read safely on a full disk): it says why, for
// IT, and sends visitors to reception in each of languages (the first is
// the kiosk's own). It needs no store. The window is a.Driver()'s only one.
func ShowProblem(a fyne.App, problem string, languages []string) fyne.Window {
	a.Settings().SetTheme(newKioskTheme())
	if len(languages) == 0 {
		languages = []string{"en"}
	}
	var visitors []fyne.CanvasObject
	for _, code := range languages {
		if err := setLanguage(code); err != nil {
			continue
		}
		visitors = append(visitors, newWrapped(lang.X("welcome.unsaved", "Check-in cannot be saved on this kiosk right now. Please check in at reception."),
			theme.SizeNameSubHeadingText, widget.HighImportance))
	}
	_ = setLanguage(languages[0])
	w := a.NewWindow(lang.X("app.title", "Lobbyline check-in"))
	content := append(visitors, widget.NewSeparator(),
		newText(lang.X("setup.problem", "This kiosk cannot open yet"), theme.SizeNameHeadingText, true, widget.DangerImportance),
		newWrapped(problem, theme.SizeNameText, widget.MediumImportance))
	w.SetContent(container.NewPadded(container.NewVScroll(container.NewCenter(sized(760, 0, card(content...))))))
	w.Resize(fyne.NewSize(1280, 800))
	return w
}
