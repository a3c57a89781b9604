package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lobbyline/queue"
	"lobbyline/syncer/centre/centretest"
)

// TestConsoleStaffInABrowser drives the staff page in headless Chromium:
// add a supervisor with the PIN typed twice, then disable the account,
// and checks the centre's copy, which the site's kiosks pull, after each.
func TestConsoleStaffInABrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (Debian's chromium package; ./dev.sh deps installs it): the console's browser test cannot run", chromiumPath)
	}
	ctx := context.Background()
	f := newFixture(t, centretest.DSN(t, "sqlite"), time.Now().UTC())

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.WindowSize(1440, 960),
		chromedp.DisableGPU,
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate(f.url+"/")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	accounts := func() []queue.StaffAccount {
		t.Helper()
		as, err := f.centre.StaffAccounts(ctx, "north")
		if err != nil {
			t.Fatal(err)
		}
		return as
	}

	do("sign in",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), adminName),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("staff-north")))
	do("open north's staff",
		chromedp.Click(chromedp.ID("staff-north")),
		chromedp.WaitVisible(chromedp.ID("staff-add")))
	if got := text("#no-supervisor"); !strings.Contains(got, "no enabled supervisor account") {
		t.Fatalf("the staff page of a site without a supervisor says %q", got)
	}
	do("add a supervisor whose PINs differ",
		chromedp.SendKeys(chromedp.ID("staff-name"), "Maya Ortiz"),
		chromedp.SetValue(chromedp.ID("staff-role"), "supervisor"),
		chromedp.SendKeys(chromedp.ID("staff-pin"), "20481632"),
		chromedp.SendKeys(chromedp.ID("staff-pin2"), "20481633"),
		chromedp.Click(chromedp.ID("staff-add")),
		chromedp.WaitVisible(chromedp.ID("refused")))
	if got := text("#refused"); got != "Nothing changed: the two PINs differ." || len(accounts()) != 0 {
		t.Fatalf("PINs that differ: the page says %q, the centre holds %+v", got, accounts())
	}
	do("add it with the same PIN twice",
		chromedp.SendKeys(chromedp.ID("staff-pin"), "20481632"),
		chromedp.SendKeys(chromedp.ID("staff-pin2"), "20481632"),
		chromedp.Click(chromedp.ID("staff-add")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if got := text("#notice"); !strings.Contains(got, "Added Maya Ortiz.") {
		t.Fatalf("after adding, the page says %q", got)
	}
	as := accounts()
	if len(as) != 1 || as[0].Name != "Maya Ortiz" || as[0].Role != queue.RoleSupervisor || as[0].Disabled {
		t.Fatalf("the centre holds %+v", as)
	}
	row := "#staff-" + as[0].ID
	if got := text(chromedp.CSS(row)); !strings.Contains(got, "supervisor") || !strings.Contains(got, "enabled") || !strings.Contains(got, "by it-ops (console)") {
		t.Fatalf("the new account's row: %q", got)
	}
	var staffPNG []byte
	if *screenshots != "" {
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		staffPNG = png
	}

	// The page after adding shows a notice too: wait for the row to change.
	do("disable it",
		chromedp.Click(chromedp.CSS(row+" button.disable")),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-disabled="true"]`)))
	if got := text("#notice"); !strings.Contains(got, "Disabled Maya Ortiz") {
		t.Fatalf("after disabling, the page says %q", got)
	}
	if got := text(chromedp.CSS(row)); !strings.Contains(got, "disabled") {
		t.Fatalf("the disabled account's row: %q", got)
	}
	if as := accounts(); !as[0].Disabled {
		t.Fatalf("the centre holds %+v after disabling", as)
	}
	do("open the audit log",
		chromedp.Navigate(f.url+"/audit?site=north"),
		chromedp.WaitVisible(chromedp.ID("audit")))
	if got := text("#audit"); !strings.Contains(got, "staff_add") || !strings.Contains(got, "staff_disable") || !strings.Contains(got, adminName) {
		t.Fatalf("the audit log shows %q", got)
	}
	if dir := *screenshots; dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "console-staff.png"), staffPNG, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
