package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// largeButton is the one main action of a screen: a high-importance
// button whose label is in a size of the app theme larger than the text
// size, which is all widget.Button uses. Everything else (colours, tap
// animation, focus, accessibility) is the stock button's.
type largeButton struct {
	widget.Button
	// SizeName is the label's text size; set it before the button is shown.
	SizeName fyne.ThemeSizeName
}

func newLargeButton(label string, size fyne.ThemeSizeName, tapped func()) *largeButton {
	b := &largeButton{SizeName: size}
	b.Text, b.OnTapped, b.Importance = label, tapped, widget.HighImportance
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer is the stock button's renderer with its label's size
// changed. The renderer keeps the label's size name when it refreshes; if
// a later Fyne draws the label differently the button shows the normal
// size, and TestLargeButtonHasLargeText says so.
func (b *largeButton) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := b.Button.CreateRenderer()
	for _, o := range r.Objects() {
		if t, ok := o.(*widget.RichText); ok && len(t.Segments) == 1 {
			if seg, ok := t.Segments[0].(*widget.TextSegment); ok {
				seg.Style.SizeName = b.SizeName
				t.Refresh()
			}
		}
	}
	return r
}
