// Command barewindow is the smallest Fyne program: one window with one
// label. It exists only as the reference that cmd/startbench measures the
// kiosk against, so that start-up time and memory are judged relative to
// what Fyne itself costs on the same machine. It must stay this small and
// depend on nothing but Fyne.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.New()
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("Hello"))
	w.Resize(fyne.NewSize(1280, 800))
	w.ShowAndRun()
}
