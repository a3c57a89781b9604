package kiosk

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Teal is the Lobbyline accent (#00796B).
var teal = color.NRGBA{R: 0x00, G: 0x79, B: 0x6B, A: 0xff}

// Size names of our own, for text that must read from a metre away. Labels
// pick them up through Label.SizeName; canvas.Text takes the number.
const (
	sizeNameDisplay fyne.ThemeSizeName = "lobbyline.display" // the ticket number
	sizeNameTitle   fyne.ThemeSizeName = "lobbyline.title"   // screen titles, "Now serving" tickets
	sizeNameLarge   fyne.ThemeSizeName = "lobbyline.large"   // the label of the one big action per screen
)

// Colour names of our own.
const (
	colorNameCard   fyne.ThemeColorName = "lobbyline.card"   // panels on the background
	colorNameMuted  fyne.ThemeColorName = "lobbyline.muted"  // secondary text
	colorNameCalled fyne.ThemeColorName = "lobbyline.called" // a new call on the lobby board
)

// kioskTheme is the default Fyne theme made for a public touchscreen: light
// only (a lobby is bright), large type, generous padding so every touch
// target is at least 48 px high, and the teal accent.
//
// It is the only theme: the app sets it once. Screens get larger text from
// the size names above and denser lists from denseLabel and the dense
// boxes, never from container.NewThemeOverride: Fyne 2.8 gives each override
// scope its own font cache, parses the fonts again for it (the emoji font
// alone is 4 MB) and never frees it, and the welcome screen is rebuilt
// after every visitor.
//
// Larger is the same theme for a visitor who asked for larger text and
// high contrast: text a quarter larger, black on white, a darker accent.
type kioskTheme struct {
	fyne.Theme
	larger bool
}

func newKioskTheme() *kioskTheme { return &kioskTheme{Theme: theme.DefaultTheme()} }

// largerScale is how much larger text is for a visitor who asks.
const largerScale = 1.25

// highContrast are the colours that change for a visitor who asks for high
// contrast: black text, darker secondary text and accent, firmer borders.
var highContrast = map[fyne.ThemeColorName]color.Color{
	theme.ColorNamePrimary:     color.NRGBA{R: 0x00, G: 0x4d, B: 0x40, A: 0xff},
	theme.ColorNameHyperlink:   color.NRGBA{R: 0x00, G: 0x4d, B: 0x40, A: 0xff},
	theme.ColorNameBackground:  color.White,
	theme.ColorNameForeground:  color.Black,
	colorNameMuted:             color.NRGBA{R: 0x26, G: 0x26, B: 0x26, A: 0xff},
	theme.ColorNamePlaceHolder: color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff},
	theme.ColorNameDisabled:    color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff},
	theme.ColorNameButton:      color.NRGBA{R: 0xc8, G: 0xe0, B: 0xdc, A: 0xff},
	theme.ColorNameInputBorder: color.Black,
	theme.ColorNameSeparator:   color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff},
}

func (t *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if c, ok := highContrast[n]; ok && t.larger {
		return c
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return teal
	case theme.ColorNameBackground:
		return color.NRGBA{R: 0xf3, G: 0xf6, B: 0xf5, A: 0xff}
	case colorNameCard, theme.ColorNameInputBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return color.White
	case colorNameCalled:
		return color.NRGBA{R: 0xff, G: 0xe0, B: 0x82, A: 0xff}
	case theme.ColorNameHeaderBackground:
		return color.NRGBA{R: 0xe0, G: 0xf2, B: 0xf1, A: 0xff}
	case theme.ColorNameButton:
		// A light tint so buttons read as tappable next to white inputs.
		return color.NRGBA{R: 0xe3, G: 0xf0, B: 0xee, A: 0xff}
	case theme.ColorNameForeground:
		return color.NRGBA{R: 0x1c, G: 0x2b, B: 0x2a, A: 0xff}
	case colorNameMuted, theme.ColorNamePlaceHolder:
		return color.NRGBA{R: 0x5b, G: 0x6b, B: 0x6a, A: 0xff}
	case theme.ColorNameDisabled:
		// Also the colour of low-importance labels: secondary, still readable.
		return color.NRGBA{R: 0x6f, G: 0x7f, B: 0x7e, A: 0xff}
	case theme.ColorNameForegroundOnPrimary:
		return color.White
	case theme.ColorNameInputBorder:
		return color.NRGBA{R: 0xa7, G: 0xb6, B: 0xb4, A: 0xff}
	case theme.ColorNameSeparator:
		return color.NRGBA{R: 0xd6, G: 0xdf, B: 0xdd, A: 0xff}
	case theme.ColorNameHover:
		return color.NRGBA{R: 0x00, G: 0x79, B: 0x6b, A: 0x18}
	case theme.ColorNamePressed:
		return color.NRGBA{R: 0x00, G: 0x79, B: 0x6b, A: 0x40}
	case theme.ColorNameFocus:
		return color.NRGBA{R: 0x00, G: 0x79, B: 0x6b, A: 0x50}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x00, G: 0x79, B: 0x6b, A: 0x30}
	case theme.ColorNameError:
		return color.NRGBA{R: 0xb3, G: 0x26, B: 0x1e, A: 0xff}
	case theme.ColorNameSuccess:
		return color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	}
	return t.Theme.Color(n, theme.VariantLight)
}

// Paddings, in px. innerPadding is what a label, button or entry keeps
// around its text; with 22 pt text it makes a button or entry about 58 px
// high. densePadding is for read-only lists (the board) and the rows of the
// staff lists, which are tall enough with two lines of text.
const (
	padding      = 8
	innerPadding = 14
	densePadding = 4
)

func (t *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	if t.larger {
		switch n {
		case theme.SizeNameText, theme.SizeNameCaptionText, theme.SizeNameSubHeadingText, theme.SizeNameHeadingText:
			return t.size(n) * largerScale
		}
	}
	return t.size(n)
}

func (t *kioskTheme) size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 22
	case theme.SizeNameCaptionText:
		return 17
	case theme.SizeNameSubHeadingText:
		return 28
	case theme.SizeNameHeadingText:
		return 36
	case sizeNameTitle:
		return 44
	case sizeNameLarge:
		return 42
	case sizeNameDisplay:
		return 132
	case theme.SizeNamePadding:
		return padding
	case theme.SizeNameInnerPadding:
		return innerPadding
	case theme.SizeNameLineSpacing:
		return 6
	case theme.SizeNameInlineIcon:
		return 28
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNameInputRadius, theme.SizeNameButtonRadius, theme.SizeNameSelectionRadius:
		return 10
	case theme.SizeNameScrollBar:
		return 16
	case theme.SizeNameSeparatorThickness:
		return 1
	}
	return t.Theme.Size(n)
}

// Building blocks shared by the screens.

// newText is a label in one of the theme's sizes.
func newText(s string, size fyne.ThemeSizeName, bold bool, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.SizeName, l.Importance = size, imp
	l.TextStyle.Bold = bold
	return l
}

// newWrapped is a label for sentences that may need more than one line.
func newWrapped(s string, size fyne.ThemeSizeName, imp widget.Importance) *widget.Label {
	l := newText(s, size, false, imp)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// newMessage is an inline message under a field; hidden while empty.
func newMessage() *widget.Label {
	l := newWrapped("", theme.SizeNameText, widget.DangerImportance)
	l.Hide()
	return l
}

func setMessage(l *widget.Label, s string) {
	l.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// card sets content on a white rounded panel.
func card(content ...fyne.CanvasObject) fyne.CanvasObject {
	inner := container.NewVBox(content...)
	if len(content) == 1 {
		inner = container.NewStack(content[0])
	}
	return container.NewStack(newCardBackground(), container.NewPadded(container.NewPadded(inner)))
}

// cardBackground is a card's panel. It takes its colours from the theme
// at every refresh, so a card follows the visitor's switch to high
// contrast (a firmer border) like the widgets on it.
type cardBackground struct {
	widget.BaseWidget
}

func newCardBackground() *cardBackground {
	b := &cardBackground{}
	b.ExtendBaseWidget(b)
	return b
}

func (b *cardBackground) CreateRenderer() fyne.WidgetRenderer {
	r := &cardRenderer{b: b, rect: canvas.NewRectangle(color.Transparent)}
	r.rect.CornerRadius, r.rect.StrokeWidth = 16, 1
	r.Refresh()
	return r
}

type cardRenderer struct {
	b    *cardBackground
	rect *canvas.Rectangle
}

func (r *cardRenderer) Layout(size fyne.Size)        { r.rect.Resize(size) }
func (r *cardRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *cardRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.rect} }
func (r *cardRenderer) Destroy()                     {}

func (r *cardRenderer) Refresh() {
	th, v := r.b.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	r.rect.FillColor = th.Color(colorNameCard, v)
	r.rect.StrokeColor = th.Color(theme.ColorNameSeparator, v)
	r.rect.Refresh()
}

// sized gives o at least the size w×h (0 keeps o's own).
func sized(w, h float32, o fyne.CanvasObject) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, o)
}

// denseLabel sets l in a read-only list with densePadding around its text
// instead of the theme's innerPadding: the wrapper takes back the
// difference, so the label keeps its size name, importance colour and
// truncation. To hide the label, hide the wrapper: around a hidden label it
// would be 20 px less than nothing.
func denseLabel(l *widget.Label) fyne.CanvasObject {
	const d = densePadding - innerPadding
	return container.New(layout.NewCustomPaddedLayout(d, d, d, d), l)
}

// denseVBox and denseHBox are boxes with densePadding between their items.
func denseVBox(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedVBoxLayout(densePadding), objs...)
}

func denseHBox(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedHBoxLayout(densePadding), objs...)
}

// setText changes l's text only if it differs, so a refresh that finds
// nothing new redraws nothing.
func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

// setResult shows the outcome of a staff action on l: in green, or in
// red when it failed.
func setResult(l *widget.Label, msg string, failed bool) {
	l.Importance = widget.SuccessImportance
	if failed {
		l.Importance = widget.DangerImportance
	}
	l.SetText(msg) // refreshes, so a new colour shows with the same text
}

// setVisible shows or hides o and reports whether that changed anything.
func setVisible(o fyne.CanvasObject, on bool) bool {
	if o.Visible() == on {
		return false
	}
	if on {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}

// gap is empty vertical space.
func gap(h float32) fyne.CanvasObject { return sized(0, h, canvas.NewRectangle(color.Transparent)) }
