package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain runs the kiosk's own main instead of the tests when asked, so
// a test can start the real program (the test binary holds it) in a
// process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("LOBBYLINE_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestNoDisplayIsAClearError: a kiosk started before its session's
// display is up (or with a wrong DISPLAY) says so and exits 1, for the
// session to start it again, instead of dying in a GLFW panic's stack
// trace.
func TestNoDisplayIsAClearError(t *testing.T) {
	dir := t.TempDir()
	// #nosec G204 G702 -- this test binary, running the kiosk's main
	cmd := exec.Command(os.Args[0], "--demo", "--db", filepath.Join(dir, "k.db"))
	cmd.Env = append(os.Environ(), "LOBBYLINE_TEST_RUN_MAIN=1", "HOME="+dir, "DISPLAY=:987", "WAYLAND_DISPLAY=", "LANG=en_US.UTF-8")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v:\n%s", err, out)
	}
	if !strings.Contains(string(out), `kiosk: the kiosk cannot open its window`) || !strings.Contains(string(out), `DISPLAY=":987"`) ||
		strings.Contains(string(out), "goroutine 1 [") {
		t.Fatalf("want a plain error naming the display, got:\n%s", out)
	}
}
