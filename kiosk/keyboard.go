package kiosk

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// KeyboardMode says when the on-screen keyboard opens. Fyne has no
// keyboard of its own on the desktop, and the system's would draw beneath
// a full-screen kiosk, so the kiosk draws one.
type KeyboardMode string

const (
	// KeyboardAuto opens it when an entry is focused by a tap, and closes
	// it while keys arrive from a physical keyboard or a scanner.
	KeyboardAuto KeyboardMode = "auto"
	// KeyboardOn opens it whenever an entry has the focus.
	KeyboardOn KeyboardMode = "on"
	// KeyboardOff never shows it.
	KeyboardOff KeyboardMode = "off"
)

// Sizes of the keys: every key is a touch target of at least 48 px.
const (
	keyHeight   = 52
	keyMinWidth = 48
)

// keyEntry is a widget.Entry that works with the on-screen keyboard. Keys
// it receives through the driver come from a physical keyboard or a
// scanner; the on-screen keys type through the embedded Entry directly,
// so the two can be told apart.
type keyEntry struct {
	widget.Entry
	kb  *keyboard
	pad keyPad
	// send is the button that sends what was typed, kept in view above
	// the keyboard with the entry where both fit (see sendsWith).
	send fyne.CanvasObject
}

// sendsWith names the button that sends what is typed into e, which the
// keyboard keeps in view with e.
func (e *keyEntry) sendsWith(b fyne.CanvasObject) { e.send = b }

// newEntry is a single-line entry with the keys of pad.
func (u *UI) newEntry(pad keyPad) *keyEntry {
	e := &keyEntry{kb: u.keys, pad: pad}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip) // as widget.NewEntry
	e.ExtendBaseWidget(e)
	return e
}

// newMultiLineEntry is a multi-line entry with the language's letters.
func (u *UI) newMultiLineEntry() *keyEntry {
	e := &keyEntry{kb: u.keys, pad: padText}
	e.MultiLine, e.Wrapping = true, fyne.TextWrap(fyne.TextTruncateClip) // as widget.NewMultiLineEntry
	e.ExtendBaseWidget(e)
	return e
}

// CreateRenderer is the stock Entry's, with its text kept inside the
// border (see keyEntryRenderer).
func (e *keyEntry) CreateRenderer() fyne.WidgetRenderer {
	return &keyEntryRenderer{WidgetRenderer: e.Entry.CreateRenderer(), e: e}
}

// keyEntryRenderer clips a long text inside the entry's border. Fyne's
// Entry (v2.8.1) lays the scroll that holds its text over the whole
// widget, border included, so a name longer than the field is drawn over
// the left border, with the scroll's shadow and bar on the edges.
type keyEntryRenderer struct {
	fyne.WidgetRenderer
	e *keyEntry
}

func (r *keyEntryRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	th := r.e.Theme()
	b := th.Size(theme.SizeNameInputBorder)
	for _, o := range r.WidgetRenderer.Objects() {
		if s, ok := o.(*container.Scroll); ok && o.Visible() {
			s.Move(fyne.NewPos(b, b))
			s.Resize(fyne.NewSize(max(0, size.Width-2*b), max(0, size.Height-2*b)))
		}
	}
}

// Tapped focuses the entry (the stock Entry leaves that to the driver)
// and opens the keyboard for it.
func (e *keyEntry) Tapped(ev *fyne.PointEvent) {
	e.Entry.Tapped(ev)
	if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil && c.Focused() != e {
		c.Focus(e)
	}
	e.kb.tapped(e)
}

func (e *keyEntry) FocusGained() {
	e.Entry.FocusGained()
	e.kb.focused(e)
}

func (e *keyEntry) FocusLost() {
	e.Entry.FocusLost()
	e.kb.blurred(e)
}

// TypedRune is a character from a physical keyboard or a scanner.
func (e *keyEntry) TypedRune(r rune) {
	e.kb.physical()
	e.Entry.TypedRune(r)
}

// TypedKey is a key from a physical keyboard or a scanner.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	e.kb.physical()
	e.Entry.TypedKey(k)
}

// KeyDown is a key pressed on a physical keyboard: Tab, say, which moves
// the focus without typing anything.
func (e *keyEntry) KeyDown(k *fyne.KeyEvent) {
	e.kb.physical()
	e.Entry.KeyDown(k)
}

// keyButton is one key: a stock button at least keyHeight high.
type keyButton struct {
	widget.Button
}

func newKeyButton(label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// MinSize is keyHeight high whatever the text size: a key's label fits
// it even with larger text, and the keyboard keeps its height, so a form
// keeps its room above it and the strip of alternates its row.
func (b *keyButton) MinSize() fyne.Size {
	return fyne.NewSize(max(b.Button.MinSize().Width, keyMinWidth), keyHeight)
}

// keyboard is the on-screen keyboard and the frame it shares with the
// screen: the keyboard takes the bottom of the window and the screen gets
// the rest. A screen that fits there is laid out in it, so its own scroll
// (a form's fields) shrinks and its buttons (Get my ticket, Check out)
// stay in view above the keys; one that does not fit scrolls as a whole.
// Either way the entry being typed into is scrolled into view.
type keyboard struct {
	u    *UI
	mode KeyboardMode

	target *keyEntry // the entry the keys type into
	open   bool
	typing bool   // keys came from a physical keyboard or scanner since the last tap
	shift  bool   // the next letter is a capital
	face   string // the pad, language and shift the keys were built for

	scroll     *container.Scroll
	screen     *fyne.Container   // the screen's content, in scroll
	panel      *fyne.Container   // the keyboard
	strip      *fyne.Container   // alternates of the key just typed
	stripRow   fyne.CanvasObject // the strip's row, kept whether empty or not; letter pads only
	body       *fyne.Container   // the rows of keys
	keys       map[string]*keyButton
	alternates map[string]*keyButton
	tallest    float32 // the keyboard's height on this screen so far
	// doneAt is when Done was last tapped. The keyboard closing gives the
	// form its room back and the button that sends it lands where Done
	// was: a second tap meant for Done must not send the form.
	doneAt time.Time
}

// doneGuard is how long after Done a tap on the button that sends the
// form is taken for a second tap on Done (a double tap is under 0.5 s).
const doneGuard = 600 * time.Millisecond

// justDone reports whether Done was tapped a moment ago (doneGuard).
func (k *keyboard) justDone() bool {
	return !k.doneAt.IsZero() && k.u.cfg.Now().Sub(k.doneAt) < doneGuard
}

func newKeyboard(u *UI, mode KeyboardMode) *keyboard {
	if mode == "" {
		mode = KeyboardAuto
	}
	k := &keyboard{u: u, mode: mode, keys: map[string]*keyButton{}, alternates: map[string]*keyButton{}}
	k.strip = container.NewHBox()
	k.body = container.NewStack()
	// The strip's row is reserved while letters are typed, so nothing
	// moves when alternates come or go; the number pads have none.
	k.stripRow = container.New(fixedHeight(keyHeight), k.strip)
	bg := canvas.NewRectangle(u.theme.Color(colorNameCard, theme.VariantLight))
	k.panel = container.NewStack(bg, container.NewBorder(widget.NewSeparator(), nil, nil, nil,
		container.NewPadded(denseVBox(k.stripRow, k.body))))
	k.panel.Hide()
	return k
}

// hold frames a screen's content with the keyboard, closed.
func (k *keyboard) hold(content fyne.CanvasObject) fyne.CanvasObject {
	k.target, k.open, k.typing, k.shift, k.tallest = nil, false, false, false, 0
	k.panel.Hide()
	k.clearAlternates()
	k.screen = container.NewStack(content)
	k.scroll = container.NewVScroll(k.screen)
	return container.New(&frameLayout{k}, k.scroll, k.panel)
}

// tapped: an entry was tapped or clicked.
func (k *keyboard) tapped(e *keyEntry) {
	if k.mode == KeyboardOff {
		return
	}
	k.typing = false
	k.aim(e)
	k.show()
}

// focused: an entry got the focus, from a tap, from Next, or from the
// screen itself (the check-in form focuses the name).
func (k *keyboard) focused(e *keyEntry) {
	if k.mode == KeyboardOff {
		return
	}
	k.aim(e)
	if k.mode == KeyboardOn || !k.typing {
		k.show()
	}
}

// blurred: an entry lost the focus. A tap on a key takes it too (the
// key gives it back), so the keyboard closes only when its entry is gone
// from the screen.
func (k *keyboard) blurred(e *keyEntry) {
	if e == k.target && k.open && !k.onScreen(e) {
		k.hide()
		k.target = nil
	}
}

// physical: a key came from a physical keyboard or a scanner.
func (k *keyboard) physical() {
	if k.mode != KeyboardAuto {
		return
	}
	k.typing = true
	if k.open {
		k.hide()
	}
}

func (k *keyboard) aim(e *keyEntry) {
	if k.target != e {
		k.target = e
		k.clearAlternates()
		k.shift = k.wordStart()
	}
}

// wordStart says whether the next letter typed into a name starts a word
// (at the start, after a space or a hyphen), which shift then capitalises
// by itself, as phone keyboards do: "ana garcía-lópez" becomes
// "Ana García-López" with no taps on shift.
func (k *keyboard) wordStart() bool {
	e := k.target
	if e == nil || e.pad != padName {
		return false
	}
	text := []rune(e.Text)
	return len(text) == 0 || text[len(text)-1] == ' ' || text[len(text)-1] == '-'
}

// autoShift sets shift for the next letter after a key changed the text,
// rebuilding the keys when that changes their face.
func (k *keyboard) autoShift() {
	if want := k.wordStart(); want != k.shift && k.target.pad == padName {
		k.shift = want
		k.build()
	}
}

func (k *keyboard) show() {
	if k.target == nil || k.scroll == nil {
		return
	}
	k.build()
	if k.open && k.inView(k.target) {
		// Already open, the entry whole in view: nothing moves under the
		// finger that tapped it (or a field of a form beside it).
		return
	}
	k.open = true
	k.panel.Show()
	k.relayout()
	k.reveal()
	// A screen just put up settles before its first frame (a wrapped
	// text learns its height from its width): look again then.
	target := k.target
	fyne.Do(func() {
		if k.open && k.target == target {
			k.reveal()
		}
	})
}

// dismiss closes the keyboard, if it is open, when the screen needs its
// room back: a choice of service tapped (typing is over), messages to
// read, or the entry's part of the screen gone.
func (k *keyboard) dismiss() {
	if k.open {
		k.hide()
	}
}

func (k *keyboard) hide() {
	k.open = false
	k.panel.Hide()
	k.clearAlternates()
	if k.scroll != nil {
		k.scroll.ScrollToOffset(fyne.Position{})
		k.relayout()
	}
}

func (k *keyboard) relayout() {
	if c, ok := k.u.win.Content().(*fyne.Container); ok && len(c.Objects) == 2 && c.Objects[0] == k.scroll {
		c.Refresh()
	}
}

// reveal scrolls the screen so the target, the line above it (its label)
// and, where there is room, the row below it and the button that sends it
// are in view above the keyboard.
func (k *keyboard) reveal() {
	d := fyne.CurrentApp().Driver()
	// A screen may scroll a part of itself (a long form): bring the
	// target into that part's view first.
	for _, s := range scrollsAround(k.screen, k.target) {
		top := d.AbsolutePositionForObject(k.target).Y - d.AbsolutePositionForObject(s.Content).Y
		bottom := top + k.target.Size().Height
		off, view := s.Offset.Y, s.Size().Height
		if bottom > off+view {
			off = bottom - view
		}
		if top < off {
			off = top
		}
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, max(0, off)))
	}
	screenY := d.AbsolutePositionForObject(k.screen).Y
	top := d.AbsolutePositionForObject(k.target).Y - screenY
	bottom := top + k.target.Size().Height
	view := k.scroll.Size().Height
	off := k.scroll.Offset.Y
	const above, below = 56, 96
	if b := k.target.send; b != nil && b.Visible() {
		// The form's button, below the entry, where both fit.
		if sendBottom := d.AbsolutePositionForObject(b).Y - screenY + b.Size().Height; sendBottom-below > bottom && sendBottom-below-(top-above) <= view {
			bottom = sendBottom - below
		}
	}
	if bottom+below > off+view {
		off = bottom + below - view
	}
	if top-above < off {
		off = top - above
	}
	off = max(0, min(off, k.screen.Size().Height-view))
	k.scroll.ScrollToOffset(fyne.NewPos(0, off))
}

// inView reports whether e is whole in view above the keyboard, and in
// view in every scroll of the screen that holds it.
func (k *keyboard) inView(e *keyEntry) bool {
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(e).Y
	bottom := top + e.Size().Height
	for _, s := range append(scrollsAround(k.screen, e), k.scroll) {
		sTop := d.AbsolutePositionForObject(s).Y
		if top < sTop-0.5 || bottom > sTop+s.Size().Height+0.5 {
			return false
		}
	}
	return e.Size().Height > 0
}

// scrollsAround are the scrolls inside o that hold target, outermost
// first.
func scrollsAround(o, target fyne.CanvasObject) []*container.Scroll {
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			if child == target {
				return []*container.Scroll{}
			}
			if s := scrollsAround(child, target); s != nil {
				return s
			}
		}
	case *container.Scroll:
		if c.Content == target {
			return []*container.Scroll{c}
		}
		if s := scrollsAround(c.Content, target); s != nil {
			return append([]*container.Scroll{c}, s...)
		}
	}
	return nil
}

// entries are the keyEntries the screen shows, in order.
func (k *keyboard) entries() []*keyEntry {
	var out []*keyEntry
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *keyEntry:
			if !o.Disabled() {
				out = append(out, o)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(o.Content)
		case *container.AppTabs:
			if t := o.Selected(); t != nil {
				walk(t.Content)
			}
		}
	}
	if k.screen != nil {
		walk(k.screen)
	}
	return out
}

func (k *keyboard) onScreen(e *keyEntry) bool {
	for _, o := range k.entries() {
		if o == e {
			return true
		}
	}
	return false
}

// build makes the keys for the target's pad in the current language.
func (k *keyboard) build() {
	pad := k.target.pad
	// The strip's row is kept on a screen where letters are typed, for
	// every pad of it: the keyboard does not change height under the
	// form as the visitor moves from the name to the phone.
	letters := false
	for _, e := range k.entries() {
		letters = letters || e.pad.letters()
	}
	setVisible(k.stripRow, letters || pad.letters())
	face := fmt.Sprint(pad, k.u.lang, k.shift)
	if face == k.face {
		return
	}
	k.face = face
	k.keys = map[string]*keyButton{}
	// Rows close together, as on a phone: the keyboard leaves the screen
	// above it as much room as it can.
	rows := denseVBox()
	for _, row := range layoutFor(pad, k.u.lang).Rows {
		var keys []fyne.CanvasObject
		var weights []float32
		for _, tok := range keysOf(row) {
			id, w := splitWeight(tok)
			ids := []string{id}
			if id == keyPrefixes {
				ids = ids[:0]
				for _, svc := range k.u.lobby.Services() {
					ids = append(ids, svc.Prefix+"-")
				}
			}
			for _, id := range ids {
				b := k.newKey(id)
				k.keys[id] = b
				keys = append(keys, b)
				weights = append(weights, w)
			}
		}
		rows.Add(container.New(&keyRowLayout{weights: weights}, keys...))
	}
	if pad.wide() {
		k.body.Objects = []fyne.CanvasObject{rows}
	} else {
		// Digits in the middle third: a pad as wide as the window is a
		// reach, not a keypad.
		k.body.Objects = []fyne.CanvasObject{container.NewGridWithColumns(3, layout.NewSpacer(), rows, layout.NewSpacer())}
	}
	k.body.Refresh()
}

func (k *keyboard) newKey(id string) *keyButton {
	var b *keyButton
	press := func() { k.press(id) }
	switch id {
	case keyShift:
		// The arrow alone, as on every touch keyboard: a word does not fit
		// the key in every language.
		b = newKeyButton("", theme.MoveUpIcon(), press)
		if k.shift {
			b.Importance = widget.HighImportance
		}
	case keyBackspace:
		b = newKeyButton("", theme.NavigateBackIcon(), press)
	case keySpace:
		b = newKeyButton(lang.X("keyboard.space", "space"), nil, press)
	case keyEnter:
		b = newKeyButton(lang.X("keyboard.enter", "Enter"), nil, press)
	case keyNext:
		b = newKeyButton(lang.X("keyboard.next", "Next"), nil, press)
	case keyDone:
		b = newKeyButton(lang.X("keyboard.done", "Done"), theme.ConfirmIcon(), press)
		b.Importance = widget.HighImportance
	default:
		b = newKeyButton(k.cased(id), nil, press)
	}
	return b
}

func (k *keyboard) cased(s string) string {
	if k.shift {
		return strings.ToUpper(s)
	}
	return s
}

// press is a tap on key id.
func (k *keyboard) press(id string) {
	k.u.touch()
	e := k.target
	if e == nil {
		return
	}
	k.typing = false
	if c := k.u.win.Canvas(); c.Focused() != e {
		c.Focus(e) // the tap on the key took it
	}
	switch id {
	case keyShift:
		k.shift = !k.shift
		k.clearAlternates()
		k.build()
	case keyBackspace:
		k.clearAlternates()
		e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
		k.autoShift()
	case keySpace:
		k.clearAlternates()
		e.Entry.TypedRune(' ')
		k.autoShift()
	case keyEnter:
		k.clearAlternates()
		e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // may change the screen
	case keyNext:
		k.next()
	case keyDone:
		k.doneAt = k.u.cfg.Now()
		k.hide()
	default:
		text := k.cased(id)
		for _, r := range text {
			e.Entry.TypedRune(r)
		}
		k.showAlternates(id, k.shift)
		if k.shift {
			k.shift = false
			k.build()
		}
		k.autoShift()
	}
}

// next moves to the screen's next entry, round to the first.
func (k *keyboard) next() {
	all := k.entries()
	for i, e := range all {
		if e == k.target {
			n := all[(i+1)%len(all)]
			k.u.win.Canvas().Focus(n)
			k.aim(n)
			k.show()
			return
		}
	}
}

// showAlternates offers the accented forms of the key just typed.
func (k *keyboard) showAlternates(id string, upper bool) {
	k.clearAlternates()
	if !k.target.pad.letters() {
		return
	}
	for _, r := range layoutFor(padText, k.u.lang).Alternates[id] {
		s := string(r)
		if upper {
			s = strings.ToUpper(s)
		}
		b := newKeyButton(s, nil, func() { k.alternate(s) })
		k.alternates[s] = b
		k.strip.Add(sized(64, 0, b))
	}
}

// alternate replaces the character just typed with s.
func (k *keyboard) alternate(s string) {
	k.u.touch()
	e := k.target
	if e == nil {
		return
	}
	if c := k.u.win.Canvas(); c.Focused() != e {
		c.Focus(e)
	}
	e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	for _, r := range s {
		e.Entry.TypedRune(r)
	}
}

func (k *keyboard) clearAlternates() {
	if len(k.alternates) == 0 {
		return
	}
	k.alternates = map[string]*keyButton{}
	k.strip.RemoveAll()
}

// splitWeight reads "{space}*6" as the key and its width in letter keys.
func splitWeight(tok string) (string, float32) {
	if i := strings.LastIndexByte(tok, '*'); i > 0 {
		if w, err := strconv.ParseFloat(tok[i+1:], 32); err == nil && w > 0 {
			return tok[:i], float32(w)
		}
	}
	return tok, 1
}

// keyRowLayout lays a row of keys side by side, each as wide as its
// weight in letter keys, filling the width.
type keyRowLayout struct{ weights []float32 }

func (l *keyRowLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	gap := theme.Padding()
	w := gap * float32(len(objects)-1)
	h := float32(keyHeight)
	for i, o := range objects {
		m := o.MinSize()
		w += max(l.weights[i]*keyMinWidth, m.Width)
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func (l *keyRowLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	gap := theme.Padding()
	floors := make([]float32, len(objects))
	for i, o := range objects {
		floors[i] = o.MinSize().Width // "Weiter" needs more than a letter
	}
	x := float32(0)
	for i, w := range shareWidths(size.Width-gap*float32(len(objects)-1), l.weights, floors) {
		objects[i].Move(fyne.NewPos(x, 0))
		objects[i].Resize(fyne.NewSize(w, size.Height))
		x += w + gap
	}
}

// shareWidths shares width among columns by their weights, giving each at
// least its floor: the columns whose share would fall short get their
// floor, and the others share what is left.
func shareWidths(width float32, weights, floors []float32) []float32 {
	out := make([]float32, len(weights))
	fixed := make([]bool, len(weights))
	for range weights { // each round fixes at least one column, or ends
		rest, total := width, float32(0)
		for i, w := range weights {
			if fixed[i] {
				rest -= out[i]
			} else {
				total += w
			}
		}
		short := false
		for i, w := range weights {
			if fixed[i] {
				continue
			}
			out[i] = max(0, rest) * w / max(total, 1e-6)
			if out[i] < floors[i] {
				out[i], fixed[i], short = floors[i], true, true
			}
		}
		if !short {
			break
		}
	}
	return out
}

// frameLayout puts the keyboard, when open, at the bottom of the window
// and the screen's scroll above it.
type frameLayout struct{ k *keyboard }

func (l *frameLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return l.k.screen.Objects[0].MinSize()
}

func (l *frameLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	var h float32
	if l.k.open {
		// As tall as the tallest pad this screen has shown, so a
		// shorter one does not move the screen above it.
		l.k.tallest = max(l.k.tallest, l.k.panel.MinSize().Height)
		h = l.k.tallest
	}
	objects[0].Move(fyne.Position{})
	objects[0].Resize(fyne.NewSize(size.Width, size.Height-h))
	objects[1].Move(fyne.NewPos(0, size.Height-h))
	objects[1].Resize(fyne.NewSize(size.Width, h))
}
