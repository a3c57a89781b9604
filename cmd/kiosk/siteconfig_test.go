package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// The centre's site configuration reaches the kiosk's database through
// `kiosk sync`; check-config names its version; check-in uses its
// services, and the file's again with central = "off".
func TestSiteConfigFromTheCentre(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	central, srv, code := newCentreWithCode(t, dir)
	mustRun(t, dir, "--central", srv.URL, "enroll", "--code", code)
	if out := checkConfigOut(t, dir, "--central", srv.URL); !strings.Contains(out, "services and desks: this file's, until the centre sends") {
		t.Fatalf("check-config before any site configuration:\n%s", out)
	}

	doc, err := siteconfig.Parse("[[services]]\nid = \"imaging\"\nprefix = \"I\"\nname = \"Imaging\"\n[[desks]]\nid = \"desk-1\"\nname = \"Desk 1\"\nservices = [\"imaging\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v <= 2; v++ {
		rec := siteconfig.Record{Version: v, SetAt: time.Now().UTC(), Document: doc}
		if _, err := central.Write(ctx, "general-hospital", []centre.RecordWrite{{Entity: siteconfig.Entity, Key: siteconfig.Key, Data: rec}}); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, dir, "--central", srv.URL, "sync")
	if out := checkConfigOut(t, dir, "--central", srv.URL); !strings.Contains(out, "services and desks: the centre's configuration version 2") {
		t.Fatalf("check-config after version 2:\n%s", out)
	}
	if out := mustRun(t, dir, "--central", srv.URL, "checkin", "--name", "Ana", "--service", "imaging"); !strings.Contains(out, "I") {
		t.Fatalf("checkin for imaging printed %q", out)
	}
	if _, err := run(t, dir, "", "--central", srv.URL, "checkin", "--name", "Bo", "--service", "registration"); err == nil {
		t.Fatal("checkin for the file's service registration succeeded under the centre's version 2")
	}
	// No centre: the file's services.
	mustRun(t, dir, "--central", "off", "checkin", "--name", "Cy", "--service", "registration")
	if out := checkConfigOut(t, dir, "--central", "off"); !strings.Contains(out, `this file's (central = "off"; the database keeps the centre's version 2)`) {
		t.Fatalf("check-config with central off:\n%s", out)
	}
}

// checkConfigOut is what check-config prints; the sample config's PIN
// keeps the lobby from opening, which is not what these tests are about.
func checkConfigOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, _ := run(t, dir, "", append(args, "check-config")...)
	return out
}

// siteConfigSettings is a site's configuration with languages, a timeout
// and escalation thresholds set at the centre.
const siteConfigSettings = `languages = ["es", "en"]
idle_timeout = "2m"

[[services]]
id = "imaging"
prefix = "I"
name = "Imaging"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["imaging"]

[outage]
grace = "2m"
major_after = "30m"
critical_after = "0s"
runbook = ["Llamar a informática, ext. 4410"]

[jobs]
retention_days = 14

[checkout]
phone_proof = true
`

// The centre's languages, timeouts and [outage] keys reach the kiosk by
// sync and win over its file's where they are set; a version that does
// not fit the kiosk's file is refused with a log line and the last good
// one kept, also after a restart; with central = "off" the file's are
// used.
func TestSiteSettingsFromTheCentre(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	central, srv, code := newCentreWithCode(t, dir)
	// The kiosk's file has a template of its own in every language it
	// speaks, and no more.
	config := filepath.Join(dir, "kiosk.toml")
	text := strings.Replace(defaultConfig, `languages = ["en", "es", "fr", "de", "pt", "it"]`, `languages = ["en", "es"]`, 1) + `
[[outage.templates]]
id = "lift"
severity = "minor"
title = { en = "Lift", es = "Ascensor" }
text = { en = "Lift B is out of order.", es = "El ascensor B no funciona." }
`
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", config, "--central", srv.URL}
	mustRun(t, dir, append(args, "enroll", "--code", code)...)
	set := func(text string) {
		t.Helper()
		doc, err := siteconfig.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := central.SetSiteConfig(ctx, "general-hospital", "it", func(siteconfig.Record, bool) (siteconfig.Document, error) { return doc, nil }); err != nil {
			t.Fatal(err)
		}
	}
	// open is the kiosk as it starts, with its log.
	open := func(args ...string) (*Main, *bytes.Buffer) {
		t.Helper()
		var log bytes.Buffer
		m := NewMain()
		m.Logger = slog.New(slog.NewTextHandler(&log, nil))
		if err := m.ParseFlags(append([]string{"--db", filepath.Join(dir, "kiosk.db")}, args...)); err != nil {
			t.Fatal(err)
		}
		if err := m.openStore(ctx, false); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m, &log
	}

	set(siteConfigSettings)
	mustRun(t, dir, append(args, "sync")...)
	m, _ := open(args...)
	cfg, err := m.uiConfig()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !slices.Equal(cfg.Languages, []string{"es", "en"}) || !slices.Equal(m.store.Languages(), []string{"es", "en"}):
		t.Errorf("languages: UI %v, store %v; want the centre's", cfg.Languages, m.store.Languages())
	case cfg.IdleTimeout != 2*time.Minute || cfg.StaffIdleTimeout != 3*time.Minute:
		t.Errorf("timeouts: %v and %v; want the centre's idle_timeout and the file's staff_idle_timeout", cfg.IdleTimeout, cfg.StaffIdleTimeout)
	case !slices.Equal(cfg.Incident.Runbook, []string{"Llamar a informática, ext. 4410"}):
		t.Errorf("runbook: %v; want the centre's", cfg.Incident.Runbook)
	case !slices.ContainsFunc(cfg.Incident.Templates, func(tp queue.MessageTemplate) bool { return tp.ID == "lift" }):
		t.Errorf("templates: the file's lift template is missing")
	}
	if _, site, _ := m.siteSettings(); site.Outage.MajorAfter.Duration != 30*time.Minute || m.Config.Outage.policy(site.Outage).ClockMax != time.Hour {
		t.Errorf("thresholds: %+v; want the centre's major_after and the file's clock_max", site.Outage)
	}
	if got := m.retention(); got != 14*24*time.Hour {
		t.Errorf("retention %v; want the site's 14 days, which the centre purges by too", got)
	}
	v, ui := cfg.SiteSettings()
	if v != 1 || ui.FeedbackWindow != 2*time.Hour {
		t.Errorf("SiteSettings: version %d, feedback window %v", v, ui.FeedbackWindow)
	}
	if !cfg.PhoneProof || !ui.PhoneProof || m.Config.Checkout.PhoneProof {
		t.Errorf("phone proof: UI %v, settings %v, file %v; want the site's on over the file's off", cfg.PhoneProof, ui.PhoneProof, m.Config.Checkout.PhoneProof)
	}
	m.Close()

	// French: the file's lift template has no French text, so the kiosk
	// cannot use version 2 and keeps version 1.
	set(strings.Replace(siteConfigSettings, `["es", "en"]`, `["en", "fr"]`, 1))
	var log bytes.Buffer
	mm := NewMain()
	mm.Logger = slog.New(slog.NewTextHandler(&log, nil))
	mm.Stdout = io.Discard
	if err := mm.ParseFlags(append([]string{"--db", filepath.Join(dir, "kiosk.db")}, append(args, "sync")...)); err != nil {
		t.Fatal(err)
	}
	if err := mm.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mm.Close()
	if !strings.Contains(log.String(), "refused the centre's site configuration") || !strings.Contains(log.String(), "outage.templates[0] (lift).text.fr is missing") {
		t.Fatalf("sync of a version that does not fit the file logged:\n%s", log.String())
	}
	m, _ = open(args...)
	if v, _, ui := m.siteSettings(); v != 1 || !slices.Equal(ui.Languages, []string{"es", "en"}) {
		t.Fatalf("after a refused version and a restart: version %d, languages %v; want version 1's", v, ui.Languages)
	}
	m.Close()

	m, _ = open("--config", config, "--central", "off")
	if v, _, ui := m.siteSettings(); v != 0 || !slices.Equal(ui.Languages, []string{"en", "es"}) || ui.IdleTimeout != time.Minute {
		t.Fatalf("central off: version %d, %+v; want the file's", v, ui)
	}
	if got := m.retention(); got != time.Duration(m.Config.Jobs.RetentionDays)*24*time.Hour {
		t.Errorf("central off: retention %v; want the file's %d days", got, m.Config.Jobs.RetentionDays)
	}
}

// newCentreWithCode is a centre in dir with the site general-hospital,
// serving its API on loopback, and a one-time code for lobby-1.
func newCentreWithCode(t *testing.T, dir string) (centretest.Centre, *httptest.Server, string) {
	t.Helper()
	central := centretest.Open(t, filepath.Join(dir, "central.db"), nil)
	if err := central.AddSite(context.Background(), "general-hospital", "General"); err != nil {
		t.Fatal(err)
	}
	code, _, err := central.NewEnrolmentCode(context.Background(), "general-hospital", "lobby-1", "Main lobby", time.Hour, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
	t.Cleanup(srv.Close)
	return central, srv, code
}
