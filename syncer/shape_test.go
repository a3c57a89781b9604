package syncer_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageShape holds the rules that keep each job in its room, read
// from what the go command links: the kiosk never links the centre's
// PostgreSQL driver, the centre never links Fyne, the domain and sync
// packages never link Fyne, and the protocol stands alone.
func TestPackageShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	root := moduleRoot(t)
	rules := []struct {
		pkgs   string
		forbid []string
		why    string
	}{
		{"./cmd/kiosk", []string{"github.com/jackc/"}, "the kiosk binary must not link the centre's PostgreSQL driver"},
		{"./cmd/central", []string{"fyne.io/"}, "the centre must not link the kiosk's UI toolkit"},
		{"./queue/...", []string{"fyne.io/"}, "the domain must not depend on the UI"},
		{"./syncer/...", []string{"fyne.io/"}, "sync must not depend on the UI"},
		{"./syncer/wire", []string{"lobbyline/", "modernc.org/sqlite", "github.com/jackc/", "database/sql"},
			"the protocol imports no Lobbyline package and no database"},
	}
	for _, r := range rules {
		t.Run(r.pkgs, func(t *testing.T) {
			deps := goList(t, root, "-deps", r.pkgs)
			own := goList(t, root, r.pkgs)
			for _, d := range deps {
				if strings.HasPrefix(r.pkgs, "./syncer/wire") && slices.Contains(own, d) {
					continue // the package itself
				}
				for _, f := range r.forbid {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s links %s: %s", r.pkgs, d, r.why)
					}
				}
			}
		})
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func goList(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}
