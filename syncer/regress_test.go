package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// A kiosk reinstalled under the same id (new database, new epoch) pulls
// the site's alerts about its old database: they must neither stop it
// from syncing nor land on its staff list against the wrong visitor.
func TestReinstalledKioskIgnoresAlertsAboutItsOldDatabase(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	if _, err := c.store.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityWatch, Key: "w1",
		Data: queue.WatchEntry{Name: "Eve Five", Action: queue.WatchFlag}}}); err != nil {
		t.Fatal(err)
	}
	old := newKiosk(t, c, "a")
	for _, n := range []string{"Ann", "Bo", "Cy", "Di", "Eve Five"} {
		old.checkIn(t, n)
	}
	if err := old.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if alerts, _ := old.store.Alerts(ctx, true); len(alerts) != 1 {
		t.Fatalf("the old database's staff see %d alerts, want 1", len(alerts))
	}
	fresh := newKiosk(t, c, "a") // same id, new database, enrolled again
	fresh.checkIn(t, "Zed")
	if err := fresh.sync.Sync(ctx); err != nil {
		t.Fatalf("a reinstalled kiosk cannot sync: %v", err)
	}
	if st := fresh.sync.Status(); st.Backlog != 0 || st.State != syncer.Online {
		t.Fatalf("status %+v", st)
	}
	if alerts, _ := fresh.store.Alerts(ctx, true); len(alerts) != 0 {
		t.Fatalf("the new database inherited alerts: %+v", alerts)
	}
}

// A token for another kiosk gets 403 on every push: that is the kiosk's
// set-up, not its changes, so none is marked as needing attention.
func TestForbiddenPushIsSetUpNotContent(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	k := newKioskWithToken(t, c.http.URL, "lobby-1", token)
	for i := range 8 {
		k.checkIn(t, fmt.Sprint("Person ", i))
	}
	err = k.sync.Sync(ctx)
	st := k.sync.Status()
	if err == nil || st.State != syncer.Degraded || st.Rejected != 0 || st.Backlog != 8 || !strings.Contains(st.LastError, "403") {
		t.Fatalf("err=%v status %+v", err, st)
	}
}

// After a compaction, a new kiosk's snapshot comes in pages of bounded
// size, and the kiosk ends up holding every live record once.
func TestSnapshotComesInPages(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	var ws []centre.RecordWrite
	for i := range 2500 {
		ws = append(ws, centre.RecordWrite{Entity: queue.EntityHost, Key: fmt.Sprint("h", i), Data: queue.Host{Name: fmt.Sprint("Dr ", i)}})
	}
	ws = append(ws, centre.RecordWrite{Entity: queue.EntityHost, Key: "h1", Delete: true})
	if _, err := c.store.Write(ctx, "north", ws); err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityHost, Key: "h2", Delete: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.Compact(ctx, "north", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A page that lands mid-snapshot must not restart it.
	if _, err := c.store.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityHost, Key: "h3", Delete: true}}); err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, c, "newbie")
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("first sync of a new kiosk: %v", err)
	}
	hosts, err := k.store.Remote(ctx, queue.EntityHost)
	if err != nil || len(hosts) != 2497 {
		t.Fatalf("the kiosk holds %d hosts, want 2497 (%v)", len(hosts), err)
	}
	_, continuing, err := k.store.PullState(ctx)
	if err != nil || continuing {
		t.Fatalf("snapshot still marked as under way: %v %v", continuing, err)
	}
}
