package console_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/centre/console"
)

// chromiumPath is Debian's chromium package; packaging/debian-deps.txt
// lists it so ./dev.sh installs it.
const chromiumPath = "/usr/bin/chromium"

var screenshots = flag.String("console.screenshots", "", "`DIR` to write the console's screenshots to (console-login.png, console-fleet.png, console-config.png); try ../../../assets/screenshots")

// liveKiosk is a real kiosk store with a real syncer talking to the
// centre's API over loopback.
type liveKiosk struct {
	store  *queue.Store
	client *syncer.Client
	sync   *syncer.Syncer
	states chan syncer.State
}

func newLiveKiosk(t *testing.T, api, id, token string) *liveKiosk {
	t.Helper()
	store, err := queue.Open(context.Background(), filepath.Join(t.TempDir(), id+".db"), queue.Options{
		KioskID:  id,
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client, err := syncer.NewClient(api, "north", token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	client.SetSoftware("1.5.0")
	return &liveKiosk{store: store, client: client}
}

// start runs a new syncer, as a kiosk that starts again does.
func (k *liveKiosk) start(t *testing.T) {
	t.Helper()
	k.sync = syncer.New(k.store, k.client, syncer.Config{})
	k.states = make(chan syncer.State, 64)
	states := k.states
	cancel := k.sync.Subscribe(func(s syncer.Status) {
		select {
		case states <- s.State:
		default: // nobody waits: the test has moved on
		}
	})
	t.Cleanup(cancel)
	if err := k.sync.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.sync.Stop() })
}

// await waits for the syncer to report state.
func (k *liveKiosk) await(t *testing.T, state syncer.State) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case s := <-k.states:
			if s == state {
				return
			}
		case <-timeout:
			t.Fatalf("the kiosk's syncer did not become %s within 30 s (it is %s: %s)", state, k.sync.Status().State, k.sync.Status().LastError)
		}
	}
}

// TestConsoleInABrowser drives the console in headless Chromium: sign
// in, watch a kiosk go offline when its syncer stops and online when it
// is back, and revoke it, after which its sync is refused.
func TestConsoleInABrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (Debian's chromium package; ./dev.sh deps installs it): the console's browser test cannot run", chromiumPath)
	}
	ctx := context.Background()
	// The centre and the console share a clock the test moves, so a
	// kiosk goes quiet for two minutes without the test waiting them out.
	// It starts at the real time, so the kiosk's clock agrees with it.
	clk := &clock{t: time.Now().UTC()}
	c := centretest.Open(t, centretest.DSN(t, "sqlite"), clk.Now, centre.Options{PasswordCost: bcrypt.MinCost})
	for _, s := range [][2]string{{"north", "North Hospital"}, {"south", "South Clinic"}} {
		if err := c.AddSite(ctx, s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddAdmin(ctx, adminName, adminPassword); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{}))
	t.Cleanup(api.Close)
	consoleSrv := httptest.NewServer(console.New(c.Service, console.Options{Now: clk.Now, Refresh: -1}))
	t.Cleanup(consoleSrv.Close)
	f := &fixture{clk: clk, centre: c, url: consoleSrv.URL}
	populate(t, f)

	token := f.enroll(t, "lobby-1", "Main entrance")
	kiosk := newLiveKiosk(t, api.URL, "lobby-1", token)
	if _, err := kiosk.store.CheckIn(ctx, queue.CheckInForm{Name: "Zoë Adams", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	kiosk.start(t)
	kiosk.await(t, syncer.Online)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), // never a browser of chromedp's own
		chromedp.WindowSize(1440, 960),
		chromedp.DisableGPU,
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	// The first action starts the browser, which lives as long as its
	// context: no timeout on that one, a minute on each after.
	if err := chromedp.Do(bctx, chromedp.Navigate(consoleSrv.URL+"/")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	screenshot := func() []byte {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		return png
	}
	state := func() string {
		t.Helper()
		do("reload the fleet page", chromedp.Navigate(consoleSrv.URL+"/"), chromedp.WaitVisible(chromedp.ID("kiosk-lobby-1")))
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		attr, err := chromedp.Run(sctx, chromedp.AttributeValue(chromedp.CSS("#kiosk-lobby-1 .badge"), "data-state"))
		if err != nil {
			t.Fatalf("read lobby-1's state: %v", err)
		}
		return attr.Value
	}

	do("sign in with a wrong password",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), adminName),
		chromedp.SendKeys(chromedp.ID("password"), "wrong password"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS("p.message.bad")))
	if got := text("p.message.bad"); got != "Wrong name or password." {
		t.Fatalf("after a wrong password the page says %q", got)
	}
	loginPNG := screenshot()
	do("sign in",
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("kiosk-lobby-1")))
	if s := state(); s != console.StateOnline {
		t.Fatalf("a kiosk that just synced is %q, want online", s)
	}
	if row := text("#kiosk-lobby-1"); !strings.Contains(row, "1.5.0") {
		t.Errorf("lobby-1's row does not show the software it declared:\n%s", row)
	}
	fleetPNG := screenshot()

	// Its syncer stops; nothing is heard from it for longer than the
	// console allows.
	if err := kiosk.sync.Stop(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(console.DefaultOfflineAfter + time.Second)
	if s := state(); s != console.StateOffline {
		t.Fatalf("a kiosk unheard for %s is %q, want offline", console.DefaultOfflineAfter+time.Second, s)
	}
	// It comes back.
	kiosk.start(t)
	kiosk.await(t, syncer.Online)
	if s := state(); s != console.StateOnline {
		t.Fatalf("a kiosk that synced again is %q, want online", s)
	}

	// IT edits the site's configuration: a bad one is refused with its
	// reason and stores nothing; a good one becomes the next version,
	// which the kiosk applies and then declares on the fleet page.
	do("open north's configuration",
		chromedp.Click(chromedp.ID("config-north")),
		chromedp.WaitVisible(chromedp.ID("toml")))
	if got := text("#current"); !strings.Contains(got, "No configuration set yet") {
		t.Fatalf("the configuration page of a site with none says %q", got)
	}
	do("save a configuration whose desk names a service it lacks",
		chromedp.SetValue(chromedp.ID("toml"), strings.Replace(browserConfig, `services = ["registration"]`, `services = ["pharmacy"]`, 1)),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("refused")))
	if got := text("#refused"); !strings.Contains(got, `Nothing stored: desks[0].services[0]: no service has id "pharmacy"`) {
		t.Fatalf("a bad configuration is refused with %q", got)
	}
	if _, ok, err := c.SiteConfig(ctx, "north"); ok || err != nil {
		t.Fatalf("a refused configuration was stored (%v, %v)", ok, err)
	}
	do("save a configuration with a threshold out of range",
		chromedp.Navigate(consoleSrv.URL+"/sites/north/config"),
		chromedp.WaitVisible(chromedp.ID("toml")),
		chromedp.SetValue(chromedp.ID("toml"), strings.Replace(browserConfig, `major_after = "20m"`, `major_after = "10s"`, 1)),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("refused")))
	if got := text("#refused"); !strings.Contains(got, "outage.major_after must be between outage.grace and 24h") {
		t.Fatalf("a bad threshold is refused with %q", got)
	}
	do("save a good one",
		chromedp.SetValue(chromedp.ID("toml"), browserConfig),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("saved")))
	if got := text("#saved"); !strings.Contains(got, "Version 1 stored") {
		t.Fatalf("after saving a good configuration the page says %q", got)
	}
	configPNG := screenshot()
	rec, ok, err := c.SiteConfig(ctx, "north")
	if err != nil || !ok || rec.Version != 1 || rec.SetBy != adminName || rec.Outage.MajorAfter.Duration != 20*time.Minute {
		t.Fatalf("north's configuration after saving: %+v, %v, %v", rec, ok, err)
	}
	do("save the shown version again, edited",
		chromedp.Navigate(consoleSrv.URL+"/sites/north/config"),
		chromedp.WaitVisible(chromedp.ID("toml")),
		chromedp.SetValue(chromedp.ID("toml"), strings.Replace(browserConfig, "Registration", "Admissions", 1)),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("saved")))
	if got := text("#saved"); !strings.Contains(got, "Version 2 stored") {
		t.Fatalf("after saving again the page says %q", got)
	}
	for deadline := time.Now().Add(30 * time.Second); kiosk.store.ConfigVersion() != 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the kiosk runs configuration version %d, want 2", kiosk.store.ConfigVersion())
		}
		kiosk.sync.Kick()
		kiosk.await(t, syncer.Online)
	}
	if svc, _ := kiosk.store.Service("registration"); svc.Name != "Admissions" {
		t.Errorf("the kiosk's registration service after version 2: %+v", svc)
	}
	// The kiosk's next request declares the version.
	for deadline := time.Now().Add(30 * time.Second); declaredConfig(t, c, "lobby-1") != 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the centre holds configuration version %d for lobby-1, want 2", declaredConfig(t, c, "lobby-1"))
		}
		kiosk.sync.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	state()
	if row := text("#kiosk-lobby-1"); !strings.Contains(row, "version 2") {
		t.Errorf("lobby-1's row does not show configuration version 2:\n%s", row)
	}

	do("revoke it",
		chromedp.Click(chromedp.CSS("#kiosk-lobby-1 a.danger")),
		chromedp.WaitVisible(chromedp.ID("revoke")),
		chromedp.Click(chromedp.ID("revoke")),
		chromedp.WaitVisible(chromedp.CSS("p.message.good")))
	if got := text("p.message.good"); !strings.Contains(got, "Kiosk lobby-1 is revoked") {
		t.Fatalf("after revoking the page says %q", got)
	}
	if s := state(); s != console.StateRevoked {
		t.Fatalf("the revoked kiosk is %q", s)
	}
	kiosk.sync.Kick()
	kiosk.await(t, syncer.Unenrolled)

	if dir := *screenshots; dir != "" {
		for name, png := range map[string][]byte{"console-login.png": loginPNG, "console-fleet.png": fleetPNG, "console-config.png": configPNG} {
			if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// declaredConfig is the configuration version the centre last heard a
// kiosk declare.
func declaredConfig(t *testing.T, c centretest.Centre, id string) int64 {
	t.Helper()
	kiosks, err := c.Kiosks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kiosks {
		if k.ID == id {
			return k.Config
		}
	}
	return 0
}

// browserConfig is north's configuration as IT types it in the console.
const browserConfig = `languages = ["en", "es"]
idle_timeout = "90s"

[[services]]
id = "registration"
prefix = "R"
name = "Registration"
time_per_visitor = "5m"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["registration"]

[outage]
grace = "2m"
major_after = "20m"
critical_after = "4h"
runbook = ["Call the IT service desk on 4410", "Start the paper log"]
`

// populate gives the fleet page of the screenshots a fleet: kiosks at
// two sites in several states, with software, skew, incidents and drills.
func populate(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	now := f.clk.Now()
	seen := func(token, software string, at time.Time, backlog int, skew time.Duration) {
		t.Helper()
		k, err := f.centre.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		k.Software = software
		if err := f.centre.Store.NoteKiosk(ctx, k.ID, at, backlog, skew, software, 0); err != nil {
			t.Fatal(err)
		}
	}
	north2 := f.enroll(t, "lobby-2", "East wing")
	seen(north2, "1.5.0", now, 0, 400*time.Millisecond)
	f.pushIncident(t, north2, 1, queue.IncidentSummary{ID: 1, Cause: "central unreachable", Peak: queue.SeverityMajor,
		Start: now.Add(-26 * time.Hour), End: now.Add(-25 * time.Hour), Duration: time.Hour, CheckIns: 14, PeakWaiting: 6,
		LongestWait: 18 * time.Minute, DrainTime: 40 * time.Second})
	f.pushIncident(t, north2, 2, queue.IncidentSummary{ID: 2, Drill: true, Cause: "drill", Peak: queue.SeverityMinor,
		Start: now.Add(-6 * 24 * time.Hour), End: now.Add(-6*24*time.Hour + 20*time.Minute), Duration: 20 * time.Minute})

	south1, err := f.centre.Enroll(ctx, "south", "er-1", "Emergency", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	seen(south1, "1.4.2", now, 37, 7*time.Minute)
	south2, err := f.centre.Enroll(ctx, "south", "er-2", "Outpatients", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	seen(south2, "1.4.2", now.Add(-3*time.Hour-12*time.Minute), 12, -2*time.Second)
	if _, err := f.centre.Enroll(ctx, "south", "er-4", "Day surgery", centretest.IT); err != nil {
		t.Fatal(err)
	}
	if _, err := f.centre.Enroll(ctx, "south", "er-3", "Old entrance", centretest.IT); err != nil {
		t.Fatal(err)
	}
	if err := f.centre.Revoke(ctx, "er-3", centretest.IT); err != nil {
		t.Fatal(err)
	}
}
