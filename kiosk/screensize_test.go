package kiosk

import (
	"io/fs"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/assets"
	"lobbyline/queue"
)

// kioskScreen is the kiosk's display; no screen may ask for more.
var kioskScreen = fyne.NewSize(1280, 800)

// translationCodes are the languages of assets/translations.
func translationCodes(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(assets.Translations, "translations/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no translations: %v", err)
	}
	var codes []string
	for _, f := range files {
		codes = append(codes, strings.TrimSuffix(strings.TrimPrefix(f, "translations/"), ".json"))
	}
	return codes
}

// fieldMessages are the messages each field of the check-in form can
// show, by translation key, with example arguments.
var fieldMessages = map[string][]string{
	"name":    {"error.name.empty", "error.text.encoding", "error.text.long", "error.text.control", "error.name.hidden"},
	"host":    {"error.text.encoding", "error.text.long", "error.text.control", "error.host.hidden"},
	"phone":   {"error.phone"},
	"service": {"error.service.empty", "error.service.unknown"},
	"invite":  {"error.invite.format", "error.invite.unknown"},
	"":        {"error.internal", "error.generic"},
}

var messageArgs = map[string]any{"Max": 100, "Len": 1234, "Ticket": "R-042", "Time": "09:00"}

// fitsScreen fails t if the window's content asks for more than the
// kiosk's screen.
func fitsScreen(t *testing.T, u *UI, what string) {
	t.Helper()
	if m := u.Window().Content().MinSize(); m.Width > kioskScreen.Width || m.Height > kioskScreen.Height {
		t.Errorf("%s needs %v, more than the screen %v", what, m, kioskScreen)
	}
}

// fitsSlot fails t if message l needs more height than its slot keeps.
func fitsSlot(t *testing.T, l *widget.Label, lines int, what string) {
	t.Helper()
	if need, room := l.MinSize().Height+2*(densePadding-innerPadding), messageHeight(l, lines); need > room+0.5 {
		t.Errorf("%s: %q needs %.0f px, its slot keeps %.0f", what, l.Text, need, room)
	}
}

// TestNoScreenOutgrowsTheDisplay renders the check-in, walk-in, ticket
// and check-out screens with their messages shown, in every language,
// and fails if any asks the window for more than 1280×800, or if a form
// message needs more room than is kept for it.
func TestNoScreenOutgrowsTheDisplay(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	u.Window().Resize(kioskScreen)
	for _, code := range translationCodes(t) {
		u.switchLanguage(code)
		checkInAtKiosk(t, u, "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
		fitsScreen(t, u, code+" ticket")
		test.Tap(u.ticket.done)
	}
	f.startOutage(t) // the banner is up: the most crowded ticket
	leaving := f.checkIn(t, "Ana García", "registration")
	for _, code := range translationCodes(t) {
		t.Run(code, func(t *testing.T) {
			u.switchLanguage(code)
			for _, walkIn := range []bool{false, true} {
				name := "check-in"
				if walkIn {
					u.showWalkIn()
					name = "walk-in"
				} else {
					u.startCheckIn()
				}
				s := u.form
				slots := map[string]*widget.Label{"name": s.nameMsg, "host": s.hostMsg, "phone": s.phoneMsg,
					"service": s.serviceMsg, "invite": s.inviteMsg, "": s.formMsg}
				for i := 0; ; i++ {
					more := false
					for field, keys := range fieldMessages {
						if i < len(keys) {
							more = true
							s.showError(field, lang.X(keys[i], keys[i], messageArgs))
						}
						lines := fieldMessageLines
						if field == "" {
							lines = 1
						}
						fitsSlot(t, slots[field], lines, name+" "+field)
					}
					if !more {
						break
					}
					fitsScreen(t, u, name+" with its messages")
				}
			}

			checkInAtKiosk(t, u, "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausen")
			fitsScreen(t, u, "ticket with the outage banner")
			test.Tap(u.ticket.done)

			u.startCheckOut()
			for _, key := range []string{"checkout.not_me", "error.checkout.empty", "error.checkout.unknown", "error.checkout.done", "error.checkout.locked", "error.internal"} {
				setMessage(u.checkout.message, lang.X(key, key, messageArgs))
				fitsSlot(t, u.checkout.message, checkOutMessageLines, "check-out")
				fitsScreen(t, u, "check-out with "+key)
			}
			// The phone's digits, with each message they may get.
			proving, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: "Bo Li", Service: "registration", Phone: "600 123 456"}, queue.SourceKiosk)
			if err != nil {
				t.Fatal(err)
			}
			u.checkout.ticket.SetText(proving.Visit.Ticket)
			test.Tap(u.checkout.submit)
			if !u.checkout.proof.Visible() {
				t.Fatal("no digits asked for a visit with a phone")
			}
			for _, key := range []string{"error.checkout.digits", "error.checkout.digits.wrong", "error.internal"} {
				setMessage(u.checkout.digitsMsg, lang.X(key, key, map[string]any{"Left": 2}))
				fitsSlot(t, u.checkout.digitsMsg, checkOutMessageLines, "check-out digits")
				fitsScreen(t, u, "check-out asking the digits with "+key)
			}
			test.Tap(u.checkout.no)
			u.checkout.ticket.SetText(leaving.Visit.Ticket)
			test.Tap(u.checkout.submit)
			fitsScreen(t, u, "check-out asking \"is this you?\"")
			test.Tap(u.checkout.yes)
			if u.checkout.feedback == nil {
				t.Fatalf("no feedback question at check-out during the outage (message %q)", u.checkout.message.Text)
			}
			test.Tap(u.checkout.feedback.scores[0])
			fitsScreen(t, u, "check-out goodbye with the feedback question answered")
			leaving = f.checkIn(t, "Ana García", "registration") // someone to check out in the next language
		})
	}
}

// A portrait screen has the room for the outage banner and the whole
// ticket: its heading, the QR code at full size and the QR's caption stay,
// as without the banner; a landscape one makes room by shrinking them.
func TestPortraitTicketKeepsItsSizeUnderTheBanner(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	f.startOutage(t)
	for _, tc := range []struct {
		size fyne.Size
		full bool
	}{{portrait, true}, {landscape, false}} {
		u.Window().Resize(tc.size)
		checkInAtKiosk(t, u, "Ana García")
		u.Window().Resize(tc.size)
		if !u.ticket.banner.content.Visible() {
			t.Fatalf("%s: no banner on the ticket", sizeName(tc.size))
		}
		text := screenText(u)
		full := strings.Contains(text, "Your ticket") && strings.Contains(text, "Take a photo of this code") && u.ticket.qr.MinSize().Width == 280
		if full != tc.full {
			t.Errorf("%s with the banner: heading, caption and a 280 px QR code shown %v, want %v (QR %v)\n%s",
				sizeName(tc.size), full, tc.full, u.ticket.qr.MinSize(), text)
		}
		fitsScreen(t, u, sizeName(tc.size)+" ticket with the banner")
		test.Tap(u.ticket.done)
	}
}
