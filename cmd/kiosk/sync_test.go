package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

func TestSyncWithTheEmbeddedCentre(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	out := mustRun(t, dir, "sync")
	if !strings.Contains(out, "state: online\nbacklog: 0\n") {
		t.Fatalf("sync printed:\n%s", out)
	}
	token, err := os.ReadFile(filepath.Join(dir, "lobby-1.central-token"))
	if err != nil || !strings.HasPrefix(string(token), "llk_") {
		t.Fatalf("token file: %q, %v", token, err)
	}
	// A second run reuses the enrolment and finds nothing left to push.
	mustRun(t, dir, "checkin", "--name", "Li", "--service", "visit")
	if out := mustRun(t, dir, "sync"); !strings.Contains(out, "backlog: 0") {
		t.Fatalf("second sync printed:\n%s", out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "lobby-1.central-token"))
	if string(after) != string(token) {
		t.Fatal("the kiosk was enrolled again though its token still worked")
	}
}

func TestSyncWithARealCentreAndARevokedToken(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	central := centretest.Open(t, filepath.Join(dir, "central.db"), nil)
	if err := central.AddSite(ctx, "general-hospital", "General"); err != nil {
		t.Fatal(err)
	}
	token, err := central.Enroll(ctx, "general-hospital", "lobby-1", "Main lobby")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
	defer srv.Close()

	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	if out := mustRun(t, dir, "--central", srv.URL, "--central-token", token, "sync"); !strings.Contains(out, "state: online") {
		t.Fatalf("sync printed:\n%s", out)
	}
	if err := central.Revoke(ctx, "lobby-1"); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "checkin", "--name", "Li", "--service", "registration")
	out, err := run(t, dir, "", "--central", srv.URL, "--central-token", token, "sync")
	if err == nil || !strings.Contains(err.Error(), "no longer enrolled") || !strings.Contains(out, "backlog: 1") {
		t.Fatalf("sync with a revoked token: %v\n%s", err, out)
	}
	if _, err := run(t, dir, "", "--central", "ftp://x", "sync"); err == nil || !strings.Contains(err.Error(), "central") {
		t.Fatalf("a bad --central: %v", err)
	}
	if _, err := run(t, dir, "", "--central", srv.URL, "sync"); err == nil || !strings.Contains(err.Error(), "central_token") {
		t.Fatalf("--central without a token: %v", err)
	}
}
