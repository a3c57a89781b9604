package kiosk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

func TestSyncText(t *testing.T) {
	if err := setLanguage("en"); err != nil { // counts read "1 needs", "2 need" from the translations
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.Local)
	since := time.Date(2026, 11, 23, 9, 42, 0, 0, time.Local)
	tests := []struct {
		st   syncer.Status
		text string
		imp  widget.Importance
	}{
		{syncer.Status{State: syncer.Online}, "Online", widget.SuccessImportance},
		{syncer.Status{State: syncer.Online, Backlog: 3}, "Online · sending 3", widget.SuccessImportance},
		{syncer.Status{State: syncer.Degraded, Since: since, Backlog: 4}, "Sync trouble since 09:42 · 4 to send", widget.WarningImportance},
		{syncer.Status{State: syncer.Offline, Since: since, Backlog: 12}, "Offline since 09:42 · 12 waiting to sync", widget.DangerImportance},
		{syncer.Status{State: syncer.Unenrolled}, "This kiosk is no longer enrolled", widget.DangerImportance},
		{syncer.Status{State: syncer.KioskOutdated}, "This kiosk needs an update", widget.DangerImportance},
		{syncer.Status{State: syncer.CentreOutdated}, "The centre needs an update", widget.DangerImportance},
		{syncer.Status{State: syncer.Online, Backlog: 2, AwaitingCentre: 2, AwaitingKind: "check_out"}, "Online · 2 wait for the centre's update", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Backlog: 5, AwaitingCentre: 2, AwaitingKind: "check_out"}, "Online · sending 3 · 2 wait for the centre's update", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Rejected: 2}, "Online · 2 need attention", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Rejected: 1}, "Online · 1 needs attention", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Backlog: 1, AwaitingCentre: 1, AwaitingKind: "check_out"}, "Online · 1 waits for the centre's update", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Skew: 24 * time.Hour}, "Online · clock off by +24h0m", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Skew: -6 * time.Minute}, "Online · clock off by -6m", widget.WarningImportance},
		{syncer.Status{State: syncer.Online, Skew: 4 * time.Minute}, "Online", widget.SuccessImportance},
	}
	for _, tc := range tests {
		text, imp := syncText(tc.st, now, false)
		if text != tc.text || imp != tc.imp {
			t.Errorf("%+v: %q (%v), want %q (%v)", tc.st, text, imp, tc.text, tc.imp)
		}
	}
}

// realSync is a kiosk syncer talking to a real centre on loopback.
func realSync(t *testing.T, f *fixture) (*syncer.Syncer, centretest.Centre) {
	t.Helper()
	ctx := context.Background()
	central := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), nil)
	if err := central.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	token, err := central.Enroll(ctx, "north", "test-kiosk", "Test", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(central.Service, centre.ServerOptions{}))
	t.Cleanup(srv.Close)
	client, err := syncer.NewClient(srv.URL, "north", token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return syncer.New(f.store, client, syncer.Config{}), central
}

func TestStaffSeeSyncStateAndUnenrolment(t *testing.T) {
	var sy *syncer.Syncer
	f := newFixture(t)
	sy, central := realSync(t, f)
	f.ui.cfg.Sync = sy
	f.checkIn(t, "Ann Lee", "registration")
	if err := sy.Sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.unlock(t)
	if err := sy.Sync(f.ctx); err != nil { // the sign-in's audit entry
		t.Fatal(err)
	}
	f.ui.showSync(sy.Status())
	if got := f.ui.staff.sync.Text; got != "Online" {
		t.Fatalf("badge %q, want Online", got)
	}

	if err := central.Revoke(f.ctx, "test-kiosk", centretest.IT); err != nil {
		t.Fatal(err)
	}
	f.checkIn(t, "Bo Diaz", "registration")
	if err := sy.Sync(f.ctx); err == nil {
		t.Fatal("a revoked kiosk synced")
	}
	f.ui.showSync(sy.Status())
	if got := f.ui.staff.sync.Text; got != "This kiosk is no longer enrolled" || f.ui.staff.sync.Importance != widget.DangerImportance {
		t.Fatalf("badge %q (%v) after revocation", got, f.ui.staff.sync.Importance)
	}
	test.Tap(f.ui.staff.sync)
	texts := dialogTexts(f.ui)
	if !strings.Contains(texts, "nothing is lost") || !strings.Contains(texts, "1 change waits for the centre; it is") {
		t.Fatalf("sync panel:\n%s", texts)
	}
	// The visitor's side is untouched: check-in still works.
	if _, err := f.store.CheckIn(f.ctx, queue.CheckInForm{Name: "Cy", Service: "visit"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
}

// dialogTexts is every label in the window's overlays.
func dialogTexts(u *UI) string {
	var b strings.Builder
	for _, o := range u.win.Canvas().Overlays().List() {
		for _, l := range labelsIn(o) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func labelsIn(o fyne.CanvasObject) []string {
	var out []string
	switch w := o.(type) {
	case *widget.Label:
		out = append(out, w.Text)
	case *widget.Button:
		out = append(out, w.Text)
	case fyne.Widget:
		r := test.WidgetRenderer(w)
		for _, c := range r.Objects() {
			out = append(out, labelsIn(c)...)
		}
	case *fyne.Container:
		for _, c := range w.Objects {
			out = append(out, labelsIn(c)...)
		}
	}
	return out
}

// pull puts centre records into the store as the syncer would.
func pull(t *testing.T, f *fixture, recs ...queue.RemoteRecord) {
	t.Helper()
	for i := range recs {
		recs[i].Version = int64(i + 1)
	}
	if err := f.store.ApplyPull(f.ctx, queue.PullPage{Records: recs, Cursor: int64(len(recs))}); err != nil {
		t.Fatal(err)
	}
}

func record(t *testing.T, entity, key string, v any) queue.RemoteRecord {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return queue.RemoteRecord{Entity: entity, Key: key, Data: data}
}

func TestInviteCodeFromAScanner(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	pull(t, f, record(t, queue.EntityPreReg, "AB12-CD34", queue.PreRegistration{
		Code: "AB12-CD34", Name: "Marta Ruiz", Host: "Dr Osei", Expected: time.Date(2026, 11, 23, 10, 30, 0, 0, time.Local)}))
	test.Tap(u.welcome.checkIn)
	s := u.form

	// A scanner types the code and presses Enter.
	test.Type(s.invite, "zz99-0000")
	s.invite.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := s.inviteMsg.Text; !strings.Contains(got, "cannot find this invite code") {
		t.Fatalf("unknown code: message %q", got)
	}
	s.invite.SetText("")
	test.Type(s.invite, "ab12-cd34")
	s.invite.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if s.name.Text != "Marta Ruiz" || s.host.Text != "Dr Osei" || s.inviteMsg.Visible() {
		t.Fatalf("after the code: name %q host %q message %q", s.name.Text, s.host.Text, s.inviteMsg.Text)
	}
	test.Tap(s.services[1])
	test.Tap(s.submit)
	if u.screen != screenTicket {
		t.Fatalf("screen %v after submit; form message %q", u.screen, s.formMsg.Text)
	}
	if got := u.ticket.prereg.Text; got != "Dr Osei expects you at 10:30." {
		t.Fatalf("ticket says %q", got)
	}
	v := f.visit(t, u.ticket.ticket.Visit.ID)
	if v.Invite != "AB12-CD34" || v.Name != "Marta Ruiz" {
		t.Fatalf("stored visit %+v", v)
	}
}

func TestWatchListHitAlertsStaffNotTheVisitor(t *testing.T) {
	f := newFixture(t)
	u := f.ui
	// As the centre sends it: sealed (issue 13 §2).
	sealed, err := queue.SealWatch(queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchFlag, Note: "Call security, ext. 4400."},
		[]byte("north-site-salt!"), queue.DefaultWatchParams)
	if err != nil {
		t.Fatal(err)
	}
	pull(t, f, record(t, queue.EntitySealedWatch, "w1", sealed))
	test.Tap(u.welcome.checkIn)
	test.Type(u.form.name, "Rex  danger")
	test.Tap(u.form.services[0])
	test.Tap(u.form.submit)
	if u.screen != screenTicket {
		t.Fatalf("a watch-list hit kept the visitor from a ticket: screen %v", u.screen)
	}
	for _, text := range texts(u.ticket.content) {
		if strings.Contains(strings.ToLower(text), "watch") || strings.Contains(text, "security") {
			t.Fatalf("the visitor sees %q", text)
		}
	}
	test.Tap(u.ticket.done)
	f.unlock(t)
	if got := u.staff.alerts.Text; got != "Alerts: 1" {
		t.Fatalf("alerts button %q", got)
	}
	test.Tap(u.staff.alerts)
	if got := dialogTexts(u); !strings.Contains(got, "Watch-list (flag): Rex  danger checked in as R-001. Call security, ext. 4400.") {
		t.Fatalf("alerts dialog:\n%s", got)
	}
	alerts, err := f.store.Alerts(f.ctx, true)
	if err != nil || len(alerts) != 1 {
		t.Fatal(alerts, err)
	}
	u.ackAlert(alerts[0].ID)
	if got := u.staff.alerts.Text; got != "Alerts: 0" {
		t.Fatalf("after dealing with it: %q", got)
	}
}

func TestSyncPanelListsOnlyOtherKiosksWaiting(t *testing.T) {
	f := newFixture(t)
	sy, _ := realSync(t, f)
	f.ui.cfg.Sync = sy
	mine := f.checkIn(t, "Ann Lee", "registration")
	other := queue.SiteVisit{Kiosk: "lobby-2", Visit: queue.Visit{ID: 7, Ticket: "V-003", Name: "Li Lei", Status: queue.StatusWaiting}}
	served := queue.SiteVisit{Kiosk: "lobby-2", Visit: queue.Visit{ID: 8, Ticket: "V-004", Name: "Bo", Status: queue.StatusServed}}
	own := queue.SiteVisit{Kiosk: "test-kiosk", Visit: mine.Visit}
	pull(t, f, record(t, queue.EntityVisit, "lobby-2/1/7", other), record(t, queue.EntityVisit, "lobby-2/1/8", served),
		record(t, queue.EntityVisit, "test-kiosk/1/1", own))
	f.unlock(t)
	test.Tap(f.ui.staff.sync)
	got := dialogTexts(f.ui)
	if !strings.Contains(got, "V-003  Li Lei  (lobby-2)") || strings.Contains(got, "V-004") || strings.Contains(got, "Ann Lee") {
		t.Fatalf("sync panel:\n%s", got)
	}
}
