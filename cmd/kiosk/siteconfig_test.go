package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	central := centretest.Open(t, filepath.Join(dir, "central.db"), nil)
	if err := central.AddSite(ctx, "general-hospital", "General"); err != nil {
		t.Fatal(err)
	}
	code, _, err := central.NewEnrolmentCode(ctx, "general-hospital", "lobby-1", "Main lobby", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
	defer srv.Close()
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
