package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// orientLayout lays out a screen's two parts by the shape of the space it
// is given: side by side in two equal columns while it is at least as wide
// as high (a 1280×800 kiosk), and in portrait (a 1080×1920 floor-standing
// kiosk) the first part across the top at its own height, above the second
// part, which gets the rest of the height. It decides again at every
// Layout, so resizing or rotating the screen switches.
//
// With even set, portrait gives both parts half the height: for a screen
// whose first part is a list that would shrink to nothing at its own
// minimum height.
//
// Its minimum size is that of the arrangement it last chose: a screen laid
// out in portrait need not be twice as wide as its widest part.
type orientLayout struct {
	even     bool
	portrait bool // the arrangement of the last Layout
}

// orient is a container of lead and rest in an orientLayout; lead is the
// part that goes on top in portrait.
func orient(lead, rest fyne.CanvasObject) *fyne.Container {
	return container.New(&orientLayout{}, lead, rest)
}

// orientEven is orient with the height shared evenly in portrait.
func orientEven(lead, rest fyne.CanvasObject) *fyne.Container {
	return container.New(&orientLayout{even: true}, lead, rest)
}

func (l *orientLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	l.arrange(objs, size)
}

// arrange places lead and rest by the shape of size.
func (l *orientLayout) arrange(objs []fyne.CanvasObject, size fyne.Size) {
	lead, rest := objs[0], objs[1]
	pad := theme.Padding()
	l.portrait = size.Height > size.Width
	if l.portrait {
		h := min(lead.MinSize().Height, size.Height)
		if l.even {
			h = max(h, (size.Height-pad)/2)
		}
		above(lead, rest, size.Width, h, max(0, size.Height-h-pad))
		return
	}
	sideBySide(lead, rest, size)
}

// above places lead, leadH high, above rest, restH high, both width
// wide: a two-part screen in portrait.
func above(lead, rest fyne.CanvasObject, width, leadH, restH float32) {
	lead.Move(fyne.NewPos(0, 0))
	lead.Resize(fyne.NewSize(width, leadH))
	rest.Move(fyne.NewPos(0, leadH+theme.Padding()))
	rest.Resize(fyne.NewSize(width, restH))
}

// sideBySide places lead and rest in two even columns filling size: a
// two-part screen in landscape.
func sideBySide(lead, rest fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	w := (size.Width - pad) / 2
	lead.Move(fyne.NewPos(0, 0))
	lead.Resize(fyne.NewSize(w, size.Height))
	rest.Move(fyne.NewPos(w+pad, 0))
	rest.Resize(fyne.NewSize(size.Width-w-pad, size.Height))
}

func (l *orientLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	a, b := objs[0].MinSize(), objs[1].MinSize()
	pad := theme.Padding()
	if l.portrait {
		h := a.Height + pad + b.Height
		if l.even {
			h = 2*max(a.Height, b.Height) + pad
		}
		return fyne.NewSize(max(a.Width, b.Width), h)
	}
	return fyne.NewSize(2*max(a.Width, b.Width)+pad, max(a.Height, b.Height))
}
