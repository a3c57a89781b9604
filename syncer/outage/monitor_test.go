package outage_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/outage"
)

// switchable is a centre on a fixed loopback port that a test can stop
// (connections refused, as when its process is down) and start again.
type switchable struct {
	clock *clockwork.FakeClock // the whole test's: kiosk and centre agree on the time
	store centretest.Centre
	addr  string
	srv   *http.Server
	// probes counts the /healthz requests that reached the centre.
	probes atomic.Int64
}

func startSwitchable(t *testing.T) *switchable {
	t.Helper()
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	store := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), clock.Now)
	if err := store.AddSite(ctx, "north", "North Hospital"); err != nil {
		t.Fatal(err)
	}
	s := &switchable{clock: clock, store: store, addr: "127.0.0.1:0"}
	s.up(t)
	t.Cleanup(s.down)
	return s
}

func (s *switchable) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	api := centre.NewServer(s.store.Service, centre.ServerOptions{})
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			s.probes.Add(1)
		}
		api.ServeHTTP(w, r)
	})}
	go s.srv.Serve(ln)
}

func (s *switchable) down() { s.srv.Close() }

func (s *switchable) url() string { return "http://" + s.addr }

// mutationsAt counts the rows the centre holds for kiosk.
func (s *switchable) mutationsAt(t *testing.T, kiosk string) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM mutations WHERE kiosk_id = ?"
	if err := s.store.DB().QueryRow(q, kiosk).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lobby is a kiosk on a fake clock: store, syncer and outage monitor.
type lobby struct {
	clock *clockwork.FakeClock
	store *queue.Store
	sync  *syncer.Syncer
	mon   *outage.Monitor
	dir   string
	id    string
	token string
	stop  func() // stops the monitor watching the syncer
}

func newLobby(t *testing.T, c *switchable, id string) *lobby {
	t.Helper()
	token, err := c.store.Enroll(context.Background(), "north", id, "Kiosk "+id, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return openLobby(t, c, id, token, t.TempDir())
}

// openLobby opens kiosk id's store in dir, with its syncer and monitor,
// as the kiosk does when it starts.
func openLobby(t *testing.T, c *switchable, id, token, dir string) *lobby {
	t.Helper()
	ctx := context.Background()
	clock := c.clock
	store, err := queue.Open(ctx, filepath.Join(dir, id+".db"), queue.Options{
		KioskID:  id,
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
		Now:      clock.Now,
		Location: time.UTC,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client, err := syncer.NewClient(c.url(), "north", token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sy := syncer.New(store, client, syncer.Config{Clock: clock})
	mon := outage.NewMonitor(store, sy, client, outage.Config{DataDir: dir, Clock: clock,
		Policy: outage.Policy{Grace: time.Minute, MajorAfter: 10 * time.Minute}})
	stop := mon.Watch(ctx)
	t.Cleanup(stop)
	return &lobby{clock: clock, store: store, sync: sy, mon: mon, dir: dir, id: id, token: token, stop: stop}
}

// restart closes the kiosk's store and opens it again with a new syncer
// and monitor, which resumes what was open.
func (l *lobby) restart(t *testing.T, c *switchable) *lobby {
	t.Helper()
	l.stop()
	if err := l.store.Close(); err != nil {
		t.Fatal(err)
	}
	n := openLobby(t, c, l.id, l.token, l.dir)
	if err := n.mon.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func (l *lobby) probe(t *testing.T) outage.Outage {
	t.Helper()
	if err := l.mon.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l.mon.Outage()
}

func (l *lobby) checkIn(t *testing.T, name string) queue.Ticket {
	t.Helper()
	tk, err := l.store.CheckIn(context.Background(), queue.CheckInForm{Name: name, Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestOutageThroughARealCentre stops the centre, lets the grace period,
// the banner's updates and the escalation play out on a fake clock,
// starts the centre again and checks the incident ends, drains, and
// reaches the centre's list as a summary.
func TestOutageThroughARealCentre(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if o := l.probe(t); o.Cause != outage.CauseNone || o.Incident != nil || o.Banner() {
		t.Fatalf("all well: %+v", o)
	}

	c.down()
	l.clock.Advance(15 * time.Second) // the first probe that asks the centre (Policy.QuietProbe)
	down := l.clock.Now()
	o := l.probe(t)
	if o.Cause != outage.CauseUnreachable || o.Incident != nil || o.Banner() || o.Severity != queue.SeverityNone {
		t.Fatalf("a blip within the grace period: %+v", o)
	}
	l.checkIn(t, "Ana García")
	if err := l.sync.Sync(ctx); err == nil {
		t.Fatal("sync to a stopped centre worked")
	}
	l.clock.Advance(59 * time.Second)
	if o := l.probe(t); o.Incident != nil {
		t.Fatalf("an incident before the grace ran out: %+v", o.Incident)
	}
	l.clock.Advance(5 * time.Second) // a probe every 5 s: the banner is up within 5 s of the grace
	o = l.probe(t)
	if o.Incident == nil || !o.Banner() || o.Severity != queue.SeverityMinor || !o.Since.Equal(down) {
		t.Fatalf("after the grace: %+v", o)
	}
	opened := l.clock.Now()
	if !o.Updated.Equal(opened) {
		t.Fatalf("updated %s, want %s (the incident is news)", o.Updated, opened)
	}

	// No news: "updated" stays for five minutes, then is confirmed anew.
	l.clock.Advance(4 * time.Minute)
	if o := l.probe(t); !o.Updated.Equal(opened) {
		t.Fatalf("updated moved to %s with no news before 5 min", o.Updated)
	}
	l.clock.Advance(time.Minute)
	if o := l.probe(t); !o.Updated.Equal(l.clock.Now()) {
		t.Fatalf("updated %s after 5 min with no news, want now", o.Updated)
	}

	// Staff publish a message: news.
	l.clock.Advance(time.Minute)
	if _, err := l.store.PublishMessage(ctx, queue.LobbyMessage{Texts: map[string]string{"en": "Central system down; IT is on it."}, PublishedBy: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	if o := l.probe(t); o.Message == nil || !o.Updated.Equal(l.clock.Now()) {
		t.Fatalf("after a message: %+v", o)
	}

	// Ten minutes after it began, it is major.
	l.clock.Advance(10*time.Minute - l.clock.Now().Sub(down))
	o = l.probe(t)
	if o.Severity != queue.SeverityMajor {
		t.Fatalf("after 10 min: severity %s", o.Severity)
	}
	l.checkIn(t, "Bo Li")
	if err := l.mon.Sample(ctx); err != nil {
		t.Fatal(err)
	}

	// The centre comes back: the probe finds it, the next sync drains.
	c.up(t)
	l.clock.Advance(5 * time.Second)
	if o := l.probe(t); o.Incident == nil {
		t.Fatal("ended before a sync got through")
	}
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	o = l.mon.Outage()
	if o.Incident != nil || o.Recovered.IsZero() || !o.Banner() {
		t.Fatalf("back: %+v (the lobby should read \"back to normal\")", o)
	}
	l.clock.Advance(2 * time.Minute)
	if o := l.probe(t); o.Banner() || !o.Recovered.IsZero() {
		t.Fatalf("\"back to normal\" still up after 2 min: %+v", o)
	}

	incidents, err := l.store.Incidents(ctx, 10)
	if err != nil || len(incidents) != 1 {
		t.Fatalf("incidents %+v %v", incidents, err)
	}
	in := incidents[0]
	if in.Open() || in.DrainedAt.IsZero() || in.Peak != queue.SeverityMajor || !in.Start.Equal(down) {
		t.Fatalf("incident %+v", in)
	}
	jobs, err := jobs.Start(ctx, l.store, nil, jobs.Config{ReportDir: filepath.Join(l.dir, "reports"), Clock: l.clock, CloseDayOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop()
	if err := jobs.Reports(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"md", "csv", "html"} {
		b, err := os.ReadFile(filepath.Join(l.dir, "reports", "incident-1."+ext))
		if err != nil || !strings.Contains(string(b), "central system unreachable") {
			t.Fatalf("report .%s: %v\n%.300s", ext, err, b)
		}
	}
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := c.store.Incidents(ctx, "north", time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("the centre lists %+v %v", list, err)
	}
	if s := list[0].Summary; s.CheckIns != 2 || s.Peak != queue.SeverityMajor || s.Messages != 1 || s.Drill {
		t.Fatalf("summary at the centre %+v", s)
	}
	if n := c.mutationsAt(t, "lobby-1"); n != 3 {
		t.Fatalf("the centre holds %d mutations, want 3 (two check-ins, one incident)", n)
	}
}

// TestDrillLosesAndDuplicatesNothing runs a drill on a live kiosk: the
// outbox is held (nothing reaches the centre), staff see a drill, visitors
// see no banner unless asked, and afterwards every change arrives once.
func TestDrillLosesAndDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	l.checkIn(t, "Before Drill")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l.clock.Advance(time.Second)
	if _, err := l.mon.StartDrill(ctx, 15*time.Minute, false, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.mon.StartDrill(ctx, 15*time.Minute, false, "Carmen"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("a second drill: %v", err)
	}
	o := l.mon.Outage()
	if !o.Drill() || o.Banner() || o.Cause != outage.CauseDrill {
		t.Fatalf("drill: %+v", o)
	}
	names := []string{"Ana", "Bo", "Cy", "Di", "Ed"}
	for i, n := range names {
		l.checkIn(t, n)
		l.clock.Advance(time.Minute)
		if err := l.sync.Sync(ctx); !errors.Is(err, syncer.ErrHeld) {
			t.Fatalf("sync %d during the drill: %v", i, err)
		}
		l.probe(t)
	}
	if n := c.mutationsAt(t, "lobby-1"); n != 1 {
		t.Fatalf("the centre got %d mutations during the drill, want only the one from before", n)
	}
	o = l.mon.Outage()
	if o.Severity != queue.SeverityMinor || l.sync.Status().State != syncer.Offline || l.sync.Status().Backlog != len(names) {
		t.Fatalf("during the drill: outage %+v, sync %+v", o, l.sync.Status())
	}
	if _, err := l.store.PublishMessage(ctx, queue.LobbyMessage{Texts: map[string]string{"en": "Drill"}, PublishedBy: "Carmen"}); err != nil {
		t.Fatal(err)
	}
	if err := l.store.TickStep(ctx, o.Incident.ID, 0, "Announce in the lobby", "Carmen"); err != nil {
		t.Fatal(err)
	}

	l.clock.Advance(10 * time.Minute) // past the drill's end
	if o := l.probe(t); o.Incident != nil || o.Drill() || o.Banner() {
		t.Fatalf("the drill outlived its time, or visitors who never saw it are told \"back to normal\": %+v", o)
	}
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.sync.Sync(ctx); err != nil { // a replay changes nothing
		t.Fatal(err)
	}
	if n := c.mutationsAt(t, "lobby-1"); n != 1+len(names) {
		t.Fatalf("the centre holds %d mutations, want %d", n, 1+len(names))
	}
	if pending, _ := l.store.PendingOutbox(ctx, 100); len(pending) != 0 {
		t.Fatalf("%d left in the outbox", len(pending))
	}
	if o := l.probe(t); o.Incident != nil {
		t.Fatalf("a real incident opened after the drill: %+v", o.Incident)
	}
	in, err := l.store.Incidents(ctx, 10)
	if err != nil || len(in) != 1 || !in[0].Drill || in[0].DrainedAt.IsZero() {
		t.Fatalf("incidents %+v %v", in, err)
	}
	r, err := l.store.IncidentReport(ctx, in[0].ID, []string{"Announce in the lobby"})
	if err != nil {
		t.Fatal(err)
	}
	if r.CheckIns != len(names) || r.FirstSaid != 5*time.Minute || r.AllTicked != 5*time.Minute {
		t.Fatalf("drill report: check-ins %d, first message after %s, checklist after %s", r.CheckIns, r.FirstSaid, r.AllTicked)
	}
}

// TestDrillShorterThanTheGraceReachesTheCentre: a drill stopped before
// its severity rose on its own still ends as an incident with a summary
// the centre applies (minor, the least a drill is), the kiosk's report
// says when it was sent, and nothing is left needing attention.
func TestDrillShorterThanTheGraceReachesTheCentre(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.mon.StartDrill(ctx, 15*time.Minute, false, "Carmen"); err != nil {
		t.Fatal(err)
	}
	l.checkIn(t, "Ana García")
	l.clock.Advance(30 * time.Second)
	if o := l.probe(t); !o.Drill() || o.Incident.Severity != queue.SeverityNone {
		t.Fatalf("within the grace the drill rehearses it, severity none yet: %+v", o)
	}
	if err := l.mon.StopDrill(ctx, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	incidents, err := l.store.Incidents(ctx, 10)
	if err != nil || len(incidents) != 1 {
		t.Fatalf("incidents %+v %v", incidents, err)
	}
	if in := incidents[0]; !in.Drill || in.Open() || in.DrainedAt.IsZero() || in.Peak != queue.SeverityMinor {
		t.Fatalf("the drill after it ended and drained: %+v", in)
	}

	dir := filepath.Join(l.dir, "reports")
	j, err := jobs.Start(ctx, l.store, nil, jobs.Config{ReportDir: dir, Clock: l.clock, CloseDayOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Stop()
	if err := j.Reports(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := c.store.Incidents(ctx, "north", time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("the centre lists %+v %v", list, err)
	}
	if s := list[0].Summary; !s.Drill || s.Peak != queue.SeverityMinor || s.CheckIns != 1 {
		t.Fatalf("summary at the centre %+v", s)
	}
	rejected, err := l.store.RejectedOutbox(ctx, 10)
	if err != nil || len(rejected) != 0 || l.sync.Status().Rejected != 0 || l.sync.Status().Backlog != 0 {
		t.Fatalf("left needing attention: %+v %v; status %+v", rejected, err, l.sync.Status())
	}
	in, err := l.store.Incident(ctx, incidents[0].ID)
	if err != nil || in.ReportedAt.IsZero() {
		t.Fatalf("the kiosk's incident list does not say it was sent: %+v %v", in, err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "incident-1.md"))
	if err != nil {
		t.Fatal(err)
	}
	sent := "| Summary sent to the centre | " + in.ReportedAt.In(time.Local).Format("2006-01-02 15:04:05 MST") + " |"
	if !strings.Contains(string(md), sent) || !strings.Contains(string(md), "| Peak severity | minor (the least a drill is") {
		t.Fatalf("the report does not say %q and peak minor:\n%s", sent, md)
	}
}

// TestDrillResumesAfterRestart: a kiosk restarted mid-drill keeps holding.
func TestDrillResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if _, err := l.mon.StartDrill(ctx, 10*time.Minute, true, "Carmen"); err != nil {
		t.Fatal(err)
	}
	l.checkIn(t, "During Drill")
	// A new syncer (the kiosk restarted, or the CLI's sync) holds from its
	// very first attempt, before any monitor has told it of the drill.
	token, err := c.store.Enroll(ctx, "north", "lobby-1", "Kiosk lobby-1 again", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := syncer.NewClient(c.url(), "north", token, nil)
	again := syncer.New(l.store, client, syncer.Config{Clock: l.clock})
	if err := again.Sync(ctx); !errors.Is(err, syncer.ErrHeld) {
		t.Fatalf("sync after a restart mid-drill: %v", err)
	}
	if n := c.mutationsAt(t, "lobby-1"); n != 0 {
		t.Fatalf("a restarted syncer sent %d held changes", n)
	}
	mon := outage.NewMonitor(l.store, again, client, outage.Config{Clock: l.clock})
	if err := mon.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if o := mon.Outage(); !o.Drill() {
		t.Fatalf("after restart: %+v", o)
	}
}

// TestLocalProblemsAreCritical: a nearly full disk is the kiosk's own
// problem, critical once it outlasts the grace period, whatever the centre.
func TestLocalProblemsAreCritical(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	client, _ := syncer.NewClient(c.url(), "north", "unused", nil)
	mon := outage.NewMonitor(l.store, l.sync, client, outage.Config{DataDir: l.dir, Clock: l.clock,
		Policy: outage.Policy{DiskMin: 1 << 62}}) // more than any disk has free
	if err := mon.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	if o := mon.Outage(); o.Cause != outage.CauseDisk || o.Incident != nil {
		t.Fatalf("within the grace: %+v", o)
	}
	l.clock.Advance(time.Minute)
	if err := mon.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	o := mon.Outage()
	if o.Cause != outage.CauseDisk || o.Severity != queue.SeverityCritical || o.Incident == nil || o.Incident.Cause != "kiosk disk nearly full" {
		t.Fatalf("a full disk: %+v", o)
	}
}

// TestAFailingDatabaseStillReachesTheLobby: when the kiosk's database
// cannot be used, no incident can be recorded, and the lobby is told all
// the same (check-in may not work: ask at reception).
func TestAFailingDatabaseStillReachesTheLobby(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l.probe(t)
	if err := l.store.Close(); err != nil { // as good as a dead disk
		t.Fatal(err)
	}
	if err := l.mon.Sample(ctx); err == nil {
		t.Fatal("no error from a closed database")
	}
	l.clock.Advance(time.Minute)
	if err := l.mon.Probe(ctx); err == nil {
		t.Fatal("no error from a closed database")
	}
	o := l.mon.Outage()
	if o.Cause != outage.CauseDatabase || o.Severity != queue.SeverityCritical || !o.Banner() {
		t.Fatalf("the lobby is not told: %+v", o)
	}
}

// While all is well a probe asks the centre only when nothing was heard
// from it for QuietProbe (15 s): a sync that succeeded says as much. Once
// anything is wrong every probe asks, so the centre's return is seen
// within one probe.
func TestProbesAskTheCentreOnlyWhenTheyTellSomethingNew(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	asked := func(want int64, when string) {
		t.Helper()
		if got := c.probes.Swap(0); got != want {
			t.Fatalf("%s: %d probes reached the centre; want %d", when, got, want)
		}
	}
	for range 2 { // 0 s and 5 s after the sync
		l.probe(t)
		l.clock.Advance(5 * time.Second)
	}
	asked(0, "within 15 s of a sync")
	l.probe(t) // 10 s
	l.clock.Advance(5 * time.Second)
	l.probe(t) // 15 s
	asked(1, "15 s after the sync")
	l.clock.Advance(5 * time.Second)
	l.probe(t)
	asked(0, "5 s after a probe")

	// A sync that fails: something is wrong, and every probe asks.
	c.down()
	if err := l.sync.Sync(ctx); err == nil {
		t.Fatal("sync to a stopped centre worked")
	}
	c.up(t)
	c.down()
	for range 3 {
		l.clock.Advance(5 * time.Second)
		if o := l.probe(t); o.Cause != outage.CauseUnreachable {
			t.Fatalf("centre down: %+v", o)
		}
	}
	c.up(t)
	c.probes.Store(0)
	l.clock.Advance(5 * time.Second)
	if o := l.probe(t); o.Cause != outage.CauseUnreachable {
		// The probe found it; the syncer, offline still, decides.
		t.Logf("outage after the centre returned: %+v", o)
	}
	asked(1, "the centre returned while the syncer was offline")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l.clock.Advance(5 * time.Second)
	if o := l.probe(t); o.Cause != outage.CauseNone {
		t.Fatalf("after a good sync: %+v", o)
	}
	asked(0, "5 s after a good sync")
}

// A new version of the site's configuration changes the thresholds of an
// outage under way from the next evaluation: the incident escalates by
// the new major_after.
func TestThresholdsChangeDuringAnOutage(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c.down()
	l.clock.Advance(15 * time.Second)
	l.probe(t)
	l.clock.Advance(3 * time.Minute)
	if o := l.probe(t); o.Incident == nil || o.Severity != queue.SeverityMinor {
		t.Fatalf("3 min into the outage with major after 10 min: %+v", o)
	}
	l.mon.SetPolicy(outage.Policy{Grace: time.Minute, MajorAfter: 2 * time.Minute})
	l.clock.Advance(5 * time.Second)
	if o := l.probe(t); o.Severity != queue.SeverityMajor {
		t.Fatalf("after major_after became 2 min: severity %s, want major", o.Severity)
	}
}

// TestDrillKeepsTheLobbyMessage: the lobby's message put up before a
// drill stays the lobby's through it, beside the practice message staff
// publish during it, across a restart of the kiosk, and after the drill
// ends by its time or by staff, when only the practice comes down.
func TestDrillKeepsTheLobbyMessage(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	publish := func(text string) queue.LobbyMessage {
		t.Helper()
		m, err := l.store.PublishMessage(ctx, queue.LobbyMessage{Texts: map[string]string{"en": text}, PublishedBy: "Carmen"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	text := func(m *queue.LobbyMessage) string {
		if m == nil {
			return ""
		}
		return m.Text("en")
	}
	const notice = "Waits may be longer than usual."
	publish(notice)
	if o := l.probe(t); text(o.Message) != notice || o.Practice != nil {
		t.Fatalf("before the drill: message %q, practice %q", text(o.Message), text(o.Practice))
	}

	for _, end := range []string{"time", "staff"} {
		l.clock.Advance(time.Minute)
		if _, err := l.mon.StartDrill(ctx, 15*time.Minute, false, "Carmen"); err != nil {
			t.Fatal(err)
		}
		publish("Practising: IT is on it.")
		if o := l.probe(t); !o.Drill() || text(o.Message) != notice || text(o.Practice) != "Practising: IT is on it." || !o.Practice.Practice {
			t.Fatalf("during the drill: %+v, message %q, practice %q", o.Incident, text(o.Message), text(o.Practice))
		}

		l = l.restart(t, c)
		if o := l.probe(t); !o.Drill() || text(o.Message) != notice || text(o.Practice) != "Practising: IT is on it." {
			t.Fatalf("after a restart during the drill: %+v, message %q, practice %q", o.Incident, text(o.Message), text(o.Practice))
		}

		switch end {
		case "time":
			l.clock.Advance(15 * time.Minute)
		case "staff":
			l.clock.Advance(time.Minute)
			if err := l.mon.StopDrill(ctx, "Carmen"); err != nil {
				t.Fatal(err)
			}
		}
		if o := l.probe(t); o.Drill() || text(o.Message) != notice || o.Practice != nil {
			t.Fatalf("after the drill ended by %s: %+v, message %q, practice %q", end, o.Incident, text(o.Message), text(o.Practice))
		}
	}
}
