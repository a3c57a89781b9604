package kiosk

import (
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
)

// The centre's configuration takes away the service a visitor chose while
// their form was open: sending it says so, offers the services now in use,
// keeps what they typed, and a new choice checks them in.
func TestOpenFormWhoseServiceVanishedSaysSoAndOffersTheNewOnes(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Ana García")
	test.Tap(serviceButton(t, u.form, "registration"))

	v2 := []queue.Service{{ID: "visit", Prefix: "V", Name: "Visit a patient"}, {ID: "imaging", Prefix: "I", Name: "Imaging"}}
	desks := []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"imaging", "visit"}}}
	if ok, err := f.store.ApplySiteConfig(f.ctx, 2, v2, desks, nil); err != nil || !ok {
		t.Fatalf("apply version 2: %v, %v", ok, err)
	}

	test.Tap(u.form.submit)
	if u.screen != screenCheckIn {
		t.Fatalf("after sending a form for a service gone: screen %v, want the form", u.screen)
	}
	if want := "The services on offer have just changed. Please choose again."; u.form.serviceMsg.Text != want {
		t.Errorf("message under the services: %q, want %q", u.form.serviceMsg.Text, want)
	}
	if got := strings.Join(u.form.serviceIDs, ","); got != "visit,imaging" {
		t.Errorf("service buttons after the change: %s, want visit,imaging", got)
	}
	if u.form.name.Text != "Ana García" {
		t.Errorf("the name typed was lost: %q", u.form.name.Text)
	}
	if b, err := f.store.Backlog(f.ctx); err != nil || b.Pending != 0 {
		t.Fatalf("a visit was stored for the service gone: %+v, %v", b, err)
	}

	test.Tap(serviceButton(t, u.form, "imaging"))
	if u.form.serviceMsg.Visible() && u.form.serviceMsg.Text != "" {
		t.Errorf("message still shown after choosing again: %q", u.form.serviceMsg.Text)
	}
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("after choosing a service of version 2: screen %v, want the ticket", u.screen)
	}
}

// Staff see the configuration version the kiosk runs, and the next form
// offers its services.
func TestStaffSeeTheConfigurationVersion(t *testing.T) {
	f := newFixture(t)
	sy, central := realSync(t, f)
	f.ui.cfg.Sync = sy
	if err := sy.Sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.ui.showSync(sy.Status())
	f.unlock(t)
	test.Tap(f.ui.staff.sync)
	if texts := dialogTexts(f.ui); !strings.Contains(texts, "Site configuration: this kiosk's own file") {
		t.Fatalf("sync panel before any configuration from the centre:\n%s", texts)
	}
	f.ui.syncDialog.Hide()

	doc, err := siteconfig.Parse("[[services]]\nid = \"imaging\"\nprefix = \"I\"\nname = \"Imaging\"\n[[desks]]\nid = \"desk-1\"\nname = \"Desk 1\"\nservices = [\"imaging\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v <= 2; v++ {
		_, err := central.Write(f.ctx, "north", []centre.RecordWrite{{Entity: siteconfig.Entity, Key: siteconfig.Key,
			Data: siteconfig.Record{Version: v, Document: doc}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.ui.staffDesk = "desk-2" // which version 2 does not have
	if err := sy.Sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.ui.showStaff()
	if f.ui.staffDesk != "desk-1" || f.ui.staff.desk.Selected != "Desk 1" {
		t.Errorf("staff desk after version 2 took desk-2 away: %q (%q shown)", f.ui.staffDesk, f.ui.staff.desk.Selected)
	}
	test.Tap(f.ui.staff.sync)
	if texts := dialogTexts(f.ui); !strings.Contains(texts, "Site configuration: the centre's, version 2.") || strings.Contains(texts, "apply after Lock") {
		t.Fatalf("sync panel after version 2:\n%s", texts)
	}
	f.ui.syncDialog.Hide()
	// The screens still use version 1's settings (staff were at work
	// when version 2 came): the panel says when version 2's apply.
	f.ui.siteSettings = func() (int64, SiteSettings) { return 2, SiteSettings{} }
	f.ui.settingsVersion = 1
	test.Tap(f.ui.staff.sync)
	if texts := dialogTexts(f.ui); !strings.Contains(texts, "The languages, timeouts and incident settings of version 2 apply after Lock, on the welcome screen.") {
		t.Fatalf("sync panel while version 2's settings wait:\n%s", texts)
	}
	f.ui.syncDialog.Hide()
	f.ui.siteSettings = nil
	f.ui.lockStaff()
	test.Tap(f.ui.welcome.checkIn)
	if got := strings.Join(f.ui.form.serviceIDs, ","); got != "imaging" {
		t.Errorf("the form after version 2 offers %s, want imaging", got)
	}
}

// A new version of the site's settings (languages, timeouts, runbook) is
// taken on the welcome screen, never in the middle of a check-in or of
// staff work; the welcome screen then offers the new languages.
func TestNewSiteSettingsWaitForTheWelcomeScreen(t *testing.T) {
	type versioned struct {
		v int64
		s SiteSettings
	}
	var current atomic.Pointer[versioned]
	current.Store(&versioned{0, SiteSettings{Languages: []string{"en", "es"}, IdleTimeout: time.Minute, StaffIdleTimeout: 5 * time.Minute}})
	f := newFixture(t, func(c *Config) {
		c.SiteSettings = func() (int64, SiteSettings) { v := current.Load(); return v.v, v.s }
	})
	u := f.ui
	tick := func() { t.Helper(); u.tick(f.ctx)() }
	if got := slices.Sorted(maps.Keys(u.welcome.languages)); !slices.Equal(got, []string{"en", "es"}) {
		t.Fatalf("language buttons at the start: %v", got)
	}

	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Ana")
	current.Store(&versioned{3, SiteSettings{Languages: []string{"fr", "de", "en"}, IdleTimeout: 2 * time.Minute, StaffIdleTimeout: time.Minute,
		Runbook: []string{"Call IT on 4410"}}})
	tick()
	if u.screen != screenCheckIn || u.form.name.Text != "Ana" || u.cfg.IdleTimeout != time.Minute || u.settingsVersion != 0 {
		t.Fatalf("a new version during a check-in: screen %v, name %q, idle %v, version %d; want the form untouched and the old settings",
			u.screen, u.form.name.Text, u.cfg.IdleTimeout, u.settingsVersion)
	}
	u.showWelcome() // the visitor cancels
	tick()
	if u.settingsVersion != 3 || u.cfg.IdleTimeout != 2*time.Minute || u.cfg.StaffIdleTimeout != time.Minute || !slices.Equal(u.cfg.Incident.Runbook, []string{"Call IT on 4410"}) {
		t.Fatalf("on the welcome screen: version %d, cfg %+v", u.settingsVersion, u.cfg)
	}
	if got := slices.Sorted(maps.Keys(u.welcome.languages)); !slices.Equal(got, []string{"de", "en", "fr"}) {
		t.Fatalf("language buttons after version 3: %v", got)
	}
	if u.lang != "fr" {
		t.Errorf("language after version 3: %s, want its first, fr", u.lang)
	}

	// Staff at work: the next version waits for them to leave.
	f.unlock(t)
	current.Store(&versioned{4, SiteSettings{Languages: []string{"en"}, IdleTimeout: time.Minute, StaffIdleTimeout: time.Minute}})
	tick()
	if u.screen != screenStaff || u.settingsVersion != 3 {
		t.Fatalf("a new version during staff work: screen %v, version %d", u.screen, u.settingsVersion)
	}
	u.lockStaff()
	tick()
	if u.settingsVersion != 4 || len(u.welcome.languages) != 0 {
		t.Fatalf("after staff left: version %d, %d language buttons; want 4 and none for one language", u.settingsVersion, len(u.welcome.languages))
	}
}
