package queue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"lobbyline/queue"
)

func remote(t *testing.T, entity, key string, version int64, v any) queue.RemoteRecord {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return queue.RemoteRecord{Entity: entity, Key: key, Version: version, Data: data}
}

func TestApplyPullCursorAndSnapshot(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	host := func(name string) queue.Host { return queue.Host{Department: "Cardiology", Name: name} }
	page := queue.PullPage{Cursor: 3, Records: []queue.RemoteRecord{
		remote(t, queue.EntityHost, "h1", 1, host("Dr Osei")),
		remote(t, queue.EntityHost, "h2", 2, host("Dr Lund")),
		{Entity: queue.EntityHost, Key: "h1", Version: 3, Deleted: true},
	}}
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	hosts, err := s.Remote(ctx, queue.EntityHost)
	if err != nil || len(hosts) != 1 || hosts[0].Key != "h2" {
		t.Fatalf("hosts after a page with a delete: %+v, %v", hosts, err)
	}
	if c, _ := s.PullCursor(ctx); c != 3 {
		t.Fatalf("cursor %d, want 3", c)
	}
	// A late answer to an older request changes nothing.
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 2, Records: []queue.RemoteRecord{remote(t, queue.EntityHost, "h9", 2, host("Late"))}}); err != nil {
		t.Fatal(err)
	}
	if hosts, _ := s.Remote(ctx, queue.EntityHost); len(hosts) != 1 {
		t.Fatalf("a stale page was applied: %+v", hosts)
	}
	// A snapshot replaces everything held.
	snap := queue.PullPage{Snapshot: true, Cursor: 40, Records: []queue.RemoteRecord{remote(t, queue.EntityWatch, "w1", 39, queue.WatchEntry{Name: "X", Action: "flag"})}}
	if err := s.ApplyPull(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if hosts, _ := s.Remote(ctx, queue.EntityHost); len(hosts) != 0 {
		t.Fatalf("hosts survived a snapshot: %+v", hosts)
	}
	if c, _ := s.PullCursor(ctx); c != 40 {
		t.Fatalf("cursor after snapshot %d, want 40", c)
	}
}

func TestCancelledInvitationStillChecksInAndAlertsStaff(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	pre := queue.PreRegistration{Code: "AB12-CD34", Name: "Marta Ruiz", Host: "Dr Osei", Expected: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Cancelled: true}
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 1, Records: []queue.RemoteRecord{remote(t, queue.EntityPreReg, pre.Code, 1, pre)}}); err != nil {
		t.Fatal(err)
	}
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Invite: "ab12-cd34", Service: "visit"}, queue.SourceKiosk)
	if err != nil {
		t.Fatalf("a cancelled invitation kept the visitor out: %v", err)
	}
	if tk.Visit.Name != "Marta Ruiz" || tk.PreReg == nil || !tk.PreReg.Cancelled {
		t.Fatalf("ticket %+v", tk)
	}
	alerts, err := s.Alerts(ctx, true)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != queue.AlertPreRegGone || alerts[0].Visit != tk.Visit.ID {
		t.Fatalf("alerts %+v, %v", alerts, err)
	}
	if err := s.AckAlert(ctx, alerts[0].ID, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, alerts[0].ID, "Carmen"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("acknowledging twice: %v", err)
	}
	if open, _ := s.Alerts(ctx, true); len(open) != 0 {
		t.Fatalf("open alerts after acknowledging: %+v", open)
	}
}

func TestSettleOutbox(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	for _, n := range []string{"Ann", "Bo", "Cy"} {
		mustCheckIn(t, s, n, "registration")
	}
	pending, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(pending) != 3 {
		t.Fatal(pending, err)
	}
	prev := ""
	for _, e := range pending {
		if e.HLC <= prev {
			t.Fatalf("hlc %q after %q", e.HLC, prev)
		}
		prev = e.HLC
	}
	err = s.SettleOutbox(ctx, []queue.Settlement{{Seq: pending[0].Seq}, {Seq: pending[1].Seq, Rejected: true, Reason: "no such service"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Backlog(ctx)
	if err != nil || b.Pending != 1 || b.Rejected != 1 || b.Done != 1 || b.Last != pending[2].Seq {
		t.Fatalf("backlog %+v, %v", b, err)
	}
	// A late "applied" for the rejected one does not undo the rejection.
	if err := s.SettleOutbox(ctx, []queue.Settlement{{Seq: pending[1].Seq}}); err != nil {
		t.Fatal(err)
	}
	rejected, _ := s.RejectedOutbox(ctx, 10)
	if len(rejected) != 1 || rejected[0].Reason != "no such service" {
		t.Fatalf("rejected %+v", rejected)
	}
	if err := s.RetryRejected(ctx, rejected[0].Seq); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Backlog(ctx); b.Pending != 2 || b.Rejected != 0 {
		t.Fatalf("after retry %+v", b)
	}
	if err := s.RetryRejected(ctx, rejected[0].Seq); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("retrying a pending one: %v", err)
	}
}

// TestApplyPullKeepsOnlyWhatTheKioskNeeds: from a centre of an earlier
// release, which sends the whole site, a kiosk keeps no plain watch-list,
// no other kiosk's alert, and other kiosks' visits without phone, host or
// invite; its own alerts and visits stay whole (issue 13 §2).
func TestApplyPullKeepsOnlyWhatTheKioskNeeds(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock()) // kiosk lobby-1
	visit := func(kiosk string) queue.SiteVisit {
		return queue.SiteVisit{Kiosk: kiosk, Visit: queue.Visit{ID: 1, Ticket: "R-001", Name: "Olga " + kiosk, Host: "Dr Host", Phone: "+34 600 999 888",
			Invite: "AB12-CD34", Status: queue.StatusWaiting}}
	}
	page := queue.PullPage{Cursor: 5, Records: []queue.RemoteRecord{
		remote(t, queue.EntityWatch, "w1", 1, queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchFlag}),
		remote(t, queue.EntityAlert, "watch/lobby-2/7/1", 2, queue.Alert{Kind: queue.AlertWatch, Kiosk: "lobby-2", Epoch: 7, Visit: 1, Message: "theirs"}),
		remote(t, queue.EntityAlert, "watch/lobby-1/7/1", 3, queue.Alert{Kind: queue.AlertWatch, Kiosk: "lobby-1", Epoch: 7, Visit: 1, Message: "ours"}),
		remote(t, queue.EntityVisit, "lobby-2/7/1", 4, visit("lobby-2")),
		remote(t, queue.EntityVisit, "lobby-1/7/1", 5, visit("lobby-1")),
	}}
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	checkKeptOnly(t, s, "watch/lobby-1/7/1")
}

// checkKeptOnly checks that kiosk lobby-1 holds no plain watch-list, only
// its own alert ownAlert, and two site visits: its own with its phone,
// lobby-2's with ticket and name but no phone, host or invite.
func checkKeptOnly(t *testing.T, s *queue.Store, ownAlert string) {
	t.Helper()
	ctx := context.Background()
	if w, err := s.Remote(ctx, queue.EntityWatch); err != nil || len(w) != 0 {
		t.Errorf("plain watch-list kept: %d, %v; want none", len(w), err)
	}
	if a, err := s.Remote(ctx, queue.EntityAlert); err != nil || len(a) != 1 || a[0].Key != ownAlert {
		t.Errorf("alerts kept: %+v, %v; want this kiosk's only", a, err)
	}
	visits, err := s.Remote(ctx, queue.EntityVisit)
	if err != nil || len(visits) != 2 {
		t.Fatalf("site visits kept: %d, %v; want 2", len(visits), err)
	}
	for _, r := range visits {
		var sv queue.SiteVisit
		if err := json.Unmarshal(r.Data, &sv); err != nil {
			t.Fatal(err)
		}
		v := sv.Visit
		stripped := v.Phone == "" && v.Host == "" && v.Invite == "" && v.Name != "" && v.Ticket != ""
		if sv.Kiosk == "lobby-1" && v.Phone == "" || sv.Kiosk == "lobby-2" && !stripped {
			t.Errorf("kiosk %s's visit kept as %+v", sv.Kiosk, v)
		}
	}
}

// A pulled visit record set by an older change than the copy held (a
// centre before issue 16 kept the last change it applied) does not take
// the visit back; a newer one, and a tie broken by sequence, do.
func TestApplyPullKeepsTheNewestVisitState(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	visit := func(hlc string, seq int64, status queue.Status) queue.SiteVisit {
		return queue.SiteVisit{Kiosk: "k2", HLC: hlc, Epoch: 1, Seq: seq,
			Visit: queue.Visit{ID: 4, Ticket: "R-004", Name: "Li Wei", Status: status, Epoch: 1}}
	}
	statusOf := func() queue.Status {
		t.Helper()
		recs, err := s.Remote(ctx, queue.EntityVisit)
		if err != nil || len(recs) != 1 {
			t.Fatalf("visit records: %+v, %v", recs, err)
		}
		var sv queue.SiteVisit
		if err := json.Unmarshal(recs[0].Data, &sv); err != nil {
			t.Fatal(err)
		}
		return sv.Visit.Status
	}
	steps := []struct {
		sv   queue.SiteVisit
		want queue.Status
	}{
		{visit("001795425029000.000001", 5, queue.StatusCalled), queue.StatusCalled},
		{visit("001795425000000.000000", 2, queue.StatusWaiting), queue.StatusCalled}, // older: history only
		{visit("001795425066000.000000", 9, queue.StatusServed), queue.StatusServed},
		{visit("001795425066000.000000", 8, queue.StatusNoShow), queue.StatusServed}, // same clock, lower seq
		{visit("001795425066000.000000", 10, queue.StatusNoShow), queue.StatusNoShow},
	}
	for i, st := range steps {
		page := queue.PullPage{Cursor: int64(i + 1), Records: []queue.RemoteRecord{remote(t, queue.EntityVisit, "k2/1/4", int64(i+1), st.sv)}}
		if err := s.ApplyPull(ctx, page); err != nil {
			t.Fatal(err)
		}
		if got := statusOf(); got != st.want {
			t.Fatalf("step %d: status %s, want %s", i, got, st.want)
		}
	}
}
