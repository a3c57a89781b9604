package kiosk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// A lobby that may not open says why, and nothing else: no check-in,
// no way to the staff screen.
func TestSetupShowsWhyTheLobbyCannotOpen(t *testing.T) {
	why := "The staff PIN is still the sample's (2580). Make your own with `lobbyline-kiosk hash-pin`."
	f := newFixture(t, func(c *Config) { c.Setup = &Setup{Problem: why} })
	u := f.ui
	if u.screen != screenSetup || u.welcome != nil {
		t.Fatalf("screen %v, welcome %v", u.screen, u.welcome)
	}
	shown := screenText(u)
	if !strings.Contains(shown, why) || !strings.Contains(shown, "cannot open yet") {
		t.Errorf("the set-up screen shows:\n%s", shown)
	}
	if strings.Contains(shown, "Check in") || strings.Contains(shown, "Staff") {
		t.Errorf("the lobby shows through:\n%s", shown)
	}
	u.idleCheck(f.clock.Now().Add(time.Hour))
	if u.screen != screenSetup {
		t.Errorf("idle took the set-up screen to %v", u.screen)
	}
}

// A kiosk not yet enrolled asks for the centre's address and a code,
// typed on the on-screen keys: a wrong code gets the centre's advice, the
// right one enrols the kiosk against a real centre, and the lobby opens
// with sync attached.
func TestSetupEnrolsWithACode(t *testing.T) {
	ctx := context.Background()
	central := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), nil)
	if err := central.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	code, _, err := central.NewEnrolmentCode(ctx, "north", "lobby-1", "Main lobby", time.Hour, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
	t.Cleanup(srv.Close)

	var f *fixture
	enrolled := ""
	enrol := func(ctx context.Context, url, code string) (SyncSource, OutageSource, error) {
		c, err := syncer.NewClient(url, "north", "", srv.Client())
		if err != nil {
			return nil, nil, err
		}
		resp, err := c.Enrol(ctx, code, "lobby-1")
		if err != nil {
			return nil, nil, err
		}
		enrolled = resp.Kiosk
		client, err := syncer.NewClient(url, "north", resp.Token, &http.Client{Timeout: 5 * time.Second})
		if err != nil {
			return nil, nil, err
		}
		return syncer.New(f.store, client, syncer.Config{}), nil, nil
	}
	f = newFixture(t, func(c *Config) { c.Setup = &Setup{Enrol: enrol} })
	u := f.ui
	s := u.setup
	if u.screen != screenSetup || s.code == nil {
		t.Fatalf("screen %v", u.screen)
	}
	test.Tap(s.connect)
	if !strings.Contains(s.message.Text, "centre's address") {
		t.Errorf("no address: %q", s.message.Text)
	}

	// The address field has the focus and a keyboard for addresses:
	// ":", "/" and "." each on a key, and "https://" in one tap.
	wantKeyboard(t, u, true, s.centre)
	tapKeys(t, u, "https://")
	if s.centre.Text != "https://" {
		t.Errorf("https:// key typed %q", s.centre.Text)
	}
	s.centre.SetText("")
	spell(t, u, srv.URL)
	test.Tap(s.code)
	spell(t, u, "abcde-fghjk")
	test.Tap(s.connect)
	f.settle(t)
	if u.screen != screenSetup || !strings.HasPrefix(s.message.Text, "This enrolment code is not known at this centre") || s.connect.Disabled() {
		t.Fatalf("a wrong code: screen %v, message %q", u.screen, s.message.Text)
	}
	tapKeys(t, u, keyBackspace)
	if s.message.Visible() {
		t.Errorf("the refusal stays while the code is corrected: %q", s.message.Text)
	}

	s.code.SetText("")
	spell(t, u, strings.ToLower(code))
	test.Tap(s.connect)
	f.settle(t)
	if u.screen != screenWelcome || enrolled != "lobby-1" || u.cfg.Sync == nil || u.cfg.Setup != nil {
		t.Fatalf("after the right code: screen %v, enrolled %q, message %q", u.screen, enrolled, s.message.Text)
	}
}

// A scanner types the QR code of `central enroll --centre URL`: address
// and code in one, then Enter.
func TestSetupTakesAScannedQR(t *testing.T) {
	var got [2]string
	f := newFixture(t, func(c *Config) {
		c.Setup = &Setup{Enrol: func(_ context.Context, url, code string) (SyncSource, OutageSource, error) {
			got = [2]string{url, code}
			return nil, nil, context.Canceled
		}}
	})
	s := f.ui.setup
	test.Type(s.code, wire.EnrolLink("https://central.example:8470", "ABCDE-FGHJK"))
	s.code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.settle(t)
	if got != [2]string{"https://central.example:8470", "ABCDE-FGHJK"} || s.centre.Text != "https://central.example:8470" {
		t.Errorf("scanned: enrol got %q, address field %q", got, s.centre.Text)
	}
}

// The set-up screen, its problem and its form with the longest message,
// in every language and both shapes: nothing cut or squeezed.
func TestSetupFitsEveryLanguage(t *testing.T) {
	for _, problem := range []string{"", "The staff PIN is still the sample's (2580), which everyone can read. Make your own with `lobbyline-kiosk hash-pin` and replace pin_hash in /etc/lobbyline/kiosk.toml."} {
		f := newFixture(t, func(c *Config) {
			c.Languages = translationCodes(t)
			c.Setup = &Setup{Problem: problem, Enrol: func(context.Context, string, string) (SyncSource, OutageSource, error) { return nil, nil, nil }}
		})
		u := f.ui
		for _, size := range []fyne.Size{landscape, portrait} {
			for _, code := range translationCodes(t) {
				u.switchLanguage(code)
				u.showSetup()
				if s := u.setup; s.message != nil && problem == "" {
					setMessage(s.message, (&centre.CodeError{Reason: centre.ErrCodeOther, For: "kiosk lobby-2 at site north", Asked: "kiosk lobby-1 at site north"}).Advice())
				}
				u.Window().Resize(size)
				name := code + " set-up " + sizeName(size)
				assertFits(t, name, u.Window().Content())
				assertWhole(t, name, u.Window().Content(), allowedEllipses(t, code), nil)
				if s := u.setup; s.message != nil && problem == "" {
					fitsSlot(t, s.message, setupMessageLines, name)
				}
			}
		}
	}
}
