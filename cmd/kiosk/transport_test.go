package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/pkitest"
	"lobbyline/syncer/wire"
)

// packaged is the sample as the package installs it: a PIN of its own and
// central = "", for the centre the kiosk is enrolled with.
func packaged(extra string) string {
	return strings.Replace(withPIN(defaultConfig), `central = "embedded"`, `central = ""`+"\n"+extra, 1)
}

// Every way a centre's address reaches the kiosk refuses plain HTTP to
// another machine, saying what to do, before anything is sent: the
// config's central, enroll --centre, an address in an enrolment QR code,
// and the set-up screen's.
func TestPlainHTTPToAnotherMachineIsRefused(t *testing.T) {
	dir := t.TempDir()
	const plain = "http://centre.example:8470"
	if _, err := run(t, dir, "", "--config", writeFile(t, dir, "central.toml", strings.Replace(defaultConfig, `central = "embedded"`, `central = "`+plain+`"`, 1)), "check-config"); err == nil ||
		!strings.Contains(err.Error(), "central:") || !strings.Contains(err.Error(), "insecure = true") {
		t.Errorf("central over plain HTTP: %v", err)
	}
	if _, err := run(t, dir, "", "--central", plain, "check-config"); err == nil || !strings.Contains(err.Error(), "insecure = true") {
		t.Errorf("--central over plain HTTP: %v", err)
	}
	config := writeFile(t, dir, "kiosk.toml", packaged(""))
	for name, args := range map[string][]string{
		"enroll --centre": {"--config", config, "enroll", "--centre", plain, "--code", "ABCDE-FGHJK"},
		"a QR code":       {"--config", config, "enroll", "--code", wire.EnrolLink(plain, "ABCDE-FGHJK")},
	} {
		if _, err := run(t, dir, "", args...); !errors.Is(err, syncer.ErrPlainHTTP) || !strings.Contains(err.Error(), "insecure = true") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The set-up screen's Connect.
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", filepath.Join(dir, "kiosk.db"), "--config", config}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, _, err := m.enrolAndSync(context.Background())(context.Background(), plain, "ABCDE-FGHJK"); !errors.Is(err, syncer.ErrPlainHTTP) {
		t.Errorf("the set-up screen: %v", err)
	}

	// Loopback, and any host with insecure = true, are allowed.
	for _, text := range []string{
		strings.Replace(defaultConfig, `central = "embedded"`, `central = "http://127.0.0.1:8470"`, 1),
		strings.Replace(defaultConfig, `central = "embedded"`, `central = "http://localhost:8470"`, 1),
		strings.Replace(defaultConfig, `central = "embedded"`, `central = "`+plain+`"`+"\ninsecure = true", 1),
	} {
		if _, err := ParseConfig(text); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// A kiosk enrolled, by an earlier release, with a centre over plain HTTP
// to another machine opens its lobby but does not sync, and says why.
func TestAnEarlierEnrolmentOverPlainHTTP(t *testing.T) {
	dir := t.TempDir()
	config := writeFile(t, dir, "kiosk.toml", packaged(""))
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", filepath.Join(dir, "kiosk.db"), "--config", config}); err != nil {
		t.Fatal(err)
	}
	if err := m.writeEnrolment(Enrolment{Centre: "http://centre.example:8470", Site: "general-hospital", Kiosk: "lobby-1",
		Token: "llk_x", Enrolled: time.Now()}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	out, err := run(t, dir, "", "--config", config, "check-config")
	if !errors.Is(err, exitNotReady) || !strings.Contains(out, "insecure = true") || !strings.Contains(out, "lobby: opens, but does not sync") {
		t.Errorf("check-config: %v\n%s", err, out)
	}
	if _, err := run(t, dir, "", "--config", config, "sync"); !errors.Is(err, syncer.ErrPlainHTTP) {
		t.Errorf("sync: %v", err)
	}
	insecure := writeFile(t, dir, "insecure.toml", packaged("insecure = true"))
	if out, _ := run(t, dir, "", "--config", insecure, "check-config"); !strings.Contains(out, "lobby: ready") {
		t.Errorf("check-config with insecure = true:\n%s", out)
	}
}

// A centre with a certificate from the hospital's own CA: the kiosk
// enrols and syncs with ca_file, and with centre_pin only if the pin is
// the centre's key.
func TestEnrolAndSyncWithTheHospitalsCA(t *testing.T) {
	ctx := context.Background()
	p := pkitest.New(t)
	dir := t.TempDir()
	central := centretest.Open(t, filepath.Join(dir, "central.db"), nil)
	if err := central.AddSite(ctx, "general-hospital", "General"); err != nil {
		t.Fatal(err)
	}
	code, _, err := central.NewEnrolmentCode(ctx, "general-hospital", "lobby-1", "Main lobby", time.Hour, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	url := p.Serve(t, centre.NewServer(central.Service, centre.ServerOptions{}))
	ca, pin := `ca_file = "`+p.CAFile+`"`, "\n"+`centre_pin = "`+p.CentrePin+`"`
	enroll := func(name, extra string) (string, error) {
		config := writeFile(t, dir, name+".toml", packaged(extra))
		return run(t, dir, "", "--config", config, "enroll", "--centre", url, "--code", code)
	}

	for _, tc := range []struct{ name, extra, want string }{
		{"no ca_file", "", "certificate signed by unknown authority"},
		{"another CA", `ca_file = "` + p.OtherCAFile + `"`, "certificate signed by unknown authority"},
		{"the CA's key pinned", ca + "\n" + `centre_pin = "` + p.CAPin + `"`, "does not match centre_pin: it presents " + p.CentrePin},
	} {
		if _, err := enroll(tc.name, tc.extra); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if out, err := enroll("pinned", ca+pin); err != nil || !strings.Contains(out, "Enrolled: kiosk lobby-1") {
		t.Fatalf("enrol with the CA and the pin: %v\n%s", err, out)
	}
	config := filepath.Join(dir, "pinned.toml")
	mustRun(t, dir, "--config", config, "checkin", "--name", "Zoë", "--service", "registration")
	if out := mustRun(t, dir, "--config", config, "sync"); !strings.Contains(out, "state: online\nbacklog: 0") {
		t.Fatalf("sync:\n%s", out)
	}
	out, err := run(t, dir, "", "--config", writeFile(t, dir, "repinned.toml", packaged(ca+"\n"+`centre_pin = "`+p.CAPin+`"`)), "sync", "--json")
	var st struct{ State string }
	if jerr := json.Unmarshal([]byte(out), &st); err == nil || jerr != nil || st.State != "offline" || !strings.Contains(err.Error(), "centre_pin") {
		t.Errorf("sync with another key pinned: %v, %q", err, out)
	}
}
