package centre_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// TestEraseOnePerson forgets one visitor on request at once: nothing at
// the centre holds their name, host or phone any more, nor at either
// kiosk once it has pulled; someone else's visit is untouched; a replay
// of the erased check-in is still a duplicate.
func TestEraseOnePerson(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k1, k2 := mustEnrollKiosk(t, c, "north", "lobby-1"), mustEnrollKiosk(t, c, "north", "lobby-2")
		dir := t.TempDir()
		s1, s2 := openKioskStoreAt(t, dir, "lobby-1", clk), openKioskStoreAt(t, dir, "lobby-2", clk)
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityPreReg, Key: "AB12-CD34",
			Data: queue.PreRegistration{Code: "AB12-CD34", Name: "Zoë Smith", Host: "Dr Hollis", Expected: clk.Now()}}}); err != nil {
			t.Fatal(err)
		}

		kioskCheckIn(t, s1, queue.CheckInForm{Name: "Zoë Smith", Host: "Dr Hollis", Phone: "+44 7700 900123"})
		kioskCheckIn(t, s1, queue.CheckInForm{Name: "Other Person", Host: "Dr Keep", Phone: "+44 7700 900999"})
		first := pushAll(t, c.Service, k1, s1)
		kioskCheckIn(t, s2, queue.CheckInForm{Name: "zoe smith"}) // the same person at the other kiosk: alerts name her
		pushAll(t, c.Service, k2, s2)
		pullInto(t, c.Service, k1, s1)
		pullInto(t, c.Service, k2, s2)

		clk.Advance(time.Hour)
		e, err := c.Erase(ctx, "north", "ZOE SMITH", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		if e.Visits != 2 || e.Alerts != 2 || e.PreRegs != 1 || e.Arrivals != 2 || e.Mutations != 2 || e.Kiosks != 2 {
			t.Errorf("erased %+v; want 2 visits, 2 alerts, 1 pre-registration, 2 check-ins, 2 payloads, 2 kiosks", e)
		}
		pullInto(t, c.Service, k1, s1)
		pullInto(t, c.Service, k2, s2)

		gone := map[string]bool{"Zoë Smith": true, "zoe smith": true, "Dr Hollis": true, "+44 7700 900123": true}
		kept := map[string]bool{"Other Person": true, "Dr Keep": true, "+44 7700 900999": true}
		tables := tablesOf(t, c.DB(), centredb.IsPostgres(dsn))
		if found := rowsHolding(t, c.DB(), tables, gone); len(found) > 0 {
			t.Errorf("the centre still holds the erased person: %v", found)
		}
		if found := rowsHolding(t, c.DB(), tables, kept); len(found) == 0 {
			t.Error("the centre lost the other visitor too")
		}
		for _, id := range []string{"lobby-1", "lobby-2"} {
			if found := kioskHolding(t, dir, id, gone); len(found) > 0 {
				t.Errorf("kiosk %s still holds the erased person: %v", id, found)
			}
		}
		if v, err := s1.Visit(ctx, 2); err != nil || v.Name != "Other Person" {
			t.Errorf("the other visitor at lobby-1: %+v, %v", v, err)
		}
		if got := statusesOf(mustPush(t, c, k1, first)); strings.Join(got, ",") != strings.Join(repeated(wire.StatusDuplicate, 2), ",") {
			t.Errorf("replay of the erased check-in: %v; want duplicates", got)
		}
		// A fresh kiosk's snapshot does not bring her back.
		snap := follow(t, c, mustEnrollKiosk(t, c, "north", "lobby-3"), 0, 0)
		for key, r := range snap.records {
			for n := range gone {
				if strings.Contains(string(r.Data), n) {
					t.Errorf("the snapshot's %s holds %q", key, n)
				}
			}
		}
		if _, err := c.Erase(ctx, "north", " ", centretest.IT); err == nil {
			t.Error("erasing an empty name was accepted")
		}
	})
}
