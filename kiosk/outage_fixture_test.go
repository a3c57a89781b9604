package kiosk

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/outage"
)

// outageFixture is a fixture whose kiosk has a real syncer and outage
// monitor, talking to a real centre on loopback that the test stops and
// starts. One fake time runs the store, the UI, the syncer, the monitor
// and the centre; advance moves it.
type outageFixture struct {
	*fixture
	fake    *clockwork.FakeClock
	sync    *syncer.Syncer
	mon     *outage.Monitor
	central centretest.Centre
	addr    string
	srv     *http.Server
}

var testRunbook = []string{"Announce in the lobby", "Call IT on extension 4410", "Start the paper log"}

func newOutageFixture(t *testing.T, change ...func(*Config)) *outageFixture {
	t.Helper()
	templates, err := queue.ParseTemplates(assets.Templates, []string{"en", "es"})
	if err != nil {
		t.Fatal(err)
	}
	o := &outageFixture{fake: clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), addr: "127.0.0.1:0"}
	ctx := context.Background()
	o.central = centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), o.fake.Now)
	if err := o.central.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	token, err := o.central.Enroll(ctx, "north", "test-kiosk", "Test", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	o.up(t)
	t.Cleanup(o.down)

	var f *fixture
	setup := func(c *Config) {
		c.Incident = IncidentConfig{
			Templates: templates, Runbook: testRunbook, FeedbackWindow: 2 * time.Hour, Location: time.UTC,
			Contacts: map[queue.Severity][]string{
				queue.SeverityMinor: {"IT service desk, ext. 4410"},
				queue.SeverityMajor: {"IT service desk, ext. 4410", "Duty manager, ext. 2000"},
			},
		}
		for _, ch := range change {
			ch(c)
		}
	}
	f = newFixture(t, setup)
	o.fixture = f
	client, err := syncer.NewClient("http://"+o.addr, "north", token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	o.sync = syncer.New(f.store, client, syncer.Config{Clock: o.fake})
	o.mon = outage.NewMonitor(f.store, o.sync, client, outage.Config{Clock: o.fake,
		Policy: outage.Policy{Grace: time.Minute, MajorAfter: 10 * time.Minute}})
	f.ui.cfg.Sync, f.ui.cfg.Outage = o.sync, o.mon
	if err := o.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	o.probe(t)
	return o
}

func (o *outageFixture) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Fatal(err)
	}
	o.addr = ln.Addr().String()
	o.srv = &http.Server{Handler: centre.NewServer(o.central.Service, centre.ServerOptions{})}
	go o.srv.Serve(ln)
}

func (o *outageFixture) down() { o.srv.Close() }

// advance moves every clock of the fixture.
func (o *outageFixture) advance(d time.Duration) {
	o.clock.Advance(d)
	o.fake.Advance(d)
}

// probe runs the monitor's health probe and shows the result, as the
// scheduled probe and the bridge do in the running kiosk.
func (o *outageFixture) probe(t *testing.T) outage.Outage {
	t.Helper()
	if err := o.mon.Probe(o.ctx); err != nil {
		t.Fatal(err)
	}
	out := o.mon.Outage()
	o.ui.showSync(o.sync.Status())
	o.ui.showOutage(out)
	return out
}

// startOutage stops the centre and lets the grace period pass: an
// incident is open when it returns.
func (o *outageFixture) startOutage(t *testing.T) outage.Outage {
	t.Helper()
	o.down()
	o.advance(15 * time.Second) // the first probe that asks (outage.Policy.QuietProbe)
	o.probe(t)
	o.advance(61 * time.Second)
	out := o.probe(t)
	if out.Incident == nil {
		t.Fatalf("no incident after the grace period: %+v", out)
	}
	return out
}
