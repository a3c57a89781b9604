package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/syncer/pkitest"
)

func TestVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "1.2.3~test"
	for _, args := range [][]string{{"--version"}, {"version"}, {"--config", "missing.toml", "--version"}} {
		out, err := runArgs(t, args...)
		if err != nil || out != "lobbyline-central 1.2.3~test\n" {
			t.Errorf("central %s: printed %q, %v", strings.Join(args, " "), out, err)
		}
	}
	version = ""
	if v := buildVersion(); v == "" {
		t.Error("without -X the version is empty")
	}
}

// TestCheckConfig: check-config says what the config holds and opens no
// store; it never prints a PostgreSQL password; a TLS key that does not
// belong to its certificate is caught.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "central.db")
	p := pkitest.New(t)
	cert := p.CertFile
	good := writeFile(t, dir, "good.toml", `listen = ":8443"
store = "`+store+`"
tls_cert = "`+cert+`"
tls_key = "`+p.KeyFile+`"
`)
	out, err := runArgs(t, "--config", good, "check-config")
	if err != nil || out != "config ok: HTTPS on :8443, at most 64 requests at once\nstore: SQLite file "+store+"\nmetrics: off (set metrics_token to serve /metrics to a scraper)\n" {
		t.Errorf("check-config printed %q, %v", out, err)
	}
	out, err = runArgs(t, "--store", "postgres://lobbyline:s3cret@db.example/lobbyline", "check-config")
	if err != nil || strings.Contains(out, "s3cret") || !strings.Contains(out, "store: PostgreSQL postgres://lobbyline:xxxxx@db.example/lobbyline") {
		t.Errorf("check-config with PostgreSQL printed %q, %v", out, err)
	}
	mismatched := writeFile(t, dir, "bad.toml", `tls_cert = "`+cert+`"
tls_key = "`+pkitest.New(t).KeyFile+`"
`)
	if out, err := runArgs(t, "--config", mismatched, "check-config"); err == nil || !strings.Contains(err.Error(), "tls_cert and tls_key") {
		t.Errorf("check-config with a key of another certificate: printed %q, %v", out, err)
	}
	if out, err := runArgs(t, "--config", good, "check-config", "now"); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Errorf("check-config now: printed %q, %v", out, err)
	}
	if _, err := runArgs(t, "--config", filepath.Join(dir, "missing.toml"), "check-config"); err == nil {
		t.Error("check-config with a missing file passed")
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("check-config created the store: %v", err)
	}
}
