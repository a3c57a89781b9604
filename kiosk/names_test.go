package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// A name or host with an invisible formatting character (pasted, or from
// a scanner) is refused on the form, under the field it is in, and in the
// visitor's language; the joiners some scripts need are not.
func TestCheckInFormRefusesHiddenCharacters(t *testing.T) {
	for _, tc := range []struct {
		lang, name, host string
		msg              func(*checkInScreen) string
		want             string
	}{
		{"en", "Zoë \u202Eneirb'O", "", func(s *checkInScreen) string { return s.nameMsg.Text }, "Your name holds an invisible formatting character"},
		{"en", "\u200FZoë", "", func(s *checkInScreen) string { return s.nameMsg.Text }, "Your name holds an invisible formatting character"},
		{"en", "Zoë", "Dr\u200B Ruiz", func(s *checkInScreen) string { return s.hostMsg.Text }, "The name of whom you visit holds an invisible"},
		{"es", "Zoë \u2067x\u2069", "", func(s *checkInScreen) string { return s.nameMsg.Text }, "Su nombre contiene un carácter de formato invisible"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			if tc.lang == "es" {
				test.Tap(u.welcome.languages["es"])
			}
			test.Tap(u.welcome.checkIn)
			u.form.name.SetText(tc.name) // SetText, as a paste would
			u.form.host.SetText(tc.host)
			test.Tap(serviceButton(t, u.form, "visit"))
			test.Tap(u.form.submit)
			if u.screen != screenCheckIn {
				t.Fatalf("screen %v, want to stay on the form", u.screen)
			}
			if got := tc.msg(u.form); !strings.HasPrefix(got, tc.want) {
				t.Errorf("message = %q, want %q", got, tc.want)
			}
			if b := f.board(t); b.WaitingCount() != 0 {
				t.Errorf("%d visits stored after a refused form", b.WaitingCount())
			}
		})
	}

	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	u.form.name.SetText("مهر\u200Cنوش") // Mehrnoush, with the non-joiner Persian needs
	test.Tap(serviceButton(t, u.form, "visit"))
	test.Tap(u.form.submit)
	if u.screen == screenCheckIn {
		t.Fatalf("a Persian name with a non-joiner was refused: %q", u.form.nameMsg.Text)
	}
}
