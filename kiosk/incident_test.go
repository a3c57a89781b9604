package kiosk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lobbyline/queue"
	"lobbyline/queue/report"
	"lobbyline/syncer"
	"lobbyline/syncer/outage"
)

// openIncidentPanel unlocks staff mode as Carmen and taps the staff
// header's Incident button: the first of the three taps to a message.
func openIncidentPanel(t *testing.T, f *outageFixture) *incidentScreen {
	t.Helper()
	if f.ui.screen != screenStaff {
		f.unlock(t)
	}
	test.Tap(f.ui.staff.outage)
	if f.ui.screen != screenIncident || f.ui.incident == nil {
		t.Fatalf("screen = %v after tapping Incident, want the incident panel", f.ui.screen)
	}
	return f.ui.incident
}

func currentIncident(t *testing.T, f *outageFixture) (queue.Incident, bool) {
	t.Helper()
	in, ok, err := f.store.CurrentIncident(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return in, ok
}

func currentMessage(t *testing.T, f *outageFixture) (queue.LobbyMessage, bool) {
	t.Helper()
	m, ok, err := f.store.CurrentMessage(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m, ok
}

func TestIncidentPublishTemplateInThreeTaps(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	out := f.startOutage(t)
	if out.Incident.Severity != queue.SeverityMinor {
		t.Fatalf("severity = %v, want minor", out.Incident.Severity)
	}

	s := openIncidentPanel(t, f) // tap 1
	if got := s.title.Text; got != "Incident: minor" {
		t.Errorf("status title = %q", got)
	}
	if got, want := s.details.Text, "The central system does not answer.\nSince 09:00 · for 1 min\nWaiting to sync: 0"; got != want {
		t.Errorf("details = %q, want %q", got, want)
	}
	if got := s.callers.Text; got != "☎ IT service desk, ext. 4410" || !s.calls.Visible() {
		t.Errorf("a minor incident should list the minor contacts only: %q", got)
	}
	want := s.tpls[0]
	if want.Severity != queue.SeverityMinor {
		t.Fatalf("first template %s is %v, want the current severity first", want.ID, want.Severity)
	}
	if !s.publish.Disabled() {
		t.Error("Publish is enabled with nothing to publish")
	}

	test.Tap(s.templates[0]) // tap 2
	if s.message.Text != want.Text["en"] {
		t.Errorf("entry = %q, want the template's English text", s.message.Text)
	}
	if s.publish.Disabled() || s.templates[0].Icon != theme.ConfirmIcon() {
		t.Error("the template is not shown ready to publish")
	}

	test.Tap(s.publish) // tap 3
	m, ok := currentMessage(t, f)
	if !ok {
		t.Fatalf("no message after Publish; status %q", s.status.Text)
	}
	if m.Template != want.ID || m.Texts["en"] != want.Text["en"] || m.Texts["es"] != want.Text["es"] ||
		m.PublishedBy != "Carmen" || m.Incident != out.Incident.ID {
		t.Errorf("published %+v, want template %s by Carmen during incident %d", m, want.ID, out.Incident.ID)
	}
	if b, _ := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); b.Message != want.Text["en"] {
		t.Errorf("banner message = %q right after Publish", b.Message)
	}
	if !strings.Contains(s.upNow.Text, want.Text["en"]) || !strings.Contains(s.upNowBy.Text, "Carmen") {
		t.Errorf("panel shows %q / %q as the message up", s.upNow.Text, s.upNowBy.Text)
	}
	if s.message.Text != "" || !s.upNowRow.Visible() {
		t.Errorf("after Publish: entry %q, take-down visible %v", s.message.Text, s.upNowRow.Visible())
	}

	// The lobby reads it.
	test.Tap(s.back)
	test.Tap(f.ui.staff.lock)
	if got := f.ui.welcome.banner.message; got.Text != want.Text["en"] || !got.Visible() {
		t.Errorf("welcome banner message = %q (visible %v)", got.Text, got.Visible())
	}
}

func TestIncidentEditBeforePublishingAndTakeDown(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	f.startOutage(t)
	s := openIncidentPanel(t, f)
	tpl := s.tpls[0]
	test.Tap(s.templates[0])
	if !strings.Contains(s.hint.Text, "only the English text") {
		t.Errorf("hint before editing = %q", s.hint.Text)
	}
	s.message.SetText("We are working on it. Check-in still works.")
	if got := s.hint.Text; got != "Edited: the English text is yours; other languages keep the template's." {
		t.Errorf("hint after editing = %q", got)
	}
	test.Tap(s.publish)

	m, ok := currentMessage(t, f)
	if !ok {
		t.Fatalf("no message after Publish; status %q", s.status.Text)
	}
	if m.Texts["en"] != "We are working on it. Check-in still works." || m.Texts["es"] != tpl.Text["es"] || m.Template != tpl.ID {
		t.Errorf("published %+v: want the edit in English and the template's Spanish", m)
	}
	for code, want := range map[string]string{"en": "We are working on it. Check-in still works.", "es": tpl.Text["es"]} {
		if b, _ := bannerFor(f.ui.outage, f.clock.Now(), code, time.UTC); b.Message != want {
			t.Errorf("banner in %s = %q, want %q", code, b.Message, want)
		}
	}

	f.advance(time.Minute)
	test.Tap(s.takeDown)
	if _, ok := currentMessage(t, f); ok {
		t.Fatal("message still up after Take the message down")
	}
	if b, _ := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); b.Message != "" {
		t.Errorf("banner still shows %q", b.Message)
	}
	if s.upNow.Text != "No message from staff in the lobby." || s.upNowRow.Visible() {
		t.Errorf("panel after take-down: %q, take-down visible %v", s.upNow.Text, s.upNowRow.Visible())
	}
	tl, err := f.store.Timeline(f.ctx, f.ui.outage.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; last.Kind != queue.TimelineCleared || last.Actor != "Carmen" {
		t.Errorf("last timeline entry = %+v, want cleared by Carmen", last)
	}
}

func TestIncidentExpectedTimeBack(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	f.startOutage(t)
	s := openIncidentPanel(t, f)
	if !s.expectedBox.Visible() || s.expected.Text != "Nobody has said when it will be back." || !s.clearBack.Disabled() {
		t.Fatalf("expected time: visible %v, %q", s.expectedBox.Visible(), s.expected.Text)
	}

	now := f.clock.Now() // 09:01:01
	test.Tap(s.backIn[1])
	in, _ := currentIncident(t, f)
	if want := now.Add(30 * time.Minute); !in.ExpectedBack.Equal(want) {
		t.Errorf("expected back = %v, want %v", in.ExpectedBack, want)
	}
	if got := s.expected.Text; got != "Expected back at 09:31." {
		t.Errorf("panel says %q", got)
	}
	if b, _ := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); !strings.Contains(b.Since, "We expect it back around 09:31.") {
		t.Errorf("banner: %q", b.Since)
	}

	test.Tap(s.backIn[2])
	if in, _ := currentIncident(t, f); !in.ExpectedBack.Equal(now.Add(time.Hour)) {
		t.Errorf("after +1 h: %v", in.ExpectedBack)
	}

	test.Tap(s.clearBack)
	if in, _ := currentIncident(t, f); !in.ExpectedBack.IsZero() {
		t.Errorf("after Clear: %v", in.ExpectedBack)
	}
	if s.expected.Text != "Nobody has said when it will be back." || !s.clearBack.Disabled() {
		t.Errorf("after Clear the panel says %q", s.expected.Text)
	}
}

func TestIncidentRunbookTicks(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	out := f.startOutage(t)
	f.advance(2 * time.Minute)
	s := openIncidentPanel(t, f)
	if len(s.steps) != len(testRunbook) || !s.stepRows[0].Visible() || s.noRunbook.Visible() {
		t.Fatalf("%d tick buttons for %d steps; steps visible %v", len(s.steps), len(testRunbook), s.stepRows[0].Visible())
	}

	at := f.clock.Now() // 09:03:01
	test.Tap(s.steps[1])
	tl, err := f.store.Timeline(f.ctx, out.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ticks []queue.TimelineEntry
	for _, e := range tl {
		if e.Kind == queue.TimelineStep {
			ticks = append(ticks, e)
		}
	}
	if len(ticks) != 1 || ticks[0].Step != 1 || ticks[0].Actor != "Carmen" || !ticks[0].At.Equal(at) || ticks[0].Text != testRunbook[1] {
		t.Fatalf("step ticks = %+v, want step 1 by Carmen at %v", ticks, at)
	}
	if got := s.ticked[1]; !got.Visible() || got.Text != "✓ 09:03 · Carmen" || s.steps[1].Visible() {
		t.Errorf("ticked row shows %q (visible %v), tick button visible %v", got.Text, got.Visible(), s.steps[1].Visible())
	}
	if !s.steps[0].Visible() || s.ticked[0].Visible() {
		t.Error("an unticked step shows as done")
	}
	if got := s.runbookTab.Text; got != "Runbook 1/3" {
		t.Errorf("runbook tab = %q", got)
	}

	// The panel reads the ticks again when it opens.
	test.Tap(s.back)
	s = openIncidentPanel(t, f)
	if got := s.ticked[1].Text; got != "✓ 09:03 · Carmen" || !s.ticked[1].Visible() {
		t.Errorf("reopened panel shows step 2 as %q", got)
	}
}

func TestIncidentDrillFromThePanel(t *testing.T) {
	f := newOutageFixture(t, func(c *Config) { c.Incident.DrillBanner = true })
	s := openIncidentPanel(t, f)
	if got := s.title.Text; got != "No incident: the centre is reachable" {
		t.Errorf("status title = %q", got)
	}
	if s.expectedBox.Visible() || s.stepRows[0].Visible() || !s.noRunbook.Visible() || s.stopDrill.Visible() || !s.drillCard.Visible() {
		t.Error("without an incident the panel should offer a drill only")
	}
	if !s.drillBanner.Checked {
		t.Error("the banner check does not default to the config's DrillBanner")
	}
	if len(s.reports) != 0 {
		t.Errorf("%d incidents listed before any", len(s.reports))
	}

	start := f.clock.Now()
	test.Tap(s.lengths[0]) // 5 min
	test.Tap(s.startDrill)
	in, ok := currentIncident(t, f)
	if !ok || !in.Drill || !in.DrillBanner || !in.DrillUntil.Equal(start.Add(5*time.Minute)) {
		t.Fatalf("incident after Start drill = %+v (open %v); status %q", in, ok, s.status.Text)
	}
	if err := f.sync.Sync(f.ctx); !errors.Is(err, syncer.ErrHeld) {
		t.Errorf("sync during the drill = %v, want ErrHeld", err)
	}
	if got := s.title.Text; got != "Drill — ends at 09:05" {
		t.Errorf("status title during the drill = %q", got)
	}
	// On the staff screen too it reads as a drill: not an incident
	// starting, nor the kiosk offline.
	f.ui.showStaff()
	f.ui.showSync(f.sync.Status())
	if got, sync := f.ui.staff.outage.Text, f.ui.staff.sync.Text; got != "Drill" || !strings.HasPrefix(sync, "Drill: changes held here") {
		t.Errorf("staff screen during the drill: incident button %q, sync %q", got, sync)
	}
	f.ui.showIncident()
	s = f.ui.incident
	if !s.stopDrill.Visible() || s.drillCard.Visible() || !s.stepRows[0].Visible() {
		t.Error("during a drill the panel should offer Stop drill and the runbook")
	}
	if len(s.reports) != 1 || s.reportIDs[0] != in.ID || s.reports[0].Visible() {
		t.Errorf("reports list %v; Write report visible without WriteReport: %v", s.reportIDs, len(s.reports) > 0 && s.reports[0].Visible())
	}

	f.advance(time.Minute)
	test.Tap(s.stopDrill)
	if _, ok := currentIncident(t, f); ok {
		t.Fatal("the drill is still open after Stop drill")
	}
	if err := f.sync.Sync(f.ctx); err != nil {
		t.Errorf("sync after the drill: %v", err)
	}
	if got := s.title.Text; got != "Back to normal since 09:01" {
		t.Errorf("status title after the drill = %q", got)
	}
	if !s.drillCard.Visible() || s.stopDrill.Visible() {
		t.Error("after the drill the panel should offer a new one")
	}
}

func TestIncidentWriteReport(t *testing.T) {
	dir := t.TempDir()
	var f *outageFixture
	f = newOutageFixture(t, func(c *Config) {
		c.Incident.WriteReport = func(ctx context.Context, id int64) ([]string, error) {
			r, err := f.store.IncidentReport(ctx, id, testRunbook)
			if err != nil {
				return nil, err
			}
			return report.WriteAll(dir, r, report.Options{})
		}
	})
	f.unlock(t)
	out := f.startOutage(t)
	s := openIncidentPanel(t, f)
	test.Tap(s.steps[0])
	f.advance(5 * time.Minute)
	f.up(t)
	if o := f.probe(t); o.Incident != nil {
		t.Fatalf("the incident did not end with the centre back: %+v", o)
	}
	if len(s.reports) != 1 || s.reportIDs[0] != out.Incident.ID || !s.reports[0].Visible() {
		t.Fatalf("reports list %v", s.reportIDs)
	}
	if got := strings.Join(texts(s.reportRows), "\n"); !strings.Contains(got, "Outage · 09:00\n6 min · minor") {
		t.Errorf("report row not shown as expected:\n%s", got)
	}

	test.Tap(s.reports[0])
	if s.reportDialog == nil || f.ui.win.Canvas().Overlays().Top() == nil {
		t.Fatalf("no dialog after Write report; status %q", s.status.Text)
	}
	listed := strings.Join(texts(s.reportFiles), "\n")
	for _, ext := range []string{".md", ".csv", ".html"} {
		p := filepath.Join(dir, "incident-"+strconv.FormatInt(out.Incident.ID, 10)+ext)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("report file: %v", err)
		}
		if !strings.Contains(listed, p) {
			t.Errorf("dialog does not list %s:\n%s", p, listed)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "incident-"+strconv.FormatInt(out.Incident.ID, 10)+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Carmen") || !strings.Contains(string(md), testRunbook[0]) {
		t.Errorf("the report does not show the step Carmen ticked:\n%s", md)
	}
}

func TestIncidentRefreshKeepsTheDraft(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	f.startOutage(t)
	s := openIncidentPanel(t, f)
	tpl := s.tpls[0]
	test.Tap(s.templates[0])
	s.message.SetText("Half written")
	content := f.ui.win.Content()

	// The refresh tick and the monitor: the outage turns major.
	f.advance(10 * time.Minute)
	f.probe(t)
	if f.ui.win.Content() != content || f.ui.incident != s {
		t.Fatal("a refresh rebuilt the panel")
	}
	if s.message.Text != "Half written" {
		t.Errorf("the draft became %q", s.message.Text)
	}
	if got := s.title.Text; got != "Incident: major" {
		t.Errorf("title = %q after escalation", got)
	}
	if got := s.details.Text; !strings.Contains(got, "Since 09:00 · for 11 min") {
		t.Errorf("details = %q", got)
	}
	if s.tpls[0].Severity != queue.SeverityMajor {
		t.Errorf("first template %s after escalation, want a major one", s.tpls[0].ID)
	}
	if got := s.callers.Text; got != "☎ IT service desk, ext. 4410\n☎ Duty manager, ext. 2000" {
		t.Errorf("major contacts: %q", got)
	}

	test.Tap(s.publish)
	m, ok := currentMessage(t, f)
	if !ok || m.Template != tpl.ID || m.Texts["en"] != "Half written" || m.Texts["es"] != tpl.Text["es"] {
		t.Errorf("published %+v, want the edited %s", m, tpl.ID)
	}
}

func TestIncidentPanelWithSyncOff(t *testing.T) {
	f := newFixture(t)
	f.unlock(t)
	test.Tap(f.ui.staff.outage)
	s := f.ui.incident
	if f.ui.screen != screenIncident || s == nil {
		t.Fatalf("screen = %v", f.ui.screen)
	}
	got := screenText(f.ui)
	if !strings.Contains(got, "Sync is off") || !strings.Contains(got, "No incidents yet.") {
		t.Errorf("panel without sync:\n%s", got)
	}
	if s.publish != nil || s.startDrill != nil {
		t.Error("the panel offers messages or drills without the outage monitor")
	}
	test.Tap(s.back)
	if f.ui.screen != screenStaff || f.ui.incident != nil {
		t.Errorf("Back: screen %v", f.ui.screen)
	}
}

func practiceMessage(t *testing.T, f *outageFixture) (queue.LobbyMessage, bool) {
	t.Helper()
	m, ok, err := f.store.PracticeMessage(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m, ok
}

// panelMessages is what the incident panel shows of the lobby's message
// and the practice one: their text (with the line under it) or "" for
// one not shown, and which visitors read.
func panelMessages(s *incidentScreen) (lobby, practice, says string) {
	if s.upNowRow.Visible() {
		lobby = s.upNow.Text + " / " + s.upNowBy.Text
	}
	if s.practiceRow.Visible() {
		practice = s.practiceNow.Text + " / " + s.practiceBy.Text
	}
	if s.shadowed.Visible() {
		says = s.shadowed.Text
	}
	return lobby, practice, says
}

// Issue (walk, portrait): a message staff put up for visitors stays in
// the lobby through a drill visitors are not shown; only what is
// published during the drill is practice, hidden from visitors, and the
// panel says which is which.
//
// Issue (drill message): publishing practice replaced the lobby's
// message, which the drill's end then took down for good. A practice
// message is kept apart: the lobby reads its message throughout, the
// panel shows both, and after the drill (stopped by staff or by its
// time) the lobby's message is still up.
func TestIncidentDrillKeepsTheMessageStaffPutUp(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	s := openIncidentPanel(t, f)
	tpl := s.tpls[0]
	test.Tap(s.templates[0])
	test.Tap(s.publish)
	real, ok := currentMessage(t, f)
	if !ok {
		t.Fatalf("no message after Publish; status %q", s.status.Text)
	}
	lobbyLine := "“" + tpl.Text["en"] + "” / Up since 09:00, by Carmen"
	const (
		kept = "Visitors still read this message during the drill. A message published now is practice, kept apart from it: " +
			"visitors do not see it, and it comes down when the drill ends."
		both = "Visitors read the lobby's message, not the practice one, which comes down when the drill ends."
	)
	lobbyReads := func(when string) {
		t.Helper()
		if b, ok := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); !ok || b.Title != "Notice" || b.Message != tpl.Text["en"] || b.Works != "" {
			t.Errorf("%s the lobby reads %+v (ok %v), want the notice alone", when, b, ok)
		}
		if m, ok := currentMessage(t, f); !ok || m.ID != real.ID {
			t.Errorf("%s the lobby's message is %+v (up %v), want %d", when, m, ok, real.ID)
		}
	}
	if s.drillBanner.Checked {
		t.Fatal("the drill banner is ticked by default")
	}

	for _, end := range []string{"staff", "time"} {
		f.advance(time.Minute)
		test.Tap(s.lengths[0]) // 5 min
		test.Tap(s.startDrill)
		if !f.ui.outage.Drill() {
			t.Fatalf("no drill; status %q", s.status.Text)
		}
		if l, p, says := panelMessages(s); l != lobbyLine || p != "" || says != kept {
			t.Errorf("panel at the drill's start: %q / %q / %q", l, p, says)
		}
		if !strings.Contains(s.details.Text, "Visitors do not see the drill banner.") {
			t.Errorf("panel: %q", s.details.Text)
		}

		// The lobby reads the message, and nothing of the drill.
		test.Tap(s.back)
		test.Tap(f.ui.staff.lock)
		b := f.ui.welcome.banner
		if !b.content.Visible() || b.title.Text != "Notice" || b.message.Text != tpl.Text["en"] || b.body.Visible() {
			t.Fatalf("lobby during the drill: visible %v, title %q, message %q, body %q (visible %v)",
				b.content.Visible(), b.title.Text, b.message.Text, b.body.Text, b.body.Visible())
		}

		// A message published during the drill is practice, kept apart:
		// the lobby still reads its own, and the panel shows both.
		f.unlock(t)
		s = openIncidentPanel(t, f)
		s.message.SetText("Practising the runbook")
		test.Tap(s.publish)
		p, ok := practiceMessage(t, f)
		if !ok || p.Incident != f.ui.outage.Incident.ID || !p.Practice {
			t.Fatalf("practice message during the drill = %+v (%v), want one of the drill", p, ok)
		}
		at := f.clock.Now().Format("15:04")
		if want := "Practice message published at " + at + "."; s.status.Text != want {
			t.Errorf("status %q, want %q", s.status.Text, want)
		}
		lobbyReads("during the drill, with practice up,")
		if l, p, says := panelMessages(s); l != lobbyLine || p != "“Practising the runbook” / Published at "+at+" by Carmen, as practice" || says != both {
			t.Errorf("panel with both: %q / %q / %q", l, p, says)
		}
		test.Tap(s.back)
		test.Tap(f.ui.staff.lock)
		if b := f.ui.welcome.banner; b.title.Text != "Notice" || b.message.Text != tpl.Text["en"] || b.body.Visible() {
			t.Errorf("lobby with practice up: title %q, message %q", b.title.Text, b.message.Text)
		}
		f.unlock(t)
		s = openIncidentPanel(t, f)

		switch end {
		case "staff":
			test.Tap(s.stopDrill)
		case "time":
			f.advance(5 * time.Minute)
			f.probe(t)
		}
		if f.ui.outage.Drill() {
			t.Fatalf("the drill outlived its end by %s", end)
		}
		if m, ok := practiceMessage(t, f); ok {
			t.Errorf("the practice message outlived the drill ended by %s: %+v", end, m)
		}
		lobbyReads("after the drill ended by " + end + ",")
		if l, p, says := panelMessages(s); l != lobbyLine || p != "" || says != "" {
			t.Errorf("panel after the drill ended by %s: %q / %q / %q", end, l, p, says)
		}
	}
}

// Each message is taken down on its own during a drill visitors are
// shown: the lobby reads both under the drill banner meanwhile.
func TestIncidentDrillTakesEachMessageDown(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	s := openIncidentPanel(t, f)
	s.message.SetText("Waits may be longer than usual.")
	test.Tap(s.publish)
	s.drillBanner.SetChecked(true)
	test.Tap(s.startDrill)
	if !f.ui.outage.Drill() || !f.ui.outage.Incident.DrillBanner {
		t.Fatalf("no drill shown to visitors; status %q", s.status.Text)
	}
	const keptShown = "Visitors still read this message during the drill. A message published now is practice: " +
		"visitors read it below this one, under the drill banner, and it comes down when the drill ends."
	if _, _, says := panelMessages(s); says != keptShown {
		t.Errorf("panel says %q", says)
	}
	publishPractice := func() {
		t.Helper()
		s.message.SetText("Practising the runbook")
		test.Tap(s.publish)
		if _, ok := practiceMessage(t, f); !ok {
			t.Fatalf("no practice message; status %q", s.status.Text)
		}
	}
	publishPractice()
	if b, _ := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); b.Title != "Practice drill: our central system is treated as unavailable" ||
		b.Message != "Waits may be longer than usual.\nPractising the runbook" {
		t.Errorf("the lobby reads %q / %q, want both messages under the drill banner", b.Title, b.Message)
	}
	if _, _, says := panelMessages(s); says != "Visitors read both under the drill banner; the practice message comes down when the drill ends." {
		t.Errorf("panel says %q", says)
	}

	// The practice down: the lobby's stays.
	test.Tap(s.takeDownPractice)
	if _, ok := practiceMessage(t, f); ok {
		t.Fatal("practice still up after Take the practice down")
	}
	if m, ok := currentMessage(t, f); !ok || m.Text("en") != "Waits may be longer than usual." {
		t.Fatalf("the lobby's message after the practice came down: %+v (%v)", m, ok)
	}
	if l, p, says := panelMessages(s); l == "" || p != "" || says != keptShown || s.status.Text != "The practice message is down." {
		t.Errorf("panel after the practice came down: %q / %q / %q, status %q", l, p, says, s.status.Text)
	}
	tl, err := f.store.Timeline(f.ctx, f.ui.outage.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; last.Kind != queue.TimelineCleared || last.Actor != "Carmen" {
		t.Errorf("last timeline entry = %+v, want cleared by Carmen", last)
	}

	// The lobby's down: the practice stays.
	publishPractice()
	test.Tap(s.takeDown)
	if m, ok := currentMessage(t, f); ok {
		t.Fatalf("the lobby's message still up after Take the message down: %+v", m)
	}
	if _, ok := practiceMessage(t, f); !ok {
		t.Fatal("the practice came down with the lobby's message")
	}
	if b, _ := bannerFor(f.ui.outage, f.clock.Now(), "en", time.UTC); b.Message != "Practising the runbook" {
		t.Errorf("the lobby reads %q", b.Message)
	}
	if l, p, says := panelMessages(s); l != "" || s.upNowBox.Visible() || p == "" ||
		says != "Visitors read the practice message under the drill banner. It comes down when the drill ends." || s.status.Text != "The message is down." {
		t.Errorf("panel after the lobby's came down: %q / %q / %q, status %q", l, p, says, s.status.Text)
	}

	test.Tap(s.stopDrill)
	if _, ok := practiceMessage(t, f); ok {
		t.Fatal("practice outlived the drill")
	}
	if l, p, _ := panelMessages(s); l != "" || p != "" || s.upNow.Text != "No message from staff in the lobby." || !s.upNowBox.Visible() {
		t.Errorf("panel after the drill: %q / %q / %q", l, p, s.upNow.Text)
	}
}

// Issue (walk): with no incident the panel offered "Longer waits than
// usual", whose words said the systems were down. Templates about an
// outage are offered only while an incident is open; when it ends, they
// go, and a draft left as such a template left it goes with them.
func TestIncidentOffersOutageTemplatesOnlyDuringOne(t *testing.T) {
	f := newOutageFixture(t)
	f.unlock(t)
	s := openIncidentPanel(t, f)
	all := f.ui.cfg.Incident.Templates
	anytime := queue.TemplatesOffered(all, queue.AllWell)
	if len(anytime) == 0 || len(anytime) == len(all) {
		t.Fatalf("%d of %d templates are true with no incident: the test needs both kinds", len(anytime), len(all))
	}
	ids := func() (out []string) {
		for _, tpl := range s.tpls {
			out = append(out, tpl.ID)
		}
		return out
	}
	want := func(ts []queue.MessageTemplate) (out []string) {
		for _, tpl := range ts {
			out = append(out, tpl.ID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, want(anytime)) || len(s.templates) != len(anytime) {
		t.Errorf("with no incident the panel offers %v, want only %v", got, want(anytime))
	}
	note := "Messages about an outage are offered during an incident or a drill."
	if !strings.Contains(screenText(f.ui), note) {
		t.Errorf("the panel does not say why the other templates are missing:\n%s", screenText(f.ui))
	}

	f.startOutage(t)
	centreDown := queue.TemplatesOffered(all, queue.CentreDown)
	if got := ids(); !slices.Equal(got, want(centreDown)) || len(s.templates) != len(centreDown) || slices.Contains(got, "kiosk-problem") {
		t.Errorf("with the centre out of reach the panel offers %v, want %v", got, want(centreDown))
	}
	if strings.Contains(screenText(f.ui), note) {
		t.Error("during an incident the panel says outage templates are missing")
	}
	// The kiosk's own disk: the templates about the kiosk, not those
	// about the central system.
	o := f.probe(t)
	disk := o
	disk.Cause = outage.CauseDisk
	s.orderTemplates(disk)
	if got, wantIDs := ids(), want(queue.TemplatesOffered(all, queue.KioskProblem)); !slices.Equal(got, wantIDs) ||
		!slices.Contains(got, "kiosk-problem") || slices.Contains(got, "central-down") {
		t.Errorf("with the kiosk's disk full the panel offers %v, want %v", got, wantIDs)
	}
	s.orderTemplates(o)
	down := slices.IndexFunc(s.tpls, func(tpl queue.MessageTemplate) bool { return !tpl.Anytime })
	test.Tap(s.templates[down])
	f.up(t)
	f.advance(5 * time.Second)
	if o := f.probe(t); o.Incident != nil {
		t.Fatalf("the incident did not end: %+v", o)
	}
	if got := ids(); !slices.Equal(got, want(anytime)) {
		t.Errorf("after the incident the panel offers %v, want %v", got, want(anytime))
	}
	if s.message.Text != "" || !s.publish.Disabled() {
		t.Errorf("the draft of an outage template outlived the incident: %q (Publish enabled %v)", s.message.Text, !s.publish.Disabled())
	}
}
