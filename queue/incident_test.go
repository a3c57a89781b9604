package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

var runbook = []string{"Announce in the lobby", "Call IT on extension 4410", "Start the paper log"}

// TestIncidentLifecycle walks one outage through the store: it opens,
// escalates, staff publish and tick, it ends, drains, and its report and
// summary carry what happened.
func TestIncidentLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"})
	before := mustCheckIn(t, s, "Early Bird", "registration") // before the outage: not in its report

	c.Advance(time.Second)
	start := c.Now()
	c.Advance(time.Minute) // the grace period
	in, created, err := s.OpenIncident(ctx, "central unreachable", queue.SeverityMinor, start)
	if err != nil || !created || !in.Open() || in.Start != start {
		t.Fatalf("open: %+v %v %v", in, created, err)
	}
	if again, created, err := s.OpenIncident(ctx, "other", queue.SeverityMajor, c.Now()); err != nil || created || again.ID != in.ID {
		t.Fatalf("a second open made %+v %v %v", again, created, err)
	}
	if _, err := s.StartDrill(ctx, 10*time.Minute, true, "Carmen"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("a drill during an outage: %v", err)
	}

	a := mustCheckIn(t, s, "Ana García", "registration")
	b := mustCheckIn(t, s, "Bo Li", "registration")
	c.Advance(2 * time.Minute)
	if _, err := s.PublishMessage(ctx, queue.LobbyMessage{Template: "central-down", Severity: queue.SeverityMinor,
		Texts: map[string]string{"en": "Our central system is down.", "es": "Nuestro sistema central no funciona."}, PublishedBy: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExpectedBack(ctx, in.ID, c.Now().Add(-time.Minute), "Carmen"); queue.ErrorCode(err) != queue.EInvalid {
		t.Fatalf("an expected time in the past: %v", err)
	}
	if err := s.SetExpectedBack(ctx, in.ID, c.Now().Add(30*time.Minute), "Carmen"); err != nil {
		t.Fatal(err)
	}
	if err := s.TickStep(ctx, in.ID, 0, runbook[0], "Carmen"); err != nil {
		t.Fatal(err)
	}
	if err := s.TickStep(ctx, in.ID, 0, runbook[0], "Dev"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("ticking twice: %v", err)
	}
	c.Advance(10 * time.Minute)
	if err := s.SetSeverity(ctx, in.ID, queue.SeverityMajor, "central unreachable"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSample(ctx, in.ID, queue.Sample{At: c.Now(), Waiting: 3, Backlog: 7}); err != nil {
		t.Fatal(err)
	}
	called := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"})
	if called.ID != before.Visit.ID {
		t.Fatalf("called %s first", called.Ticket)
	}
	c.Advance(4 * time.Minute)
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"}) // Ana, after 16 min
	if err := s.RecordFeedback(ctx, in.ID, a.Visit.ID, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFeedback(ctx, in.ID, b.Visit.ID, 9); queue.ErrorCode(err) != queue.EInvalid {
		t.Fatalf("a score of 9: %v", err)
	}
	for i := 1; i < len(runbook); i++ {
		if err := s.TickStep(ctx, in.ID, i, runbook[i], "Dev"); err != nil {
			t.Fatal(err)
		}
	}
	if sent, err := s.ReportIncident(ctx, in.ID, runbook); err != nil || sent {
		t.Fatalf("reported while open: %v %v", sent, err)
	}

	c.Advance(time.Minute)
	end := c.Now()
	if err := s.EndIncident(ctx, in.ID, end, "the centre answered"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CurrentMessage(ctx); ok {
		t.Fatal("the incident's message stayed up after it ended")
	}
	if err := s.SetExpectedBack(ctx, in.ID, c.Now().Add(time.Hour), "Carmen"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("an expected time for an incident that is over: %v", err)
	}
	c.Advance(90 * time.Second)
	if n, err := s.MarkDrained(ctx, c.Now()); err != nil || n != 1 {
		t.Fatalf("marked %d drained: %v", n, err)
	}
	if n, _ := s.MarkDrained(ctx, c.Now()); n != 0 {
		t.Fatalf("marked drained twice")
	}
	if err := s.EndIncident(ctx, in.ID, c.Now(), "again"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("ending an incident twice: %v", err)
	}

	r, err := s.IncidentReport(ctx, in.ID, runbook)
	if err != nil {
		t.Fatal(err)
	}
	if r.CheckIns != 2 || r.Duration != end.Sub(start) || r.DrainTime != 90*time.Second || r.PeakWaiting != 3 {
		t.Fatalf("report figures: check-ins %d, duration %s, drain %s, peak %d", r.CheckIns, r.Duration, r.DrainTime, r.PeakWaiting)
	}
	if r.Incident.Peak != queue.SeverityMajor || r.Incident.Severity != queue.SeverityMajor {
		t.Fatalf("severity %s, peak %s", r.Incident.Severity, r.Incident.Peak)
	}
	// Ana was called 16 min after checking in; Bo still waits (17 min).
	if len(r.Waits) != 2 || r.Waits[0].Wait != 16*time.Minute || r.Waits[0].Waiting || !r.Waits[1].Waiting {
		t.Fatalf("waits %+v", r.Waits)
	}
	if r.Waits[0].Estimate <= 0 || r.LongestWait < 17*time.Minute {
		t.Fatalf("estimate %s, longest %s", r.Waits[0].Estimate, r.LongestWait)
	}
	if mae, _, n := r.EstimateError(); n != 1 || mae != absDur(16*time.Minute-r.Waits[0].Estimate) {
		t.Fatalf("estimate error %s over %d", mae, n)
	}
	if r.FirstSaid != 3*time.Minute || r.AllTicked != 17*time.Minute {
		t.Fatalf("response times: first message %s, checklist %s", r.FirstSaid, r.AllTicked)
	}
	if len(r.Feedback) != 1 || r.Feedback[0] != 4 {
		t.Fatalf("feedback %v", r.Feedback)
	}
	kinds := []string{}
	for _, e := range r.Timeline {
		kinds = append(kinds, e.Kind)
	}
	want := "severity message expected step severity step step end drained"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}

	sent, err := s.ReportIncident(ctx, in.ID, runbook)
	if err != nil || !sent {
		t.Fatalf("report: %v %v", sent, err)
	}
	if sent, err := s.ReportIncident(ctx, in.ID, runbook); err != nil || sent {
		t.Fatalf("reported twice: %v %v", sent, err)
	}
	pending, err := s.PendingOutbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := pending[len(pending)-1]
	var m queue.Mutation
	if err := json.Unmarshal([]byte(last.Payload), &m); err != nil || m.Kind != queue.KindIncident || m.Incident == nil {
		t.Fatalf("last outbox row %s: %v", last.Payload, err)
	}
	if sum := *m.Incident; sum.ID != in.ID || sum.CheckIns != 2 || sum.StepsDone != 3 || sum.StepsTotal != 3 || sum.Messages != 1 ||
		sum.Peak != queue.SeverityMajor || sum.Feedback != 1 || sum.DrainTime != 90*time.Second {
		t.Fatalf("summary %+v", sum)
	}
	if strings.Contains(string(last.Payload), "Ana") {
		t.Fatalf("the summary carries a visitor's name: %s", last.Payload)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func TestDrillValidation(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	for _, d := range []time.Duration{0, 30 * time.Second, 9 * time.Hour} {
		if _, err := s.StartDrill(ctx, d, true, "Carmen"); queue.ErrorCode(err) != queue.EInvalid {
			t.Fatalf("a drill of %s: %v", d, err)
		}
	}
	in, err := s.StartDrill(ctx, 15*time.Minute, false, "Carmen")
	if err != nil || !in.Drill || in.DrillBanner || in.DrillUntil.Sub(in.Start) != 15*time.Minute {
		t.Fatalf("drill %+v %v", in, err)
	}
	cur, ok, err := s.CurrentIncident(ctx)
	if err != nil || !ok || cur.ID != in.ID || !cur.Drill {
		t.Fatalf("current %+v %v %v", cur, ok, err)
	}
	if _, err := s.StartDrill(ctx, 15*time.Minute, false, "Carmen"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("two drills at once: %v", err)
	}

	// Stopped before the grace period was over, its severity never rose:
	// it still ends, and is reported, as a minor incident.
	if err := s.EndIncident(ctx, in.ID, in.Start.Add(30*time.Second), "stopped by Carmen"); err != nil {
		t.Fatal(err)
	}
	ended, err := s.Incident(ctx, in.ID)
	if err != nil || ended.Peak != queue.DrillPeak || ended.Severity != queue.SeverityNone {
		t.Fatalf("ended drill %+v %v: want peak %s, severity none", ended, err, queue.DrillPeak)
	}
	r, err := s.IncidentReport(ctx, in.ID, nil)
	if err != nil || r.Summary().Peak != queue.SeverityMinor {
		t.Fatalf("summary %+v %v", r.Summary(), err)
	}
}

func TestLobbyMessageValidation(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	bad := []map[string]string{
		nil,
		{"en": "   "},
		{"en": strings.Repeat("x", queue.MaxMessageLength+1)},
		{"en": "ok", "es": "bad\x1b[31m"},
	}
	for _, texts := range bad {
		if _, err := s.PublishMessage(ctx, queue.LobbyMessage{Texts: texts, PublishedBy: "Carmen"}); queue.ErrorCode(err) != queue.EInvalid {
			t.Fatalf("published %q: %v", texts, err)
		}
	}
	m, err := s.PublishMessage(ctx, queue.LobbyMessage{Texts: map[string]string{"es": " Línea 1\nLínea 2 "}, PublishedBy: "Carmen"})
	if err != nil || m.Incident != 0 {
		t.Fatalf("publish without an incident: %+v %v", m, err)
	}
	got, ok, err := s.CurrentMessage(ctx)
	if err != nil || !ok || got.Text("en") != "Línea 1\nLínea 2" {
		t.Fatalf("current %+v %v %v (a missing language falls back to the one there is)", got, ok, err)
	}
	if err := s.ClearMessage(ctx, m.ID, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CurrentMessage(ctx); ok {
		t.Fatal("cleared message still up")
	}
	if err := s.ClearMessage(ctx, m.ID, "Carmen"); err != nil {
		t.Fatalf("taking down a message already down: %v", err)
	}
}

// messages returns the lobby's message and the drill's practice message,
// "" for one not up.
func messages(t *testing.T, s *queue.Store) (lobby, practice string) {
	t.Helper()
	m, ok, err := s.CurrentMessage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if m.Practice {
			t.Errorf("the lobby's message %+v is marked practice", m)
		}
		lobby = m.Text("en")
	}
	p, ok, err := s.PracticeMessage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if !p.Practice || p.Incident == 0 {
			t.Errorf("practice message %+v is not marked practice of the drill", p)
		}
		practice = p.Text("en")
	}
	return lobby, practice
}

// TestDrillKeepsTheLobbyMessage: a message published during a drill is
// practice, kept apart from the lobby's message: it replaces only the
// drill's earlier practice, survives a restart beside the lobby's, comes
// down alone when the drill ends, and each is taken down on its own.
func TestDrillKeepsTheLobbyMessage(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	publish := func(text string) queue.LobbyMessage {
		t.Helper()
		m, err := s.PublishMessage(ctx, queue.LobbyMessage{Texts: map[string]string{"en": text}, PublishedBy: "Carmen"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const notice = "Waits may be longer than usual."
	if m := publish(notice); m.Practice {
		t.Fatalf("a message outside a drill is practice: %+v", m)
	}

	for _, stop := range []string{"staff", "time"} {
		c.Advance(time.Minute)
		in, err := s.StartDrill(ctx, 15*time.Minute, false, "Carmen")
		if err != nil {
			t.Fatal(err)
		}
		if m := publish("Practice one"); !m.Practice || m.Incident != in.ID {
			t.Fatalf("published during the drill: %+v", m)
		}
		p := publish("Practice two") // replaces the first practice, not the lobby's
		if l, pr := messages(t, s); l != notice || pr != "Practice two" {
			t.Fatalf("during the drill (%s): lobby %q, practice %q", stop, l, pr)
		}

		// A restart keeps both.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = mustOpenStore(t, path, c)
		if l, pr := messages(t, s); l != notice || pr != "Practice two" {
			t.Fatalf("after a restart during the drill: lobby %q, practice %q", l, pr)
		}
		if stop == "time" {
			// Taking the practice down leaves the lobby's up; a new
			// practice message can follow.
			if err := s.ClearMessage(ctx, p.ID, "Carmen"); err != nil {
				t.Fatal(err)
			}
			if l, pr := messages(t, s); l != notice || pr != "" {
				t.Fatalf("after taking the practice down: lobby %q, practice %q", l, pr)
			}
			publish("Practice three")
		}

		c.Advance(5 * time.Minute)
		if err := s.EndIncident(ctx, in.ID, c.Now(), "drill over ("+stop+")"); err != nil {
			t.Fatal(err)
		}
		if l, pr := messages(t, s); l != notice || pr != "" {
			t.Fatalf("after the drill ended by %s: lobby %q, practice %q", stop, l, pr)
		}
		tl, err := s.Timeline(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		published := 0
		for _, e := range tl {
			if e.Kind == queue.TimelineMessage {
				published++
			}
		}
		if want := map[string]int{"staff": 2, "time": 3}[stop]; published != want {
			t.Errorf("the drill's timeline notes %d messages, want %d: %+v", published, want, tl)
		}
	}

	// Taking the lobby's message down during a drill leaves the practice
	// one, and the lobby has none after the drill.
	in, err := s.StartDrill(ctx, 15*time.Minute, true, "Carmen")
	if err != nil {
		t.Fatal(err)
	}
	publish("Practice four")
	lobby, ok, err := s.CurrentMessage(ctx)
	if err != nil || !ok {
		t.Fatalf("lobby message %v %v", ok, err)
	}
	if err := s.ClearMessage(ctx, lobby.ID, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if l, pr := messages(t, s); l != "" || pr != "Practice four" {
		t.Fatalf("after taking the lobby's down: lobby %q, practice %q", l, pr)
	}
	if err := s.EndIncident(ctx, in.ID, c.Now(), "drill over"); err != nil {
		t.Fatal(err)
	}
	if l, pr := messages(t, s); l != "" || pr != "" {
		t.Fatalf("after the last drill: lobby %q, practice %q", l, pr)
	}

	// Outside a drill, publishing replaces the lobby's message, as ever.
	publish("First")
	publish("Second")
	if l, _ := messages(t, s); l != "Second" {
		t.Fatalf("lobby %q, want the newer", l)
	}
}

func TestCheckOutAndRoster(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"})
	ana := mustCheckIn(t, s, "Ana García", "registration")
	bo := mustCheckIn(t, s, "=HYPERLINK(\"x\")", "visit")
	cy := mustCheckIn(t, s, "Cy", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"})
	mustApply(t, s, queue.Command{Action: queue.ActServe, Visit: ana.Visit.ID, Staff: "Carmen"})

	for _, bad := range []string{"", "R-999", "not a ticket", "lobby-1.1.forged"} {
		if _, err := s.CheckOut(ctx, bad, queue.SourceKiosk); err == nil || queue.ErrorCode(err) == queue.EInternal {
			t.Fatalf("checked out %q: %v", bad, err)
		}
	}
	// Typed loosely, as visitors do: lower case, no dash, no zeros.
	v, err := s.CheckOut(ctx, " r1 ", queue.SourceKiosk)
	if err != nil || v.ID != ana.Visit.ID || v.LeftAt.IsZero() || v.Status != queue.StatusServed {
		t.Fatalf("check out r1: %+v %v", v, err)
	}
	if _, err := s.CheckOut(ctx, ana.Visit.Ticket, queue.SourceKiosk); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("checking out twice: %v", err)
	}
	// From the QR code, while still in line: the ticket leaves the line too.
	v, err = s.CheckOut(ctx, cy.Ref, queue.SourceKiosk)
	if err != nil || v.Status != queue.StatusCancelled {
		t.Fatalf("check out by QR: %+v %v", v, err)
	}
	if b, _ := s.Board(ctx); b.WaitingCount() != 1 {
		t.Fatalf("a visitor who left is still in line: %+v", b.Lines)
	}
	roster, err := s.Roster(ctx)
	if err != nil || len(roster) != 1 || roster[0].ID != bo.Visit.ID {
		t.Fatalf("roster %+v %v", roster, err)
	}
	var out strings.Builder
	if err := queue.WriteRosterCSV(&out, roster, nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `'=HYPERLINK`) {
		t.Fatalf("a formula-like name went into the CSV as is:\n%s", out.String())
	}
	var day strings.Builder
	if err := s.ExportDay(ctx, bo.Visit.Day, &day); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(day.String(), `'=HYPERLINK`) {
		t.Fatalf("the day's export lets a formula through:\n%s", day.String())
	}
	if _, err := s.CheckOutVisit(ctx, bo.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	if roster, _ := s.Roster(ctx); len(roster) != 0 {
		t.Fatalf("roster after everyone left: %+v", roster)
	}
}

func TestCloseDay(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Dev"})
	mustCheckIn(t, s, "Ana", "registration")
	mustCheckIn(t, s, "Bo", "registration")
	left := mustCheckIn(t, s, "Cy", "pharmacy")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"}) // Ana at desk 1
	if _, err := s.CheckOutVisit(ctx, left.Visit.ID, "Dev", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Backlog(ctx)
	res, err := s.CloseDay(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.OnSite != 2 || res.Expired != 2 || res.CheckedOut != 2 || res.DesksShut != 2 || res.Snapshot == 0 {
		t.Fatalf("close %+v", res)
	}
	b, _ := s.Board(ctx)
	if b.WaitingCount() != 0 {
		t.Fatalf("waiting after close: %+v", b.Lines)
	}
	for _, d := range b.Desks {
		if d.Open || d.Serving != nil {
			t.Fatalf("desk after close: %+v", d)
		}
	}
	if roster, _ := s.Roster(ctx); len(roster) != 0 {
		t.Fatalf("roster after close: %+v", roster)
	}
	after, _ := s.Backlog(ctx)
	if after.Pending-before.Pending != 4 { // two check-outs, two desks closed
		t.Fatalf("close wrote %d outbox rows, want 4", after.Pending-before.Pending)
	}
	if again, err := s.CloseDay(ctx); err != nil || again.OnSite != 0 || again.DesksShut != 0 {
		t.Fatalf("a second close %+v %v", again, err)
	}
}

func TestPurgeKeepsStatisticsAndUnsentChanges(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"})
	old := mustCheckIn(t, s, "Old Visitor", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"})
	mustApply(t, s, queue.Command{Action: queue.ActServe, Visit: old.Visit.ID, Staff: "Carmen"})
	stillHere := mustCheckIn(t, s, "Long Stay", "visit")
	// The old visit's rows reached the centre; Long Stay's did not.
	pending, _ := s.PendingOutbox(ctx, 100)
	var settle []queue.Settlement
	for _, e := range pending {
		if !strings.Contains(string(e.Payload), "Long Stay") {
			settle = append(settle, queue.Settlement{Seq: e.Seq})
		}
	}
	if err := s.SettleOutbox(ctx, settle); err != nil {
		t.Fatal(err)
	}
	c.Advance(31 * 24 * time.Hour)
	fresh := mustCheckIn(t, s, "New Visitor", "registration")

	p, err := s.Purge(ctx, c.Now().Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p.Visits != 1 {
		t.Fatalf("purged %+v: only the old, finished visit qualifies", p)
	}
	v, _ := s.Visit(ctx, old.Visit.ID)
	if v.Name != "" || v.Ticket != old.Visit.Ticket || v.Status != queue.StatusServed || v.CalledAt.IsZero() {
		t.Fatalf("purged visit %+v: the name goes, the statistics stay", v)
	}
	for _, id := range []int64{stillHere.Visit.ID, fresh.Visit.ID} {
		if v, _ := s.Visit(ctx, id); v.Name == "" {
			t.Fatalf("visit %d lost its name: it is still in the building or recent", id)
		}
	}
	pending, _ = s.PendingOutbox(ctx, 100)
	unsent := false
	for _, e := range pending {
		unsent = unsent || strings.Contains(string(e.Payload), "Long Stay")
	}
	if !unsent {
		t.Fatal("the purge erased a change the centre has not received")
	}
	var export strings.Builder
	if err := s.ExportDay(ctx, old.Visit.Day, &export); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(export.String(), "Old Visitor") {
		t.Fatalf("the old name is still exported:\n%s", export.String())
	}
	if again, _ := s.Purge(ctx, c.Now().Add(-30*24*time.Hour)); again.Visits != 0 || again.Outbox != 0 {
		t.Fatalf("a second purge changed %+v", again)
	}
}

// TestPurgeErasesTheCentresCopiesToo: other kiosks' visits and the
// centre's alerts name visitors; they go too, and an alert pulled again
// after the purge does not bring the name back.
func TestPurgeErasesTheCentresCopiesToo(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	tk := mustCheckIn(t, s, "Marta Ruiz", "registration")
	kiosk, epoch := s.Identity()
	alert := queue.Alert{Kind: queue.AlertWatch, Kiosk: kiosk, Epoch: epoch, Visit: tk.Visit.ID, Ticket: tk.Visit.Ticket,
		Message: "Marta Ruiz matches the watch-list", At: c.Now()}
	other := queue.SiteVisit{Kiosk: "lobby-2", Visit: queue.Visit{ID: 9, Ticket: "R-009", Name: "Other Person", CheckedInAt: c.Now().In(time.FixedZone("x", 3600))}}
	page := queue.PullPage{Cursor: 2, Records: []queue.RemoteRecord{
		remote(t, queue.EntityAlert, "a1", 1, alert), remote(t, queue.EntityVisit, "lobby-2/9", 2, other)}}
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckOutVisit(ctx, tk.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	c.Advance(31 * 24 * time.Hour)
	p, err := s.Purge(ctx, c.Now().Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p.Remote != 2 || p.Alerts != 1 || p.Visits != 1 {
		t.Fatalf("purged %+v", p)
	}
	for _, e := range []string{queue.EntityAlert, queue.EntityVisit} {
		if recs, _ := s.Remote(ctx, e); len(recs) != 0 {
			t.Fatalf("%s copies left: %d", e, len(recs))
		}
	}
	// The centre sends the alert again (a snapshot): the name stays gone.
	page.Cursor, page.Records = 3, page.Records[:1]
	page.Records[0].Version = 3
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	alerts, _ := s.Alerts(ctx, false)
	if len(alerts) != 1 || alerts[0].Message != queue.PurgedText {
		t.Fatalf("alerts after a pull: %+v", alerts)
	}
}

// settleAll answers every pending change as the centre would, now.
func settleAll(tb testing.TB, s *queue.Store) {
	tb.Helper()
	ctx := context.Background()
	pending, err := s.PendingOutbox(ctx, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	answers := make([]queue.Settlement, len(pending))
	for i, e := range pending {
		answers[i] = queue.Settlement{Seq: e.Seq}
	}
	if err := s.SettleOutbox(ctx, answers); err != nil {
		tb.Fatal(err)
	}
}

// sample records the line and the backlog as the outage monitor does.
func sample(tb testing.TB, s *queue.Store, id int64, at time.Time) queue.Sample {
	tb.Helper()
	ctx := context.Background()
	waiting, err := s.Waiting(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := s.Backlog(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	smp := queue.Sample{At: at, Waiting: waiting, Backlog: b.Pending}
	if err := s.AddSample(ctx, id, smp); err != nil {
		tb.Fatal(err)
	}
	return smp
}

// TestReportFiguresAreExact: the longest line, the largest backlog and the
// longest wait come from the events log and the outbox, not from the
// samples a minute apart. Between two samples that see one visitor and
// none, seven wait at once and are called; a transfer after the call does
// not lengthen a wait.
func TestReportFiguresAreExact(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen"})
	mustCheckIn(t, s, "Early Bird", "registration") // in line when it starts
	settleAll(t, s)

	c.Advance(time.Second)
	start := c.Now()
	in, _, err := s.OpenIncident(ctx, "central unreachable", queue.SeverityMinor, start)
	if err != nil {
		t.Fatal(err)
	}
	if smp := sample(t, s, in.ID, start); smp.Waiting != 1 || smp.Backlog != 0 {
		t.Fatalf("first sample %+v", smp)
	}
	var tickets []queue.Ticket
	for i := range 6 {
		c.Advance(5 * time.Second)
		tickets = append(tickets, mustCheckIn(t, s, fmt.Sprintf("Visitor %d", i), "registration"))
	}
	settleAll(t, s) // a sync got through: the backlog was 6, now 0
	for range 7 {   // then seven calls: 1 + 6 × 2 changes (serve and call)
		c.Advance(time.Second)
		mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Carmen"})
	}
	last := tickets[5].Visit.ID // checked in at +30 s, called at +37 s
	mustApply(t, s, queue.Command{Action: queue.ActTransfer, Visit: last, Service: "pharmacy", Staff: "Carmen"})
	c.Advance(start.Add(time.Minute).Sub(c.Now()))
	if smp := sample(t, s, in.ID, c.Now()); smp.Waiting != 1 || smp.Backlog != 14 {
		t.Fatalf("second sample %+v", smp)
	}
	c.Advance(9 * time.Minute)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Dev"})
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Dev"}) // called again after 9 min 30 s
	if err := s.EndIncident(ctx, in.ID, c.Now(), "the problem is over"); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	settleAll(t, s)
	if _, err := s.MarkDrained(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}

	r, err := s.IncidentReport(ctx, in.ID, runbook)
	if err != nil {
		t.Fatal(err)
	}
	// The line: Early Bird and six more. The backlog: 13 from the calls,
	// the transfer, the desk opened and the last call, 16 (the six
	// check-ins were sent before). The longest wait: Visitor 0, in at +5 s, called
	// at +32 s.
	if r.PeakWaiting != 7 || r.PeakBacklog != 16 || r.LongestWait != 27*time.Second || r.CheckIns != 6 {
		t.Fatalf("longest line %d (want 7), largest backlog %d (want 16), longest wait %s (want 27s), check-ins %d (want 6)",
			r.PeakWaiting, r.PeakBacklog, r.LongestWait, r.CheckIns)
	}
	if s := r.Summary(); s.PeakWaiting != 7 || s.LongestWait != 27*time.Second {
		t.Fatalf("summary %+v", s)
	}
}
