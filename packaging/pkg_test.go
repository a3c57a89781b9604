// Package packaging holds the .deb definitions, systemd units and the
// kiosk's lobby session (see README.md here); its test checks the packages
// ./dev.sh package built. It has no Go code of its own, and nothing
// imports it.
package packaging

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pkg is what one package must hold.
type pkg struct {
	name      string
	files     []string // paths in the package, and the binary first
	conffiles []string
	depends   []string // some of the Depends it must have
	config    string   // the conffile its binary's check-config reads
	units     []string
}

var packages = []pkg{{
	name: "lobbyline-central",
	files: []string{"/usr/bin/lobbyline-central", "/lib/systemd/system/lobbyline-central.service",
		"/etc/lobbyline/central.toml", "/usr/share/doc/lobbyline-central/default.toml"},
	conffiles: []string{"/etc/lobbyline/central.toml"},
	depends:   []string{"adduser"},
	config:    "/etc/lobbyline/central.toml",
	units:     []string{"/lib/systemd/system/lobbyline-central.service"},
}, {
	name: "lobbyline-kiosk",
	files: []string{"/usr/bin/lobbyline-kiosk", "/lib/systemd/system/lobbyline-kiosk.service",
		"/etc/lobbyline/kiosk.toml", "/usr/share/doc/lobbyline-kiosk/sample.toml",
		"/usr/share/icons/hicolor/512x512/apps/lobbyline-kiosk.png"},
	conffiles: []string{"/etc/lobbyline/kiosk.toml"},
	depends:   []string{"adduser", "cage", "xwayland", "libpam-systemd", "libgl1", "libegl1", "libwayland-client0", "libxkbcommon0"},
	config:    "/etc/lobbyline/kiosk.toml",
	units:     []string{"/lib/systemd/system/lobbyline-kiosk.service"},
}}

// buildOnly are packages a lobby machine must never need.
var buildOnly = regexp.MustCompile(`(^|[ ,|])(golang[^ ,]*|gcc[^ ,]*|g\+\+[^ ,]*|cpp|build-essential|pkg-config|pkgconf|[a-z0-9.+-]+-dev)( |,|$)`)

// debsDir is where ./dev.sh put the packages. Under ./dev.sh test
// (LOBBYLINE_PACKAGES set) missing packages fail the test; run alone,
// without packages in dist/, it is skipped.
func debsDir(t *testing.T) string {
	dir := os.Getenv("LOBBYLINE_PACKAGES")
	if dir == "" {
		dir = filepath.Join("..", "dist")
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*_amd64.deb"))
	if len(debs) == 0 {
		if os.Getenv("LOBBYLINE_PACKAGES") != "" {
			t.Fatalf("no packages in %s, which ./dev.sh test built", dir)
		}
		t.Skip("no packages in ../dist: ./dev.sh package builds them (./dev.sh test does, then runs this)")
	}
	for _, tool := range []string{"dpkg-deb", "systemd-analyze"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to check the packages: %v", tool, err)
		}
	}
	return dir
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPackages(t *testing.T) {
	dir := debsDir(t)
	for _, p := range packages {
		t.Run(p.name, func(t *testing.T) {
			debs, _ := filepath.Glob(filepath.Join(dir, p.name+"_*_amd64.deb"))
			if len(debs) != 1 {
				t.Fatalf("want one %s amd64 package in %s, found %q", p.name, dir, debs)
			}
			deb := debs[0]

			fields := map[string]string{}
			for _, f := range []string{"Package", "Version", "Architecture", "Depends"} {
				fields[f] = strings.TrimSpace(run(t, "dpkg-deb", "--field", deb, f))
			}
			if fields["Package"] != p.name || fields["Architecture"] != "amd64" {
				t.Errorf("package %q for %q, want %s for amd64", fields["Package"], fields["Architecture"], p.name)
			}
			if !regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`).MatchString(fields["Version"]) {
				t.Errorf("version %q is not a Debian upstream version", fields["Version"])
			}
			deps := strings.Split(fields["Depends"], ", ")
			for _, d := range deps {
				if buildOnly.MatchString(d) {
					t.Errorf("depends on %q: a build tool or -dev package", d)
				}
			}
			for _, want := range p.depends {
				if !slices.ContainsFunc(deps, func(d string) bool { return d == want || strings.HasPrefix(d, want+" ") }) {
					t.Errorf("Depends %q lacks %s", fields["Depends"], want)
				}
			}

			var files []string
			for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "--contents", deb)), "\n") {
				if f := strings.Fields(line); len(f) >= 6 {
					files = append(files, strings.TrimPrefix(f[5], "."))
				}
			}
			for _, want := range p.files {
				if !slices.Contains(files, want) {
					t.Errorf("%s is not in the package; it holds %q", want, files)
				}
			}
			conffiles := strings.Fields(run(t, "dpkg-deb", "--info", deb, "conffiles"))
			if !slices.Equal(conffiles, p.conffiles) {
				t.Errorf("conffiles %q, want %q", conffiles, p.conffiles)
			}

			// What it holds works: the binary says its version, reads
			// its packaged config, and the units pass systemd's checks.
			root := t.TempDir()
			run(t, "dpkg-deb", "--extract", deb, root)
			bin := filepath.Join(root, p.files[0])
			if got, want := strings.TrimSpace(run(t, bin, "--version")), p.name+" "+fields["Version"]; got != want {
				t.Errorf("--version says %q, want %q", got, want)
			}
			checkConfig(t, bin, filepath.Join(root, p.config))
			for _, u := range p.units {
				verifyUnit(t, filepath.Join(root, u))
			}
		})
	}
}

// checkConfig runs the binary's check-config on its packaged config. The
// kiosk's has no set-up PIN and no centre yet: it waits for enrolment,
// whose set-up screen asks for the first supervisor. Set to a lobby with
// no centre it must refuse and say how to make the first supervisor, and
// pass once the line hash-pin prints replaces the placeholder (a set-up
// PIN makes the first supervisor on the screen), as README's "Install in
// a lobby" tells IT.
func checkConfig(t *testing.T, bin, config string) {
	t.Helper()
	if filepath.Base(bin) != "lobbyline-kiosk" {
		t.Log(strings.TrimSpace(run(t, bin, "--config", config, "check-config")))
		return
	}
	status := func(want int, what string) string {
		t.Helper()
		out, err := exec.Command(bin, "--config", config, "check-config").CombinedOutput()
		got := 0
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			got = exit.ExitCode()
		case err != nil:
			t.Fatalf("check-config %s: %v", what, err)
		}
		if got != want {
			t.Errorf("check-config %s: status %d, want %d: %s", what, got, want, out)
		}
		return string(out)
	}
	if out := status(3, "as packaged"); !strings.Contains(out, "lobby: waiting for enrolment") {
		t.Errorf("check-config as packaged: %s", out)
	}
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	central := regexp.MustCompile(`(?m)^central = "".*$`)
	if !central.Match(b) {
		t.Fatalf("the packaged kiosk.toml has no 'central = \"\"' line")
	}
	b = central.ReplaceAllLiteral(b, []byte(`central = "off"`))
	if err := os.WriteFile(config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := status(3, "with no centre and no account"); !strings.Contains(out, "lobbyline-kiosk staff add --role supervisor") {
		t.Errorf("check-config with no centre and no account: %s", out)
	}
	hash := exec.Command(bin, "hash-pin")
	hash.Stdin = strings.NewReader("4817\n")
	line, err := hash.Output()
	if err != nil {
		t.Fatalf("hash-pin: %v", err)
	}
	placeholder := regexp.MustCompile(`(?m)^# pin_hash = .*$`)
	if !placeholder.Match(b) {
		t.Fatalf("the packaged kiosk.toml has no '# pin_hash = ' line to replace")
	}
	b = placeholder.ReplaceAllLiteral(b, []byte(strings.TrimSpace(string(line))))
	if err := os.WriteFile(config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Log(strings.TrimSpace(status(0, "with no centre and a set-up PIN")))
}

// verifyUnit runs systemd-analyze verify on a unit from a package. The
// commands it starts are not installed here (test-install.sh verifies the
// units where they are): each is replaced by a stand-in of the same name.
func verifyUnit(t *testing.T, unit string) {
	t.Helper()
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	text := regexp.MustCompile(`(?m)^(Exec[A-Za-z]*=[-@:+!]*)(/\S+)`).ReplaceAllStringFunc(string(b), func(line string) string {
		eq := strings.Index(line, "=")
		start := eq + 1 + strings.IndexByte(line[eq+1:], '/')
		cmd := line[start:]
		if _, err := os.Stat(cmd); err == nil {
			return line
		}
		stub := filepath.Join(stubs, filepath.Base(cmd))
		if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return line[:start] + stub
	})
	copied := filepath.Join(t.TempDir(), filepath.Base(unit))
	if err := os.WriteFile(copied, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "systemd-analyze", "verify", copied)
}

// TestCentralUnitIsHardened holds systemd's exposure rating of the
// centre's unit at 2.5 or better (packaging/README.md states it).
func TestCentralUnitIsHardened(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=25", "lobbyline-central.service").CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for lobbyline-central.service: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v (exposure above 2.5?)\n%s", err, out)
	}
	t.Logf("exposure %s", m[1])
}

// TestPackagedKioskConfig: the kiosk's packaged config sets no staff PIN
// and no embedded centre, so a new lobby starts with neither sample.
func TestPackagedKioskConfig(t *testing.T) {
	dir := debsDir(t)
	debs, _ := filepath.Glob(filepath.Join(dir, "lobbyline-kiosk_*_amd64.deb"))
	if len(debs) != 1 {
		t.Fatalf("want one kiosk package, found %q", debs)
	}
	root := t.TempDir()
	run(t, "dpkg-deb", "--extract", debs[0], root)
	b, err := os.ReadFile(filepath.Join(root, "etc/lobbyline/kiosk.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, bad := range []string{`(?m)^\s*pin_hash\s*=`, `(?m)^\s*central\s*=\s*"(embedded|off)"`, `central_token`} {
		if regexp.MustCompile(bad).MatchString(text) {
			t.Errorf("the packaged kiosk.toml matches %s", bad)
		}
	}
	for _, want := range []string{"lobbyline-kiosk hash-pin", `database = "/var/lib/lobbyline-kiosk/kiosk.db"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the packaged kiosk.toml does not say %q", want)
		}
	}
}
