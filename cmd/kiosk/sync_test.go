package main

import (
	"context"
	"lobbyline/syncer/centre/centretest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// IT enrols a kiosk with a one-time code: `kiosk enroll` keeps the token
// in a file only this user reads; sync uses it; a revoked kiosk is told
// so. A used code, a token on the command line and a token in the config
// are refused with what to do instead.
func TestEnrolWithACodeThenSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	central, srv, code := newCentreWithCode(t, dir)

	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	if _, err := run(t, dir, "", "--central", srv.URL, "sync"); err == nil || !strings.Contains(err.Error(), "not enrolled") {
		t.Fatalf("sync before enrolment: %v", err)
	}
	out := mustRun(t, dir, "--central", srv.URL, "enroll", "--code", code)
	path := filepath.Join(dir, "lobby-1.enrolment")
	if !strings.Contains(out, "Enrolled: kiosk lobby-1 at site general-hospital") || !strings.Contains(out, path) {
		t.Fatalf("enroll printed:\n%s", out)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("enrolment file: %v, %v", info, err)
	}
	defer func(v string) { version = v }(version)
	version = "1.2.3~test" // as the package sets it
	if out := mustRun(t, dir, "--central", srv.URL, "sync"); !strings.Contains(out, "state: online") {
		t.Fatalf("sync printed:\n%s", out)
	}
	if ks, err := central.Kiosks(ctx); err != nil || len(ks) != 1 || ks[0].Software != "1.2.3~test" {
		t.Errorf("the centre's record of the kiosk's software: %+v, %v", ks, err)
	}
	if _, err := run(t, dir, "", "--central", srv.URL, "enroll", "--code", code); err == nil || !strings.Contains(err.Error(), "used already") {
		t.Fatalf("enrol again with the used code: %v", err)
	}

	// Others may read the file: refused until it is private again.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, "", "--central", srv.URL, "sync"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("sync with a readable enrolment file: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := central.Revoke(ctx, "lobby-1", centretest.IT); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "checkin", "--name", "Li", "--service", "registration")
	out, err := run(t, dir, "", "--central", srv.URL, "sync")
	// The check-in and its audit entry (a command line's check-in is a
	// staff action) wait.
	if err == nil || !strings.Contains(err.Error(), "no longer enrolled") || !strings.Contains(out, "backlog: 2") {
		t.Fatalf("sync with a revoked token: %v\n%s", err, out)
	}
	if _, err := run(t, dir, "", "--central", "ftp://x", "sync"); err == nil || !strings.Contains(err.Error(), "central") {
		t.Fatalf("a bad --central: %v", err)
	}
	if _, err := run(t, dir, "", "--central", srv.URL, "--central-token", "llk_x", "sync"); err == nil || !strings.Contains(err.Error(), "no longer accepted") {
		t.Fatalf("--central-token: %v", err)
	}
	config := writeFile(t, dir, "k.toml", strings.Replace(defaultConfig, "central = ", "central_token = \"llk_x\"\ncentral = ", 1))
	if _, err := run(t, dir, "", "--config", config, "check-config"); err == nil || !strings.Contains(err.Error(), "kiosk enroll") {
		t.Fatalf("central_token in the config: %v", err)
	}
}
