package kiosk

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	qrcode "github.com/skip2/go-qrcode"

	"lobbyline/queue"
)

func TestVisitorChecksInAndSeesTicket(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	if u.screen != screenWelcome {
		t.Fatalf("starts on screen %v, want welcome", u.screen)
	}
	test.Tap(u.welcome.checkIn)
	if u.screen != screenCheckIn {
		t.Fatalf("after Check in: screen %v", u.screen)
	}
	const name = "Zoë Nguyễn-O'Brien"
	test.Type(u.form.name, name)
	test.Type(u.form.host, "李雷")
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)

	if u.screen != screenTicket {
		t.Fatalf("after Get my ticket: screen %v; form says %q %q", u.screen, u.form.nameMsg.Text, u.form.formMsg.Text)
	}
	if got := u.ticket.number.Text; got != "R-001" {
		t.Errorf("ticket number shown = %q, want R-001", got)
	}
	shown := screenText(u)
	for _, want := range []string{"You are next in line.", "We will call R-001 on this screen", "No desk is open for Registration right now"} {
		if !strings.Contains(shown, want) {
			t.Errorf("ticket screen lacks %q:\n%s", want, shown)
		}
	}

	found, err := f.store.Find(f.ctx, "R-001")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Name != name || found[0].Host != "李雷" || found[0].Source != queue.SourceKiosk {
		t.Fatalf("stored visits for R-001 = %+v, want one named %q from the kiosk", found, name)
	}

	// The QR code carries the signed reference of exactly this visit.
	ref := u.ticket.ticket.Ref
	v, err := f.store.VerifyTicket(f.ctx, ref)
	if err != nil || v.ID != found[0].ID {
		t.Fatalf("VerifyTicket(shown ref) = %+v, %v; want visit %d", v, err, found[0].ID)
	}
	want, err := qrcode.Encode(ref, qrcode.Medium, qrSize)
	if err != nil {
		t.Fatal(err)
	}
	if u.ticket.qr == nil || !bytes.Equal(u.ticket.qr.Resource.Content(), want) {
		t.Error("QR image is not the code of the ticket's reference")
	}

	test.Tap(u.ticket.done)
	if u.screen != screenWelcome {
		t.Errorf("Done leads to screen %v, want welcome", u.screen)
	}
	if !strings.Contains(screenText(u), "R-001") {
		t.Error("the board on welcome does not list the new ticket")
	}
}

func TestCheckInFormShowsInlineMessagesAndStoresNothing(t *testing.T) {
	for _, tc := range []struct {
		name, phone, service string
		msg                  func(*checkInScreen) string
		want                 string
	}{
		{"", "", "registration", func(s *checkInScreen) string { return s.nameMsg.Text }, "Please enter your name."},
		{"   ", "", "registration", func(s *checkInScreen) string { return s.nameMsg.Text }, "Please enter your name."},
		{strings.Repeat("é", 101), "", "registration", func(s *checkInScreen) string { return s.nameMsg.Text }, "Please keep this under 100 characters (now 101)."},
		{"Ana\x07García", "", "registration", func(s *checkInScreen) string { return s.nameMsg.Text }, "Please use letters, spaces and punctuation only."},
		{"Ana García", "12ab", "registration", func(s *checkInScreen) string { return s.phoneMsg.Text }, "Please enter a phone number with 6 to 15 digits"},
		{"Ana García", "123", "registration", func(s *checkInScreen) string { return s.phoneMsg.Text }, "Please enter a phone number with 6 to 15 digits"},
		{"Ana García", "", "", func(s *checkInScreen) string { return s.serviceMsg.Text }, "Please choose why you are here."},
	} {
		t.Run(tc.want, func(t *testing.T) {
			f := newFixture(t)
			u := f.ui
			test.Tap(u.welcome.checkIn)
			u.form.name.SetText(tc.name) // SetText, as a paste would: control characters cannot be typed
			u.form.phone.SetText(tc.phone)
			if tc.service != "" {
				test.Tap(serviceButton(t, u.form, tc.service))
			}
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
}

func TestLongNameIsFlaggedWhileTyping(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, strings.Repeat("a", 100))
	if u.form.nameMsg.Visible() {
		t.Fatalf("100 characters flagged: %q", u.form.nameMsg.Text)
	}
	test.Type(u.form.name, "b")
	if !u.form.nameMsg.Visible() || !strings.Contains(u.form.nameMsg.Text, "under 100") {
		t.Fatalf("101 characters not flagged while typing: %q", u.form.nameMsg.Text)
	}
	// Once flagged, the field keeps telling what is wrong with it.
	u.form.name.SetText("")
	if u.form.nameMsg.Visible() && u.form.nameMsg.Text != "Please enter your name." {
		t.Errorf("unexpected message for an emptied name: %q", u.form.nameMsg.Text)
	}
}

func TestIdleTimeoutDiscardsHalfFilledForm(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Ana García")
	test.Tap(serviceButton(t, u.form, "visit"))
	typed := f.clock.Now()

	u.idleCheck(typed.Add(u.cfg.IdleTimeout - time.Second))
	if u.screen != screenCheckIn {
		t.Fatalf("left the form before the idle timeout: screen %v", u.screen)
	}
	// At the idle timeout the visitor is asked, with a countdown, before
	// what they typed is thrown away.
	u.idleCheck(typed.Add(u.cfg.IdleTimeout))
	if u.screen != screenCheckIn || u.still == nil || u.still.countdown.Text != "This form will be cleared in 15 seconds." {
		t.Fatalf("at the idle timeout: screen %v, asked %v", u.screen, u.still != nil)
	}
	u.idleCheck(typed.Add(u.cfg.IdleTimeout + 9*time.Second))
	if got := u.still.countdown.Text; got != "This form will be cleared in 6 seconds." {
		t.Fatalf("9 s later the countdown reads %q", got)
	}
	u.idleCheck(typed.Add(u.cfg.IdleTimeout + stillThereFor))
	if u.screen != screenWelcome || u.form != nil || u.still != nil {
		t.Fatalf("after the countdown: screen %v, form kept %v, still asking %v", u.screen, u.form != nil, u.still != nil)
	}
	if strings.Contains(screenText(u), "Ana") {
		t.Error("the discarded name is still on screen")
	}
	test.Tap(u.welcome.checkIn)
	if u.form.name.Text != "" || u.form.service != "" {
		t.Errorf("new form starts with %q / %q, want empty", u.form.name.Text, u.form.service)
	}
	if b := f.board(t); b.WaitingCount() != 0 {
		t.Errorf("idle form stored %d visits", b.WaitingCount())
	}
}

func TestStillThereKeepsTheFormForAVisitorWhoAnswers(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Ana García")
	f.clock.Advance(u.cfg.IdleTimeout + 5*time.Second)
	u.idleCheck(f.clock.Now())
	if u.still == nil {
		t.Fatal("no question at the idle timeout")
	}
	test.Tap(u.still.stay)
	if u.still != nil || u.screen != screenCheckIn || u.form.name.Text != "Ana García" {
		t.Fatalf("after \"I'm still here\": asking %v, screen %v, name %q", u.still != nil, u.screen, u.form.name.Text)
	}
	// The idle time starts again from the answer.
	f.clock.Advance(u.cfg.IdleTimeout - time.Second)
	u.idleCheck(f.clock.Now())
	if u.still != nil || u.screen != screenCheckIn {
		t.Fatalf("asked again before a new idle timeout")
	}
	// An empty form has nothing to lose: it goes back to welcome at once.
	u.form.name.SetText("")
	f.clock.Advance(u.cfg.IdleTimeout)
	u.idleCheck(f.clock.Now())
	if u.screen != screenWelcome || u.still != nil {
		t.Fatalf("an empty form at the idle timeout: screen %v, asking %v", u.screen, u.still != nil)
	}
}

func TestTicketScreenReturnsToWelcomeWhenIdle(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Ana García")
	test.Tap(serviceButton(t, u.form, "visit"))
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("screen %v, want ticket", u.screen)
	}
	f.clock.Advance(u.cfg.IdleTimeout)
	u.idleCheck(f.clock.Now())
	if u.screen != screenWelcome {
		t.Fatalf("ticket screen still up after the idle timeout: %v", u.screen)
	}
}

func TestBoardMasksNames(t *testing.T) {
	for _, tc := range []struct {
		privacy    Privacy
		want, hide []string
	}{
		{PrivacyInitial, []string{"R-001", "Ana G.", "R-002", "李…"}, []string{"García", "雷"}},
		{PrivacyTicket, []string{"R-001", "R-002"}, []string{"Ana", "García", "李"}},
	} {
		t.Run(string(tc.privacy), func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Privacy = tc.privacy })
			f.checkIn(t, "Ana María García", "registration")
			f.checkIn(t, "李雷", "registration")
			f.ui.reload()
			shown := screenText(f.ui)
			for _, w := range tc.want {
				if !strings.Contains(shown, w) {
					t.Errorf("board lacks %q:\n%s", w, shown)
				}
			}
			for _, h := range tc.hide {
				if strings.Contains(shown, h) {
					t.Errorf("board shows %q:\n%s", h, shown)
				}
			}
		})
	}
}

func TestRefreshTickShowsChangesFromOtherProcesses(t *testing.T) {
	f := newFixture(t)
	// Another process (the CLI) checks someone in on the same database.
	f.checkIn(t, "Ana García", "registration")
	if strings.Contains(screenText(f.ui), "R-001") {
		t.Fatal("board changed before any refresh")
	}
	show := f.ui.tick(f.ctx)
	show()
	if !strings.Contains(screenText(f.ui), "R-001") {
		t.Errorf("refresh did not bring R-001 to the board:\n%s", screenText(f.ui))
	}
	// An older read arriving late does not replace a newer one.
	stale := f.ui.tick(f.ctx)
	f.checkIn(t, "Li Lei", "registration")
	f.ui.reload()
	stale()
	if !strings.Contains(screenText(f.ui), "R-002") {
		t.Errorf("a stale refresh replaced the newer board:\n%s", screenText(f.ui))
	}
}
