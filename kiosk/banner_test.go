package kiosk

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// bannerText is the welcome banner's visible text, "" when hidden.
func bannerText(u *UI) string {
	if u.welcome == nil || !u.welcome.banner.content.Visible() {
		return ""
	}
	return strings.Join(texts(u.welcome.banner.content), "\n")
}

// TestBannerTiming plays an outage on the fake clock: nothing during the
// grace period, the banner within one probe (5 s) of it (counted from the
// first probe that asks the centre, 15 s after it was last heard from), "Updated N min
// ago" moving on its own with no news and renewed every five minutes, the
// expected time, then "Back to normal" for two minutes.
func TestBannerTiming(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	if got := bannerText(u); got != "" {
		t.Fatalf("banner while all is well: %q", got)
	}
	f.down()
	f.advance(15 * time.Second) // the first probe that asks the centre (outage.Policy.QuietProbe)
	for range 11 {              // 55 s of probes: a blip
		f.probe(t)
		if got := bannerText(u); got != "" {
			t.Fatalf("banner within the grace period: %q", got)
		}
		f.advance(5 * time.Second)
	}
	f.advance(5 * time.Second)
	f.probe(t)
	got := bannerText(u)
	for _, want := range []string{"Our central system is unavailable", "Since 09:00.", "Check-in works and your place in line is saved.",
		"The central system gets your check-in when we reconnect.", "Updated just now"} {
		if !strings.Contains(got, want) {
			t.Fatalf("banner lacks %q:\n%s", want, got)
		}
	}

	// No news: the age grows on the refresh tick alone.
	f.advance(3 * time.Minute)
	u.showOutage(f.mon.Outage())
	if got := bannerText(u); !strings.Contains(got, "Updated 3 min ago") {
		t.Fatalf("after 3 min with no news:\n%s", got)
	}
	f.advance(2 * time.Minute)
	f.probe(t)
	if got := bannerText(u); !strings.Contains(got, "Updated just now") {
		t.Fatalf("after 5 min the kiosk should confirm anew:\n%s", got)
	}

	// Staff set an expected time; once it passes, the banner says so.
	in := f.mon.Outage().Incident
	if err := f.store.SetExpectedBack(f.ctx, in.ID, f.clock.Now().Add(30*time.Minute), "Carmen"); err != nil {
		t.Fatal(err)
	}
	f.probe(t)
	if got := bannerText(u); !strings.Contains(got, "We expect it back around 09:36.") {
		t.Fatalf("expected time:\n%s", got)
	}
	f.advance(31 * time.Minute)
	f.probe(t)
	if got := bannerText(u); !strings.Contains(got, "We hoped to be back by 09:36 and are still working on it.") {
		t.Fatalf("past the expected time:\n%s", got)
	}

	// In Spanish too.
	u.chooseLanguage("es")
	u.showOutage(f.mon.Outage())
	if got := bannerText(u); !strings.Contains(got, "Nuestro sistema central no está disponible") {
		t.Fatalf("in Spanish:\n%s", got)
	}
	u.chooseLanguage("en")

	f.up(t)
	f.advance(5 * time.Second)
	f.probe(t)
	if err := f.sync.Sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.probe(t)
	if got := bannerText(u); !strings.Contains(got, "Back to normal") {
		t.Fatalf("after recovery:\n%s", got)
	}
	f.advance(2 * time.Minute)
	f.probe(t)
	if got := bannerText(u); got != "" {
		t.Fatalf("\"back to normal\" still up after 2 min:\n%s", got)
	}
}

// checkInAtKiosk walks the visitor's form and expects the ticket.
func checkInAtKiosk(t *testing.T, u *UI, name string) {
	t.Helper()
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, name)
	test.Tap(serviceButton(t, u.form, "registration"))
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("screen %v after check-in", u.screen)
	}
}

// checkOutAtKiosk walks the visitor's check-out and expects the goodbye.
func checkOutAtKiosk(t *testing.T, u *UI, ticket string) {
	t.Helper()
	test.Tap(u.welcome.checkOut)
	test.Type(u.checkout.ticket, ticket)
	test.Tap(u.checkout.submit)
	test.Tap(u.checkout.yes)
	if !u.checkout.farewell.Visible() {
		t.Fatalf("not checked out: %q", u.checkout.message.Text)
	}
}

const feedbackQuestion = "How did we handle your wait?"

// TestBannerOnTicketFeedbackAtCheckOut: during an incident the ticket
// shows the banner but asks nothing about a wait that has not happened;
// the visitor is asked when they check out, and the answer is stored.
func TestBannerOnTicketFeedbackAtCheckOut(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	f.startOutage(t)
	checkInAtKiosk(t, u, "Zoë Adams")
	tb := u.ticket.banner.content
	if !tb.Visible() || !strings.Contains(strings.Join(texts(tb), "\n"), "Our central system is unavailable") {
		t.Fatalf("the ticket screen does not show the banner: %q", texts(tb))
	}
	if strings.Contains(screenText(u), feedbackQuestion) {
		t.Fatalf("the ticket asks about the wait before any wait:\n%s", screenText(u))
	}
	test.Tap(u.ticket.done)
	checkOutAtKiosk(t, u, "R-001")
	if u.checkout.feedback == nil || !strings.Contains(screenText(u), feedbackQuestion) {
		t.Fatalf("no feedback question at check-out during an incident:\n%s", screenText(u))
	}
	if w := u.checkout.feedback.content.Size().Width; w < 300 {
		t.Fatalf("the question is laid out %v px wide", w)
	}
	test.Tap(u.checkout.feedback.scores[3])
	r, err := f.store.IncidentReport(f.ctx, f.mon.Outage().Incident.ID, testRunbook)
	if err != nil || len(r.Feedback) != 1 || r.Feedback[0] != 4 {
		t.Fatalf("feedback in the report: %v %v", r.Feedback, err)
	}
}

func TestNoFeedbackQuestionWithoutAnIncident(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	checkInAtKiosk(t, u, "Ann Lee")
	test.Tap(u.ticket.done)
	checkOutAtKiosk(t, u, "R-001")
	if u.checkout.feedback != nil || strings.Contains(screenText(u), feedbackQuestion) {
		t.Fatalf("check-out asked for feedback on a normal day:\n%s", screenText(u))
	}
}

// TestFeedbackWindowWithTheClockSetBack: after an incident ends visitors
// are asked about their wait for the feedback window (2 h here), not for
// the 14 hours it would take a clock set back by 12 to catch up.
func TestFeedbackWindowWithTheClockSetBack(t *testing.T) {
	f := newOutageFixture(t)
	f.startOutage(t)
	f.advance(5 * time.Minute)
	f.up(t)
	if o := f.probe(t); o.Incident != nil {
		t.Fatalf("the incident did not end with the centre back: %+v", o)
	}
	f.advance(30 * time.Minute)
	if f.ui.feedbackIncident() == 0 {
		t.Fatal("not asked half an hour after the incident")
	}
	f.clock.Advance(-12 * time.Hour)
	if id := f.ui.feedbackIncident(); id != 0 {
		t.Fatalf("asked about incident %d with the clock 12 h back", id)
	}
	f.clock.Advance(12*time.Hour + 2*time.Hour)
	if id := f.ui.feedbackIncident(); id != 0 {
		t.Fatalf("asked about incident %d 2.5 h after it ended", id)
	}
}

// TestTicketNumberKeepsItsSizeWithTheBanner: the outage banner takes room
// from the lines under the number and from the QR code, never from the
// number the visitor must remember.
func TestTicketNumberKeepsItsSizeWithTheBanner(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	u.Window().Resize(fyne.NewSize(1280, 800))
	checkInAtKiosk(t, u, "Ann Lee")
	plain, plainBox := u.ticket.number.TextSize, u.ticket.number.Size()
	test.Tap(u.ticket.done)
	f.startOutage(t)
	checkInAtKiosk(t, u, "Zoë Adams")
	if !u.ticket.banner.content.Visible() {
		t.Fatal("no banner on the ticket during the outage")
	}
	if got := u.ticket.number.TextSize; got != plain {
		t.Fatalf("number text %v with the banner, %v without", got, plain)
	}
	if got := u.ticket.number.Size(); got.Height < plainBox.Height {
		t.Fatalf("number laid out at %v with the banner, %v without", got, plainBox)
	}
	if m := u.Window().Content().MinSize(); m.Width > 1280 || m.Height > 800 {
		t.Fatalf("ticket with the banner needs %v, more than the screen", m)
	}
}

// TestBannerMarkup keeps the banner's look from drifting.
func TestBannerMarkup(t *testing.T) {
	f := newOutageFixture(t)
	u := f.ui
	f.startOutage(t)
	if _, err := f.store.PublishMessage(f.ctx, queue.LobbyMessage{Texts: map[string]string{"en": "IT is on it. Thank you for waiting."}, PublishedBy: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	f.probe(t)
	b := u.welcome.banner.content
	b.Resize(fyne.NewSize(1200, b.MinSize().Height))
	test.AssertObjectRendersToMarkup(t, "banner_outage.xml", b)

	o := outage.Outage{Recovered: f.clock.Now()}
	u.showOutage(o)
	b.Resize(fyne.NewSize(1200, b.MinSize().Height))
	test.AssertObjectRendersToMarkup(t, "banner_recovered.xml", b)
}

// TestBannerTextChoices covers what bannerFor says in each case, without
// a window: the centre's announcement first (in the visitor's language or
// for all), a drill hidden from visitors, a local database failure.
func TestBannerTextChoices(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	in := &queue.Incident{ID: 1, Start: now.Add(-20 * time.Minute)}
	staffMsg := &queue.LobbyMessage{Texts: map[string]string{"en": "Staff say hello"}}
	practice := &queue.LobbyMessage{Incident: 2, Practice: true, Texts: map[string]string{"en": "Practice"}}
	cases := []struct {
		name  string
		o     outage.Outage
		lang  string
		ok    bool
		title string
		msg   string
	}{
		{"all well", outage.Outage{}, "en", false, "", ""},
		{"staff message without incident", outage.Outage{Message: staffMsg}, "en", true, "Notice", "Staff say hello"},
		{"centre first", outage.Outage{Incident: in, Cause: outage.CauseUnreachable, Message: staffMsg,
			Announcements: []queue.Announcement{{Lang: "en", Text: "From the centre"}}}, "en", true, "Our central system is unavailable", "From the centre"},
		{"centre in another language", outage.Outage{Incident: in, Cause: outage.CauseUnreachable, Message: staffMsg,
			Announcements: []queue.Announcement{{Lang: "es", Text: "Del centro"}}}, "en", true, "Our central system is unavailable", "Staff say hello"},
		{"hidden drill", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true}, Cause: outage.CauseDrill}, "en", false, "", ""},
		{"hidden drill, its practice message", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true}, Cause: outage.CauseDrill,
			Practice: practice}, "en", false, "", ""},
		{"hidden drill, a message from before it", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true}, Cause: outage.CauseDrill, Message: staffMsg},
			"en", true, "Notice", "Staff say hello"},
		{"hidden drill, a message from before it and practice", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true}, Cause: outage.CauseDrill,
			Message: staffMsg, Practice: practice}, "en", true, "Notice", "Staff say hello"},
		{"shown drill", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true, DrillBanner: true}, Cause: outage.CauseDrill}, "en", true,
			"Practice drill: our central system is treated as unavailable", ""},
		{"shown drill, its practice message", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true, DrillBanner: true}, Cause: outage.CauseDrill,
			Practice: practice}, "en", true, "Practice drill: our central system is treated as unavailable", "Practice"},
		{"shown drill, a message from before it and practice", outage.Outage{Incident: &queue.Incident{ID: 2, Drill: true, DrillBanner: true}, Cause: outage.CauseDrill,
			Message: staffMsg, Practice: practice}, "en", true, "Practice drill: our central system is treated as unavailable", "Staff say hello\nPractice"},
		{"shown drill, another drill's practice", outage.Outage{Incident: &queue.Incident{ID: 3, Drill: true, DrillBanner: true}, Cause: outage.CauseDrill,
			Message: staffMsg, Practice: practice}, "en", true, "Practice drill: our central system is treated as unavailable", "Staff say hello"},
		{"database", outage.Outage{Incident: in, Cause: outage.CauseDatabase}, "en", true, "This kiosk has a technical problem", ""},
	}
	for _, c := range cases {
		b, ok := bannerFor(c.o, now, c.lang, time.UTC)
		if ok != c.ok || b.Title != c.title || b.Message != c.msg {
			t.Errorf("%s: ok %v title %q message %q", c.name, ok, b.Title, b.Message)
		}
	}
	b, _ := bannerFor(outage.Outage{Incident: in, Cause: outage.CauseDatabase}, now, "en", time.UTC)
	if b.Works != "Check-in here may not work. Please ask at reception." {
		t.Errorf("a database failure must not promise check-in works: %q", b.Works)
	}
}
