package syncer_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageShape holds the module's rules that keep each job in its
// room, all in one place, read from what the go command links: the kiosk
// never links the centre's PostgreSQL driver, the centre never links Fyne,
// the domain and sync packages never link Fyne, the protocol stands alone,
// no binary links the power-cut test's FUSE file system, and the wait estimator and its replay can be evaluated and replaced
// alone.
func TestPackageShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	root := moduleRoot(t)
	std := make(map[string]bool)
	for _, p := range goList(t, root, "std") {
		std[p] = true
	}
	rules := []struct {
		pkgs   string
		forbid []string
		why    string
		// stdOnly: besides the standard library, only the packages
		// themselves and those in allow may be linked.
		stdOnly bool
		allow   []string
	}{
		{"./cmd/kiosk", []string{"github.com/jackc/"}, "the kiosk binary must not link the centre's PostgreSQL driver", false, nil},
		{"./cmd/central", []string{"fyne.io/"}, "the centre must not link the kiosk's UI toolkit", false, nil},
		{"./queue/...", []string{"fyne.io/"}, "the domain must not depend on the UI", false, nil},
		{"./syncer/...", []string{"fyne.io/"}, "sync must not depend on the UI", false, nil},
		{"./cmd/central", []string{"github.com/chromedp/"}, "the browser that tests the console is for tests only", false, nil},
		{"./cmd/...", []string{"github.com/hanwen/go-fuse/", "lobbyline/internal/cutfs"}, "the power-cut test's file system is for tests only", false, nil},
		{"./syncer/centre/console", []string{"fyne.io/", "github.com/jackc/", "lobbyline/kiosk"},
			"the console works through centre.Service: no PostgreSQL driver, nothing of the kiosk UI", false, nil},
		{"./syncer/wire", []string{"lobbyline/", "modernc.org/sqlite", "github.com/jackc/", "database/sql"},
			"the protocol imports no Lobbyline package and no database", true, nil},
		{"./queue/estimate", nil, "the estimator is pure: the standard library only", true, nil},
		{"./queue/waiteval", nil, "the replay judges the estimator alone: no store, no SQL, no UI", true,
			[]string{"lobbyline/queue/estimate"}},
	}
	for _, r := range rules {
		t.Run(r.pkgs, func(t *testing.T) {
			deps := goList(t, root, "-deps", r.pkgs)
			own := goList(t, root, r.pkgs)
			for _, d := range deps {
				if slices.Contains(own, d) || slices.Contains(r.allow, d) {
					continue
				}
				for _, f := range r.forbid {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s links %s: %s", r.pkgs, d, r.why)
					}
				}
				if r.stdOnly && !std[d] {
					t.Errorf("%s links %s: %s", r.pkgs, d, r.why)
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
